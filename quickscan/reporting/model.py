"""The one input of the renderers: everything a report or chart needs, frozen and typed.

:mod:`quickscan.services.reports` gathers it from the database, the pinned bank snapshots,
the scoring engine and ``reports/<lang>.yaml``; :mod:`quickscan.reporting` and
:mod:`quickscan.charts` only read it. Nothing here knows about Flask, SQLAlchemy or the
models, so a report can be rendered (and tested) from plain data.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from quickscan.bank import Bank, Scale
from quickscan.reporting.trend import TrendChapter
from quickscan.scoring import RoundResult

RoundStatus = Literal["open", "closed"]


def freeze(value: Any) -> Any:
    """A read-only deep copy of parsed YAML: mappings become read-only, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


@dataclass(frozen=True, slots=True)
class RoundHeader:
    """What a report says about the round itself."""

    id: int
    name: str
    municipality: str
    status: RoundStatus
    deadline: datetime.date | None
    created: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    """A department of the round: its id, its name (as the engine knows it) and its banks."""

    id: int
    name: str
    bank_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommentInput:
    """A comment of a submitted response: department, question and text; never who wrote it."""

    department_id: int
    question_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything a report needs, gathered once (see :func:`quickscan.services.reports`).

    ``banks`` are the round's pinned bank snapshots in round order; ``result`` is the scoring
    engine's result for the round; ``comments`` hold only the departments that were asked
    for; ``texts`` is ``reports/<lang>.yaml`` (falling back to the Dutch file), read-only;
    ``logo`` the bytes of the logo the texts name, if any; ``date`` the report date;
    ``min_group_size`` the round's k (departments with fewer submissions are ``hidden`` in
    ``result`` and the report says so in words instead of figures).
    ``scopes`` says per bank id whether the round asked it ``kern`` or ``volledig``;
    ``municipal`` is the separate scoring of the round's municipal group (``municipal_groups``:
    facts of the whole municipality), which stands beside the departments, never among them.
    """

    round: RoundHeader
    departments: tuple[DepartmentInfo, ...]
    banks: tuple[Bank, ...]
    scale: Scale | None
    result: RoundResult
    comments: tuple[CommentInput, ...]
    texts: Mapping[str, Any]
    lang: str
    date: datetime.date
    logo: bytes | None = None
    min_group_size: int = 1
    scopes: Mapping[str, str] = field(default_factory=dict)
    municipal: RoundResult | None = None
    municipal_groups: tuple[DepartmentInfo, ...] = ()
    #: The trend of the round's series (chapter "Ontwikkeling sinds de vorige meting"), or
    #: None for a round without a previous round.
    trend: TrendChapter | None = None
    #: The perspectives chapter (inwoners, bestuur, civil servants), None without those groups.
    perspectives: PerspectivesInput | None = None
    #: The perspectives chapter of a department's report, by department id: only the
    #: department the input was gathered for (its own civil servants' scores per theme).
    department_perspectives: Mapping[int, PerspectivesInput] = field(default_factory=dict)

    def department(self, department_id: int) -> DepartmentInfo | None:
        """A department of the round by id (None when it is not part of the round)."""
        return next((d for d in self.departments if d.id == department_id), None)


@dataclass(frozen=True, slots=True)
class PerspectiveRowInput:
    """One theme of the perspectives chapter: the three figures (None under k) and the
    inwoners' comments on it (sorted, never linked to a respondent)."""

    title: str
    civil_servants: float | None
    residents: float | None
    ambition: float | None
    difference: float | None
    blind_spot: bool
    comments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PerspectivesInput:
    """The perspectives chapter of a report (``ReportInput.perspectives``).

    ``texts`` holds the translated headings (title, intro, caption, columns, hidden,
    blind_spot); ``notes`` the sentences that say which groups are hidden under k and where the
    targets came from; ``chart`` the PNG of :func:`quickscan.reporting.perspectives.perspective_chart`.
    """

    rows: tuple[PerspectiveRowInput, ...]
    notes: tuple[str, ...]
    texts: Mapping[str, Any]
    chart: bytes = b""

    @property
    def chart_base64(self) -> str:
        """The chart as base64 text, for a ``data:`` image in the HTML report."""
        import base64

        return base64.b64encode(self.chart).decode("ascii")
