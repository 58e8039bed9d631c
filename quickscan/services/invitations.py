"""Invitations and reminders by e-mail, response rates, and the retention of addresses.

Anonymity: an invitee is an e-mail address of a department (or group). With the department
link, every invitee gets the department's shared link. With a personal link, each e-mail
carries a fresh random token (256 bits, stored only as SHA-256); opening it starts a normal
anonymous response of the department. The response's resume token is ``<random>.<personal
token>``, and only its hash is stored: the database never links a response to an invitee.
When that response is submitted, the resume token presented by the respondent says which
invitee to mark ``submitted`` (a flag; no response id, no time). So the coordinator sees
"ingevuld: ja/nee" per invitee, never which response is whose.

Sending: a batch's messages are created ``queued``; the worker claims each one in its own
committed transaction (``queued -> sending``), sends it, and commits ``sent`` or ``failed``.
A message found in ``sending`` after a restart is never sent again: it is marked ``uncertain``
("onzeker" in the send log). Rules: at most :data:`MAX_REMINDERS` reminders per invitee, at
least :data:`MIN_DAYS_BETWEEN` days after the previous e-mail to that invitee.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from quickscan.extensions import db
from quickscan.models import (
    LINK_DEPARTMENT,
    LINK_PERSONAL,
    MAIL_INVITATION,
    MAIL_REMINDER,
    MAIL_SCHEDULED,
    MESSAGE_FAILED,
    MESSAGE_QUEUED,
    MESSAGE_SENDING,
    MESSAGE_SENT,
    MESSAGE_UNCERTAIN,
    RESPONSE_DRAFT,
    Department,
    Invitee,
    InviteeLink,
    MailBatch,
    MailMessage,
    MailSettings,
    Response,
    Round,
    utcnow,
)
from quickscan.services import mail as mail_service
from quickscan.services import tokens
from quickscan.services.errors import Conflict, InvalidInput, NotFound
from quickscan.services.uow import unit_of_work

MAX_REMINDERS = 3
MIN_DAYS_BETWEEN = 2
#: Most addresses per department (or group).
MAX_INVITEES = 1000
#: Most errors listed when a pasted list or CSV is refused.
MAX_LISTED_ERRORS = 20
SUBJECT_MAX = 200
BODY_MAX = 5000
LANGUAGES = ("nl", "en")
PLACEHOLDERS = ("{afdeling}", "{ronde}", "{gemeente}", "{deadline}")

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS_RE = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_WORDS = {"email", "e-mail", "e-mailadres", "emailadres", "mail", "adres", "address",
                "email address", "e-mail address"}


# --------------------------------------------------------------------------- addresses


def clean_address(value: str) -> str | None:
    """The address lower-cased and stripped, or None when it is not a valid address."""
    text = (value or "").strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text or len(text) > 254 or not ADDRESS_RE.match(text):
        return None
    local = text.split("@", 1)[0]
    if len(local) > 64:
        return None
    return text.lower()


@dataclass(frozen=True)
class ParsedAddresses:
    """A checked list of addresses: the new ones and how many duplicates were dropped."""

    addresses: list[str]
    duplicates: int


def parse_addresses(text: str) -> ParsedAddresses:
    """Read addresses pasted (one per line, or separated by , ; or tabs) or from a CSV file.

    The first cell of each row holds the address; a header row (``e-mail``) is skipped.
    Refuses (``InvalidInput``, with line numbers, nothing written) formulas, invalid addresses
    and more than :data:`MAX_INVITEES` distinct addresses; duplicates are dropped and counted.
    """
    if "\x00" in text:
        raise InvalidInput(_("Het bestand bevat ongeldige tekens (NUL). Sla het op als CSV "
                             "(UTF-8) en probeer het opnieuw."))
    errors: list[str] = []
    seen: dict[str, int] = {}
    duplicates = 0
    sample = text[:4096]
    delimiter = max((";", ",", "\t"), key=sample.count) if any(
        d in sample for d in ";,\t") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidInput(_("Het bestand is geen geldige CSV: %(error)s", error=str(exc))) from exc
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells:
            continue
        for cell in row:
            if cell.lstrip(" ").startswith(FORMULA_START) and cell.strip():
                errors.append(_("Regel %(line)d: ‘%(value)s’ begint met %(char)s en lijkt een "
                                "formule; formules worden niet geaccepteerd.", line=number,
                                value=cell.strip()[:60], char=repr(cell.lstrip(" ")[0])))
                break
        else:
            value = cells[0]
            if number == 1 and value.lower().strip('"') in HEADER_WORDS:
                continue
            address = clean_address(value)
            if address is None:
                errors.append(_("Regel %(line)d: ‘%(value)s’ is geen geldig e-mailadres.",
                                line=number, value=value[:60]))
            elif address in seen:
                duplicates += 1
            else:
                seen[address] = number
    if errors:
        shown = errors[:MAX_LISTED_ERRORS]
        if len(errors) > MAX_LISTED_ERRORS:
            shown.append(_("… en nog %(count)d fouten.", count=len(errors) - MAX_LISTED_ERRORS))
        raise InvalidInput("\n".join([_("Er is niets toegevoegd. Verbeter deze regels en "
                                        "probeer het opnieuw:")] + shown))
    if len(seen) > MAX_INVITEES:
        raise InvalidInput(_("Er is niets toegevoegd: de lijst bevat %(count)d adressen, "
                             "hoogstens %(max)d per afdeling of groep.", count=len(seen),
                             max=MAX_INVITEES))
    return ParsedAddresses(list(seen), duplicates)


def decode_upload(data: bytes) -> str:
    """An uploaded CSV as text (UTF-8 with or without BOM, else Windows-1252)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InvalidInput(_("Het bestand kan niet worden gelezen. Sla het op als CSV "
                                 "(UTF-8) en probeer het opnieuw.")) from exc


