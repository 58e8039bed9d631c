"""The ``quickscan-export/2`` JSON document (the backup) as one typed model, used both ways.

``services/exports.py`` builds an :class:`ExportDocument` and dumps it; ``services/importer.py``
validates a file against the same model (``ExportDocument.model_validate``) before it writes
anything. ``docs/export.md`` documents the format; a test checks that document against
:meth:`ExportDocument.model_json_schema`.

Every part is typed and bounded as the web forms bound it: names of 1 to
:data:`NAME_MAX_LENGTH` characters (the importer adds the forms' character rules, so that an
export of older data never fails), the round's description up to
:data:`DESCRIPTION_MAX_LENGTH`, comments up to :data:`COMMENT_MAX_LENGTH` (a test checks these
against the services), answers 0-4 or one of the two outside values, importance 1-5, target
levels 0-4, date-times with a UTC offset within :data:`EARLIEST` .. :data:`LATEST`. Unknown
keys are refused everywhere (``extra="forbid"``) except inside the free-form objects
documented as such: a pinned bank's and the residents bank's ``content`` (checked as a bank by
the importer) and a department's ``dimensions`` (engine values).

Version 2 holds response-level data and says so (``contains``); its responses carry random
opaque ids and dates without times (``started_on``, ``submitted_on``), and the round carries its
minimum group size k, below which a department is ``hidden`` (no figures).

Version 2 grows only by optional top-level parts with defaults (a file without them reads as
before): ``groups``, ``perspectives``, ``comparison`` (derived, recomputed) and
``perspective``, ``perspective_groups``, ``lia``, ``series`` (restored by the importer,
``services/restore.py``). Removing a field or adding a required one needs ``/3``.

This module is pure: it imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

SCHEMA: Final = "quickscan-export/2"
#: The previous version, still read by the importer (converted to version 2 first).
SCHEMA_V1: Final = "quickscan-export/1"
#: The value of the top-level ``contains``: the file is personal data of respondents.
CONTAINS: Final = "response-level data"
#: Limits of the web forms (round name, municipality, department name; description; comment).
NAME_MAX_LENGTH: Final = 200
DESCRIPTION_MAX_LENGTH: Final = 5000
COMMENT_MAX_LENGTH: Final = 2000
#: Date-times outside this window are refused (a year-1 timestamp breaks PostgreSQL readers).
EARLIEST: Final = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST: Final = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
OUTSIDE_VALUES: Final = ("dont_know", "not_applicable")
FLAGS: Final = ("knowledge_gap", "disagreement", "low_coverage")
#: Rounding noise of the engine's weighted means, allowed beyond the scale's ends.
NOISE: Final = 1e-9
#: Largest id a database column holds (64-bit signed).
MAX_ID: Final = 2**63 - 1

# --------------------------------------------------------------------------- value types


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


#: A required one-line name (round, municipality, department): 1-200 characters.
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX_LENGTH),
                 AfterValidator(_not_blank)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH)]
CommentText = Annotated[str, StringConstraints(min_length=1, max_length=COMMENT_MAX_LENGTH),
                        AfterValidator(_not_blank)]
#: A suggested next step as the engine writes it (bank text): bounded, never validated further.
ActionText = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A response's id in a file: random and opaque, generated at export, unique in the file.
ResponseId = Annotated[str, StringConstraints(pattern=r"^[0-9a-z]{8,64}$")]
#: The minimum group size k of a round.
GroupSize = Annotated[int, Field(ge=1, le=10)]
Count = Annotated[int, Field(ge=0, le=MAX_ID)]
#: An order number, stored in a 32-bit column.
Position = Annotated[int, Field(ge=0, le=2**31 - 1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
                                              max_length=128)]
ThemeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$",
                                            max_length=129)]
Version = Annotated[str, StringConstraints(
    pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?"
            r"(?:\+[0-9A-Za-z.-]+)?$", max_length=32)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
#: Points on the 0-100 scale (score, target, gap; floating-point noise of the means allowed).
Points = Annotated[float, Field(ge=0, le=100 + NOISE, allow_inf_nan=False)]
#: A mean importance, 1-5.
MeanImportance = Annotated[float, Field(ge=1 - NOISE, le=5 + NOISE, allow_inf_nan=False)]
#: A priority: gap x importance / 5, so 0-100.
PriorityValue = Annotated[float, Field(ge=0, le=100 + NOISE, allow_inf_nan=False)]
TargetLevel = Annotated[int, Field(ge=0, le=4)]
Importance = Annotated[int, Field(ge=1, le=5)]
Flag = Literal["knowledge_gap", "disagreement", "low_coverage"]
RoundStatus = Literal["open", "closed"]
ResponseStatus = Literal["submitted", "draft"]


def _parse_timestamp(value: Any) -> datetime.datetime:
    """An ISO 8601 date-time with a UTC offset, within EARLIEST..LATEST, as UTC."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 date-time: {value[:40]!r}") from None
    else:
        # pydantic turns ValueError (not TypeError) into a validation error with its path.
        raise ValueError("expected an ISO 8601 date-time with a UTC offset")  # noqa: TRY004
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("date-time without a UTC offset")
    try:
        utc = parsed.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"date-time out of range ({EARLIEST.year}-{LATEST.year - 1})")
    return utc


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat()


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            parsed = datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date: {value!r}") from None
    else:
        raise ValueError("expected a date as YYYY-MM-DD")
    if not EARLIEST.date() <= parsed < LATEST.date():
        raise ValueError(f"date out of range ({EARLIEST.year}-{LATEST.year - 1})")
    return parsed


