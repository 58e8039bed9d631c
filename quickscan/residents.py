"""Easy-read residents banks: statements inwoners rate on an experience scale.

Part of the domain core (no web framework, no database). A residents bank is a bank file with
``kind: residents`` in ``questions/<bank_id>/<version>.yaml``; it shares the versioning, the
``FILE:LINE`` problems and the published lock of the civil-servant banks (:mod:`quickscan.bank`),
but holds a flat list of ``statements`` rated on an experience scale (``experience_scales`` in
``questions/scales.yaml``: 1 "Klopt helemaal niet" to 5 "Klopt helemaal", plus "Weet ik niet").

Each statement names the civil-servant themes it mirrors (``mirrors: [informatie/taal]``); the
catalog checks those against the newest civil-servant banks. A resident score on the 0-100
scale is ``25 × (rating − 1)``, averaged over the respondents who gave a rating (see
``docs/scoring.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, ValidationError, field_validator

from quickscan.bank import (
    DEFAULT_SCALE,
    LOCK_FILE,
    SCALES_FILE,
    SEMVER_RE,
    BankError,
    ChangelogEntry,
    Levensdomein,
    PathKey,
    Problem,
    Slug,
    Text,
    _find_upwards,
    _Frozen,
    _line_of,
    _parse_yaml,
    _pydantic_problems,
    content_hash,
    file_problems,
    format_path,
    read_lock,
    statement_words,
)

#: The value of ``kind`` that marks a residents bank.
RESIDENTS_KIND: Final = "residents"
#: The default experience scale.
EXPERIENCE_SCALE: Final = "ervaring"
#: The answer outside the score on the experience scale.
DONT_KNOW: Final = "dont_know"
#: Easy-read: a statement has at most this many words (aim: 10 or fewer).
MAX_EASY_READ_WORDS: Final = 12
#: Points per step of the experience scale: rating 1 = 0, rating 5 = 100.
POINTS_PER_STEP: Final = 25.0
ALL_LEVENSDOMEINEN: Final[tuple[str, ...]] = (
    "onderwijs", "thuis", "werk_inkomen", "vrije_tijd", "vervoer", "welzijn")
MIRROR_RE: Final = r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$"
STATEMENT_ID_RE: Final = r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$"
PICTOGRAM_RE: Final = r"^[a-z][a-z0-9_-]*$"
_SENTENCE_END = re.compile(r"[.!?](\s|$)")

Mirror = Annotated[str, Field(pattern=MIRROR_RE)]


class ExperienceOption(_Frozen):
    """One step of the experience scale (1-5) with its easy-read label."""

    value: Annotated[int, Field(ge=1, le=5)]
    label: Text


class ExperienceScale(_Frozen):
    """An experience scale: five steps 1-5 plus "weet ik niet" outside the score."""

    id: Slug
    title: Text
    options: tuple[ExperienceOption, ...]
    dont_know: Text

    @field_validator("options")
    @classmethod
    def _one_to_five(cls, options: tuple[ExperienceOption, ...]) -> tuple[ExperienceOption, ...]:
        if [option.value for option in options] != [1, 2, 3, 4, 5]:
            raise ValueError("an experience scale has exactly the steps 1, 2, 3, 4, 5 in order")
        return options

    def label(self, value: int | str) -> str:
        """The label of a step (1-5) or of ``dont_know``."""
        if value == DONT_KNOW:
            return self.dont_know
        for option in self.options:
            if option.value == value:
                return option.label
        raise KeyError(value)


class Statement(_Frozen):
    """One easy-read statement ("Ik …") and the civil-servant themes it mirrors."""

    id: Annotated[str, Field(pattern=STATEMENT_ID_RE)]
    statement: Text
    levensdomein: Annotated[tuple[Levensdomein, ...], Field(min_length=1)]
    mirrors: Annotated[tuple[Mirror, ...], Field(min_length=1)]
    pictogram: Annotated[str, Field(pattern=PICTOGRAM_RE)] | None = None
    pictogram_alt: Text | None = None
    #: The id(s) of earlier statements this one replaces (a reworded statement, as for the
    #: civil-servant banks' ``replaces``; the trend compares a sole one-to-one replacement).
    replaces: Annotated[str, Field(pattern=STATEMENT_ID_RE)] | tuple[
        Annotated[str, Field(pattern=STATEMENT_ID_RE)], ...] | None = None

    @field_validator("replaces", mode="before")
    @classmethod
    def _replaces_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("replaces must name at least one statement")
            return tuple(value)
        return value

    @property
    def replaced_ids(self) -> tuple[str, ...]:
        """The ids of earlier statements this one replaces (empty when it replaces none)."""
        if self.replaces is None:
            return ()
        if isinstance(self.replaces, str):
            return (self.replaces,)
        return self.replaces


class ResidentsBank(_Frozen):
    """A versioned easy-read questionnaire for inwoners."""

    id: Slug
    kind: Literal["residents"]
    version: str
    title: Text
    description: Text
    intro: Text
    scale: Slug = EXPERIENCE_SCALE
    changelog: Annotated[tuple[ChangelogEntry, ...], Field(min_length=1)]
    statements: Annotated[tuple[Statement, ...], Field(min_length=1)]
    sha256: str = ""

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER_RE.match(value):
            raise ValueError(f"'{value}' is not a semantic version (MAJOR.MINOR.PATCH)")
        return value

    @property
    def key(self) -> tuple[str, str]:
        """The (id, version) pair that identifies this bank file."""
        return (self.id, self.version)

    def statement(self, statement_id: str) -> Statement:
        """The statement with this id (KeyError when absent)."""
        for statement in self.statements:
            if statement.id == statement_id:
                return statement
        raise KeyError(statement_id)

    def mirrored_themes(self) -> tuple[tuple[str, str], ...]:
        """Every (bank_id, theme_id) some statement mirrors, in first-mention order."""
        seen: dict[tuple[str, str], None] = {}
        for statement in self.statements:
            for mirror in statement.mirrors:
                bank_id, _, theme_id = mirror.partition("/")
                seen.setdefault((bank_id, theme_id), None)
        return tuple(seen)

    def statements_for(self, bank_id: str, theme_id: str) -> tuple[Statement, ...]:
        """The statements that mirror one civil-servant theme."""
        key = f"{bank_id}/{theme_id}"
        return tuple(s for s in self.statements if key in s.mirrors)


# --------------------------------------------------------------------------- scoring


def rating_points(rating: int) -> float:
    """The points (0-100) of one rating on the experience scale: 25 × (rating − 1)."""
    if not 1 <= rating <= 5:
        raise ValueError(f"rating {rating} is outside 1-5")
    return POINTS_PER_STEP * (rating - 1)


def resident_score(ratings: Iterable[int | str]) -> float | None:
    """Mean points over the ratings given; "weet ik niet" and blanks are left out.

    None when nobody gave a rating.
    """
    points = [rating_points(r) for r in ratings if isinstance(r, int)]
    return sum(points) / len(points) if points else None


# --------------------------------------------------------------------------- loading


def is_residents_data(data: Any) -> bool:
    """True for parsed YAML content of a residents bank."""
    return isinstance(data, Mapping) and data.get("kind") == RESIDENTS_KIND


def is_residents_file(path: Path) -> bool:
    """True when the file declares ``kind: residents`` at the top level (a cheap look)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return any(line.rstrip() == f"kind: {RESIDENTS_KIND}" for line in handle)
    except (OSError, UnicodeDecodeError):
        return False


