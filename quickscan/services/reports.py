"""Reports inside the app: gathers one frozen report input and saves the generated PDFs.

:func:`report_input` reads everything a report needs (the round header, its departments, the
pinned bank snapshots, the engine's scores, the comments of submitted responses, the texts of
``reports/<lang>.yaml`` and the logo) into a :class:`~quickscan.reporting.model.ReportInput`
and hands it to the pure renderers in :mod:`quickscan.reporting` and :mod:`quickscan.charts`,
which never touch the database or the app themselves.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import current_app, has_app_context
from sqlalchemy import select

from quickscan.bank import Bank, Scale
from quickscan.config import data_path
from quickscan.extensions import db
from quickscan.models import (
    KIND_MUNICIPALITY,
    RESPONSE_SUBMITTED,
    ROUND_CLOSED,
    Comment,
    Department,
    Response,
    Round,
)
from quickscan.reporting.content import DEFAULT_LANGUAGE, ReportContent, build_report
from quickscan.reporting.model import (
    CommentInput,
    DepartmentInfo,
    ReportInput,
    RoundHeader,
    RoundStatus,
    freeze,
)
from quickscan.reporting.pdf import build_pdf
from quickscan.scoring import RoundResult
from quickscan.services.banks import catalog, round_banks, round_scopes
from quickscan.services.results import score, score_municipal

# --------------------------------------------------------------------------- texts


def reports_dir() -> Path:
    """The folder with the report texts and layout settings (``reports/``)."""
    return Path(current_app.config["REPORTS_DIR"])


@lru_cache(maxsize=8)
def _load_yaml(path: str, mtime: float) -> Mapping[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise TypeError(f"{path}: the report texts must be a mapping")
    frozen: Mapping[str, Any] = freeze(data)  # a read-only copy of the mapping
    return frozen


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_texts(lang: str = DEFAULT_LANGUAGE, folder: Path | None = None) -> Mapping[str, Any]:
    """The report texts for a language, read-only; keys missing there fall back to Dutch."""
    folder = folder or reports_dir()
    base_path = folder / f"{DEFAULT_LANGUAGE}.yaml"
    texts = _load_yaml(str(base_path), base_path.stat().st_mtime)
    path = folder / f"{lang}.yaml"
    if lang != DEFAULT_LANGUAGE and path.exists():
        texts = freeze(_merge(texts, _load_yaml(str(path), path.stat().st_mtime)))
    return texts


def load_logo(texts: Mapping[str, Any], folder: Path | None = None) -> bytes | None:
    """The logo the texts name (relative to the reports folder), or None when there is none."""
    name = str(texts.get("logo") or "")
    if not name:
        return None
    path = (folder or reports_dir()) / name
    return path.read_bytes() if path.is_file() else None


# --------------------------------------------------------------------------- the input


def load_comments(round_: Round, department_ids: Sequence[int] | None = None
                  ) -> tuple[CommentInput, ...]:
    """Comments of submitted responses: department, question id and text, never a name.

    Blank comments are left out; the report sorts them by question and text, so their order
    reveals nothing about who wrote what.
    """
    query = (select(Response.department_id, Comment.question_id, Comment.text)
             .join(Response, Comment.response_id == Response.id)
             .join(Department, Response.department_id == Department.id)
             .where(Department.round_id == round_.id, Response.status == RESPONSE_SUBMITTED))
    if department_ids is not None:
        query = query.where(Response.department_id.in_(list(department_ids)))
    return tuple(CommentInput(department_id, question_id, comment)
                 for department_id, question_id, comment in db.session.execute(query)
                 if comment and comment.strip())


def round_scale(banks: Sequence[Bank]) -> Scale | None:
    """The answer scale the round's banks use (from ``questions/scales.yaml``)."""
    scales = catalog().scales
    for bank in banks:
        if bank.scale in scales:
            return scales[bank.scale]
    return next(iter(scales.values()), None)


def min_group_size(round_: Round) -> int:
    """The round's minimum group size k (1 while the round model has none)."""
    return int(getattr(round_, "min_group_size", None) or 1)


def round_header(round_: Round) -> RoundHeader:
    """The round's name, municipality, status and dates."""
    status: RoundStatus = "closed" if round_.status == ROUND_CLOSED else "open"
    created = round_.created_at.date() if round_.created_at else None
    return RoundHeader(round_.id, round_.name, round_.municipality, status, round_.deadline,
                       created)