def _answer_value(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4:
        return value
    if isinstance(value, str) and value in OUTSIDE_VALUES:
        return value
    raise ValueError(f"expected an integer 0-4, 'dont_know' or 'not_applicable', "
                     f"got {str(value)[:40]!r}")


Timestamp = Annotated[
    datetime.datetime, PlainValidator(_parse_timestamp), PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[
    datetime.date, PlainValidator(_parse_date),
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"})]
AnswerValue = Annotated[
    int | str, PlainValidator(_answer_value),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": 4},
                              {"enum": list(OUTSIDE_VALUES)}]})]


# --------------------------------------------------------------------------- parts


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PinnedBank(_Part):
    """``round.banks[]``: a bank version pinned to the round with its full snapshot."""

    id: Slug
    version: Version
    sha256: Sha256
    position: Position
    #: How much of the bank the round asks: every question, or only the core ("kern") set.
    scope: Literal["volledig", "kern"] = "volledig"
    #: Free-form: the bank's YAML content as pinned (the importer checks it as a bank).
    content: dict[str, Any]


class RoundPart(_Part):
    """``round``."""

    id: Id
    name: Name
    municipality: Name
    description: Description
    deadline: Date | None
    status: RoundStatus
    created_at: Timestamp
    min_group_size: GroupSize
    target_overrides: dict[ThemeKey, TargetLevel]
    banks: list[PinnedBank] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_banks(self) -> RoundPart:
        ids = [bank.id for bank in self.banks]
        if len(set(ids)) != len(ids):
            raise ValueError("a bank is pinned twice")
        return self


class ThemeResultPart(_Part):
    """``departments[].banks[].themes[]``: the engine's result for one theme."""

    id: Slug
    score: Points | None
    target: Points
    gap: Points | None
    importance: MeanImportance
    priority: PriorityValue | None
    answered: Count
    dont_know: Count
    not_applicable: Count
    flags: list[Flag]
    action: ActionText


class BankResultPart(_Part):
    """``departments[].banks[]``: the engine's result for one bank."""

    id: Slug
    score: Points | None
    target: Points
    gap: Points | None
    themes: list[ThemeResultPart]


class DepartmentPart(_Part):
    """``departments[]``."""

    id: Id
    name: Name
    bank_ids: list[Slug] = Field(min_length=1)
    #: ``department``, or ``municipality``: the group that answers the municipal bank once.
    kind: Literal["department", "municipality"] = "department"
    respondents_started: Count
    respondents_submitted: Count
    #: Fewer than k submitted responses: no figures (``banks`` and ``dimensions`` empty).
    hidden: bool
    banks: list[BankResultPart]
    #: Free-form: cross-cutting dimensions, engine values (dimension -> key -> points).
    dimensions: dict[str, dict[str, Points | None]]

    @model_validator(mode="after")
    def _counts(self) -> DepartmentPart:
        if self.respondents_submitted > self.respondents_started:
            raise ValueError("respondents_submitted is larger than respondents_started")
        if self.hidden and (self.banks or self.dimensions):
            raise ValueError("a hidden department has no figures (banks and dimensions empty)")
        if len(set(self.bank_ids)) != len(self.bank_ids):
            raise ValueError("bank_ids holds a bank twice")
        return self