def load_experience_scales(path: Path) -> dict[str, ExperienceScale]:
    """The ``experience_scales`` of ``scales.yaml`` (empty when the file has none)."""
    data, lines, problems = _parse_yaml(path, path.read_text(encoding="utf-8"))
    if problems:
        raise BankError(problems)
    raw_scales = (data or {}).get("experience_scales") if isinstance(data, dict) else None
    if raw_scales is None:
        return {}
    if not isinstance(raw_scales, list):
        raise BankError([Problem(str(path), _line_of(lines, ("experience_scales",)),
                                 "experience_scales", "expected a list of scales")])
    scales: dict[str, ExperienceScale] = {}
    for index, raw in enumerate(raw_scales):
        try:
            scale = ExperienceScale.model_validate(raw)
        except ValidationError as exc:
            shifted = {k[2:]: v for k, v in lines.items() if k[:2] == ("experience_scales", index)}
            problems.extend(Problem(p.file, p.line, f"experience_scales[{index}].{p.path}",
                                    p.message)
                            for p in _pydantic_problems(str(path), exc, shifted))
            continue
        scales[scale.id] = scale
    if problems:
        raise BankError(problems)
    return scales


def _semantic_checks(bank: ResidentsBank, add: Any, scales: Mapping[str, ExperienceScale],
                     pictograms: Path | None) -> None:
    if bank.scale not in scales:
        add(("scale",), f"unknown experience scale '{bank.scale}' "
                        f"(known: {', '.join(sorted(scales)) or 'none'})")
    if not any(entry.version == bank.version for entry in bank.changelog):
        add(("changelog",), f"no changelog entry for version {bank.version}")
    seen: dict[str, str] = {}
    ids: set[str] = set()
    covered: set[str] = set()
    for index, statement in enumerate(bank.statements):
        where: PathKey = ("statements", index)
        if statement.id in ids:
            add(where + ("id",), f"duplicate statement id '{statement.id}'")
        ids.add(statement.id)
        if not statement.id.startswith(bank.id + "."):
            add(where + ("id",), f"statement id must start with '{bank.id}.'")
        text = statement.statement
        words = statement_words(text)
        if words > MAX_EASY_READ_WORDS:
            add(where + ("statement",), f"{words} words; an easy-read statement has at most "
                                        f"{MAX_EASY_READ_WORDS}")
        if len(_SENTENCE_END.findall(text)) != 1 or not text.endswith("."):
            add(where + ("statement",), "one sentence per statement, ending with '.'")
        if not text.startswith("Ik "):
            add(where + ("statement",), "an easy-read statement starts with 'Ik '")
        key = " ".join(text.lower().split())
        if key in seen:
            add(where + ("statement",), f"same statement as '{seen[key]}'")
        seen.setdefault(key, statement.id)
        if (statement.pictogram is None) != (statement.pictogram_alt is None):
            add(where + ("pictogram",), "a pictogram needs 'pictogram_alt' (and the reverse)")
        if statement.pictogram and pictograms is not None and not (
                pictograms / f"{statement.pictogram}.svg").exists():
            add(where + ("pictogram",), f"no pictogram file {statement.pictogram}.svg")
        if len(set(statement.mirrors)) != len(statement.mirrors):
            add(where + ("mirrors",), "a theme is named twice")
        covered.update(statement.levensdomein)
    missing = [d for d in ALL_LEVENSDOMEINEN if d not in covered]
    if missing:
        add(("statements",), "no statement covers levensdomein " + ", ".join(missing))