def report_input(round_: Round, lang: str = DEFAULT_LANGUAGE, *,
                 result: RoundResult | None = None, department: Department | None = None,
                 comments: bool = True, today: datetime.date | None = None) -> ReportInput:
    """Everything a report of ``round_`` needs, as one frozen input for the renderers.

    ``result`` is the engine's scoring (scored now when not given); ``department`` limits the
    comments read to that department; ``comments=False`` reads none (pages that show none)
    and leaves out the trend chapter (the reports of a whole round have it).
    """
    banks = tuple(round_banks(round_))
    texts = load_texts(lang)
    departments = tuple(DepartmentInfo(d.id, d.name, tuple(d.bank_ids or ()))
                        for d in round_.departments if d.kind != KIND_MUNICIPALITY)
    municipal_groups = tuple(DepartmentInfo(d.id, d.name, tuple(d.bank_ids or ()))
                             for d in round_.departments if d.kind == KIND_MUNICIPALITY)
    found = (load_comments(round_, None if department is None else [department.id])
             if comments else ())
    return ReportInput(
        round=round_header(round_), departments=departments, banks=banks,
        scale=round_scale(banks), result=result if result is not None else score(round_),
        comments=found, texts=texts, lang=lang, date=today or datetime.date.today(),
        logo=load_logo(texts), min_group_size=min_group_size(round_),
        scopes=round_scopes(round_),
        municipal=score_municipal(round_) if municipal_groups else None,
        municipal_groups=municipal_groups,
        trend=_trend(round_) if department is None and comments else None,
        perspectives=_perspectives_chapter(round_),
        department_perspectives=_department_perspectives(round_, department))


def _trend(round_: Round) -> Any:
    """The chapter "Ontwikkeling sinds de vorige meting" (None: no previous round)."""
    from quickscan.services.trend import trend_chapter

    return trend_chapter(round_)


def _perspectives_chapter(round_: Round) -> Any:
    from quickscan.services.perspectives import report_chapter

    return report_chapter(round_)


def _department_perspectives(round_: Round, department: Department | None
                             ) -> dict[int, Any]:
    """The perspectives chapter of the department asked for, by its id (empty: none)."""
    from quickscan.services.perspectives import department_report_chapter

    chapter = None if department is None else department_report_chapter(round_, department)
    return {} if chapter is None or department is None else {department.id: chapter}


def report_content(round_: Round, lang: str = DEFAULT_LANGUAGE, *,
                   department: Department | None = None, detail: bool | None = None,
                   comments: bool = True, sections: bool = True,
                   result: RoundResult | None = None) -> ReportContent:
    """The report's content model for a round (or one department), from a fresh input."""
    data = report_input(round_, lang, result=result, department=department,
                        comments=comments and sections)
    return build_report(data, department_id=None if department is None else department.id,
                        detail=detail, comments=comments, sections=sections)


# --------------------------------------------------------------------------- PDF files


def chart_processes() -> int | None:
    """Worker processes for rendering a report's charts (config ``CHART_PROCESSES``).

    ``None`` (the default) uses every core; 1 renders in the calling process.
    """
    if has_app_context() and current_app.config.get("CHART_PROCESSES") is not None:
        return int(current_app.config["CHART_PROCESSES"])
    return None


def render_pdf(content: ReportContent, stats: dict[str, int] | None = None) -> bytes:
    """The PDF of a content model, with the configured number of chart worker processes."""
    return build_pdf(content, stats, processes=chart_processes())


def pdf_report(round_: Round, department: Department | None = None,
               lang: str = DEFAULT_LANGUAGE, result: RoundResult | None = None) -> bytes:
    """The PDF report of a round, or of one of its departments, as bytes."""
    return render_pdf(report_content(round_, lang, department=department, result=result))


def render_publication(content: ReportContent) -> bytes:
    """The tagged PDF/UA-1 of a content model (from the HTML report, by WeasyPrint)."""
    from quickscan.reporting.publication import build_publication_pdf

    return build_publication_pdf(content, data_path("templates"))


def publication_report(round_: Round, department: Department | None = None,
                       lang: str = DEFAULT_LANGUAGE, result: RoundResult | None = None) -> bytes:
    """The accessible publication PDF (PDF/UA-1) of a round or one department, as bytes."""
    return render_publication(report_content(round_, lang, department=department,
                                             result=result))


def reports_folder() -> Path:
    """The folder generated reports are written to: ``<instance>/reports``."""
    folder = Path(current_app.instance_path) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:60] or "rapport"


def report_filename(round_: Round, department: Department | None = None,
                    publication: bool = False) -> str:
    """A download file name such as ``quickscan-ronde-3-sociaal-domein.pdf`` (with
    ``-publicatie`` for the accessible publication PDF)."""
    name = f"quickscan-ronde-{round_.id}"
    if department is not None:
        name += f"-{_slug(department.name)}"
    if publication:
        name += "-publicatie"
    return name + ".pdf"


def save_report(data: bytes, round_: Round, department: Department | None = None,
                publication: bool = False) -> Path:
    """Write a generated report into the instance folder and return its path.

    The name carries a hash of the content; older versions of the same report are removed,
    so the folder holds one file per round report and department report.
    """
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem = report_filename(round_, department, publication).removesuffix(".pdf")
    folder = reports_folder()
    path = folder / f"{stem}-{digest}.pdf"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{12}\.pdf")
    for old in folder.glob(f"{stem}-*.pdf"):
        if old != path and pattern.fullmatch(old.name):
            old.unlink(missing_ok=True)
    return path