class PriorityPart(_Part):
    """``priorities[]``: one line of the prioritised list, rank 1 first."""

    rank: Id
    department: Name
    bank: Slug
    theme: Slug
    score: Points | None
    target: Points
    gap: Points
    importance: MeanImportance
    priority: PriorityValue
    action: ActionText


class MunicipalityBank(_Part):
    """``municipality.banks[]``."""

    id: Slug
    score: Points | None


class MunicipalityTheme(_Part):
    """``municipality.themes[]``."""

    bank: Slug
    theme: Slug
    score: Points | None


class MunicipalityPart(_Part):
    """``municipality``: means of the department scores."""

    banks: list[MunicipalityBank]
    themes: list[MunicipalityTheme]


class AnswerPart(_Part):
    """``responses[].answers[]``."""

    question: QuestionId
    value: AnswerValue


class ImportancePart(_Part):
    """``responses[].importance[]``: ``theme`` is ``bank/theme_id``, also given in halves."""

    theme: ThemeKey
    bank: Slug
    theme_id: Slug
    value: Importance

    @model_validator(mode="after")
    def _halves(self) -> ImportancePart:
        if self.theme != f"{self.bank}/{self.theme_id}":
            raise ValueError(f"theme {self.theme!r} does not equal bank/theme_id")
        return self


class CommentPart(_Part):
    """``responses[].comments[]``: the text as stored (not escaped)."""

    question: QuestionId
    text: CommentText


class ResponsePart(_Part):
    """``responses[]`` and ``draft_responses[]``: opaque id, dates without times."""

    id: ResponseId
    department: Name
    department_id: Id
    status: ResponseStatus
    started_on: Date
    submitted_on: Date | None
    answers: list[AnswerPart]
    importance: list[ImportancePart]
    comments: list[CommentPart]

    @model_validator(mode="after")
    def _consistent(self) -> ResponsePart:
        if (self.status == "submitted") != (self.submitted_on is not None):
            raise ValueError("submitted_on must be set exactly when status is 'submitted'")
        if self.submitted_on is not None and self.submitted_on < self.started_on:
            raise ValueError("submitted_on is before started_on")
        for name, keys in (("answers", [a.question for a in self.answers]),
                           ("comments", [c.question for c in self.comments]),
                           ("importance", [i.theme for i in self.importance])):
            if len(set(keys)) != len(keys):
                raise ValueError(f"{name}: the same question or theme appears twice")
        return self


#: A change of points between two rounds (-100 to 100).
Delta = Annotated[float, Field(ge=-100 - NOISE, le=100 + NOISE, allow_inf_nan=False)]
#: A share 0-1 (the compatibility share of a comparison).
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class PreviousBank(_Part):
    """``comparison.previous_round.banks[]``: a bank version the previous round pinned."""

    id: Slug
    version: Version


class PreviousRound(_Part):
    """``comparison.previous_round``: the round this one follows up."""

    id: Id
    name: Name
    banks: list[PreviousBank]


class ComparisonTheme(_Part):
    """``comparison.themes[]``: a theme's change since the previous round, per department."""

    department: Name
    bank: Slug
    theme: Slug
    score: Points | None
    previous_score: Points | None
    delta: Delta | None
    comparable_questions: Count
    questions: Count


class ComparisonPart(_Part):
    """``comparison``: the change since the previous round on the comparable questions."""

    previous_round: PreviousRound
    compatibility: Share
    themes: list[ComparisonTheme]


Difference = Annotated[float, Field(ge=-100 - NOISE, le=100 + NOISE, allow_inf_nan=False)]


class GroupPart(_Part):
    """``groups[]``: every group of the round (departments, the municipality group, inwoners
    and bestuur) with its number of submitted responses."""

    kind: Literal["department", "municipality", "residents", "bestuur"]
    name: Name
    submitted: Count


class PerspectivePart(_Part):
    """``perspectives[]``: the three perspectives on one theme, municipality-wide
    (``department`` null) or for one department; null where a group is under its minimum size."""

    bank: Slug
    theme: Slug
    department: Name | None
    civil_servants: Points | None
    residents: Points | None
    ambition: Points | None
    difference: Difference | None


# --------------------------------------------------------------------------- restorable parts
# The perspectives' groups, the Lokale Inclusie Agenda and the series link: optional within
# version 2 (absent in older files), restored by the importer. No token, link, ballot or browser
# identifier is ever part of them.

