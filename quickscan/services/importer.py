"""Import a round from its JSON backup (schema ``quickscan-export/2``, see docs/export.md).

``quickscan export ROUND --format json`` followed by ``quickscan import FILE`` restores a round
on another database (for example SQLite to PostgreSQL and back): the round with its pinned bank
snapshots and target overrides, the departments and their banks, every submitted and
unfinished response with its answers, importance ratings and comments, and (``services/restore.py``)
the inwoners and bestuur groups with their answers, the Lokale Inclusie Agenda and the link to
the previous round of the series.

The file goes through three gates before anything is written, each refusing with a message
that names the JSON path:

1. :func:`read_export` -- the bytes: a size cap, strict UTF-8, JSON without NaN, a nesting
   cap, no NUL characters or lone surrogates in any text;
2. :func:`parse_export` -- the shape: :class:`~quickscan.export_schema.ExportDocument`, the
   same model the export is built from (types, ranges, lengths as the web forms allow);
3. :func:`check_export` -- the meaning: every pinned bank's content is recomputed and must be
   a version this installation ships (``published.lock`` or a bank file), names are valid as
   the web forms want them, every reference (department, question, theme) resolves, counts
   agree.

Files of the previous version, ``quickscan-export/1``, are converted to version 2 first
(:func:`upgrade_v1`): response ids and times are dropped, and the round gets the default
minimum group size once its figures (computed without one) are verified.

The writes then happen in one :func:`~quickscan.services.uow.unit_of_work`. On an empty
database the ids of the round and its departments are kept, so the export of the restored round
is identical to the original apart from the random response ids; otherwise fresh ids are given.
Responses always get fresh database ids (a file's response ids are opaque). Each department gets
a new invitation link (links are derived from the secret key, which an export never contains).
Finally the restored round is scored again and the engine's parts of the file (departments,
priorities, municipality) must equal it; any difference rolls the whole import back.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import func, select, text

from quickscan.bank import (
    LOCK_FILE,
    Bank,
    BankError,
    bank_from_snapshot,
    content_hash,
    read_lock,
)
from quickscan.export_schema import (
    CONTAINS,
    SCHEMA,
    SCHEMA_V1,
    DepartmentPart,
    ExportDocument,
    PinnedBank,
    ResponsePart,
    describe,
    json_path,
    text_is_clean,
)
from quickscan.extensions import db
from quickscan.models import (
    DEFAULT_MIN_GROUP_SIZE,
    SCOPE_CORE,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Invitation,
    Response,
    Round,
    RoundBank,
)
from quickscan.services import tokens
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import has_core, scoped
from quickscan.services.restore import ImportFileError as ImportFileError  # noqa: PLC0414 (re-exported)
from quickscan.services.restore import Restored, check_restorable, write_restorable
from quickscan.services.restore import names as restorable_names
from quickscan.services.uow import unit_of_work

#: Largest file ``read_export`` reads (config ``IMPORT_MAX_BYTES`` overrides it in the CLI).
MAX_FILE_BYTES: Final = 64 * 1024 * 1024
#: Deepest nesting of arrays and objects accepted (an export nests about 11 deep).
MAX_DEPTH: Final = 32
#: Tables whose integer ids may be kept, in insert order (PostgreSQL sequences are reset).
ID_TABLES: Final = ("round", "round_bank", "department", "invitation", "response", "answer",
                    "importance_rating", "comment")
# Names are refused as the web forms refuse them: control and bidirectional-override characters.
_NAME_BAD: Final = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass
class ImportResult:
    """What an import created."""

    round: Round
    kept_ids: bool
    departments: int
    responses: int
    drafts: int
    answers: int
    links: dict[str, str] = field(default_factory=dict)
    #: The previous round the restored round was linked to again (``series``), or None.
    previous_round_id: int | None = None
    #: Why the link to the previous round could not be restored ("" when it was, or none).
    series_note: str = ""


# --------------------------------------------------------------------------- gate 1: bytes


def read_export(path: Path, max_bytes: int = MAX_FILE_BYTES) -> ExportDocument:
    """Read, parse and validate an export file (raises :class:`ImportFileError`)."""
    return parse_export(load_json(_read_bytes(Path(path), max_bytes), str(path)))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise ImportFileError(f"{path} is larger than {max_bytes} bytes; an export of a round "
                              "is far smaller")
    return raw


def _refuse_constant(name: str) -> Any:
    raise ImportFileError(f"{name} is not a JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is ambiguous and refused."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ImportFileError(f"the key {key[:40]!r} appears twice in one object")
        data[key] = value
    return data


def load_json(raw: bytes, name: str = "the file") -> Any:
    """Decode strict UTF-8 JSON and check its tree (nesting, NUL, lone surrogates)."""
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{name} is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(decoded, parse_constant=_refuse_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{name} is not a JSON file: {exc}") from None
    except RecursionError:
        raise ImportFileError(f"{name} nests deeper than {MAX_DEPTH} levels") from None
    check_tree(data)
    return data


def check_tree(data: Any) -> None:
    """Refuse nesting beyond :data:`MAX_DEPTH` and texts no database can store."""
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while stack:
        node, where = stack.pop()
        if len(where) > MAX_DEPTH:
            raise ImportFileError(f"{json_path(where[:MAX_DEPTH])}: nests deeper than "
                                  f"{MAX_DEPTH} levels")
        if isinstance(node, str):
            problem = text_is_clean(node)
            if problem:
                raise ImportFileError(f"{json_path(where)}: {problem}")
        elif isinstance(node, dict):
            for key, value in node.items():
                problem = text_is_clean(key)
                if problem:
                    raise ImportFileError(f"{json_path(where)}: a key {problem}")
                stack.append((value, (*where, key)))
        elif isinstance(node, list):
            stack.extend((item, (*where, index)) for index, item in enumerate(node))


# --------------------------------------------------------------------------- gate 2: shape


def parse_export(data: Any) -> ExportDocument:
    """Validate parsed JSON against the ``quickscan-export/2`` model (a ``/1`` file is
    converted by :func:`upgrade_v1` first)."""
    if not isinstance(data, dict):
        raise ImportFileError("the export must be a JSON object")
    legacy = data.get("schema") == SCHEMA_V1
    if legacy:
        data = upgrade_v1(data)
    if data.get("schema") != SCHEMA:
        raise ImportFileError(f"schema: not a {SCHEMA} (or {SCHEMA_V1}) export (schema: "
                              f"{str(data.get('schema'))[:40]!r})")
    try:
        document = ExportDocument.model_validate(data)
    except ValidationError as exc:
        raise ImportFileError(describe(exc)) from None
    if legacy:
        document.mark_upgraded(SCHEMA_V1)
    return document


def _date_of(value: Any) -> Any:
    """The UTC date of a version-1 date-time (left as it is when it is not one: the model
    then refuses it with its path)."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        return value
    try:
        return parsed.astimezone(datetime.UTC).date().isoformat()
    except OverflowError:
        return value


