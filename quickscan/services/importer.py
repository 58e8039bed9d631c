"""Import a round from its JSON export (schema ``quickscan-export/1``, see docs/export.md).

``quickscan export ROUND --format json`` followed by ``quickscan import FILE`` restores a round
on another database (for example SQLite to PostgreSQL and back): its name, municipality and
status, the pinned bank versions (content taken from the file when it carries the snapshot,
otherwise from the questions folder, checked against the exported sha256), the departments
and their banks, target overrides (derived from the exported targets), every submitted
response with its answers, importance ratings and comments, and the number of respondents
who started without submitting (as empty drafts, so the response figures stay the same).

On an empty database the ids of the round, its departments and its responses are kept, so the
export of the restored round is identical to the original; otherwise fresh ids are given.
Each department gets a new invitation link (links are derived from the secret key, which an
export never contains). Everything happens in one transaction: an invalid file writes nothing.
After the import the round is scored again and compared with the scores in the file.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from quickscan.bank import (
    Bank,
    BankError,
    bank_content,
    bank_from_snapshot,
    content_hash,
)
from quickscan.extensions import db
from quickscan.models import (
    ANSWER_VALUES,
    COMMENT_MAX_LENGTH,
    RESPONSE_DRAFT,
    RESPONSE_SUBMITTED,
    ROUND_CLOSED,
    ROUND_OPEN,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Invitation,
    Response,
    Round,
    RoundBank,
)
from quickscan.scoring import POINTS_PER_LEVEL
from quickscan.services import tokens
from quickscan.services.banks import catalog as bank_catalog

SCHEMA = "quickscan-export/1"
#: Tables whose integer ids may be kept, in insert order (PostgreSQL sequences are reset).
ID_TABLES = ("round", "round_bank", "department", "invitation", "response", "answer",
             "importance_rating", "comment")


class ImportFileError(ValueError):
    """The file is not a valid ``quickscan-export/1`` export, or does not fit this app."""


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


# --------------------------------------------------------------------------- reading


def read_export(path: Path) -> dict[str, Any]:
    """Read and parse an export file (raises :class:`ImportFileError`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{path} is not a JSON file: {exc}") from None
    if not isinstance(data, dict):
        raise ImportFileError("the export must be a JSON object")
    return data


def _require(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise ImportFileError(f"{where}: missing field '{key}'")
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,))):
        raise ImportFileError(f"{where}.{key}: unexpected value {value!r}")
    return value


def _text(mapping: Any, key: str, where: str, max_length: int = 200) -> str:
    value = _require(mapping, key, str, where).strip()
    if not value or len(value) > max_length:
        raise ImportFileError(f"{where}.{key}: empty or longer than {max_length} characters")
    return str(value)


def _datetime(value: Any, where: str) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImportFileError(f"{where}: expected an ISO 8601 date-time, got {value!r}")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ImportFileError(f"{where}: not an ISO 8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _date(value: Any, where: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ImportFileError(f"{where}: not an ISO 8601 date: {value!r}") from None


def _answer_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        raise ImportFileError(f"{where}: invalid answer {value!r}")
    if isinstance(value, int) and 0 <= value <= 4:
        return str(value)
    if isinstance(value, str) and value in ANSWER_VALUES:
        return value
    raise ImportFileError(f"{where}: invalid answer {value!r}")


def _resolve_bank(entry: Mapping[str, Any], where: str) -> tuple[Bank, dict[str, Any], str]:
    """The bank of an exported ``round.banks`` entry: (bank, content snapshot, sha256)."""
    bank_id = _text(entry, "id", where, 64)
    version = _text(entry, "version", where, 32)
    sha256 = _text(entry, "sha256", where, 64)
    content = entry.get("content")
    if content is None:
        catalog = bank_catalog()
        path = catalog.paths.get((bank_id, version))
        if path is None:
            raise ImportFileError(
                f"{where}: bank {bank_id} {version} is not in the questions folder and the "
                "export carries no snapshot of it")
        content = bank_content(path)
    if not isinstance(content, dict):
        raise ImportFileError(f"{where}.content: expected an object")
    if content_hash(content) != sha256:
        raise ImportFileError(
            f"{where}: the content of bank {bank_id} {version} does not match the exported "
            f"sha256 {sha256[:12]}… (the bank file changed under a published version?)")
    try:
        bank = bank_from_snapshot(content)
    except BankError as exc:
        raise ImportFileError(f"{where}: bank {bank_id} {version} is invalid: {exc}") from None
    if bank.id != bank_id or bank.version != version:
        raise ImportFileError(f"{where}: snapshot is {bank.id} {bank.version}, "
                              f"expected {bank_id} {version}")
    return bank, dict(content), sha256


def _theme_key(value: Any, department_banks: Sequence[Bank], where: str) -> tuple[str, str]:
    """Resolve an importance ``theme`` reference: "bank/theme", {bank, theme} or a theme id."""
    if isinstance(value, dict):
        bank_id, theme_id = value.get("bank"), value.get("theme") or value.get("id")
    elif isinstance(value, str) and "/" in value:
        bank_id, _, theme_id = value.partition("/")
    elif isinstance(value, str):
        owners = [b.id for b in department_banks if value in {t.id for t in b.themes}]
        if len(owners) != 1:
            raise ImportFileError(f"{where}: theme {value!r} is unknown or ambiguous")
        bank_id, theme_id = owners[0], value
    else:
        raise ImportFileError(f"{where}: invalid theme reference {value!r}")
    for bank in department_banks:
        if bank.id == bank_id and theme_id in {t.id for t in bank.themes}:
            return bank.id, str(theme_id)
    raise ImportFileError(f"{where}: theme {value!r} is not in this department's banks")


# --------------------------------------------------------------------------- importing


def _ids_free(data: Mapping[str, Any]) -> bool:
    """True when none of the round, department and response ids of the file exist here."""
    round_id = data["round"].get("id")
    if not isinstance(round_id, int) or db.session.get(Round, round_id) is not None:
        return False
    department_ids = [d.get("id") for d in data["departments"]]
    response_ids = [r.get("id") if isinstance(r, dict) else None
                    for r in list(data["responses"]) + list(data.get("draft_responses") or [])]
    for ids in (department_ids, response_ids):
        if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
            return False
        if len(set(ids)) != len(ids):
            return False
    if department_ids and db.session.scalar(
            select(func.count(Department.id)).where(Department.id.in_(department_ids))):
        return False
    return not (response_ids and db.session.scalar(
        select(func.count(Response.id)).where(Response.id.in_(response_ids))))


def _reset_sequences() -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the maximum."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ID_TABLES:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"))