#: The inwoners' comments are short (the survey's own limit).
RESIDENT_COMMENT_MAX_LENGTH: Final = 500
#: Texts of the agenda: a description, a reason, a progress note; and the longer joined notes.
LIA_TEXT_MAX_LENGTH: Final = 4000
LIA_LONG_TEXT_MAX_LENGTH: Final = 20000
#: Largest tally of one origin for one candidate (``services/lia.py``).
LIA_TALLY_MAX: Final = 100_000
#: "ik doe mee als" / "ik stem als": the same roles for the inwoners survey and the vote.
PARTICIPANT_ROLES: Final = ("inwoner", "ervaringsdeskundige", "lid_adviesraad",
                            "mantelzorger", "professional")
VOTER_ROLES: Final = PARTICIPANT_ROLES

StatementId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$",
                                               max_length=128)]
ResidentCommentText = Annotated[
    str, StringConstraints(min_length=1, max_length=RESIDENT_COMMENT_MAX_LENGTH),
    AfterValidator(_not_blank)]
LiaText = Annotated[str, StringConstraints(max_length=LIA_TEXT_MAX_LENGTH)]
LiaLongText = Annotated[str, StringConstraints(max_length=LIA_LONG_TEXT_MAX_LENGTH)]
LiaNoteText = Annotated[str, StringConstraints(min_length=1, max_length=LIA_TEXT_MAX_LENGTH),
                        AfterValidator(_not_blank)]
#: A group's minimum size: the round's k for the bestuur, k-25 for the inwoners.
GroupMinSize = Annotated[int, Field(ge=1, le=25)]
VotesPerVoter = Annotated[int, Field(ge=1, le=10)]
TallyCount = Annotated[int, Field(ge=1, le=LIA_TALLY_MAX)]


def _resident_value(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    if value == "dont_know":
        return "dont_know"
    raise ValueError(f"expected an integer 1-5 or 'dont_know', got {str(value)[:40]!r}")


ResidentValue = Annotated[
    int | str, PlainValidator(_resident_value),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1, "maximum": 5},
                              {"enum": ["dont_know"]}]})]


def _unique(name: str, keys: list[Any]) -> None:
    if len(set(keys)) != len(keys):
        raise ValueError(f"{name}: the same entry appears twice")


class ResidentsBankPart(_Part):
    """``perspective.residents_bank``: the easy-read bank the round pinned, with its snapshot."""

    id: Slug
    version: Version
    sha256: Sha256
    #: Free-form: the residents bank's YAML content as pinned (checked as a bank on import).
    content: dict[str, Any]


class PerspectiveSettingsPart(_Part):
    """``perspective``: the round's perspective settings."""

    target_source: Literal["banks", "overrides", "bestuur"]
    residents_bank: ResidentsBankPart | None


class GroupLinkPart(_Part):
    """``perspective_groups[].links[]``: a public link's label (never its token)."""

    label: Name
    active: bool


class ResidentAnswerPart(_Part):
    """``perspective_groups[].responses[].answers[]``."""

    statement: StatementId
    value: ResidentValue


class ResidentResponsePart(_Part):
    """``perspective_groups[].responses[]``: one inwoner's questionnaire, without id or time."""

    submitted_on: Date
    channel: Literal["online", "papier"]
    #: The label of the link it came through; null for a paper form (or a removed link).
    link: Name | None
    assisted: bool
    role: Literal["inwoner", "ervaringsdeskundige", "lid_adviesraad", "mantelzorger",
                  "professional"] | None
    answers: list[ResidentAnswerPart] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ResidentResponsePart:
        if self.channel == "papier" and self.link is not None:
            raise ValueError("a paper form came through no link")
        _unique("answers", [a.statement for a in self.answers])
        return self


class ResidentCommentPart(_Part):
    """``perspective_groups[].comments[]``: a comment on a statement, apart from any response."""

    statement: StatementId
    text: ResidentCommentText


class AmbitionPart(_Part):
    """``perspective_groups[].ambitions[].ratings[]``: ambition 0-4 and importance 1-5."""

    theme: ThemeKey
    bank: Slug
    theme_id: Slug
    level: TargetLevel | None
    importance: Importance | None

    @model_validator(mode="after")
    def _halves(self) -> AmbitionPart:
        if self.theme != f"{self.bank}/{self.theme_id}":
            raise ValueError(f"theme {self.theme!r} does not equal bank/theme_id")
        if self.level is None and self.importance is None:
            raise ValueError("a rating without level and importance")
        return self