def upgrade_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A ``quickscan-export/1`` document as version 2: ``contains`` added, the round's k set
    to 1 (version 1 hid nothing; the importer raises it to the default after verifying),
    departments not hidden, responses with random ids and dates instead of date-times."""
    out = dict(data)
    out["schema"] = SCHEMA
    out = {"schema": SCHEMA, "contains": CONTAINS,
           **{key: value for key, value in out.items() if key != "schema"}}
    if isinstance(out.get("round"), dict):
        out["round"] = {**out["round"], "min_group_size": 1}
    if isinstance(out.get("departments"), list):
        out["departments"] = [{**d, "hidden": False} if isinstance(d, dict) else d
                              for d in out["departments"]]
    for key in ("responses", "draft_responses"):
        if not isinstance(out.get(key), list):
            continue
        converted = []
        for entry in out[key]:
            if isinstance(entry, dict):
                entry = {k: v for k, v in entry.items()
                         if k not in ("created_at", "updated_at", "submitted_at")} | {
                    "id": secrets.token_hex(8),
                    "started_on": _date_of(entry.get("created_at")),
                    "submitted_on": _date_of(entry.get("submitted_at"))}
            converted.append(entry)
        out[key] = converted
    return out


# --------------------------------------------------------------------------- gate 3: meaning


@dataclass(frozen=True)
class CheckedExport:
    """A document whose banks and references were checked: ready to write."""

    document: ExportDocument
    banks: dict[str, Bank]


def check_export(document: ExportDocument) -> CheckedExport:
    """Check banks, names and references of a validated document."""
    banks = _pinned_banks(document.round.banks)
    _check_names(document)
    _check_overrides(document.round.target_overrides, banks)
    departments = _check_departments(document.departments, banks)
    _check_responses(document, departments, banks)
    check_restorable(document, banks)
    return CheckedExport(document, banks)


def _known_hashes(bank_id: str, version: str) -> set[str]:
    """Content hashes this installation ships for a bank version: lock file and bank file."""
    catalog = bank_catalog()
    known = set()
    try:
        published = read_lock(catalog.root / LOCK_FILE)
    except BankError:
        published = {}
    if version in published.get(bank_id, {}):
        known.add(published[bank_id][version])
    if (bank_id, version) in catalog.banks:
        known.add(catalog.banks[(bank_id, version)].sha256)
    return known


def _pinned_banks(entries: list[PinnedBank]) -> dict[str, Bank]:
    """Every pinned bank, its content recomputed and matched with a version shipped here."""
    banks: dict[str, Bank] = {}
    for index, entry in enumerate(entries):
        where = f"round.banks[{index}]"
        computed = content_hash(entry.content)
        if computed != entry.sha256:
            raise ImportFileError(f"{where}.content: its content hash is {computed[:12]}…, not "
                                  f"the sha256 {entry.sha256[:12]}… the file claims")
        if computed not in _known_hashes(entry.id, entry.version):
            raise ImportFileError(
                f"{where}: bank {entry.id} {entry.version} with this content is neither a "
                f"published version ({LOCK_FILE}) nor a bank file of this installation")
        try:
            bank = bank_from_snapshot(entry.content)
        except (BankError, ValueError, TypeError) as exc:
            raise ImportFileError(f"{where}.content: not a valid bank: {exc}") from None
        if (bank.id, bank.version) != (entry.id, entry.version):
            raise ImportFileError(f"{where}.content: holds {bank.id} {bank.version}, expected "
                                  f"{entry.id} {entry.version}")
        if entry.scope == SCOPE_CORE and not has_core(bank):
            raise ImportFileError(f"{where}.scope: kern, but {bank.id} {bank.version} has no "
                                  "core questions")
        banks[bank.id] = scoped(bank, entry.scope)  # the questions the round asked
    return banks


def _names(document: ExportDocument) -> Iterator[tuple[str, str]]:
    yield "round.name", document.round.name
    yield "round.municipality", document.round.municipality
    for index, department in enumerate(document.departments):
        yield f"departments[{index}].name", department.name
    yield from restorable_names(document)


def _check_names(document: ExportDocument) -> None:
    for where, name in _names(document):
        if _NAME_BAD.search(name):
            raise ImportFileError(f"{where}: contains a control or bidirectional-override "
                                  "character")
        if name != " ".join(name.split()):
            raise ImportFileError(f"{where}: has leading, trailing or repeated whitespace")


def _check_overrides(overrides: Mapping[str, int], banks: Mapping[str, Bank]) -> None:
    for key in overrides:
        bank_id, _, theme_id = key.partition("/")
        if bank_id not in banks or theme_id not in {t.id for t in banks[bank_id].themes}:
            raise ImportFileError(f"round.target_overrides.{key}: no such theme in the "
                                  "round's banks")


def _check_departments(departments: list[DepartmentPart], banks: Mapping[str, Bank]
                       ) -> dict[int, DepartmentPart]:
    """Unique names and ids, banks pinned to the round (the common bank always among them)."""
    common = [bank.id for bank in banks.values() if bank.common]
    by_id: dict[int, DepartmentPart] = {}
    names: set[str] = set()
    for index, department in enumerate(departments):
        where = f"departments[{index}]"
        if department.name.casefold() in names:
            raise ImportFileError(f"{where}.name: department {department.name!r} appears twice")
        if department.id in by_id:
            raise ImportFileError(f"{where}.id: id {department.id} appears twice")
        unknown = [b for b in department.bank_ids if b not in banks]
        if unknown:
            raise ImportFileError(f"{where}.bank_ids: {unknown} not pinned to the round")
        if department.kind == "municipality":
            if any(not banks[b].municipal for b in department.bank_ids):
                raise ImportFileError(f"{where}.bank_ids: the municipal group answers only "
                                      "municipal banks")
        elif any(banks[b].municipal for b in department.bank_ids):
            raise ImportFileError(f"{where}.bank_ids: a municipal bank belongs to the "
                                  "municipal group, not to a department")
        elif any(b not in department.bank_ids for b in common):
            raise ImportFileError(f"{where}.bank_ids: the common bank {common[0]} is missing")
        names.add(department.name.casefold())
        by_id[department.id] = department
    return by_id


def _check_responses(document: ExportDocument, departments: Mapping[int, DepartmentPart],
                     banks: Mapping[str, Bank]) -> None:
    """Each response belongs to a department of the file and answers only its questions."""
    seen: set[str] = set()
    counts = {department_id: [0, 0] for department_id in departments}
    for list_name, entries in (("responses", document.responses),
                               ("draft_responses", document.draft_responses)):
        for index, response in enumerate(entries):
            where = f"{list_name}[{index}]"
            if response.id in seen:
                raise ImportFileError(f"{where}.id: id {response.id!r} appears twice")
            seen.add(response.id)
            department = departments.get(response.department_id)
            if department is None or department.name != response.department:
                raise ImportFileError(f"{where}.department: unknown department "
                                      f"{response.department!r} (id {response.department_id})")
            _check_answers(response, [banks[b] for b in department.bank_ids], where)
            counts[department.id][0 if list_name == "responses" else 1] += 1
    for index, department in enumerate(document.departments):
        submitted, drafts = counts[department.id]
        if (department.respondents_submitted, department.respondents_started) != (
                submitted, submitted + drafts):
            raise ImportFileError(
                f"departments[{index}]: {department.respondents_submitted} submitted of "
                f"{department.respondents_started} started announced, the file holds "
                f"{submitted} submitted and {drafts} unfinished responses")


def _check_answers(response: ResponsePart, banks: list[Bank], where: str) -> None:
    questions = {q.id for bank in banks for q in bank.questions}
    themes = {(bank.id, t.id) for bank in banks for t in bank.themes}
    for index, answer in enumerate(response.answers):
        if answer.question not in questions:
            raise ImportFileError(f"{where}.answers[{index}].question: {answer.question!r} is "
                                  "not a question of this department")
    for index, comment in enumerate(response.comments):
        if comment.question not in questions:
            raise ImportFileError(f"{where}.comments[{index}].question: {comment.question!r} "
                                  "is not a question of this department")
    for index, rating in enumerate(response.importance):
        if (rating.bank, rating.theme_id) not in themes:
            raise ImportFileError(f"{where}.importance[{index}].theme: {rating.theme!r} is "
                                  "not a theme of this department")


# --------------------------------------------------------------------------- writing


def import_round(data: ExportDocument | Mapping[str, Any], secret_key: str, *,
                 keep_ids: bool | None = None, verify: bool = True) -> ImportResult:
    """Create the round described by an export in one transaction and return what was made.

    ``data`` is a validated document or parsed JSON (validated here). ``keep_ids`` None keeps
    the file's ids when they are all free; True insists (error when they are not); False always
    gives fresh ids. With ``verify`` the restored round is scored and compared with the file's
    scores; any difference rolls the import back.
    """
    if not isinstance(data, ExportDocument):
        check_tree(data)
        data = parse_export(data)
    checked = check_export(data)
    with unit_of_work() as session:
        use_ids = _use_ids(checked.document, keep_ids)
        round_ = _build_round(checked, secret_key, use_ids)
        session.add(round_)
        session.flush()
        if use_ids:
            _reset_sequences()
        restored = write_restorable(round_, checked.document, secret_key)
        if verify:
            _verify_results(round_, checked.document)
        if checked.document.upgraded_from is not None:
            # Version 1 knew no k: verified as exported (k = 1), kept with the default.
            round_.min_group_size = DEFAULT_MIN_GROUP_SIZE
    return _result(round_, checked.document, secret_key, use_ids, restored)


def _result(round_: Round, document: ExportDocument, secret_key: str, use_ids: bool,
            restored: Restored) -> ImportResult:
    links = {d.name: f"/s/{tokens.invitation_token(secret_key, d.invitations[0].token_salt)}"
             for d in round_.departments}
    return ImportResult(
        round=round_, kept_ids=use_ids, departments=len(round_.departments),
        responses=len(document.responses), drafts=len(document.draft_responses),
        answers=sum(len(r.answers) for r in document.responses + document.draft_responses),
        links=links | restored.links, previous_round_id=restored.previous_round_id,
        series_note=restored.series_note)


def _ids_free(document: ExportDocument) -> bool:
    """True when neither the round's id nor any department id of the file exists here.

    Response ids in a file are opaque: responses always get fresh database ids.
    """
    if db.session.get(Round, document.round.id) is not None:
        return False
    department_ids = [d.id for d in document.departments]
    return not (department_ids and db.session.scalar(
        select(func.count(Department.id)).where(Department.id.in_(department_ids))))


def _use_ids(document: ExportDocument, keep_ids: bool | None) -> bool:
    if keep_ids is False:
        return False
    free = _ids_free(document)
    if keep_ids and not free:
        raise ImportFileError("the ids in the file are already in use in this database")
    return free


def _reset_sequences() -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the maximum."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ID_TABLES:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"))


def _build_round(checked: CheckedExport, secret_key: str, use_ids: bool) -> Round:
    """The round with its banks, departments and responses, as new (unsaved) rows."""
    part = checked.document.round
    round_ = Round(name=part.name, municipality=part.municipality, description=part.description,
                   deadline=part.deadline, status=part.status, created_at=part.created_at,
                   min_group_size=part.min_group_size,
                   target_overrides=dict(part.target_overrides))
    if use_ids:
        round_.id = part.id
    round_.banks = [RoundBank(bank_id=b.id, version=b.version, sha256=b.sha256,
                              content=dict(b.content), position=b.position, scope=b.scope)
                    for b in part.banks]
    by_id: dict[int, Department] = {}
    for entry in checked.document.departments:
        department = _build_department(entry, secret_key)
        if use_ids:
            department.id = entry.id
        round_.departments.append(department)
        by_id[entry.id] = department
    for response_entry in checked.document.responses + checked.document.draft_responses:
        by_id[response_entry.department_id].responses.append(_build_response(response_entry))
    return round_


def _build_department(entry: DepartmentPart, secret_key: str) -> Department:
    salt = tokens.new_salt()
    token_hash = tokens.hash_token(tokens.invitation_token(secret_key, salt))
    return Department(name=entry.name, bank_ids=list(entry.bank_ids), kind=entry.kind,
                      invitations=[Invitation(token_salt=salt, token_hash=token_hash)])


def _midnight(day: datetime.date) -> datetime.datetime:
    """A backup's date as a stored time: midnight UTC (the file keeps no times)."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def _build_response(entry: ResponsePart) -> Response:
    submitted = _midnight(entry.submitted_on) if entry.submitted_on else None
    return Response(
        resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
        status=entry.status, created_at=_midnight(entry.started_on),
        updated_at=submitted or _midnight(entry.started_on), submitted_at=submitted,
        answers=[Answer(question_id=a.question, value=str(a.value)) for a in entry.answers],
        importance_ratings=[ImportanceRating(bank_id=i.bank, theme_id=i.theme_id, value=i.value)
                            for i in entry.importance],
        comments=[Comment(question_id=c.question, text=c.text) for c in entry.comments])