@dataclass(frozen=True)
class AddResult:
    """What adding a list did."""

    added: int
    duplicates: int
    already: int


def add_invitees(department: Department, text: str, link: str) -> AddResult:
    """Add the addresses in ``text`` to a department; nothing is written when any is refused."""
    if link not in (LINK_DEPARTMENT, LINK_PERSONAL):
        raise InvalidInput(_("Kies een soort link: de link van de afdeling of een "
                             "persoonlijke link."))
    if not department.round.is_open:
        raise Conflict(_("Deze ronde is gesloten: er kunnen geen adressen meer worden "
                         "toegevoegd."))
    parsed = parse_addresses(text)
    if not parsed.addresses:
        raise InvalidInput(_("Er staat geen e-mailadres in de lijst."))
    existing = set(db.session.scalars(select(Invitee.email).where(
        Invitee.department_id == department.id, Invitee.email.is_not(None))))
    new = [address for address in parsed.addresses if address not in existing]
    total = db.session.scalar(select(func.count(Invitee.id)).where(
        Invitee.department_id == department.id)) or 0
    if total + len(new) > MAX_INVITEES:
        raise InvalidInput(_("Er is niets toegevoegd: deze afdeling zou dan %(count)d adressen "
                             "hebben, hoogstens %(max)d.", count=total + len(new),
                             max=MAX_INVITEES))
    with unit_of_work() as session:
        for address in new:
            session.add(Invitee(department_id=department.id, email=address, link=link))
    return AddResult(len(new), parsed.duplicates, len(parsed.addresses) - len(new))


def remove_invitee(department: Department, invitee_id: int) -> None:
    """Remove an invitee (before or after inviting); their queued e-mails are not sent."""
    invitee = db.session.get(Invitee, invitee_id)
    if invitee is None or invitee.department_id != department.id:
        raise NotFound(_("Dit adres staat niet (meer) in de lijst."))
    with unit_of_work() as session:
        session.execute(update(MailMessage).where(
            MailMessage.invitee_id == invitee.id, MailMessage.status == MESSAGE_QUEUED)
            .values(status=MESSAGE_FAILED, finished_at=utcnow()))
        session.delete(invitee)


def invitees(department: Department) -> list[Invitee]:
    """A department's invitees, addresses in alphabetical order (deleted addresses last)."""
    return list(db.session.scalars(select(Invitee).where(Invitee.department_id == department.id)
                                   .order_by(Invitee.email.is_(None), Invitee.email)))


