"""Local question banks: a municipality's own banks ("eigen vragen"), beside the shipped ones.

Storage: the instance folder, ``LOCAL_QUESTIONS_DIR`` (default ``<instance>/local_questions``),
laid out like ``questions/``: ``<bank id>/<version>.yaml`` plus a ``published.lock`` with the
content hash of every published version. A version in the lock is published (frozen: its file
may never change, the catalogue refuses it when its hash differs); any other file is a draft.
Every local bank's content holds ``local: true``, so a round that pins it (with version, hash
and snapshot, exactly like a shipped bank) still knows it is "eigen vragen".

The catalogue the app uses is the shipped banks plus the published local banks
(:func:`quickscan.services.banks.catalog`). Local ids may not clash with shipped bank ids or
with question ids of any other bank. A published version is never edited: editing it makes a
new draft version (the next minor version, with a changelog entry); a question whose meaning
changes gets a new id with ``replaces``, which must name a question of an earlier version.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from quickscan.bank import (
    LOCK_FILE,
    SEMVER_RE,
    Bank,
    BankError,
    Catalog,
    PathKey,
    _version_key,
    bank_files,
    format_path,
    load_bank_file,
    parse_bank,
    read_lock,
    write_lock,
)
from quickscan.bank_xlsx import MAX_BYTES, XlsxError, bank_to_xlsx, read_bank_xlsx
from quickscan.extensions import db
from quickscan.models import RoundBank
from quickscan.services.errors import Conflict, NeedsCorrection, NotFound

DRAFT: Literal["draft"] = "draft"
PUBLISHED: Literal["published"] = "published"
Status = Literal["draft", "published"]


class LocalBankProblems(NeedsCorrection):
    """A local bank (file or form) is invalid; ``problems`` lists every one, nothing is stored."""

    def __init__(self, problems: Sequence[str], message: str | None = None,
                 located: Sequence[tuple[PathKey, str]] = ()) -> None:
        self.problems = tuple(problems)
        #: The problems of a form edit as (bank path, message), to show them at their field.
        self.located = tuple(located)
        super().__init__(message or _("De vragenlijst is niet opgeslagen: los eerst deze "
                                      "%(count)d fout(en) op.", count=len(self.problems)))


@dataclass(frozen=True)
class LocalVersion:
    """One stored version of a local bank."""

    bank: Bank
    status: Status
    path: Path

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED


def local_dir() -> Path:
    """The folder of the local banks (created on first write)."""
    configured = current_app.config.get("LOCAL_QUESTIONS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "local_questions"


def max_upload_bytes() -> int:
    """The size limit of an uploaded spreadsheet (config ``BANK_XLSX_MAX_BYTES``)."""
    return int(current_app.config.get("BANK_XLSX_MAX_BYTES") or MAX_BYTES)


@contextlib.contextmanager
def _locked() -> Iterator[Path]:
    """Serialise writers (several workers may publish at once) with an exclusive file lock."""
    root = local_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield root
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


# --------------------------------------------------------------------------- reading


def lock_state() -> tuple[int, int]:
    """A cheap fingerprint of the published set (the lock file's mtime and size)."""
    try:
        stat = (local_dir() / LOCK_FILE).stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def _shipped() -> Catalog:
    from quickscan.services.banks import shipped_catalog

    return shipped_catalog()


def _load(path: Path, shipped: Catalog, lock: Mapping[str, Mapping[str, str]]) -> Bank | None:
    try:
        bank = load_bank_file(path, shipped.scales, lock)
    except BankError:
        current_app.logger.warning("local bank file %s is invalid and left out", path.name)
        return None
    return bank if bank.local else None


def versions(*, root: Path | None = None, shipped: Catalog | None = None) -> list[LocalVersion]:
    """Every valid stored version of every local bank, by bank id and version."""
    root = root or local_dir()
    if not root.is_dir():
        return []
    shipped = shipped or _shipped()
    lock = read_lock(root / LOCK_FILE)
    found = []
    for path in bank_files([root]):
        if not SEMVER_RE.match(path.stem) or path.name.startswith("."):
            continue
        bank = _load(path, shipped, lock)
        if bank is None:
            continue
        status: Status = PUBLISHED if lock.get(bank.id, {}).get(bank.version) else DRAFT
        found.append(LocalVersion(bank, status, path))
    return sorted(found, key=lambda v: (v.bank.id, _version_key(v.bank.version)))


def published(shipped: Catalog) -> list[LocalVersion]:
    """The published local versions whose id does not clash with a shipped bank."""
    shipped_ids = {bank_id for bank_id, _v in shipped.banks}
    return [v for v in versions(shipped=shipped)
            if v.published and v.bank.id not in shipped_ids]


def get(bank_id: str, version: str) -> LocalVersion:
    """One stored local version (NotFound when there is none)."""
    for item in versions():
        if item.bank.id == bank_id and item.bank.version == version:
            return item
    raise NotFound(_("Eigen vragenlijst %(bank)s %(version)s bestaat niet.", bank=bank_id,
                     version=version))


def latest(bank_id: str) -> LocalVersion:
    """The newest stored version of a local bank."""
    found = [v for v in versions() if v.bank.id == bank_id]
    if not found:
        raise NotFound(_("Eigen vragenlijst %(bank)s bestaat niet.", bank=bank_id))
    return found[-1]


def is_pinned(bank_id: str, version: str) -> bool:
    """Whether some round has pinned this bank version."""
    return db.session.execute(select(RoundBank.id).where(
        RoundBank.bank_id == bank_id, RoundBank.version == version).limit(1)).first() is not None


def content_of(bank: Bank) -> dict[str, Any]:
    """A bank's content as stored (only the fields its source set), YAML-safe."""
    return cast(dict[str, Any],  # _plain keeps a mapping a dict
                _plain(bank.model_dump(exclude_unset=True, exclude={"sha256"}, mode="python")))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def yaml_text(bank: Bank, *, with_hash: bool = True) -> str:
    """The bank as a YAML file, as it would sit in ``questions/<id>/<version>.yaml``."""
    header = f"# {bank.id} {bank.version}: eigen vragen (local bank)"
    header += f", sha256 {bank.sha256}\n" if with_hash else "\n"
    return header + yaml.safe_dump(content_of(bank), sort_keys=False, allow_unicode=True,
                                   width=100)


# --------------------------------------------------------------------------- validation


def cross_checks(bank: Bank, *, shipped: Catalog | None = None,
                 stored: Sequence[LocalVersion] | None = None) -> list[tuple[PathKey, str]]:
    """Checks of a local bank against the catalogue, as (bank path, message)."""
    shipped = shipped or _shipped()
    stored = versions(shipped=shipped) if stored is None else stored
    problems: list[tuple[PathKey, str]] = []
    if bank.id in {bank_id for bank_id, _v in shipped.banks}:
        problems.append((("id",), f"'{bank.id}' is the id of a shipped bank; choose another id"))
    if bank.common:
        problems.append((("common",), "a local bank cannot be the common bank"))
    if any(v.bank.key == bank.key and v.published for v in stored):
        problems.append((("version",), (f"version {bank.version} is already published; give "
                                       "the changed bank a new version")))
    owners: dict[str, str] = {}
    for other in list(shipped.banks.values()) + [v.bank for v in stored]:
        if other.id != bank.id:
            for question in other.questions:
                owners.setdefault(question.id, other.id)
    earlier = {q.id for v in stored if v.bank.id == bank.id
               and _version_key(v.bank.version) < _version_key(bank.version)
               for q in v.bank.questions}
    for t_index, theme in enumerate(bank.themes):
        for q_index, question in enumerate(theme.questions):
            where: PathKey = ("themes", t_index, "questions", q_index)
            if question.id in owners:
                problems.append((where + ("id",), (f"question id '{question.id}' is also used "
                                                  f"by bank '{owners[question.id]}'")))
            for replaced in question.replaced_ids:
                if replaced != question.id and replaced not in earlier:
                    problems.append((where + ("replaces",), (f"replaces unknown question "
                                     f"'{replaced}' (not in an earlier version of this bank)")))
    return problems


def validate_content(content: Mapping[str, Any]) -> Bank:
    """Validate a local bank's content (forms); raises :class:`LocalBankProblems`."""
    shipped = _shipped()
    data = dict(content)
    data["local"] = True
    try:
        bank = parse_bank(data, name="bank", scales=shipped.scales)
    except BankError as exc:
        raise LocalBankProblems([f"{p.path}: {p.message}" for p in exc.problems],
                                located=[(_parse_path(p.path), p.message)
                                         for p in exc.problems]) from None
    problems = cross_checks(bank, shipped=shipped)
    if problems:
        raise LocalBankProblems([f"{format_path(path)}: {message}"
                                 for path, message in problems], located=problems)
    return bank


def _parse_path(text: str) -> PathKey:
    """``themes[0].questions[1].statement`` back into a bank path."""
    parts: list[str | int] = []
    for piece in text.replace("]", "").replace("[", ".").split("."):
        if piece:
            parts.append(int(piece) if piece.isdigit() and parts[-1:] != ["help"] else piece)
    return tuple(parts)


# --------------------------------------------------------------------------- writing


def _store(bank: Bank) -> LocalVersion:
    with _locked() as root:
        lock = read_lock(root / LOCK_FILE)
        if lock.get(bank.id, {}).get(bank.version):
            raise Conflict(_("Versie %(version)s van %(bank)s is al gepubliceerd en kan niet "
                             "meer veranderen.", version=bank.version, bank=bank.id))
        path = root / bank.id / f"{bank.version}.yaml"
        _write_atomic(path, yaml_text(bank, with_hash=False))
        stored = load_bank_file(path, _shipped().scales, lock)
    _reload()
    return LocalVersion(stored, DRAFT, path)


def _reload() -> None:
    from quickscan.services.banks import forget_local

    forget_local()


def import_xlsx(data: bytes, filename: str | None) -> LocalVersion:
    """Store a filled-in template as a draft; every problem as ``SHEET!CELL: field: message``.

    Nothing is stored unless the whole file is valid.
    """
    shipped = _shipped()
    stored = versions(shipped=shipped)
    try:
        result = read_bank_xlsx(
            data, filename=filename, scales=shipped.scales, force={"local": True},
            max_bytes=max_upload_bytes(),
            extra_checks=lambda bank: cross_checks(bank, shipped=shipped, stored=stored))
    except XlsxError as exc:
        raise LocalBankProblems([str(p) for p in exc.problems]) from None
    return _store(result.bank)


def save_draft(content: Mapping[str, Any]) -> LocalVersion:
    """Validate and store a draft version from the browser editor."""
    data = dict(content)
    data["local"] = True
    return _store(validate_content(data))


def publish(bank_id: str, version: str) -> LocalVersion:
    """Publish a draft: its content hash goes into the lock, the file is frozen from now on."""
    item = get(bank_id, version)
    if item.published:
        raise Conflict(_("Versie %(version)s van %(bank)s is al gepubliceerd.", version=version,
                         bank=bank_id))
    problems = cross_checks(item.bank)
    if problems:
        raise LocalBankProblems([f"{format_path(path)}: {message}"
                                 for path, message in problems])
    with _locked() as root:
        lock = read_lock(root / LOCK_FILE)
        lock.setdefault(bank_id, {})[version] = item.bank.sha256
        write_lock(root / LOCK_FILE, lock)
    _reload()
    return LocalVersion(item.bank, PUBLISHED, item.path)


def next_version(version: str, taken: Sequence[str]) -> str:
    """The next minor version after ``version`` that is not taken."""
    match = SEMVER_RE.match(version)
    major, minor = (int(match.group(1)), int(match.group(2))) if match else (1, 0)
    candidate = f"{major}.{minor + 1}.0"
    while candidate in taken:
        minor += 1
        candidate = f"{major}.{minor + 1}.0"
    return candidate


def editable(bank_id: str, version: str) -> LocalVersion:
    """The draft to edit for this version: itself when a draft, else a new draft version.

    A published version (which rounds may have pinned) is never changed: its content is
    copied into the next minor version with a changelog entry, stored as a draft. When that
    draft already exists it is returned.
    """
    item = get(bank_id, version)
    if not item.published:
        return item
    stored = [v for v in versions() if v.bank.id == bank_id]
    newer = [v for v in stored if not v.published
             and _version_key(v.bank.version) > _version_key(version)]
    if newer:
        return newer[-1]
    new_version = next_version(version, [v.bank.version for v in stored])
    content = content_of(item.bank)
    content["version"] = new_version
    content["changelog"] = [{"version": new_version, "date": datetime.date.today(),
                             "changes": "Nieuwe conceptversie."}] + content["changelog"]
    return save_draft(content)


def xlsx_of(bank_id: str, version: str) -> bytes:
    """Any bank, shipped or local (draft or published), written to the XLSX template."""
    shipped = _shipped()
    if (bank_id, version) in shipped.banks:
        return bank_to_xlsx(shipped.banks[(bank_id, version)], list(shipped.scales))
    return bank_to_xlsx(get(bank_id, version).bank, list(shipped.scales))


def scale_ids() -> list[str]:
    return list(_shipped().scales)


# --------------------------------------------------------------------------- browser editing

NEW_THEME = {"title": "Nieuw thema", "description": "Beschrijf hier waar dit thema over gaat.",
             "crpd": ["9"]}
NEW_QUESTION_HELP = {2: "Er is een plan of een eerste aanpak.",
                     3: "Het is vast beleid en gebeurt samen met ervaringsdeskundigen.",
                     4: "We meten het geregeld en verbeteren het."}


def _new_question(bank_id: str, theme_id: str, name: str, levensdomein: str) -> dict[str, Any]:
    return {"id": f"{bank_id}.{theme_id}.{name}",
            "statement": f"Schrijf hier de stelling voor thema {theme_id} die de afdeling "
                         "beoordeelt.",
            "help": dict(NEW_QUESTION_HELP), "next_step": "Beschrijf de volgende stap.",
            "tags": {"crpd": ["9"], "levensdomein": [levensdomein], "movisie": 6}}


def create_bank(bank_id: str, title: str, description: str, levensdomeinen: Sequence[str]
                ) -> LocalVersion:
    """A new draft bank 1.0.0 with one theme and one question to edit from there."""
    domains = list(levensdomeinen) or [""]
    content: dict[str, Any] = {
        "id": bank_id, "version": "1.0.0", "title": title, "description": description,
        "scale": "volwassenheid", "levensdomeinen": list(levensdomeinen),
        "changelog": [{"version": "1.0.0", "date": datetime.date.today(),
                       "changes": "Eerste versie."}],
        "themes": [dict(NEW_THEME, id="thema1",
                        questions=[_new_question(bank_id, "thema1", "vraag1", domains[0])])],
    }
    if any(v.bank.id == bank_id for v in versions()):
        raise LocalBankProblems([f"id: bank '{bank_id}' already exists"],
                                located=[(("id",), f"bank '{bank_id}' already exists")])
    return save_draft(content)


def _edit(bank_id: str, version: str, change: Any) -> LocalVersion:
    """Apply ``change(content)`` to the editable draft of this version and store it."""
    draft = editable(bank_id, version)
    content = content_of(draft.bank)
    change(content)
    return save_draft(content)


def _theme_at(content: dict[str, Any], index: int) -> dict[str, Any]:
    themes = content["themes"]
    if not 0 <= index < len(themes):
        raise NotFound(_("Dit thema bestaat niet."))
    return dict(themes[index])


def update_bank_fields(bank_id: str, version: str, fields: Mapping[str, Any]) -> LocalVersion:
    """Change title, description and levensdomeinen of a local bank."""
    def change(content: dict[str, Any]) -> None:
        content.update({k: fields[k] for k in ("title", "description", "levensdomeinen")
                        if k in fields})
    return _edit(bank_id, version, change)


def save_theme(bank_id: str, version: str, index: int, fields: Mapping[str, Any]
               ) -> LocalVersion:
    """Change theme ``index``, or add a theme when ``index`` is the number of themes.

    A new theme gets one starter question (a theme needs at least one).
    """
    def change(content: dict[str, Any]) -> None:
        themes = content["themes"]
        if index == len(themes):
            theme_id = str(fields.get("id") or "")
            domain = (content.get("levensdomeinen") or ["welzijn"])[0]
            themes.append({"id": theme_id, "title": "", "description": "", "crpd": [],
                           "questions": [_new_question(content["id"], theme_id or "thema",
                                                       "vraag1", domain)]})
        theme = _theme_at(content, index)
        if fields.get("id") not in (None, theme["id"]):
            message = "the id of an existing theme cannot change"
            raise LocalBankProblems([f"id: {message}"],
                                    located=[(("themes", index, "id"), message)])
        theme.update({k: v for k, v in fields.items() if v is not None})
        themes[index] = theme
    return _edit(bank_id, version, change)


def save_question(bank_id: str, version: str, theme_index: int, index: int,
                  fields: Mapping[str, Any], *, new_id: str | None = None) -> LocalVersion:
    """Change question ``index`` of a theme, or add one when ``index`` is the count.

    ``new_id`` gives a changed question a new id that ``replaces`` the old one (its meaning
    changed, so results stay comparable only where they should).
    """
    def change(content: dict[str, Any]) -> None:
        theme = _theme_at(content, theme_index)
        questions = list(theme["questions"])
        if index == len(questions):
            questions.append({})
        elif not 0 <= index < len(questions):
            raise NotFound(_("Deze vraag bestaat niet."))
        question = dict(questions[index])
        for key, value in fields.items():
            if key == "statement":
                question[key] = value or ""
            elif value is None or value == "" or value == [] or value == {}:
                question.pop(key, None)
            else:
                question[key] = value
        if new_id is not None and new_id != question.get("id"):
            question["replaces"] = question["id"]
            question["id"] = new_id
        questions[index] = question
        theme["questions"] = questions
        content["themes"][theme_index] = theme
    return _edit(bank_id, version, change)


def rearrange(bank_id: str, version: str, action: str, theme_index: int,
              index: int | None = None) -> LocalVersion:
    """Move a theme or question one place ``up``/``down``, or ``delete`` it.

    ``index`` None acts on the theme; otherwise on that question of the theme.
    """
    if action not in ("up", "down", "delete"):
        raise NotFound(_("Onbekende actie."))

    def change(content: dict[str, Any]) -> None:
        theme = _theme_at(content, theme_index)
        items: list[Any] = content["themes"] if index is None else list(theme["questions"])
        at = theme_index if index is None else index
        if not 0 <= at < len(items):
            raise NotFound(_("Deze vraag bestaat niet."))
        if action == "delete":
            del items[at]
        else:
            to = at - 1 if action == "up" else at + 1
            if 0 <= to < len(items):
                items[at], items[to] = items[to], items[at]
        if index is not None:
            theme["questions"] = items
            content["themes"][theme_index] = theme
    return _edit(bank_id, version, change)