def _target_overrides(data: Mapping[str, Any], banks: Mapping[str, Bank]) -> dict[str, int]:
    """Round target overrides, read back from the targets the export shows per theme."""
    overrides: dict[str, int] = {}
    explicit = data["round"].get("target_overrides")
    if isinstance(explicit, dict):
        return {str(k): int(v) for k, v in explicit.items()}
    for department in data["departments"]:
        for bank_entry in department.get("banks") or ():
            bank = banks.get(str(bank_entry.get("id")))
            if bank is None:
                continue
            for theme_entry in bank_entry.get("themes") or ():
                theme_id = theme_entry.get("id")
                target = theme_entry.get("target")
                if theme_id not in {t.id for t in bank.themes} or not isinstance(
                        target, (int, float)) or isinstance(target, bool):
                    continue
                # Exported targets are in points (POINTS_PER_LEVEL per level, see scoring).
                level = float(target) / POINTS_PER_LEVEL
                if level.is_integer() and 0 <= level <= 4 and int(level) != bank.theme(
                        theme_id).target:
                    overrides[f"{bank.id}/{theme_id}"] = int(level)
    return overrides


def import_round(data: Mapping[str, Any], secret_key: str, *,
                 keep_ids: bool | None = None, verify: bool = True) -> ImportResult:
    """Create the round described by an export in one transaction and return what was made.

    ``keep_ids`` None keeps the file's ids when they are all free; True insists (error when
    they are not); False always gives fresh ids. With ``verify`` the restored round is scored
    and compared with the exported scores; any difference rolls the import back.
    """
    try:
        return _import(data, secret_key, keep_ids, verify)
    except BaseException:
        db.session.rollback()
        raise