# --------------------------------------------------------------------------- texts


def default_texts(language: str) -> dict[str, str]:
    """The default subject and body of the invitation and the reminder, in ``language``."""
    with force_locale(language):
        return {
            "invitation_subject": _("Uitnodiging: de Quickscan Inclusieve Gemeente voor "
                                    "{afdeling}"),
            "invitation_body": _(
                "Beste collega,\n\n{gemeente} onderzoekt hoe inclusief het beleid is: houdt "
                "het rekening met inwoners met een beperking? Wilt u de vragenlijst voor "
                "{afdeling} invullen? Het kost ongeveer een kwartier.\n\nVul de vragenlijst in "
                "vóór {deadline}.\n\nMet vriendelijke groet,\nDe coördinator van {ronde}"),
            "reminder_subject": _("Herinnering: de Quickscan Inclusieve Gemeente voor "
                                  "{afdeling}"),
            "reminder_body": _(
                "Beste collega,\n\nOnlangs kreeg u een uitnodiging voor de Quickscan "
                "Inclusieve Gemeente van {gemeente}. Hebt u de vragenlijst voor {afdeling} al "
                "ingevuld? Dan kunt u deze herinnering negeren.\n\nVul de vragenlijst in vóór "
                "{deadline}.\n\nMet vriendelijke groet,\nDe coördinator van {ronde}"),
        }


def settings_for(round_: Round) -> MailSettings:
    """The round's mail settings (defaults when never saved; not added to the session)."""
    settings = db.session.scalar(select(MailSettings).where(MailSettings.round_id == round_.id))
    if settings is None:
        settings = MailSettings(round_id=round_.id, language="nl", reminder_days_before=None,
                                **default_texts("nl"))
    return settings


def _clean_text(value: object, label: str, max_length: int, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("Ongeldige waarde voor %(label)s.", label=label))
    text = value.replace("\r\n", "\n").strip() if multiline else " ".join(value.split())
    if not text:
        raise InvalidInput(_("Vul %(label)s in.", label=label))
    if len(text) > max_length:
        raise InvalidInput(_("De tekst bij %(label)s is te lang: hoogstens %(max)d tekens.",
                             label=label, max=max_length))
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidInput(_("De tekst bij %(label)s bevat ongeldige tekens.", label=label))
    return text


def check_texts(language: str, texts: dict[str, object], days_before: object) -> dict[str, object]:
    """Validate edited texts, the language and the reminder schedule; returns clean values."""
    if language not in LANGUAGES:
        raise InvalidInput(_("Kies Nederlands of Engels als taal van de e-mails."))
    clean: dict[str, object] = {"language": language}
    labels = {"invitation_subject": _("het onderwerp van de uitnodiging"),
              "invitation_body": _("de tekst van de uitnodiging"),
              "reminder_subject": _("het onderwerp van de herinnering"),
              "reminder_body": _("de tekst van de herinnering")}
    for key, label in labels.items():
        subject = key.endswith("subject")
        clean[key] = _clean_text(texts.get(key, ""), label,
                                 SUBJECT_MAX if subject else BODY_MAX, multiline=not subject)
    if days_before in (None, ""):
        clean["reminder_days_before"] = None
    else:
        text = str(days_before).strip()
        if not text.isdigit() or not 1 <= int(text) <= 60:
            raise InvalidInput(_("Vul bij ‘herinnering … dagen voor de deadline’ een getal van "
                                 "1 tot en met 60 in, of laat het leeg."))
        clean["reminder_days_before"] = int(text)
    return clean


def save_settings(round_: Round, language: str, texts: dict[str, object],
                  days_before: object) -> MailSettings:
    """Save the round's texts, language and reminder schedule."""
    clean = check_texts(language, texts, days_before)
    with unit_of_work() as session:
        settings = settings_for(round_)
        for key, value in clean.items():
            setattr(settings, key, value)
        if settings.id is None:
            session.add(settings)
    return settings


