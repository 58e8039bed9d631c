"""Question banks: versioned YAML files loaded into frozen, typed objects.

This module is part of the domain core: it imports no web framework or database library.
A bank lives in ``questions/<bank_id>/<version>.yaml``; the shared answer scale in
``questions/scales.yaml``; the content hashes of published versions in
``questions/published.lock``. Every problem found while loading is reported as
``FILE:LINE: path.to.field: message`` (see :class:`Problem`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_serializer,
    field_validator,
)

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
SLUG_RE = r"^[a-z][a-z0-9_]*$"
QUESTION_ID_RE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
CRPD_RE = re.compile(r"^([1-9]|[1-4]\d|50)(\.[1-9]\d?)?$")
LOCK_FILE = "published.lock"
SCALES_FILE = "scales.yaml"
DEFAULT_SCALE = "volwassenheid"

#: The two answers outside the score, in the order they are shown.
OutsideKey = Literal["dont_know", "not_applicable"]
DONT_KNOW: Final = "dont_know"
NOT_APPLICABLE: Final = "not_applicable"
OUTSIDE_KEYS: tuple[OutsideKey, OutsideKey] = (DONT_KNOW, NOT_APPLICABLE)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_RE)]
QuestionId = Annotated[str, StringConstraints(pattern=QUESTION_ID_RE)]
Levensdomein = Literal["onderwijs", "thuis", "werk_inkomen", "vrije_tijd", "vervoer", "welzijn"]
Principle = Literal["gelijkheid", "solidariteit", "autonomie", "participatie"]
Group = Literal[
    "handicap", "leeftijd", "herkomst", "gender", "seksuele_orientatie", "inkomen", "religie",
    "laaggeletterdheid",
]
#: The most words a statement may have in a bank of format 2.
MAX_STATEMENT_WORDS: Final = 20
#: The most core ("kern") questions a bank may mark.
MAX_CORE_QUESTIONS: Final = 8


def _check_crpd(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not CRPD_RE.match(value):
            raise ValueError(f"'{value}' is not a CRPD article number (1-50, e.g. '9' or '4.3')")
    return values


def _check_semver(value: str) -> str:
    if not SEMVER_RE.match(value):
        raise ValueError(f"'{value}' is not a semantic version (MAJOR.MINOR.PATCH)")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Level(_Frozen):
    """One level of the answer scale (0-4), with its Dutch label and description."""

    value: Annotated[int, Field(ge=0, le=4)]
    label: Text
    description: Text


class OutsideOption(_Frozen):
    """An answer outside the score: "weet ik niet" or "niet van toepassing"."""

    key: OutsideKey
    label: Text
    description: Text


class Scale(_Frozen):
    """The shared answer scale: five maturity levels plus two answers outside the score."""

    id: Slug
    title: Text
    levels: tuple[Level, ...]
    outside: tuple[OutsideOption, ...]

    @field_validator("levels")
    @classmethod
    def _levels_0_to_4(cls, levels: tuple[Level, ...]) -> tuple[Level, ...]:
        if [level.value for level in levels] != [0, 1, 2, 3, 4]:
            raise ValueError("a scale must have exactly the levels 0, 1, 2, 3, 4 in that order")
        return levels

    @field_validator("outside")
    @classmethod
    def _both_outside(cls, options: tuple[OutsideOption, ...]) -> tuple[OutsideOption, ...]:
        if sorted(option.key for option in options) != sorted(OUTSIDE_KEYS):
            raise ValueError("a scale must offer exactly 'dont_know' and 'not_applicable'")
        return options

    def label(self, value: int | str) -> str:
        """Return the Dutch label of a level (0-4) or an outside key."""
        for level in self.levels:
            if level.value == value:
                return level.label
        for option in self.outside:
            if option.key == value:
                return option.label
        raise KeyError(value)


class Tags(_Frozen):
    """A question's tags: the frameworks it maps to."""

    crpd: Annotated[tuple[str, ...], Field(min_length=1)]
    levensdomein: Annotated[tuple[Levensdomein, ...], Field(min_length=1)]
    movisie: Annotated[int, Field(ge=1, le=7)]
    routekaart: tuple[Annotated[int, Field(ge=1, le=11)], ...] = ()
    principles: tuple[Principle, ...] = ()
    groups: tuple[Group, ...] = ()

    @field_validator("crpd")
    @classmethod
    def _crpd_articles(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _check_crpd(values)


class NextSteps(_Frozen):
    """Next steps per level band: what a department at that level does to move up."""

    levels_0_1: Text
    level_2: Text
    level_3: Text


class Question(_Frozen):
    """One statement that a respondent rates on the scale.

    Banks of format 1 (the 1.x banks) describe levels 2-4 in ``help`` and give one ``next_step``.
    Banks that declare ``format: 2`` (the 2.x banks) describe all five levels, give the ``evidence``
    that shows a level and ``next_steps`` per level band, and may mark ``core`` questions (the
    "kern" set of a quickscan).
    """

    id: QuestionId
    statement: Text
    help: Mapping[Annotated[int, Field(ge=0, le=4)], Text]
    weight: Annotated[float, Field(gt=0, le=5)] = 1.0
    next_step: Text | None = None
    next_steps: NextSteps | None = None
    evidence: Text | None = None
    core: bool = False
    tags: Tags
    replaces: QuestionId | tuple[QuestionId, ...] | None = None

    @field_validator("help")
    @classmethod
    def _help_levels(cls, help_: Mapping[int, str]) -> Mapping[int, str]:
        missing = [level for level in (2, 3, 4) if level not in help_]
        if missing:
            raise ValueError(
                "help must describe levels 2, 3 and 4; missing: "
                + ", ".join(str(level) for level in missing)
            )
        return MappingProxyType(dict(sorted(help_.items())))

    @field_validator("replaces", mode="before")
    @classmethod
    def _replaces_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("replaces must name at least one question")
            return tuple(value)
        return value

    @field_serializer("help")
    def _help_out(self, help_: Mapping[int, str]) -> dict[int, str]:
        return dict(help_)

    @property
    def replaced_ids(self) -> tuple[str, ...]:
        """The ids of earlier questions this one replaces (empty when it replaces none)."""
        if self.replaces is None:
            return ()
        if isinstance(self.replaces, str):
            return (self.replaces,)
        return self.replaces

    def next_step_for(self, score: float | None = None) -> str:
        """The next step for a department at ``score`` (0-4; ``None``: the lowest band).

        Format 1 questions have one next step for every level.
        """
        if self.next_steps is None:
            return self.next_step or ""
        if score is None or score < 2:
            return self.next_steps.levels_0_1
        if score < 3:
            return self.next_steps.level_2
        return self.next_steps.level_3


class Theme(_Frozen):
    """A group of questions with a target level; scored and prioritised as a unit."""

    id: Slug
    title: Text
    description: Text
    crpd: Annotated[tuple[str, ...], Field(min_length=1)]
    target: Annotated[int, Field(ge=0, le=4)] = 3
    questions: Annotated[tuple[Question, ...], Field(min_length=1)]

    @field_validator("crpd")
    @classmethod
    def _crpd_articles(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _check_crpd(values)


class ChangelogEntry(_Frozen):
    """One entry of a bank's changelog."""

    version: str
    date: datetime.date
    changes: Text

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        return _check_semver(value)


class Bank(_Frozen):
    """A versioned question bank for one beleidsdomein."""

    id: Slug
    version: str
    title: Text
    description: Text
    scale: Slug = DEFAULT_SCALE
    format: Literal[1, 2] = 1
    common: bool = False
    municipal: bool = False
    local: bool = False
    levensdomeinen: Annotated[tuple[Levensdomein, ...], Field(min_length=1)]
    changelog: Annotated[tuple[ChangelogEntry, ...], Field(min_length=1)]
    themes: Annotated[tuple[Theme, ...], Field(min_length=1)]
    sha256: str = ""

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        return _check_semver(value)

    @property
    def core_questions(self) -> tuple[Question, ...]:
        """The core ("kern") questions, theme by theme; every question when none is marked."""
        core = tuple(q for q in self.questions if q.core)
        return core or self.questions

    def core_only(self) -> Bank:
        """This bank with only its core questions (the "kern" quickscan); itself when none."""
        if not any(q.core for q in self.questions):
            return self
        themes = tuple(theme.model_copy(update={"questions": tuple(
            q for q in theme.questions if q.core)}) for theme in self.themes)
        return self.model_copy(update={"themes": tuple(t for t in themes if t.questions)})

    @property
    def key(self) -> tuple[str, str]:
        """The (id, version) pair that identifies this bank file."""
        return (self.id, self.version)

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions of the bank, theme by theme."""
        return tuple(q for theme in self.themes for q in theme.questions)

    def theme(self, theme_id: str) -> Theme:
        """Return the theme with this id (KeyError when absent)."""
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def question(self, question_id: str) -> Question:
        """Return the question with this id (KeyError when absent)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def theme_of(self, question_id: str) -> Theme:
        """Return the theme that holds this question (KeyError when absent)."""
        for theme in self.themes:
            if any(q.id == question_id for q in theme.questions):
                return theme
        raise KeyError(question_id)


@dataclass(frozen=True)
class Problem:
    """One problem in a bank file, printed as ``FILE:LINE: path.to.field: message``."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class BankError(Exception):
    """Raised when one or more bank files are invalid; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- YAML with lines


PathKey = tuple[str | int, ...]


def _line_map(node: yaml.Node, path: PathKey, lines: dict[PathKey, int],
              duplicates: list[tuple[PathKey, int]]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = path + (key,)
            if key in seen:
                duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, path + (index,), lines, duplicates)


def _line_of(lines: Mapping[PathKey, int], path: Iterable[str | int]) -> int:
    """Return the line of ``path``, or of its nearest ancestor that has one.

    Sequence items are keyed by index and mapping keys by their text, so an integer part
    (e.g. a ``help`` level) is looked up both ways.
    """
    best = lines.get((), 1)
    prefix: PathKey = ()
    for part in path:
        if prefix + (part,) in lines:
            prefix = prefix + (part,)
        elif prefix + (str(part),) in lines:
            prefix = prefix + (str(part),)
        else:
            break
        best = lines[prefix]
    return best


def format_path(path: Iterable[str | int]) -> str:
    """Render a location as ``themes[0].questions[2].statement``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


_PATTERN_MESSAGES: Final[dict[str, str]] = {
    SLUG_RE: "must be lowercase letters, digits and '_', starting with a letter",
    QUESTION_ID_RE: "must be '<bank>.<theme>.<name>' in lowercase letters, digits and '_'",
}

_TYPE_MESSAGES: Final[dict[str, str]] = {
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
}


_BOUNDS: Final[dict[str, str]] = {
    "greater_than_equal": "at least",
    "less_than_equal": "at most",
    "greater_than": "more than",
    "less_than": "less than",
}


def _friendly(error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into a short message for a content writer."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in _TYPE_MESSAGES:
        return f"{_TYPE_MESSAGES[kind]}, got {_shown(error.get('input'))}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_MESSAGES:
        return f"{_shown(error.get('input'))} {_PATTERN_MESSAGES[ctx['pattern']]}"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "")
        shown = f"{bound:g}" if isinstance(bound, float) else str(bound)
        return f"{_shown(error.get('input'))} is out of range: must be {_BOUNDS[kind]} {shown}"
    if kind == "literal_error":
        return f"{_shown(error.get('input'))} is not one of {ctx.get('expected', '')}"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _shown(value: Any) -> str:
    """Render an offending value briefly, as YAML would show it."""
    if isinstance(value, (dict, list, tuple)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = f"'{value}'" if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "…'"


def _canonical(data: Any) -> Any:
    """Content in a JSON-safe form: mapping keys as text, dates as ISO strings."""
    if isinstance(data, Mapping):
        return {str(key): _canonical(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_canonical(item) for item in data]
    if isinstance(data, (datetime.date, datetime.datetime)):
        return data.isoformat()
    return data


def content_hash(data: Any) -> str:
    """Return the sha256 of a bank's parsed content in canonical JSON form.

    Formatting and comments do not change the hash; any change in content does.
    """
    canonical = json.dumps(_canonical(data), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[PathKey, int], list[Problem]]:
    name = str(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return None, {}, [Problem(name, line, "(document)", f"invalid YAML: {exc.problem}")]
    except yaml.YAMLError as exc:
        return None, {}, [Problem(name, 1, "(document)", f"invalid YAML: {exc}")]
    lines: dict[PathKey, int] = {}
    duplicates: list[tuple[PathKey, int]] = []
    if node is not None:
        _line_map(node, (), lines, duplicates)
    problems = [Problem(name, line, format_path(dup), "duplicate key")
                for dup, line in duplicates]
    return data, lines, problems


def _pydantic_problems(name: str, exc: ValidationError,
                       lines: Mapping[PathKey, int]) -> list[Problem]:
    errors = exc.errors()
    locs = [_error_path(error["loc"]) for error in errors]
    problems = []
    for error, loc in zip(errors, locs):
        # A list whose items failed is also reported as too short: keep only the item errors.
        if error["type"] == "too_short" and any(
                other[:len(loc)] == loc and len(other) > len(loc) for other in locs):
            continue
        problems.append(Problem(name, _line_of(lines, loc), format_path(loc), _friendly(error)))
    return problems


def _error_path(loc: Iterable[str | int]) -> PathKey:
    """A pydantic error location as a bank path; mapping keys (help levels) become text."""
    path: list[str | int] = []
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int) and path and path[-1] == "help":
            path.append(str(part))
        else:
            path.append(part)
    return tuple(path)


# --------------------------------------------------------------------------- scales


def load_scales(path: Path) -> dict[str, Scale]:
    """Load ``scales.yaml`` into a mapping of scale id to :class:`Scale`."""
    text = path.read_text(encoding="utf-8")
    data, lines, problems = _parse_yaml(path, text)
    if problems:
        raise BankError(problems)
    if not isinstance(data, dict) or not isinstance(data.get("scales"), list):
        raise BankError([Problem(str(path), 1, "scales", "expected a list of scales")])
    scales: dict[str, Scale] = {}
    for index, raw in enumerate(data["scales"]):
        try:
            scale = Scale.model_validate(raw)
        except ValidationError as exc:
            shifted = {k[2:]: v for k, v in lines.items() if k[:2] == ("scales", index)}
            problems.extend(
                Problem(p.file, p.line, f"scales[{index}].{p.path}", p.message)
                for p in _pydantic_problems(str(path), exc, shifted)
            )
            continue
        scales[scale.id] = scale
    if problems:
        raise BankError(problems)
    return scales


# --------------------------------------------------------------------------- lock file


def read_lock(path: Path) -> dict[str, dict[str, str]]:
    """Read ``published.lock``: bank id -> version -> sha256 of the published content."""
    if not path.exists():
        return {}
    data, _, problems = _parse_yaml(path, path.read_text(encoding="utf-8"))
    if problems:
        raise BankError(problems)
    data = data or {}
    if not isinstance(data, dict) or not all(
            isinstance(versions, dict) or versions is None for versions in data.values()):
        raise BankError([Problem(str(path), 1, "(document)",
                                 "expected a mapping of bank id to version to sha256")])
    return {str(bank): {str(v): str(h) for v, h in (versions or {}).items()}
            for bank, versions in data.items()}


def write_lock(path: Path, lock: Mapping[str, Mapping[str, str]]) -> None:
    """Write ``published.lock`` in a stable order."""
    ordered = {bank: dict(sorted(lock[bank].items())) for bank in sorted(lock)}
    header = ("# Content hashes of published bank versions. Written by `quickscan banks publish`;\n"
              "# a published version never changes: publish a new version instead.\n")
    path.write_text(header + yaml.safe_dump(ordered, sort_keys=False), encoding="utf-8")


# --------------------------------------------------------------------------- banks


def _semantic_checks(bank: Bank, name: str, lines: Mapping[PathKey, int],
                     scales: Mapping[str, Scale]) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: PathKey, message: str) -> None:
        problems.append(Problem(name, _line_of(lines, path), format_path(path), message))

    if bank.scale not in scales:
        add(("scale",), f"unknown scale '{bank.scale}' (known: {', '.join(sorted(scales))})")
    if not any(entry.version == bank.version for entry in bank.changelog):
        add(("changelog",), f"no changelog entry for version {bank.version}")
    theme_ids: set[str] = set()
    question_ids: set[str] = set()
    statements: dict[str, str] = {}
    for t_index, theme in enumerate(bank.themes):
        if theme.id in theme_ids:
            add(("themes", t_index, "id"), f"duplicate theme id '{theme.id}'")
        theme_ids.add(theme.id)
        for q_index, question in enumerate(theme.questions):
            where: PathKey = ("themes", t_index, "questions", q_index)
            if question.id in question_ids:
                add(where + ("id",), f"duplicate question id '{question.id}'")
            question_ids.add(question.id)
            if not question.id.startswith(bank.id + "."):
                add(where + ("id",), f"question id must start with '{bank.id}.'")
            key = " ".join(question.statement.lower().split())
            if key in statements:
                add(where + ("statement",), f"same statement as question '{statements[key]}'")
            statements.setdefault(key, question.id)
            if question.id in question.replaced_ids:
                add(where + ("replaces",), "a question cannot replace itself")
            if bank.format < 2 and question.next_step is None:
                add(where + ("next_step",), "required field is missing")
    for t_index, theme in enumerate(bank.themes):
        for q_index, question in enumerate(theme.questions):
            for replaced in question.replaced_ids:
                if replaced != question.id and replaced in question_ids:
                    add(("themes", t_index, "questions", q_index, "replaces"),
                        f"replaces '{replaced}', which is still in this version")
    if bank.format >= 2:
        problems.extend(_format_2_checks(bank, add))
    elif any(q.core for q in bank.questions):
        _check_core(bank, add)
    return problems


def statement_words(statement: str) -> int:
    """The number of words in a statement (runs of non-space characters with a letter or digit)."""
    return sum(1 for word in statement.split() if any(ch.isalnum() for ch in word))


def _check_core(bank: Bank, add: Any) -> None:
    core = [q for q in bank.questions if q.core]
    if len(core) > MAX_CORE_QUESTIONS:
        add(("themes",), f"{len(core)} core questions; a bank may mark at most "
                         f"{MAX_CORE_QUESTIONS}")
    for t_index, theme in enumerate(bank.themes):
        if not any(q.core for q in theme.questions):
            add(("themes", t_index, "id"), f"theme '{theme.id}' has no core question "
                                           "(every theme needs at least one)")


def _format_2_checks(bank: Bank, add: Any) -> list[Problem]:
    """The content rules of ``format: 2`` banks; problems are reported through ``add``."""
    for t_index, theme in enumerate(bank.themes):
        for q_index, question in enumerate(theme.questions):
            where: PathKey = ("themes", t_index, "questions", q_index)
            words = statement_words(question.statement)
            if words > MAX_STATEMENT_WORDS:
                add(where + ("statement",), f"{words} words; a statement has at most "
                                            f"{MAX_STATEMENT_WORDS}")
            missing = [level for level in range(5) if level not in question.help]
            if missing:
                add(where + ("help",), "help must describe all five levels 0-4; missing: "
                    + ", ".join(str(level) for level in missing))
            if question.evidence is None:
                add(where, "required field 'evidence' is missing (format 2)")
            if question.next_steps is None:
                add(where, "required field 'next_steps' is missing (format 2)")
            if question.next_step is not None:
                add(where + ("next_step",), "use 'next_steps' per level band in format 2")
    if any(q.core for q in bank.questions):
        _check_core(bank, add)
    else:
        add(("themes",), "format 2 banks mark their core questions with 'core: true'")
    return []


def parse_bank(data: Any, *, name: str = "<bank>", lines: Mapping[PathKey, int] | None = None,
               scales: Mapping[str, Scale] | None = None) -> Bank:
    """Validate parsed YAML content and return a :class:`Bank` (raises :class:`BankError`)."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise BankError([Problem(name, 1, "(document)", "a bank must be a mapping of fields")])
    if "sha256" in data:
        raise BankError([Problem(name, _line_of(lines, ("sha256",)), "sha256", "unknown field")])
    try:
        bank = Bank.model_validate(data)
    except ValidationError as exc:
        raise BankError(_pydantic_problems(name, exc, lines)) from None
    problems = _semantic_checks(bank, name, lines, scales if scales is not None
                                else {DEFAULT_SCALE: _placeholder_scale()})
    if problems:
        raise BankError(problems)
    return bank.model_copy(update={"sha256": content_hash(data)})


def _placeholder_scale() -> Scale:
    levels = tuple(Level(value=i, label=str(i), description=str(i)) for i in range(5))
    outside = tuple(OutsideOption(key=k, label=k, description=k) for k in OUTSIDE_KEYS)
    return Scale(id=DEFAULT_SCALE, title=DEFAULT_SCALE, levels=levels, outside=outside)


def _find_upwards(path: Path, filename: str, levels: int = 2) -> Path | None:
    directory = path.parent
    for _ in range(levels):
        candidate = directory / filename
        if candidate.exists():
            return candidate
        directory = directory.parent
    return None


def file_problems(path: Path, bank_id: str, version: str, sha256: str,
                  lines: Mapping[PathKey, int], lock: Mapping[str, Mapping[str, str]]
                  ) -> list[Problem]:
    """Problems of a bank file's place and lock: a versioned file (``<id>/<semver>.yaml``)
    names its own id and version, and a published version's content never changes.

    Shared by the civil-servant banks and the inwoners banks (:mod:`quickscan.residents`).
    """
    name = str(path)
    problems = []
    if SEMVER_RE.match(path.stem):
        if path.stem != version:
            problems.append(Problem(name, _line_of(lines, ("version",)), "version",
                                    f"version {version} does not match file name {path.name}"))
        if path.parent.name != bank_id:
            problems.append(Problem(name, _line_of(lines, ("id",)), "id",
                                    f"bank id '{bank_id}' does not match folder '{path.parent.name}'"))
    published = lock.get(bank_id, {}).get(version)
    if published is not None and published != sha256:
        problems.append(Problem(
            name, _line_of(lines, ("version",)), "version",
            f"content changed under published version {version} "
            f"(sha256 {sha256[:12]}…, published {published[:12]}…); "
            "publish the change as a new version"))
    return problems


def load_bank_file(path: Path, scales: Mapping[str, Scale] | None = None,
                   lock: Mapping[str, Mapping[str, str]] | None = None) -> Bank:
    """Load and validate one bank file.

    ``scales`` defaults to the ``scales.yaml`` found beside the bank's folder and ``lock`` to
    the ``published.lock`` found there. Raises :class:`BankError` listing every problem.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BankError([Problem(name, 1, "(document)", f"cannot read file: {exc}")]) from None
    data, lines, problems = _parse_yaml(path, text)
    if problems:
        raise BankError(problems)
    if scales is None:
        scales_path = _find_upwards(path, SCALES_FILE)
        scales = load_scales(scales_path) if scales_path else {DEFAULT_SCALE: _placeholder_scale()}
    if lock is None:
        lock_path = _find_upwards(path, LOCK_FILE)
        lock = read_lock(lock_path) if lock_path else {}
    bank = parse_bank(data, name=name, lines=lines, scales=scales)
    problems = file_problems(path, bank.id, bank.version, bank.sha256, lines, lock)
    if problems:
        raise BankError(problems)
    return bank


def bank_from_snapshot(content: Mapping[str, Any]) -> Bank:
    """Rebuild a bank from the content snapshot a round stored when it pinned the bank."""
    # The scale was checked against scales.yaml when the round pinned the bank.
    scale_id = str(content.get("scale", DEFAULT_SCALE))
    return parse_bank(dict(content), name="<snapshot>", scales={scale_id: _placeholder_scale()})


def bank_content(path: Path) -> Any:
    """Return the parsed YAML content of a bank file, as stored in a round's snapshot."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _canonical(data)


@dataclass
class Catalog:
    """Every bank version found in a questions folder, plus the shared scales."""

    root: Path
    scales: dict[str, Scale]
    banks: dict[tuple[str, str], Bank] = field(default_factory=dict)
    paths: dict[tuple[str, str], Path] = field(default_factory=dict)
    #: Easy-read residents banks (``kind: residents``, :mod:`quickscan.residents`), kept apart
    #: from the civil-servant banks above.
    residents: dict[tuple[str, str], Any] = field(default_factory=dict)
    residents_paths: dict[tuple[str, str], Path] = field(default_factory=dict)

    def latest_residents(self, bank_id: str | None = None) -> Any:
        """The newest version of residents bank ``bank_id`` (default: the first by id), or None
        when there is none."""
        if bank_id is None and self.residents:
            bank_id = min(b for (b, _) in self.residents)
        if bank_id is None or not any(b == bank_id for (b, _) in self.residents):
            return None
        version = max((v for (b, v) in self.residents if b == bank_id), key=_version_key)
        return self.residents[(bank_id, version)]

    def versions(self, bank_id: str) -> list[str]:
        """Return the versions of a bank, oldest first."""
        found = [v for (b, v) in self.banks if b == bank_id]
        return sorted(found, key=_version_key)

    def latest(self, bank_id: str) -> Bank:
        """Return the newest version of a bank (KeyError when unknown)."""
        versions = self.versions(bank_id)
        if not versions:
            raise KeyError(bank_id)
        return self.banks[(bank_id, versions[-1])]

    def get(self, bank_id: str, version: str | None = None) -> Bank:
        """Return one bank version, the newest when ``version`` is None."""
        if version is None:
            return self.latest(bank_id)
        return self.banks[(bank_id, version)]

    def latest_banks(self) -> list[Bank]:
        """Return the newest version of every bank, the common bank first."""
        ids = sorted({b for (b, _) in self.banks})
        banks = [self.latest(b) for b in ids]
        return sorted(banks, key=lambda bank: (not bank.common, bank.title.lower()))

    def common_bank(self) -> Bank | None:
        """Return the newest bank marked ``common: true`` (asked of every department)."""
        for bank in self.latest_banks():
            if bank.common:
                return bank
        return None

    def __iter__(self) -> Iterator[Bank]:
        return iter(self.banks.values())


def _version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    """Sort key of a semantic version: a pre-release sorts before its release."""
    match = SEMVER_RE.match(version)
    if not match:
        return (-1, 0, 0, 0, ((0, 0, version),))
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    core = f"{major}.{minor}.{patch}"
    rest = version.split("+", 1)[0][len(core):]
    if not rest.startswith("-"):
        return (major, minor, patch, 1, ())
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                        for part in rest[1:].split("."))
    return (major, minor, patch, 0, identifiers)


def bank_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the bank files they hold (``*.yaml`` except scales)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.y*ml"))
                         if p.name != SCALES_FILE and p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


def _question_location(bank: Bank, question_id: str) -> PathKey:
    """The path of a question inside its bank file: ``("themes", i, "questions", j)``."""
    for t_index, theme in enumerate(bank.themes):
        for q_index, question in enumerate(theme.questions):
            if question.id == question_id:
                return ("themes", t_index, "questions", q_index)
    raise KeyError(question_id)


def _file_lines(path: Path) -> dict[PathKey, int]:
    """The line map of a (valid) YAML file, to point cross-file problems at their line."""
    _, lines, _ = _parse_yaml(path, path.read_text(encoding="utf-8"))
    return lines


def _cross_checks(catalog: Catalog, failed: Iterable[str] = ()) -> list[Problem]:
    """Checks across files: ids unique across banks, ``replaces`` refers to a known id.

    ``failed`` names bank folders with an invalid file: their ``replaces`` are not checked,
    since the invalid (earlier) version may well hold the replaced id.
    """
    skip_replaces = set(failed)
    problems: list[Problem] = []
    line_maps: dict[tuple[str, str], dict[PathKey, int]] = {}

    def add(key: tuple[str, str], path: PathKey, message: str) -> None:
        if key not in line_maps:
            line_maps[key] = _file_lines(catalog.paths[key])
        problems.append(Problem(str(catalog.paths[key]), _line_of(line_maps[key], path),
                                format_path(path), message))

    owner: dict[str, str] = {}
    for key, bank in sorted(catalog.banks.items(), key=lambda item: (item[0][0],
                                                                      _version_key(item[0][1]))):
        for question in bank.questions:
            other = owner.setdefault(question.id, bank.id)
            if other != bank.id:
                add(key, _question_location(bank, question.id) + ("id",),
                    f"question id '{question.id}' is also used by bank '{other}'")
        earlier = {q.id for (b, v), older in catalog.banks.items()
                   if b == bank.id and _version_key(v) < _version_key(bank.version)
                   for q in older.questions}
        for question in bank.questions:
            if bank.id in skip_replaces:
                break
            for replaced in question.replaced_ids:
                if replaced not in earlier:
                    add(key, _question_location(bank, question.id) + ("replaces",),
                        f"replaces unknown question '{replaced}' "
                        "(not in an earlier version of this bank)")
    return problems


def load_catalog(root: Path, *, strict: bool = True) -> Catalog:
    """Load every bank version under ``root`` (a ``questions/`` folder).

    With ``strict`` (the default) any invalid file raises :class:`BankError`; otherwise
    invalid files are left out.
    """
    scales_path = root / SCALES_FILE
    scales = load_scales(scales_path) if scales_path.exists() else {
        DEFAULT_SCALE: _placeholder_scale()}
    lock = read_lock(root / LOCK_FILE)
    catalog = Catalog(root=root, scales=scales)
    problems: list[Problem] = []
    failed: set[str] = set()
    for path in bank_files([root]):
        if _is_residents(path):
            continue  # loaded by _load_residents, after the civil-servant banks
        try:
            bank = load_bank_file(path, scales, lock)
        except BankError as exc:
            problems.extend(exc.problems)
            failed.add(path.parent.name)
            continue
        if bank.key in catalog.banks:
            problems.append(Problem(str(path), _line_of(_file_lines(path), ("version",)),
                                    "version", f"bank {bank.id} {bank.version} is defined twice "
                                    f"(also in {catalog.paths[bank.key]})"))
            continue
        catalog.banks[bank.key] = bank
        catalog.paths[bank.key] = path
    problems.extend(_cross_checks(catalog, failed))
    problems.extend(_load_residents(catalog, root, lock))
    if problems and strict:
        raise BankError(problems)
    return catalog


def validate_paths(paths: Sequence[Path]) -> list[Problem]:
    """Validate bank files and folders; return every problem (empty when all are valid)."""
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), 1, "(document)", "no such file or folder"))
        elif path.is_dir() and (path / SCALES_FILE).exists():
            try:
                load_catalog(path)
            except BankError as exc:
                problems.extend(exc.problems)
        else:
            for file in bank_files([path]):
                try:
                    load_any_bank_file(file)
                except BankError as exc:
                    problems.extend(exc.problems)
    return problems