def _import(data: Mapping[str, Any], secret_key: str, keep_ids: bool | None,
            verify: bool) -> ImportResult:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise ImportFileError(f"not a {SCHEMA} export (schema: {found!r})")
    round_data = _require(data, "round", dict, "export")
    departments_data = _require(data, "departments", list, "export")
    responses_data = _require(data, "responses", list, "export")
    name = _text(round_data, "name", "round")
    municipality = _text(round_data, "municipality", "round")
    status = round_data.get("status", ROUND_OPEN)
    if status not in (ROUND_OPEN, ROUND_CLOSED):
        raise ImportFileError(f"round.status: unknown status {status!r}")
    bank_entries = _require(round_data, "banks", list, "round")
    if not bank_entries:
        raise ImportFileError("round.banks: a round needs at least one bank")

    free = _ids_free(data)
    if keep_ids and not free:
        raise ImportFileError("the ids in the file are already in use in this database")
    use_ids = free if keep_ids is None else bool(keep_ids)

    round_ = Round(name=name, municipality=municipality,
                   description=str(round_data.get("description") or ""),
                   deadline=_date(round_data.get("deadline"), "round.deadline"),
                   status=status, target_overrides={})
    if use_ids:
        round_.id = round_data["id"]
    created = _datetime(round_data.get("created_at"), "round.created_at")
    if created is not None:
        round_.created_at = created
    banks: dict[str, Bank] = {}
    for position, entry in enumerate(bank_entries):
        where = f"round.banks[{position}]"
        bank, content, sha256 = _resolve_bank(entry, where)
        if bank.id in banks:
            raise ImportFileError(f"{where}: bank {bank.id} appears twice")
        banks[bank.id] = bank
        round_.banks.append(RoundBank(bank_id=bank.id, version=bank.version, sha256=sha256,
                                      content=content, position=position))
    round_.target_overrides = _target_overrides(data, banks)

    by_key: dict[Any, Department] = {}
    department_banks: dict[int, list[Bank]] = {}
    drafts: dict[int, int] = {}
    seen_names: set[str] = set()
    for index, entry in enumerate(departments_data):
        where = f"departments[{index}]"
        dept_name = _text(entry, "name", where)
        if dept_name.casefold() in seen_names:
            raise ImportFileError(f"{where}: department {dept_name!r} appears twice")
        seen_names.add(dept_name.casefold())
        if isinstance(entry.get("bank_ids"), list):
            bank_ids = [str(b) for b in entry["bank_ids"]]
        else:
            bank_ids = [str(_require(b, "id", str, f"{where}.banks"))
                        for b in _require(entry, "banks", list, where)]
        unknown = [b for b in bank_ids if b not in banks]
        if unknown:
            raise ImportFileError(f"{where}: banks {unknown} are not pinned to the round")
        department = Department(name=dept_name, bank_ids=bank_ids)
        if use_ids:
            department.id = entry["id"]
        salt = tokens.new_salt()
        department.invitations = [Invitation(
            token_salt=salt, token_hash=tokens.hash_token(tokens.invitation_token(secret_key,
                                                                                  salt)))]
        round_.departments.append(department)
        by_key[dept_name] = department
        if isinstance(entry.get("id"), int):
            by_key[entry["id"]] = department
        department_banks[id(department)] = [banks[b] for b in bank_ids]
        started = entry.get("respondents_started", 0)
        submitted = entry.get("respondents_submitted", 0)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                   for n in (started, submitted)) or started < submitted:
            raise ImportFileError(f"{where}: invalid respondent counts")
        drafts[id(department)] = started - submitted

    drafts_data = data.get("draft_responses")
    if drafts_data is not None and not isinstance(drafts_data, list):
        raise ImportFileError("export.draft_responses: expected a list")
    counts: dict[int, list[int]] = {id(d): [0, 0] for d in round_.departments}
    new_responses: list[Response] = []
    answer_count = 0
    for list_name, entries, status in (("responses", responses_data, RESPONSE_SUBMITTED),
                                       ("draft_responses", drafts_data or [], RESPONSE_DRAFT)):
        for index, entry in enumerate(entries):
            response, department = _response(entry, f"{list_name}[{index}]", status, by_key,
                                             department_banks)
            if use_ids:
                response.id = entry["id"]
            department.responses.append(response)
            new_responses.append(response)
            answer_count += len(response.answers)
            counts[id(department)][0 if status == RESPONSE_SUBMITTED else 1] += 1

    for index, entry in enumerate(departments_data):
        department = by_key[entry["name"].strip()]
        submitted, found_drafts = counts[id(department)]
        if entry.get("respondents_submitted", 0) != submitted:
            raise ImportFileError(
                f"departments[{index}]: {entry.get('respondents_submitted')} submitted "
                f"respondents announced, {submitted} found under responses")
        if drafts_data is not None and drafts[id(department)] != found_drafts:
            raise ImportFileError(
                f"departments[{index}]: {drafts[id(department)]} unfinished respondents "
                f"announced, {found_drafts} found under draft_responses")

    draft_total = sum(found for _, found in counts.values())
    if drafts_data is None:
        # An export without its drafts: keep the response figures with empty drafts, whose
        # ids come after every kept one (never a collision).
        next_id = max([db.session.scalar(select(func.max(Response.id))) or 0]
                      + [r.id for r in new_responses if r.id is not None]) + 1
        for department in round_.departments:
            for _ in range(drafts[id(department)]):
                draft = Response(resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
                                 status=RESPONSE_DRAFT)
                if use_ids:
                    draft.id = next_id
                    next_id += 1
                department.responses.append(draft)
                draft_total += 1

    db.session.add(round_)
    db.session.flush()
    if use_ids:
        _reset_sequences()
    if verify:
        _verify_scores(round_, data)
    db.session.commit()
    links = {d.name: f"/s/{tokens.invitation_token(secret_key, d.invitations[0].token_salt)}"
             for d in round_.departments}
    return ImportResult(round=round_, kept_ids=use_ids, departments=len(round_.departments),
                        responses=len(new_responses) - draft_total if drafts_data is not None
                        else len(new_responses), drafts=draft_total, answers=answer_count,
                        links=links)