def reset_texts(round_: Round, language: str) -> MailSettings:
    """Replace the texts by the defaults of ``language``."""
    if language not in LANGUAGES:
        raise InvalidInput(_("Kies Nederlands of Engels als taal van de e-mails."))
    with unit_of_work() as session:
        settings = settings_for(round_)
        settings.language = language
        for key, value in default_texts(language).items():
            setattr(settings, key, value)
        if settings.id is None:
            session.add(settings)
    return settings


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, values[placeholder[1:-1]])
    return text


def render_message(settings: MailSettings | Any, round_: Round, department: Department, kind: str,
                   link: str, personal: bool, to: str) -> mail_service.Message:
    """The e-mail for one invitee: plain text and accessible HTML in the chosen language."""
    language = settings.language if settings.language in LANGUAGES else "nl"
    with force_locale(language):
        values = {"afdeling": department.name, "ronde": round_.name,
                  "gemeente": round_.municipality,
                  "deadline": (str(format_date(round_.deadline, "long")) if round_.deadline
                               else _("het einde van de ronde"))}
        reminder = kind != MAIL_INVITATION
        subject = _fill(settings.reminder_subject if reminder else settings.invitation_subject,
                        values)
        body = _fill(settings.reminder_body if reminder else settings.invitation_body, values)
        context = {"lang": language, "subject": subject,
                   "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()],
                   "body": body, "link": link, "personal": personal,
                   "department": department.name, "round": round_}
        text = render_template("mail/invitation.txt", **context)
        html = render_template("mail/invitation.html", **context)
    return mail_service.Message(to=to, subject=subject, text=text, html=html, language=language)


def preview(round_: Round, settings: MailSettings | Any, kind: str, personal: bool
            ) -> mail_service.Message:
    """An example e-mail (with a dummy link) for the preview on the invitations page."""
    department = round_.departments[0] if round_.departments else Department(name=_("Afdeling"))
    from quickscan import links

    example = _("voorbeeldlink")
    link = f"{links.base_url()}/{'p' if personal else 's'}/{example}"
    return render_message(settings, round_, department, kind, link, personal,
                          "voorbeeld@gemeente.example")


# --------------------------------------------------------------------------- queueing


def _busy_invitees(round_: Round) -> set[int]:
    return set(db.session.scalars(
        select(MailMessage.invitee_id).join(MailBatch)
        .where(MailBatch.round_id == round_.id,
               MailMessage.status.in_((MESSAGE_QUEUED, MESSAGE_SENDING)),
               MailMessage.invitee_id.is_not(None))))


def _round_invitees(round_: Round, department_id: int | None) -> list[Invitee]:
    query = (select(Invitee).join(Department).where(Department.round_id == round_.id,
                                                    Invitee.email.is_not(None))
             .order_by(Invitee.id))
    if department_id is not None:
        query = query.where(Invitee.department_id == department_id)
    return list(db.session.scalars(query))


def _new_batch(round_: Round, kind: str, chosen: Iterable[Invitee]) -> MailBatch:
    with unit_of_work() as session:
        batch = MailBatch(round_id=round_.id, kind=kind, error="")
        session.add(batch)
        session.flush()
        for invitee in chosen:
            session.add(MailMessage(batch_id=batch.id, invitee_id=invitee.id,
                                    status=MESSAGE_QUEUED))
    return batch


def queue_invitations(round_: Round, department_id: int | None = None) -> MailBatch:
    """Queue an invitation for every address not invited yet (nothing is sent twice)."""
    mail_service.check_configured()
    if not round_.is_open:
        raise Conflict(_("Deze ronde is gesloten: er worden geen uitnodigingen verstuurd."))
    busy = _busy_invitees(round_)
    chosen = [i for i in _round_invitees(round_, department_id)
              if i.invited_at is None and i.id not in busy]
    if not chosen:
        raise Conflict(_("Er zijn geen nieuwe adressen om uit te nodigen: iedereen in de lijst "
                         "heeft de uitnodiging al gekregen of krijgt hem nu."))
    return _new_batch(round_, MAIL_INVITATION, chosen)


def _day(moment: datetime.datetime) -> str:
    return str(format_date(moment.date(), "long"))