# --------------------------------------------------------------------------- residents banks


def _is_residents(path: Path) -> bool:
    from quickscan.residents import is_residents_file

    return is_residents_file(path)


def pictograms_dir() -> Path:
    """The folder of the pictograms residents banks may name (shipped with the app)."""
    return Path(__file__).resolve().parent / "static" / "pictograms"


def load_any_bank_file(path: Path) -> Any:
    """Load a civil-servant bank or a residents bank (``kind: residents``) file."""
    if _is_residents(path):
        from quickscan.residents import load_residents_file

        return load_residents_file(path, pictograms=pictograms_dir())
    return load_bank_file(path)


def _load_residents(catalog: Catalog, root: Path, lock: Mapping[str, Mapping[str, str]]
                    ) -> list[Problem]:
    """Load the residents banks under ``root`` and check their ``mirrors`` against the newest
    civil-servant banks; returns the problems found."""
    from quickscan.residents import (
        check_mirrors,
        check_replaces,
        load_experience_scales,
        load_residents_file,
    )

    problems: list[Problem] = []
    files = [path for path in bank_files([root]) if _is_residents(path)]
    if not files:
        return problems
    scales_path = root / SCALES_FILE
    try:
        scales = load_experience_scales(scales_path) if scales_path.exists() else {}
    except BankError as exc:
        return list(exc.problems)
    themes = {bank_id: [t.id for t in catalog.latest(bank_id).themes]
              for bank_id in {b for (b, _) in catalog.banks}}
    for path in files:
        try:
            bank = load_residents_file(path, scales, lock, pictograms_dir())
        except BankError as exc:
            problems.extend(exc.problems)
            continue
        if bank.key in catalog.residents or bank.key in catalog.banks:
            problems.append(Problem(str(path), _line_of(_file_lines(path), ("version",)),
                                    "version", f"bank {bank.id} {bank.version} is defined twice"))
            continue
        mirror_problems = check_mirrors(bank, themes, str(path), _file_lines(path))
        if mirror_problems:
            problems.extend(mirror_problems)
            continue
        catalog.residents[bank.key] = bank
        catalog.residents_paths[bank.key] = path
    for key, bank in catalog.residents.items():
        earlier = {statement.id for (b, v), older in catalog.residents.items()
                   if b == bank.id and _version_key(v) < _version_key(bank.version)
                   for statement in older.statements}
        path = catalog.residents_paths[key]
        problems.extend(check_replaces(bank, earlier, str(path), _file_lines(path)))
    return problems