class BestuurResponsePart(_Part):
    """``perspective_groups[].ambitions[]``: one bestuur respondent's ratings."""

    submitted_on: Date
    ratings: list[AmbitionPart] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> BestuurResponsePart:
        _unique("ratings", [r.theme for r in self.ratings])
        return self


class PerspectiveGroupPart(_Part):
    """``perspective_groups[]``: the inwoners or bestuur group with what it collected."""

    kind: Literal["residents", "bestuur"]
    name: Name
    open: bool
    min_group_size: GroupMinSize
    links: list[GroupLinkPart]
    #: Inwoners only: their questionnaires, sorted by content (never by time).
    responses: list[ResidentResponsePart]
    #: Inwoners only: comments, sorted by statement and text, linked to no response.
    comments: list[ResidentCommentPart]
    #: Bestuur only: the ambitions, sorted by content.
    ambitions: list[BestuurResponsePart]

    @model_validator(mode="after")
    def _consistent(self) -> PerspectiveGroupPart:
        if self.kind == "bestuur" and (self.responses or self.comments):
            raise ValueError("a bestuur group has ambitions, no responses or comments")
        if self.kind == "residents" and self.ambitions:
            raise ValueError("an inwoners group has responses, no ambitions")
        _unique("links", [link.label.casefold() for link in self.links])
        return self


class LiaFigurePart(_Part):
    """``lia.candidates[].figures[]``: a priority behind a candidate, as it was taken over."""

    rank: Id
    department: Name
    bank: Slug
    theme: Slug
    score: Points | None
    target: Points
    gap: Points
    importance: MeanImportance
    priority: PriorityValue


class LiaCandidatePart(_Part):
    """``lia.candidates[]``: a candidate speerpunt (``chosen``: a speerpunt of the agenda)."""

    #: The candidate's id in this file (ballots and actions refer to it); new on import.
    id: Id
    title: Name
    description: LiaText
    themes: list[ThemeKey]
    departments: list[Name]
    figures: list[LiaFigurePart]
    source: Literal["prioriteit", "eigen"]
    merged_into: Id | None
    merge_reason: LiaLongText
    chosen: bool
    choice_reason: LiaText
    position: Position


class LiaVotePart(_Part):
    """``lia.ballots[].votes[]``."""

    candidate: Id
    count: TallyCount


class LiaBallotPart(_Part):
    """``lia.ballots[]``: an online ballot or a tally, without any identifier or time."""

    origin: Literal["online", "zaal", "papier"]
    voter_role: Literal["", "inwoner", "ervaringsdeskundige", "lid_adviesraad",
                        "mantelzorger", "professional"]
    votes: list[LiaVotePart] = Field(min_length=1)

    @field_validator("voter_role", mode="before")
    @classmethod
    def _earlier_spelling(cls, value: object) -> object:
        # Files written before the vote took the survey's role ids spelled "lid-adviesraad".
        return "lid_adviesraad" if value == "lid-adviesraad" else value

    @model_validator(mode="after")
    def _consistent(self) -> LiaBallotPart:
        if self.origin == "online" and any(v.count != 1 for v in self.votes):
            raise ValueError("an online ballot gives one vote per candidate")
        if self.origin != "online" and len(self.votes) != 1:
            raise ValueError("a tally counts the votes of one candidate")
        _unique("votes", [v.candidate for v in self.votes])
        return self


class LiaNotePart(_Part):
    """``lia.actions[].notes[]``: a dated progress note."""

    day: Date
    text: LiaNoteText


class LiaActionPart(_Part):
    """``lia.actions[]``: an action of a speerpunt."""

    speerpunt: Id
    title: Name
    #: The owning department's name, or null.
    owner_department: Name | None
    #: The owning partner organisation (one of ``lia.partners``), or null.
    owner_partner: Name | None
    deadline: Date | None
    status: Literal["gepland", "bezig", "gereed", "gestopt"]
    themes: list[ThemeKey]
    notes: list[LiaNotePart]

    @model_validator(mode="after")
    def _owner(self) -> LiaActionPart:
        if self.owner_department is not None and self.owner_partner is not None:
            raise ValueError("an action has one owner: a department or a partner")
        return self