def reminder_candidates(round_: Round, department_id: int | None = None,
                        now: datetime.datetime | None = None) -> tuple[list[Invitee], str]:
    """Who may get a reminder now, and (when nobody) why not, in Dutch."""
    now = now or utcnow()
    busy = _busy_invitees(round_)
    invited = [i for i in _round_invitees(round_, department_id)
               if i.invited_at is not None and i.id not in busy]
    open_ = [i for i in invited if i.link == LINK_DEPARTMENT or not i.submitted]
    below_cap = [i for i in open_ if i.reminders_sent < MAX_REMINDERS]
    gap = datetime.timedelta(days=MIN_DAYS_BETWEEN)
    ready = [i for i in below_cap
             if i.last_mailed_at is None or _aware(i.last_mailed_at) + gap <= now]
    if ready:
        return ready, ""
    if not invited:
        return [], _("Er is niemand om te herinneren: stuur eerst de uitnodigingen.")
    if not open_:
        return [], _("Er is niemand om te herinneren: iedereen met een persoonlijke link heeft "
                     "de vragenlijst al ingevuld.")
    if not below_cap:
        return [], _("Er is niemand meer om te herinneren: iedereen heeft al %(max)d "
                     "herinneringen gekregen.", max=MAX_REMINDERS)
    earliest = min(_aware(i.last_mailed_at) for i in below_cap if i.last_mailed_at) + gap
    return [], _("Een herinnering kan pas %(days)d dagen na de vorige e-mail: de eerstvolgende "
                 "kan vanaf %(date)s.", days=MIN_DAYS_BETWEEN, date=_day(earliest))


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def reminder_check(round_: Round, department_id: int | None = None) -> None:
    """Raise the reason (Dutch) when no reminder may be sent now; writes nothing."""
    mail_service.check_configured()
    if not round_.is_open:
        raise Conflict(_("Deze ronde is gesloten: er worden geen herinneringen verstuurd."))
    chosen, reason = reminder_candidates(round_, department_id)
    if not chosen:
        raise Conflict(reason)


def queue_reminders(round_: Round, department_id: int | None = None, *,
                    scheduled: bool = False, now: datetime.datetime | None = None) -> MailBatch:
    """Queue reminders for those who may get one (see :func:`reminder_candidates`)."""
    mail_service.check_configured()
    if not round_.is_open:
        raise Conflict(_("Deze ronde is gesloten: er worden geen herinneringen verstuurd."))
    chosen, reason = reminder_candidates(round_, department_id, now)
    if not chosen:
        raise Conflict(reason)
    return _new_batch(round_, MAIL_SCHEDULED if scheduled else MAIL_REMINDER, chosen)


def retry_batch(batch: MailBatch) -> int:
    """Queue the batch's failed messages again (never the uncertain ones); returns how many."""
    mail_service.check_configured()
    with unit_of_work() as session:
        result = session.execute(update(MailMessage).where(
            MailMessage.batch_id == batch.id, MailMessage.status == MESSAGE_FAILED,
            MailMessage.invitee_id.is_not(None))
            .values(status=MESSAGE_QUEUED, claimed_at=None, finished_at=None))
        batch.finished_at = None
        batch.error = ""
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- sending


def recover_stale(older_than: float | None = None) -> int:
    """Mark messages left in ``sending`` (a worker died mid-send) as ``uncertain``.

    They are never sent again: the server may have accepted them. Returns how many.
    """
    seconds = (current_app.config.get("MAIL_SENDING_STALE_SECONDS", 300)
               if older_than is None else older_than)
    limit = utcnow() - datetime.timedelta(seconds=float(seconds))
    stale = list(db.session.scalars(select(MailMessage).where(
        MailMessage.status == MESSAGE_SENDING, MailMessage.claimed_at <= limit)))
    with unit_of_work():
        for message in stale:
            message.status = MESSAGE_UNCERTAIN
            message.finished_at = utcnow()
            _count_as_mailed(message, message.claimed_at or utcnow())
    if stale:
        current_app.logger.warning("mail: %d message(s) left in 'sending' marked uncertain",
                                   len(stale))
    return len(stale)


def _count_as_mailed(message: MailMessage, when: datetime.datetime) -> None:
    invitee = db.session.get(Invitee, message.invitee_id) if message.invitee_id else None
    if invitee is None:
        return
    batch = db.session.get(MailBatch, message.batch_id)
    if batch is not None and batch.kind == MAIL_INVITATION:
        invitee.invited_at = invitee.invited_at or when
    else:
        invitee.reminders_sent += 1
    invitee.last_mailed_at = when