def parse_residents_bank(data: Any, *, name: str = "<bank>",
                         lines: Mapping[PathKey, int] | None = None,
                         scales: Mapping[str, ExperienceScale] | None = None,
                         pictograms: Path | None = None) -> ResidentsBank:
    """Validate parsed content and return a :class:`ResidentsBank` (raises :class:`BankError`)."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise BankError([Problem(name, 1, "(document)", "a bank must be a mapping of fields")])
    if "sha256" in data:
        raise BankError([Problem(name, _line_of(lines, ("sha256",)), "sha256", "unknown field")])
    try:
        bank = ResidentsBank.model_validate(data)
    except ValidationError as exc:
        raise BankError(_pydantic_problems(name, exc, lines)) from None
    problems: list[Problem] = []

    def add(path: PathKey, message: str) -> None:
        problems.append(Problem(name, _line_of(lines, path), format_path(path), message))

    _semantic_checks(bank, add, scales if scales is not None else {
        EXPERIENCE_SCALE: default_scale()}, pictograms)
    if problems:
        raise BankError(problems)
    return bank.model_copy(update={"sha256": content_hash(data)})


def default_scale() -> ExperienceScale:
    """A stand-in scale for snapshots (the real one was checked when the bank was pinned)."""
    return ExperienceScale(
        id=EXPERIENCE_SCALE, title="Ervaring",
        options=tuple(ExperienceOption(value=v, label=label) for v, label in (
            (1, "Klopt helemaal niet"), (2, "Klopt niet"), (3, "Een beetje"),
            (4, "Klopt"), (5, "Klopt helemaal"))),
        dont_know="Weet ik niet")


def residents_from_snapshot(content: Mapping[str, Any]) -> ResidentsBank:
    """Rebuild a residents bank from the content snapshot stored when a round pinned it."""
    scale_id = str(content.get("scale", EXPERIENCE_SCALE))
    return parse_residents_bank(dict(content), name="<snapshot>",
                                scales={scale_id: default_scale()})


def load_residents_file(path: Path, scales: Mapping[str, ExperienceScale] | None = None,
                        lock: Mapping[str, Mapping[str, str]] | None = None,
                        pictograms: Path | None = None) -> ResidentsBank:
    """Load and validate one residents bank file (same rules as :func:`bank.load_bank_file`)."""
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
        scales = load_experience_scales(scales_path) if scales_path else {}
    if lock is None:
        lock_path = _find_upwards(path, LOCK_FILE)
        lock = read_lock(lock_path) if lock_path else {}
    bank = parse_residents_bank(data, name=name, lines=lines, scales=scales,
                                pictograms=pictograms)
    problems = file_problems(path, bank.id, bank.version, bank.sha256, lines, lock)
    if problems:
        raise BankError(problems)
    return bank


def check_mirrors(bank: ResidentsBank, themes: Mapping[str, Sequence[str]], name: str,
                  lines: Mapping[PathKey, int]) -> list[Problem]:
    """Problems for mirrors that name no theme of the newest civil-servant banks.

    ``themes`` maps each bank id to the theme ids of its newest version.
    """
    problems = []
    for index, statement in enumerate(bank.statements):
        for m_index, mirror in enumerate(statement.mirrors):
            bank_id, _, theme_id = mirror.partition("/")
            if bank_id not in themes:
                message = f"mirrors '{mirror}': no bank '{bank_id}'"
            elif theme_id not in themes[bank_id]:
                message = (f"mirrors '{mirror}': the newest '{bank_id}' bank has no theme "
                           f"'{theme_id}'")
            else:
                continue
            path: PathKey = ("statements", index, "mirrors", m_index)
            problems.append(Problem(name, _line_of(lines, path), format_path(path), message))
    return problems


def check_replaces(bank: ResidentsBank, earlier: Iterable[str], name: str,
                   lines: Mapping[PathKey, int]) -> list[Problem]:
    """Problems for ``replaces`` that name no statement of an earlier version of the bank, or
    a statement still in this version (``earlier``: the statement ids of earlier versions)."""
    known = set(earlier)
    own = {statement.id for statement in bank.statements}
    problems = []
    for index, statement in enumerate(bank.statements):
        for replaced in statement.replaced_ids:
            if replaced in own:
                message = (f"replaces '{replaced}', which is still in this version"
                           if replaced != statement.id else "a statement cannot replace itself")
            elif replaced not in known:
                message = (f"replaces unknown statement '{replaced}' "
                           "(not in an earlier version of this bank)")
            else:
                continue
            path: PathKey = ("statements", index, "replaces")
            problems.append(Problem(name, _line_of(lines, path), format_path(path), message))
    return problems


__all__ = [
    "DEFAULT_SCALE", "ExperienceScale", "ResidentsBank", "Statement", "check_mirrors",
    "check_replaces",
    "is_residents_file", "load_experience_scales", "load_residents_file",
    "parse_residents_bank", "rating_points", "resident_score", "residents_from_snapshot",
]