def _response(entry: Any, where: str, status: str, by_key: Mapping[Any, Department],
              department_banks: Mapping[int, list[Bank]]) -> tuple[Response, Department]:
    """Build one exported response (submitted or draft) with its answers, ratings, comments."""
    if not isinstance(entry, dict):
        raise ImportFileError(f"{where}: expected an object")
    department = by_key.get(entry.get("department_id")) if isinstance(
        entry.get("department_id"), int) else None
    if department is None or (isinstance(entry.get("department"), str)
                              and department.name != entry["department"].strip()):
        department = by_key.get(entry.get("department"))
    if department is None:
        raise ImportFileError(f"{where}: unknown department {entry.get('department')!r}")
    if entry.get("status", status) != status:
        raise ImportFileError(f"{where}: status {entry.get('status')!r} in the wrong list")
    own_banks = department_banks[id(department)]
    questions = {q.id for bank in own_banks for q in bank.questions}
    response = Response(resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
                        status=status)
    submitted_at = _datetime(entry.get("submitted_at"), f"{where}.submitted_at")
    if status == RESPONSE_SUBMITTED:
        response.submitted_at = submitted_at
    created_at = _datetime(entry.get("created_at"), f"{where}.created_at") or submitted_at
    updated_at = _datetime(entry.get("updated_at"), f"{where}.updated_at") or submitted_at
    if created_at is not None:
        response.created_at = created_at
    if updated_at is not None:
        response.updated_at = updated_at
    seen: set[str] = set()
    for a_index, answer in enumerate(_require(entry, "answers", list, where)):
        a_where = f"{where}.answers[{a_index}]"
        question = _require(answer, "question", str, a_where)
        if question not in questions or question in seen:
            raise ImportFileError(f"{a_where}: unknown or repeated question {question!r}")
        seen.add(question)
        response.answers.append(Answer(question_id=question, value=_answer_value(
            answer.get("value"), a_where)))
    seen_themes: set[tuple[str, str]] = set()
    for i_index, rating in enumerate(entry.get("importance") or ()):
        i_where = f"{where}.importance[{i_index}]"
        key = _theme_key(rating.get("theme") if isinstance(rating, dict) else None,
                         own_banks, i_where)
        value = rating.get("value")
        if key in seen_themes or isinstance(value, bool) or value not in range(1, 6):
            raise ImportFileError(f"{i_where}: invalid or repeated importance {value!r}")
        seen_themes.add(key)
        response.importance_ratings.append(
            ImportanceRating(bank_id=key[0], theme_id=key[1], value=value))
    seen_comments: set[str] = set()
    for c_index, comment in enumerate(entry.get("comments") or ()):
        c_where = f"{where}.comments[{c_index}]"
        question = _require(comment, "question", str, c_where)
        body = _require(comment, "text", str, c_where)
        if question not in questions or question in seen_comments:
            raise ImportFileError(f"{c_where}: unknown or repeated question {question!r}")
        if not body or len(body) > COMMENT_MAX_LENGTH:
            raise ImportFileError(f"{c_where}: empty or longer than "
                                  f"{COMMENT_MAX_LENGTH} characters")
        seen_comments.add(question)
        response.comments.append(Comment(question_id=question, text=body))
    return response, department


def _same_number(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _verify_scores(round_: Round, data: Mapping[str, Any]) -> None:
    """Score the restored round and compare every exported theme score, target and gap."""
    from quickscan.services.results import score

    result = score(round_)
    scored = {(d.name, t.bank_id, t.theme_id): t
              for d in result.departments for b in d.banks for t in b.themes}
    for department in data["departments"]:
        for bank_entry in department.get("banks") or ():
            for theme_entry in bank_entry.get("themes") or ():
                key = (department["name"].strip(), bank_entry.get("id"), theme_entry.get("id"))
                theme = scored.get(key)
                if theme is None:
                    raise ImportFileError(f"theme {'/'.join(map(str, key))} of the export is "
                                          "not in the restored round")
                for field_name in ("score", "target", "gap"):
                    if field_name in theme_entry and not _same_number(
                            theme_entry[field_name], getattr(theme, field_name)):
                        raise ImportFileError(
                            f"theme {'/'.join(map(str, key))}: exported {field_name} "
                            f"{theme_entry[field_name]!r} but the restored round gives "
                            f"{getattr(theme, field_name)!r}")