def _claim(message_id: int) -> bool:
    """Claim a queued message in its own committed transaction; False when taken."""
    with unit_of_work() as session:
        result = session.execute(update(MailMessage).where(
            MailMessage.id == message_id, MailMessage.status == MESSAGE_QUEUED)
            .values(status=MESSAGE_SENDING, claimed_at=utcnow()))
    return getattr(result, "rowcount", 0) == 1


def _finish(message_id: int, status: str, error: str = "") -> None:
    with unit_of_work() as session:
        message = session.get(MailMessage, message_id)
        if message is None:
            return
        message.status = status
        message.finished_at = utcnow()
        if status == MESSAGE_SENT:
            _count_as_mailed(message, message.finished_at)
        if error:
            message.batch.error = error


def _link_for(invitee: Invitee) -> tuple[str, bool]:
    """The link to put in an e-mail; a personal link gets a fresh token (its hash stored)."""
    # Mail is sent by the task queue inside the app context: the configured links apply.
    from quickscan import links

    if invitee.link == LINK_PERSONAL:
        token = tokens.new_resume_token()
        with unit_of_work() as session:
            session.add(InviteeLink(invitee_id=invitee.id, token_hash=tokens.hash_token(token)))
        return f"{links.base_url()}/p/{token}", True
    return links.invitation_url(invitee.department) or "", False


@dataclass(frozen=True)
class BatchOutcome:
    """What one run of :func:`send_batch` did."""

    sent: int
    failed: int
    uncertain: int
    left: int
    error: str


def send_batch(batch_id: int) -> BatchOutcome:
    """Send a batch's queued messages, each claimed in its own transaction.

    Safe to run twice at once or again after a crash: a claimed message is never sent twice.
    When the server cannot be reached, the rest stays queued and the batch records why.
    """
    recover_stale()
    sent = failed = uncertain = 0
    error = ""
    batch = db.session.get(MailBatch, batch_id)
    if batch is None:
        return BatchOutcome(0, 0, 0, 0, "")
    round_ = db.session.get(Round, batch.round_id)
    ids = list(db.session.scalars(select(MailMessage.id).where(
        MailMessage.batch_id == batch_id, MailMessage.status == MESSAGE_QUEUED)
        .order_by(MailMessage.id)))
    connection: mail_service.Connection | None = None
    try:
        if ids:
            connection = mail_service.Connection()
            connection.open()
        settings = settings_for(round_) if round_ is not None else None
        for message_id in ids:
            if not _claim(message_id):
                continue
            message = db.session.get(MailMessage, message_id)
            assert message is not None  # claimed just above, so it exists
            invitee = db.session.get(Invitee, message.invitee_id) if message.invitee_id else None
            if (invitee is None or invitee.email is None or round_ is None
                    or settings is None or not round_.is_open):
                _finish(message_id, MESSAGE_FAILED)
                failed += 1
                continue
            try:
                link, personal = _link_for(invitee)
                email = render_message(settings, round_, invitee.department, batch.kind, link,
                                       personal, invitee.email)
            except Exception as exc:  # noqa: BLE001 - e.g. the department link was revoked
                text = getattr(exc, "message", "") or _("Het bericht kon niet worden gemaakt.")
                _finish(message_id, MESSAGE_FAILED, str(text))
                failed += 1
                continue
            try:
                connection.send(email)  # type: ignore[union-attr]
            except (OSError, smtplib.SMTPException) as exc:
                error = mail_service.failure_text(exc)
                current_app.logger.warning("mail: message %d of batch %d failed: %s",
                                           message_id, batch_id, type(exc).__name__)
                if mail_service.is_definite_failure(exc):
                    _finish(message_id, MESSAGE_FAILED, error)
                    failed += 1
                else:
                    _finish(message_id, MESSAGE_UNCERTAIN, error)
                    uncertain += 1
                connection.close()  # type: ignore[union-attr]
                if not isinstance(exc, smtplib.SMTPRecipientsRefused):
                    break  # the server is down or misbehaving: keep the rest queued
                continue
            _finish(message_id, MESSAGE_SENT)
            sent += 1
    except (OSError, smtplib.SMTPException, mail_service.MailOff) as exc:
        error = (exc.message if isinstance(exc, mail_service.MailOff)
                 else mail_service.failure_text(exc))
        current_app.logger.warning("mail: batch %d: not sent: %s", batch_id,
                                   type(exc).__name__)
        with unit_of_work():
            batch.error = error
    finally:
        if connection is not None:
            connection.close()
    left = db.session.scalar(select(func.count(MailMessage.id)).where(
        MailMessage.batch_id == batch_id,
        MailMessage.status.in_((MESSAGE_QUEUED, MESSAGE_SENDING)))) or 0
    with unit_of_work():
        if not left:
            batch.finished_at = utcnow()
            if not error and not failed and not uncertain:
                batch.error = ""
    current_app.logger.info("mail: batch %d: %d sent, %d failed, %d uncertain, %d left",
                            batch_id, sent, failed, uncertain, left)
    return BatchOutcome(sent, failed, uncertain, left, error)