# --------------------------------------------------------------------------- verifying


def _verify_results(round_: Round, document: ExportDocument) -> None:
    """Score the restored round; the file's engine parts must be the engine's own."""
    from quickscan.services.exports import results_parts
    from quickscan.services.results import score, score_municipal

    restored = results_parts(score(round_, min_group_size=document.round.min_group_size),
                             {d.name: (d.id, d.bank_ids) for d in document.departments},
                             score_municipal(round_))
    for key, parts in restored.items():
        expected = _dump(parts)
        found = _dump(getattr(document, key))
        difference = _first_difference(found, expected, key)
        if difference:
            raise ImportFileError(difference)


def _dump(parts: Any) -> Any:
    if isinstance(parts, list):
        return [part.model_dump(mode="json") for part in parts]
    return parts.model_dump(mode="json")


def _first_difference(found: Any, expected: Any, where: str) -> str | None:
    """Where the file's value differs from the restored round's (numbers to 1e-9)."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in list(expected) + [k for k in found if k not in expected]:
            if key not in found or key not in expected:
                return f"{where}.{key}: not in the restored round's results"
            difference = _first_difference(found[key], expected[key], f"{where}.{key}")
            if difference:
                return difference
        return None
    if isinstance(expected, list) and isinstance(found, list):
        if len(found) != len(expected):
            return (f"{where}: {len(found)} entries in the file, {len(expected)} in the "
                    "restored round")
        for index, (a, b) in enumerate(zip(found, expected, strict=True)):
            difference = _first_difference(a, b, f"{where}[{index}]")
            if difference:
                return difference
        return None
    same = (found == expected if not isinstance(found, float) or not isinstance(
        expected, (int, float)) else math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-9))
    if same:
        return None
    return f"{where}: the file says {found!r}, the restored round gives {expected!r}"
