"""Charts for the results pages and reports: radar charts and a heatmap, as PNG or SVG bytes.

Drawn on a :class:`matplotlib.figure.Figure` with the Agg canvas (never ``pyplot``, so nothing
global is touched and the module is thread-safe). Series are told apart by colour (the
colour-blind-safe Okabe–Ito palette) *and* by line style *and* by marker, so no reader depends
on colour alone. Labels are wrapped so they do not overlap. Every rendered chart is kept in an
in-process LRU cache keyed by a SHA-256 of its inputs and, when a :class:`ChartStore` is set
(:func:`set_store`, the app uses ``<instance>/charts``), in files shared by every process and
app server on that folder: a chart rendered once (e.g. by the background job that runs when a
round's results change) is read back, never drawn again, by any worker.

The radar is drawn on plain cartesian axes (polygon grid, spokes and labels placed by hand):
this is several times faster than matplotlib's polar projection and gives the usual "spider"
look. With fewer than three axes a radar says nothing, so a horizontal bar chart is drawn.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import multiprocessing
import os
import textwrap
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final, Literal, TypedDict

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.typing import LineStyleType

Format = Literal["png", "svg"]
FORMATS: Final = ("png", "svg")
MIME_TYPES: Final = {"png": "image/png", "svg": "image/svg+xml"}

#: Okabe–Ito colours, ordered for contrast on white (the yellow is left out: too light).
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LINE_STYLES: Final = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)), (0, (1, 1)))
MARKERS: Final = ("o", "s", "^", "D", "v", "P", "X")
GRID_COLOUR: Final = "#8a8a8a"
TEXT_COLOUR: Final = "#1a1a1a"
SCALE_MAX: Final = 100.0
DEFAULT_DPI: Final = 120
CACHE_SIZE: Final = 256

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """One line of a radar chart: a label and a value per axis (None where nothing is scored)."""

    label: str
    values: tuple[float | None, ...]
    fill: bool = False


@dataclass(frozen=True)
class RadarSpec:
    """A radar chart: axis labels, the series drawn on them, a title and a legend title."""

    title: str
    axes: tuple[str, ...]
    series: tuple[Series, ...]
    legend_title: str = ""
    #: Label the axes 1, 2, 3, … instead of by name (dense radars; the data table beside the
    #: chart then numbers its rows the same way). Short labels never overlap and draw fast.
    numbered: bool = False
    #: A small multiple: a compact figure (one of several side by side), short axis labels.
    small: bool = False
    kind: str = field(default="radar", init=False)


@dataclass(frozen=True)
class HeatmapSpec:
    """A heatmap: row labels × column labels with a value (0–100 or None) in every cell."""

    title: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]
    empty_label: str = "–"
    colorbar_label: str = ""
    kind: str = field(default="heatmap", init=False)


ChartSpec = RadarSpec | HeatmapSpec

_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0, "stored": 0}


class ChartStore:
    """Rendered charts as files, shared by every process on the folder.

    A chart is ``<folder>/<key[:2]>/<key>.<fmt>``, its key the SHA-256 of its inputs
    (:func:`chart_key`): equal inputs give the same file, so no invalidation is needed when a
    round's results change (its charts get new keys). Writes are atomic (a temporary file
    renamed into place), so readers never see half a chart. :meth:`keep` records which keys a
    round uses and deletes the files an earlier version of it left behind.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, key: str, fmt: str) -> Path:
        """Where the chart with ``key`` in format ``fmt`` is stored."""
        return self.folder / key[:2] / f"{key}.{fmt}"

    def get(self, key: str, fmt: str) -> bytes | None:
        """The stored chart, or None."""
        try:
            return self.path(key, fmt).read_bytes()
        except OSError:
            return None

    def put(self, key: str, fmt: str, data: bytes) -> None:
        """Store a chart (atomically; a failure to write is logged, never raised)."""
        path = self.path(key, fmt)
        tmp = path.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            logger.warning("chart store: could not write %s: %s", path.name, exc)
            tmp.unlink(missing_ok=True)

    def _manifest(self, name: str) -> Path:
        return self.folder / "sets" / f"{name}.json"

    def keep(self, name: str, keys: Iterable[tuple[str, str]]) -> int:
        """Record the (key, format) pairs of the set ``name`` (e.g. ``round-3``) and delete the
        files of its previous set that no set uses any more; returns how many were deleted."""
        new = sorted({(key, fmt) for key, fmt in keys})
        manifest = self._manifest(name)
        try:
            old = {tuple(item) for item in json.loads(manifest.read_text("utf-8"))}
        except (OSError, ValueError):
            old = set()
        manifest.parent.mkdir(parents=True, exist_ok=True)
        tmp = manifest.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(new), "utf-8")
        os.replace(tmp, manifest)
        stale = old - set(new)
        if stale:
            for other in manifest.parent.glob("*.json"):
                if other != manifest:
                    try:
                        stale -= {tuple(item) for item in json.loads(other.read_text("utf-8"))}
                    except (OSError, ValueError):
                        continue
        for key, fmt in stale:
            self.path(key, fmt).unlink(missing_ok=True)
        return len(stale)

    def prune(self, max_age: float, now: float | None = None) -> int:
        """Delete the charts no set lists that were written more than ``max_age`` seconds
        ago; returns how many were deleted."""
        listed: set[str] = set()
        for manifest in (self.folder / "sets").glob("*.json"):
            try:
                listed |= {f"{key}.{fmt}" for key, fmt in json.loads(manifest.read_text("utf-8"))}
            except (OSError, ValueError):
                return 0  # a set being rewritten: prune another time
        limit = (now if now is not None else time.time()) - max_age
        removed = 0
        for path in self.folder.glob("??/*.*"):
            try:
                if path.name not in listed and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed


_store: ChartStore | None = None


def set_store(store: ChartStore | None) -> None:
    """Share rendered charts through ``store`` (None: only the in-process cache)."""
    global _store
    _store = store


def get_store() -> ChartStore | None:
    """The chart store in use, if any."""
    return _store


def chart_key(spec: ChartSpec, fmt: str, dpi: int = DEFAULT_DPI) -> str:
    """The SHA-256 of a chart's inputs: equal inputs give the same key (and the same bytes)."""
    payload = json.dumps({"spec": asdict(spec), "kind": spec.kind, "fmt": fmt, "dpi": dpi,
                          "png": "rgb",
                          "mpl": matplotlib.__version__}, sort_keys=True, ensure_ascii=False,
                         default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _remember(key: str, data: bytes) -> None:
    """Put a chart into the in-process LRU (the caller holds ``_cache_lock``)."""
    _cache[key] = data
    _cache.move_to_end(key)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def _from_store(key: str, fmt: str) -> bytes | None:
    store = _store
    if store is None:
        return None
    data = store.get(key, fmt)
    if data is not None:
        with _cache_lock:
            _stats["stored"] += 1
            _remember(key, data)
    return data


def render(spec: ChartSpec, fmt: str = "png", dpi: int = DEFAULT_DPI) -> bytes:
    """Render a chart to PNG or SVG bytes, from the LRU cache or the chart store when the
    inputs were seen before."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    key = chart_key(spec, fmt, dpi)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return cached
    stored = _from_store(key, fmt)
    if stored is not None:
        return stored
    data = _render_uncached((spec, fmt, dpi))
    with _cache_lock:
        _stats["misses"] += 1
        _remember(key, data)
    if _store is not None:
        _store.put(key, fmt, data)
    return data


#: Below this many uncached charts, rendering in worker processes does not pay off.
PARALLEL_FROM: Final = 8


def _render_uncached(job: tuple[ChartSpec, str, int]) -> bytes:
    spec, fmt, dpi = job
    if isinstance(spec, RadarSpec):
        figure = _radar_figure(spec) if len(spec.axes) >= 3 else _bar_figure(spec)
    else:
        figure = _heatmap_figure(spec)
    return _to_bytes(figure, fmt, dpi)


def render_many(specs: Sequence[ChartSpec], fmt: str = "png", dpi: int = DEFAULT_DPI,
                processes: int | None = None) -> list[bytes]:
    """Render several charts, the uncached ones spread over worker processes, and cache them.

    Worker processes come from a fork server that preloads this module, so they start fast
    and never inherit the web server's threads or locks. With one process (or few charts)
    everything is rendered in this process.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    workers = processes if processes is not None else (os.cpu_count() or 1)
    missing: dict[str, ChartSpec] = {}
    with _cache_lock:
        for spec in specs:
            key = chart_key(spec, fmt, dpi)
            if key not in _cache:
                missing[key] = spec
    for key in list(missing):
        if _from_store(key, fmt) is not None:
            del missing[key]
    if workers > 1 and len(missing) >= PARALLEL_FROM:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["quickscan.charts"])
        jobs = [(spec, fmt, dpi) for spec in missing.values()]
        try:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                                     mp_context=context) as pool:
                rendered = list(pool.map(_render_uncached, jobs,
                                         chunksize=max(1, len(jobs) // (4 * workers))))
        except (BrokenProcessPool, OSError) as exc:
            # No worker processes here (e.g. a frozen or unusual main module): render below,
            # in this process, rather than fail the report.
            logger.warning("chart worker processes unavailable, rendering in-process: %s", exc)
            return [render(spec, fmt, dpi) for spec in specs]
        with _cache_lock:
            for key, data in zip(missing, rendered):
                _stats["misses"] += 1
                _remember(key, data)
        if _store is not None:
            for key, data in zip(missing, rendered):
                _store.put(key, fmt, data)
    return [render(spec, fmt, dpi) for spec in specs]


def cache_info() -> dict[str, int]:
    """Cache statistics: hits, misses (charts drawn) and the number of charts held."""
    with _cache_lock:
        return {"hits": _stats["hits"], "misses": _stats["misses"], "size": len(_cache)}


def store_info() -> dict[str, int]:
    """:func:`cache_info` plus ``stored``: the charts read from the chart store."""
    info = cache_info()
    with _cache_lock:
        info["stored"] = _stats["stored"]
    return info


def clear_cache() -> None:
    """Forget every chart cached in this process (used by tests and the benchmark); the
    chart store is left alone."""
    with _cache_lock:
        _cache.clear()
        for name in _stats:
            _stats[name] = 0


class SeriesStyle(TypedDict):
    """How one series is drawn (keyword arguments of ``Axes.plot``)."""

    color: str
    linestyle: LineStyleType
    marker: str


def style(index: int) -> SeriesStyle:
    """Colour, line style and marker of the ``index``-th series (all three differ per series)."""
    return {"color": PALETTE[index % len(PALETTE)],
            "linestyle": LINE_STYLES[index % len(LINE_STYLES)],
            "marker": MARKERS[index % len(MARKERS)]}


def wrap_label(label: str, width: int = 18, max_lines: int = 3) -> str:
    """Wrap a label on word boundaries into at most ``max_lines`` lines of ``width`` characters."""
    width = max(width, min(32, max((len(word) for word in label.split()), default=0)))
    lines = textwrap.wrap(label, width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(lines)


# --------------------------------------------------------------------------- rendering


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout=None)
    FigureCanvasAgg(figure)
    return figure


def _to_bytes(figure: Figure, fmt: str, dpi: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "svg":
        with matplotlib.rc_context({"svg.hashsalt": "quickscan", "svg.fonttype": "path"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    else:
        # An opaque RGB PNG (matplotlib writes RGBA): a PDF embeds its compressed rows as
        # they are, without decoding the image or splitting off an alpha mask.
        import numpy as np
        from PIL import Image

        figure.set_dpi(dpi)
        figure.set_facecolor("white")
        canvas = FigureCanvasAgg(figure)
        canvas.draw()  # type: ignore[no-untyped-call]
        rgb = np.asarray(canvas.buffer_rgba())[..., :3]  # type: ignore[no-untyped-call]
        Image.fromarray(rgb, "RGB").save(buffer, "PNG", compress_level=6, dpi=(dpi, dpi))
    return buffer.getvalue()


def _angles(count: int) -> list[float]:
    # Start at the top and go clockwise, as readers expect of a radar chart.
    return [math.pi / 2 - 2 * math.pi * index / count for index in range(count)]


def _radar_figure(spec: RadarSpec) -> Figure:
    count = len(spec.axes)
    if spec.small:
        figure = _new_figure(3.6, 3.9)
        ax = figure.add_axes((0.1, 0.15, 0.8, 0.66))
    else:
        figure = _new_figure(7.6, 6.4)
        ax = figure.add_axes((0.17, 0.15, 0.66, 0.72))
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_xlim(-1.0, 1.0)
    ax.set_ylim(-1.0, 1.0)
    angles = _angles(count)
    cos = [math.cos(a) for a in angles]
    sin = [math.sin(a) for a in angles]
    for ring in (25, 50, 75, 100):
        r = ring / SCALE_MAX
        ax.plot([r * c for c in cos] + [r * cos[0]], [r * s for s in sin] + [r * sin[0]],
                color=GRID_COLOUR, linewidth=0.6 if ring < 100 else 1.0, zorder=1)
        ax.text(0.02, r + 0.015, str(ring), fontsize=7, color="#4a4a4a", zorder=2)
    for c, s in zip(cos, sin):
        ax.plot([0, c], [0, s], color=GRID_COLOUR, linewidth=0.6, zorder=1)
    for number, (label, c, s) in enumerate(zip(spec.axes, cos, sin), start=1):
        ha = "left" if c > 0.15 else ("right" if c < -0.15 else "center")
        va = "bottom" if s > 0.15 else ("top" if s < -0.15 else "center")
        if spec.numbered:
            ax.text(1.06 * c, 1.06 * s, str(number), ha=ha, va=va, fontsize=9,
                    fontweight="bold", color=TEXT_COLOUR, clip_on=False)
            continue
        ax.text(1.08 * c, 1.08 * s, wrap_label(label, 20 if abs(c) > 0.15 else 26),
                ha=ha, va=va, fontsize=11 if spec.small else 8, color=TEXT_COLOUR,
                fontweight="bold" if spec.small else "normal", clip_on=False)
    handles = []
    for index, series in enumerate(spec.series):
        look = style(index)
        xs: list[float] = []
        ys: list[float] = []
        for value, c, s in zip(series.values, cos, sin):
            r = math.nan if value is None else max(0.0, min(value, SCALE_MAX)) / SCALE_MAX
            xs.append(r * c)
            ys.append(r * s)
        xs.append(xs[0])
        ys.append(ys[0])
        (line,) = ax.plot(xs, ys, label=series.label, linewidth=1.8, markersize=5,
                          zorder=3 + index, **look)
        handles.append(line)
        if series.fill and not any(math.isnan(x) for x in xs):
            ax.fill(xs, ys, color=str(look["color"]), alpha=0.12, zorder=2)
    figure.text(0.5, 0.975, wrap_label(spec.title, 36 if spec.small else 80, 2), ha="center",
                va="top", fontsize=12 if spec.small else 11, fontweight="bold",
                color=TEXT_COLOUR)
    if spec.series:
        figure.legend(handles, [wrap_label(s.label, 32, 2) for s in spec.series],
                      loc="lower center", ncol=min(2 if spec.small else 3, len(spec.series)),
                      fontsize=9 if spec.small else 8,
                      frameon=False, title=spec.legend_title or None, title_fontsize=8,
                      handlelength=3.2)
    return figure


def _bar_figure(spec: RadarSpec) -> Figure:
    count = max(1, len(spec.axes))
    series_count = max(1, len(spec.series))
    height = 1.6 + 0.45 * count * series_count
    figure = _new_figure(7.6, height)
    ax = figure.add_axes((0.3, 0.9 / height + 0.12, 0.62, 1 - (1.4 / height) - 0.12))
    bar_height = 0.8 / series_count
    hatches = ("", "//", "..", "xx", "\\\\", "--", "++")
    for index, series in enumerate(spec.series):
        look = style(index)
        positions = [row + index * bar_height for row in range(count)]
        values = [0.0 if v is None else v for v in series.values]
        ax.barh(positions, values, height=bar_height * 0.9, color=str(look["color"]),
                hatch=hatches[index % len(hatches)], edgecolor="white", label=series.label)
    ax.set_yticks([row + bar_height * (series_count - 1) / 2 for row in range(count)])
    ax.set_yticklabels([wrap_label(label, 24) for label in spec.axes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, SCALE_MAX)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.5)
    ax.set_axisbelow(True)
    figure.text(0.5, 1 - 0.15 / height, wrap_label(spec.title, 80, 2), ha="center", va="top",
                fontsize=11, fontweight="bold", color=TEXT_COLOUR)
    if spec.series:
        figure.legend(loc="lower center", ncol=min(3, len(spec.series)), fontsize=8,
                      frameon=False, title=spec.legend_title or None, title_fontsize=8)
    return figure


def _heatmap_figure(spec: HeatmapSpec) -> Figure:
    rows = max(1, len(spec.rows))
    columns = max(1, len(spec.columns))
    width = min(11.0, 2.6 + 1.05 * columns)
    height = 2.6 + 0.34 * rows
    figure = _new_figure(width, height)
    left = 2.3 / width
    ax = figure.add_axes((left, 0.3 / height, 0.97 - left - 1.0 / width,
                          1 - 2.6 / height))
    import numpy as np

    grid = np.array([[math.nan if v is None else v for v in row] for row in spec.values]
                    or [[math.nan]], dtype=float)
    colormap = matplotlib.colormaps["cividis"].with_extremes(bad="#e8e8e8")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=colormap, vmin=0, vmax=SCALE_MAX,
                      aspect="auto")
    for r, row in enumerate(spec.values):
        for c, value in enumerate(row):
            if value is None:
                text, colour = spec.empty_label, TEXT_COLOUR
            else:
                text = f"{value:.0f}"
                colour = "white" if value < 55 else TEXT_COLOUR
            ax.text(c, r, text, ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(len(spec.columns)))
    ax.xaxis.tick_top()
    ax.set_xticklabels([wrap_label(label, 22, 2) for label in spec.columns], fontsize=7.5,
                       rotation=35, ha="left", rotation_mode="anchor")
    ax.set_yticks(range(len(spec.rows)))
    ax.set_yticklabels([wrap_label(label, 30, 1) for label in spec.rows], fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    colorbar = figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    colorbar.ax.tick_params(labelsize=7)
    if spec.colorbar_label:
        colorbar.set_label(spec.colorbar_label, fontsize=8)
    figure.text(0.5, 1 - 0.1 / height, wrap_label(spec.title, 90, 2), ha="center", va="top",
                fontsize=11, fontweight="bold", color=TEXT_COLOUR)
    return figure


def radar_alt_rows(spec: RadarSpec) -> list[tuple[str, list[float | None]]]:
    """The radar's data as table rows: one per axis, with a value per series."""
    return [(label, [series.values[index] for series in spec.series])
            for index, label in enumerate(spec.axes)]


def format_choices() -> Sequence[str]:
    """The formats :func:`render` accepts."""
    return FORMATS