def pending_batches() -> list[int]:
    """Batches that still have queued messages (after a restart, or an unreachable server)."""
    return list(db.session.scalars(select(MailBatch.id).where(MailBatch.id.in_(
        select(MailMessage.batch_id).where(MailMessage.status == MESSAGE_QUEUED)))
        .order_by(MailBatch.id)))


# --------------------------------------------------------------------------- send log


@dataclass(frozen=True)
class LogLine:
    """One line of a round's send log."""

    batch_id: int
    created_at: datetime.datetime
    kind: str
    total: int
    counts: dict[str, int]
    finished: bool
    error: str

    @property
    def status(self) -> str:
        """The batch's state in Dutch."""
        if self.counts.get(MESSAGE_QUEUED) or self.counts.get(MESSAGE_SENDING):
            return _("bezig") if not self.error else _("wacht op de mailserver")
        if self.counts.get(MESSAGE_UNCERTAIN):
            return _("klaar, deels onzeker")
        if self.counts.get(MESSAGE_FAILED):
            return _("klaar, met fouten")
        return _("verstuurd")


def send_log(round_: Round) -> list[LogLine]:
    """The round's batches, newest first, with the count of messages per state."""
    counts: dict[int, dict[str, int]] = {}
    for batch_id, status, count in db.session.execute(
            select(MailMessage.batch_id, MailMessage.status, func.count(MailMessage.id))
            .join(MailBatch).where(MailBatch.round_id == round_.id)
            .group_by(MailMessage.batch_id, MailMessage.status)):
        counts.setdefault(batch_id, {})[status] = count
    lines = []
    for batch in db.session.scalars(select(MailBatch).where(MailBatch.round_id == round_.id)
                                    .order_by(MailBatch.id.desc())):
        own = counts.get(batch.id, {})
        lines.append(LogLine(batch.id, batch.created_at, batch.kind, sum(own.values()), own,
                             batch.finished_at is not None, batch.error or ""))
    return lines


def kind_label(kind: str) -> str:
    """A batch kind in Dutch."""
    return {MAIL_INVITATION: _("uitnodiging"), MAIL_REMINDER: _("herinnering"),
            MAIL_SCHEDULED: _("geplande herinnering")}.get(kind, kind)


# --------------------------------------------------------------------------- personal links


def find_personal_link(token: str) -> InviteeLink | None:
    """The personal link behind a token (constant-time compare), or None."""
    if not token or len(token) > 200 or "." in token:
        return None
    link: InviteeLink | None = db.session.scalar(
        select(InviteeLink).where(InviteeLink.token_hash == tokens.hash_token(token)))
    if link is None or not tokens.same_hash(link.token_hash, token):
        return None
    return link


