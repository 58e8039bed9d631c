"""Charts: PNG/SVG bytes from matplotlib's Agg canvas, accessible styling and an LRU cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickscan import charts
from quickscan.charts import HeatmapSpec, RadarSpec, Series


def radar(values: tuple[float | None, ...] = (10.0, 50.0, None, 90.0)) -> RadarSpec:
    axes = ("Visie en Lokale Inclusie Agenda", "Inclusie in beleid en besluiten",
            "Ervaringsdeskundigheid, adviesraad en partners", "Geld, menskracht en kennis")
    return RadarSpec("Score, doel en gemiddelde – Sociaal Domein", axes,
                     (Series("Score", values, fill=True), Series("Doel", (75.0,) * 4),
                      Series("Gemiddelde gemeente", (40.0, 45.0, 50.0, 55.0))))


def test_png_and_svg_bytes() -> None:
    charts.clear_cache()
    png = charts.render(radar(), "png")
    svg = charts.render(radar(), "svg")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        charts.render(radar(), "gif")


def test_cache_returns_the_same_bytes_and_counts_hits() -> None:
    charts.clear_cache()
    first = charts.render(radar(), "png")
    again = charts.render(radar(), "png")
    assert first is again
    info = charts.cache_info()
    assert info == {"hits": 1, "misses": 1, "size": 1}
    other = charts.render(radar((20.0, 50.0, None, 90.0)), "png")
    assert other != first
    assert charts.chart_key(radar(), "png") != charts.chart_key(radar(), "svg")


def test_cache_is_bounded() -> None:
    charts.clear_cache()
    for index in range(charts.CACHE_SIZE + 3):
        spec = RadarSpec(f"t{index}", ("a", "b"), (Series("s", (float(index), 1.0)),))
        key = charts.chart_key(spec, "png")
        charts._cache[key] = b"x"  # filling the cache directly keeps the test fast
    charts.render(radar(), "png")
    assert charts.cache_info()["size"] == charts.CACHE_SIZE


def test_series_differ_in_colour_line_style_and_marker() -> None:
    looks = [charts.style(index) for index in range(6)]
    for key in ("color", "linestyle", "marker"):
        values = [repr(look[key]) for look in looks]
        assert len(set(values)) == 6, key
    assert all(look["color"] in charts.PALETTE for look in looks)


def test_labels_wrap_without_breaking_words() -> None:
    label = charts.wrap_label("Ervaringsdeskundigheid, adviesraad en partners", 18)
    assert "Ervaringsdeskundigheid," in label.splitlines()
    assert all(len(line) <= 24 for line in label.splitlines())
    long = charts.wrap_label("een heel lange titel " * 10, 18, 3)
    assert len(long.splitlines()) == 3 and long.endswith("…")


def test_few_axes_and_heatmap_render() -> None:
    two = RadarSpec("Twee vragenlijsten", ("Bestuur", "Werk"),
                    (Series("Gemiddelde", (40.0, None)), Series("Doel", (75.0, 75.0))))
    assert charts.render(two, "png").startswith(b"\x89PNG")
    heat = HeatmapSpec("Scores", ("Sociaal Domein", "Ruimte"), ("Bestuur", "Werk"),
                       ((40.0, None), (80.5, 12.0)))
    svg = charts.render(heat, "svg")
    assert b"<svg" in svg


def test_charts_module_never_uses_pyplot() -> None:
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert "pyplot" not in source.replace("never ``pyplot``", "")
    assert "FigureCanvasAgg" in source


def test_render_many_in_worker_processes_matches_single_renders() -> None:
    specs = [radar((float(i), 50.0, None, 90.0)) for i in range(charts.PARALLEL_FROM + 1)]
    charts.clear_cache()
    parallel = charts.render_many(specs, "png", processes=2)
    assert charts.cache_info()["size"] == len(specs)
    charts.clear_cache()
    single = [charts.render(spec, "png") for spec in specs]
    assert parallel == single
    assert len(set(parallel)) == len(specs)