class LiaPart(_Part):
    """``lia``: the round's Lokale Inclusie Agenda."""

    votes_per_voter: VotesPerVoter
    vote_status: Literal["concept", "open", "gesloten"]
    vote_opens_on: Date | None
    vote_closes_on: Date | None
    #: The day the first vote was cast (the rules are locked from then on), or null.
    locked_on: Date | None
    #: Whether the vote had a public link (the import makes a new one).
    vote_link: bool
    show_results: bool
    partners: list[Name]
    choice_note: LiaLongText
    published: bool
    updated_at: Timestamp
    candidates: list[LiaCandidatePart]
    ballots: list[LiaBallotPart]
    actions: list[LiaActionPart]

    @model_validator(mode="after")
    def _consistent(self) -> LiaPart:
        _unique("candidates", [c.id for c in self.candidates])
        _unique("partners", [p.casefold() for p in self.partners])
        if self.ballots and (self.locked_on is None or self.vote_status == "concept"):
            raise ValueError("ballots need a vote that was opened and locked (locked_on)")
        return self


class SeriesRoundKey(_Part):
    """``series.previous_round``: the round this one follows up, by a key that survives an
    export and import (its name, municipality and creation time; the id as a tie-breaker)."""

    id: Id
    name: Name
    municipality: Name
    created_at: Timestamp


class ContinuesPart(_Part):
    """``series.continues[]``: which departments of the previous round a department continues."""

    department: Name
    previous: list[Name]


class SeriesPart(_Part):
    """``series``: the round's place in its series."""

    previous_round: SeriesRoundKey | None
    continues: list[ContinuesPart]

    @model_validator(mode="after")
    def _consistent(self) -> SeriesPart:
        _unique("continues", [c.department.casefold() for c in self.continues])
        return self


class ExportDocument(_Part):
    """A whole ``quickscan-export/2`` file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              populate_by_name=True, title="quickscan-export/2")

    schema_: Literal["quickscan-export/2"] = Field(alias="schema")
    contains: Literal["response-level data"]
    exported_at: Timestamp
    round: RoundPart
    departments: list[DepartmentPart]
    priorities: list[PriorityPart]
    municipality: MunicipalityPart
    responses: list[ResponsePart]
    draft_responses: list[ResponsePart]
    #: Absent (empty) in files written before the perspectives existed.
    groups: list[GroupPart] = Field(default_factory=list)
    perspectives: list[PerspectivePart] = Field(default_factory=list)
    #: The change since the previous round of the series (None: the round has no previous
    #: round). Optional, so files written before it existed still read.
    comparison: ComparisonPart | None = None
    #: Restorable parts, optional within version 2 (absent in older files): the perspective
    #: settings and groups with their answers, the agenda, the series link.
    perspective: PerspectiveSettingsPart | None = None
    perspective_groups: list[PerspectiveGroupPart] = Field(default_factory=list)
    lia: LiaPart | None = None
    series: SeriesPart | None = None
    #: Not part of the file: the schema a document was converted from (the importer's note).
    _upgraded_from: str | None = PrivateAttr(default=None)

    @property
    def upgraded_from(self) -> str | None:
        """The older schema this document was converted from, or None."""
        return self._upgraded_from

    def mark_upgraded(self, schema: str) -> None:
        """Note that this document was converted from an older ``schema``."""
        self._upgraded_from = schema

    @model_validator(mode="after")
    def _lists(self) -> ExportDocument:
        for name, entries, status in (("responses", self.responses, "submitted"),
                                      ("draft_responses", self.draft_responses, "draft")):
            for index, entry in enumerate(entries):
                if entry.status != status:
                    raise ValueError(f"{name}[{index}]: status {entry.status!r} in the "
                                     "wrong list")
        ids = [entry.id for entry in self.responses + self.draft_responses]
        if len(set(ids)) != len(ids):
            raise ValueError("a response id appears twice")
        return self

    def dump(self) -> dict[str, Any]:
        """The document as plain JSON data, keys in the documented order."""
        return self.model_dump(mode="json", by_alias=True)


# --------------------------------------------------------------------------- errors


def json_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a JSON path: ``rounds[0].departments[2].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out or "(document)"


def describe(exc: ValidationError, limit: int = 5) -> str:
    """The first errors of a validation, each as ``path: message`` (one per line)."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False)[:limit]:
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{json_path(tuple(error['loc']))}: {message}")
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "\n".join(lines)


def text_is_clean(value: str) -> str | None:
    """Why a text cannot be stored at all (NUL byte, lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None