def start_personal_response(token: str) -> tuple[Response, str]:
    """Start an anonymous response of the invitee's department; returns it and its resume token.

    The resume token is ``<random>.<personal token>``; only its hash is stored, so nothing in
    the database says which invitee started which response.
    """
    from quickscan.services.responses import NotFoundError, RoundClosedError

    link = find_personal_link(token)
    if link is None:
        raise NotFoundError()
    department = link.invitee.department
    if not department.round.is_open:
        raise RoundClosedError()
    resume_token = f"{tokens.new_resume_token()}.{token}"
    with unit_of_work() as session:
        response = Response(department_id=department.id,
                            resume_token_hash=tokens.hash_token(resume_token),
                            status=RESPONSE_DRAFT)
        session.add(response)
    return response, resume_token


def note_submission(resume_token: str) -> bool:
    """Mark the invitee behind a submitted personal response as ``submitted`` (a flag only)."""
    _random, dot, personal = resume_token.partition(".")
    if not dot:
        return False
    link = find_personal_link(personal)
    if link is None:
        return False
    with unit_of_work():
        link.invitee.submitted = True
    return True


# --------------------------------------------------------------------------- retention


def forget_addresses(round_: Round) -> int:
    """Delete every e-mail address of a round (when it closes); counts stay. Returns how many."""
    now = utcnow()
    with unit_of_work() as session:
        result = session.execute(update(Invitee).where(
            Invitee.department_id.in_(select(Department.id).where(
                Department.round_id == round_.id)),
            Invitee.email.is_not(None)).values(email=None, address_deleted_at=now))
        session.execute(update(MailMessage).where(
            MailMessage.status == MESSAGE_QUEUED,
            MailMessage.batch_id.in_(select(MailBatch.id).where(
                MailBatch.round_id == round_.id))).values(status=MESSAGE_FAILED,
                                                          finished_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete addresses older than ``INVITEE_RETENTION_DAYS`` (when set). Returns how many."""
    days = current_app.config.get("INVITEE_RETENTION_DAYS")
    if days in (None, "", 0):
        return 0
    now = now or utcnow()
    limit = now - datetime.timedelta(days=int(days))
    with unit_of_work() as session:
        result = session.execute(update(Invitee).where(
            Invitee.email.is_not(None), Invitee.created_at <= limit)
            .values(email=None, address_deleted_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- schedule


def scheduled_reminders(today: datetime.date | None = None) -> list[int]:
    """Queue the scheduled reminder of every open round whose day has come; returns batches."""
    if not mail_service.is_configured():
        return []
    today = today or utcnow().date()
    batches = []
    for settings in db.session.scalars(select(MailSettings).where(
            MailSettings.reminder_days_before.is_not(None),
            MailSettings.scheduled_reminder_on.is_(None))):
        round_ = db.session.get(Round, settings.round_id)
        if round_ is None or not round_.is_open or round_.deadline is None:
            continue
        due = round_.deadline - datetime.timedelta(days=int(settings.reminder_days_before or 0))
        if not due <= today <= round_.deadline:
            continue
        try:
            batch = queue_reminders(round_, scheduled=True)
        except Conflict as exc:
            current_app.logger.info("mail: scheduled reminder of round %d skipped: %s",
                                    round_.id, exc.message)
            batch = None
        with unit_of_work():
            settings.scheduled_reminder_on = today
        if batch is not None:
            batches.append(batch.id)
    return batches


# --------------------------------------------------------------------------- response rates


@dataclass(frozen=True)
class Rate:
    """Response rate of one department or group."""

    department_id: int
    name: str
    invited: int
    started: int
    submitted: int
    days_left: int | None

    @property
    def rate(self) -> float | None:
        """Submitted over invited (None without invitees)."""
        return self.submitted / self.invited if self.invited else None


def response_rates(round_: Round, today: datetime.date | None = None) -> list[Rate]:
    """Per department: invited, started, submitted, the rate and the days left."""
    from quickscan.services.rounds import progress

    today = today or utcnow().date()
    invited = dict(db.session.execute(
        select(Invitee.department_id, func.count(Invitee.id)).join(Department)
        .where(Department.round_id == round_.id).group_by(Invitee.department_id)).all())
    days_left = (max(0, (round_.deadline - today).days) if round_.deadline
                 and round_.is_open else None)
    if round_.deadline and not round_.is_open:
        days_left = 0
    return [Rate(row.department_id, row.name, int(invited.get(row.department_id, 0)),
                 row.started, row.submitted, days_left)
            for row in progress(round_).departments]
