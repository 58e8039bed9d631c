"""The demo round: fills an empty database with a realistic round for "Gemeente Voorbeeld".

Six departments answer the banks that exist in the catalog at run time, each the common bank
plus at most two domain banks, "kern" (only the core questions) where a bank has a core set, so
a department answers at most 24 questions; when the catalog holds a municipal bank, the round's
municipal group ("Gemeente (algemeen)") fills it in once. Respondents are
simulated with a seeded random generator (the same seed gives the same answers), each
department with its own maturity profile, so the results pages have something to show:
submitted answers, importance ratings, Dutch comments and a couple of unfinished drafts.
A demo coordinator (``demo@quickscan.local``) gets a freshly generated password, which is
kept in ``instance/demo-login.txt`` (mode 0600) so ``make run`` can show it again; the caller
says where (:func:`login_file_in`). The round, its responses and the demo user are written in
one unit of work.
"""

from __future__ import annotations

import datetime
import os
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from quickscan.bank import Bank
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_DRAFT,
    RESPONSE_SUBMITTED,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Response,
    Round,
    User,
)
from quickscan.services import accounts, rounds, tokens
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import round_bank_map
from quickscan.services.errors import Conflict, DomainError, InvalidInput
from quickscan.services.uow import unit_of_work

DEMO_EMAIL = "demo@quickscan.local"
DEMO_MUNICIPALITY = "Gemeente Voorbeeld"
DEFAULT_SEED = 2026
LOGIN_FILE_NAME = "demo-login.txt"


@dataclass(frozen=True)
class DemoDepartment:
    """A demo department: its own banks, its maturity profile and how many respond."""

    name: str
    bank_ids: tuple[str, ...]
    mean_level: float
    respondents: int
    drafts: int = 0


DEMO_DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment("Sociaal domein", ("zorg", "werk"), 2.4, 7, 1),
    DemoDepartment("Ruimte", ("wonen", "openbare_ruimte"), 1.5, 5, 1),
    DemoDepartment("Publiekszaken", ("dienstverlening", "informatie"), 2.1, 5),
    DemoDepartment("Onderwijs & jeugd", ("onderwijs", "jeugd"), 1.9, 4),
    DemoDepartment("Veiligheid", ("veiligheid",), 1.1, 3),
    DemoDepartment("Bedrijfsvoering", ("werkgever",), 2.0, 4),
)
#: The municipal group: one person (the coordinator) fills in the facts of the municipality.
DEMO_MUNICIPAL = DemoDepartment(rounds.MUNICIPAL_GROUP_NAME, (), 2.2, 1)

LOW_COMMENTS = (
    "Hier is nog geen beleid voor; het staat wel op de agenda voor volgend jaar.",
    "We weten eigenlijk niet goed wat inwoners met een beperking hier nodig hebben.",
    "Er is geen budget voor vrijgemaakt, dus het blijft bij losse initiatieven.",
    "Bij ons team is dit afhankelijk van één collega; als die weg is, stopt het.",
    "Dit is besproken met de adviesraad, maar er is nog niets mee gedaan.",
)
MID_COMMENTS = (
    "Er is een plan, maar de uitvoering verschilt per team.",
    "We doen dit bij nieuwe projecten, nog niet bij bestaand beleid.",
    "Een pilot met ervaringsdeskundigen loopt; evaluatie volgt in het najaar.",
    "De werkwijze staat op papier, maar wordt nog niet overal toegepast.",
)
HIGH_COMMENTS = (
    "Vast onderdeel van onze werkwijze; zie het uitvoeringsplan inclusie.",
    "We meten dit jaarlijks en bespreken de uitkomsten met de adviesraad sociaal domein.",
    "Ervaringsdeskundigen toetsen elk nieuw plan voordat het naar het college gaat.",
)


class DemoError(DomainError):
    """The demo round cannot be loaded (the database is not empty, or no banks exist)."""


class DatabaseNotEmpty(DemoError, Conflict):
    """Rounds exist already; the demo only loads into an empty database."""


class NoBanks(DemoError, InvalidInput):
    """The questions folder holds no valid bank to build the demo round from."""


@dataclass(frozen=True)
class DemoResult:
    """What :func:`load_demo` made: the round, and the demo coordinator's login."""

    round_id: int
    departments: int
    submitted: int
    drafts: int
    email: str
    password: str
    login_file: Path


def login_file_in(instance_path: str | Path, configured: str | Path | None = None) -> Path:
    """Where the demo login is kept: ``configured`` (``DEMO_LOGIN_FILE``), else the instance
    folder."""
    return Path(configured) if configured else Path(instance_path) / LOGIN_FILE_NAME


def database_is_empty() -> bool:
    """True when no round exists yet."""
    return db.session.scalar(select(func.count(Round.id))) == 0


def read_login_info(path: Path) -> str | None:
    """The stored demo login text in ``path``, or None when there is none."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def login_text(email: str, password: str) -> str:
    """The demo login as shown on the command line and stored in the login file."""
    return (f"Demo-coördinator\n"
            f"  e-mail:     {email}\n"
            f"  wachtwoord: {password}\n")


def _write_login_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _demo_user(password: str) -> User:
    with unit_of_work() as session:
        user: User | None = session.scalar(select(User).where(User.email == DEMO_EMAIL))
        if user is None:
            return accounts.create_user(DEMO_EMAIL, password)
        user.set_password(password)
    return user


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _simulate(rng: random.Random, department: Department, profile: DemoDepartment,
              banks: dict[str, Bank], now: datetime.datetime) -> tuple[int, int]:
    """Add the simulated responses of one department; returns (submitted, drafts)."""
    themes = [(bank, theme) for bank_id in department.bank_ids if bank_id in banks
              for bank in [banks[bank_id]] for theme in bank.themes]
    theme_mean = {(bank.id, theme.id): profile.mean_level + rng.gauss(0.0, 0.6)
                  for bank, theme in themes}
    total = profile.respondents + profile.drafts
    for index in range(total):
        submitted = index < profile.respondents
        bias = rng.gauss(0.0, 0.4)
        started = now - datetime.timedelta(days=rng.uniform(2, 20), minutes=rng.uniform(0, 600))
        response = Response(
            department=department,
            resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
            status=RESPONSE_SUBMITTED if submitted else RESPONSE_DRAFT,
            created_at=started,
            updated_at=started + datetime.timedelta(minutes=rng.uniform(10, 40)),
            submitted_at=(started + datetime.timedelta(minutes=rng.uniform(15, 45))
                          if submitted else None))
        db.session.add(response)
        share = 1.0 if submitted else rng.uniform(0.25, 0.55)
        for bank, theme in themes:
            if not submitted and rng.random() > share:
                continue
            mean = theme_mean[(bank.id, theme.id)] + bias
            for question in theme.questions:
                roll = rng.random()
                if roll < 0.06:
                    value = "dont_know"
                elif roll < 0.09:
                    value = "not_applicable"
                else:
                    level = _clamp(rng.gauss(mean, 0.7), 0, 4)
                    value = str(level)
                    if rng.random() < 0.05:
                        pool = (LOW_COMMENTS if level <= 1 else
                                MID_COMMENTS if level == 2 else HIGH_COMMENTS)
                        response.comments.append(
                            Comment(question_id=question.id, text=rng.choice(pool)))
                response.answers.append(Answer(question_id=question.id, value=value,
                                               updated_at=response.updated_at))
            importance = _clamp(3 + (theme.target - mean) * 0.8 + rng.gauss(0.0, 0.8), 1, 5)
            response.importance_ratings.append(
                ImportanceRating(bank_id=bank.id, theme_id=theme.id, value=importance))
    return profile.respondents, profile.drafts


def load_demo(seed: int = DEFAULT_SEED, *, secret_key: str | bytes, login_file: Path,
              today: datetime.date | None = None, history: bool = False) -> DemoResult:
    """Fill an empty database with the demo round and the demo coordinator.

    ``secret_key`` derives the invitation tokens; the login is written to ``login_file``.
    Raises :class:`DemoError` when a round already exists or the catalog has no banks.
    ``history`` also loads the same departments a year earlier (``services/demo_history.py``).
    """
    with unit_of_work():
        result = _load_demo(seed, secret_key, login_file, today or datetime.date.today())
        if history:  # the previous round of the series, on the first bank versions
            from quickscan.services.demo_history import add_history
            round_ = db.session.get(Round, result.round_id)
            assert round_ is not None  # _load_demo just added it
            add_history(round_, seed=seed,
                        secret_key=secret_key, today=today or datetime.date.today())
    _write_login_file(login_file, login_text(DEMO_EMAIL, result.password))
    return result


def _load_demo(seed: int, secret_key: str | bytes, login_file: Path,
               today: datetime.date) -> DemoResult:
    if not database_is_empty():
        raise DatabaseNotEmpty("De database bevat al rondes; de demo wordt alleen in een lege "
                        "database geladen.")
    catalog = bank_catalog()
    available = {bank.id for bank in catalog.latest_banks()}
    municipal = [bank.id for bank in catalog.latest_banks() if bank.municipal]
    common = catalog.common_bank()
    plan: list[tuple[DemoDepartment, list[str]]] = []
    for profile in DEMO_DEPARTMENTS:
        own = [bank_id for bank_id in profile.bank_ids if bank_id in available]
        if own or common is not None:
            plan.append((profile, own))
    if not plan:
        raise NoBanks("Er zijn geen geldige vragenlijsten in de map met vragen; de demo "
                        "kan niet worden geladen.")
    rng = random.Random(seed)
    round_ = rounds.create_round(
        name=f"Quickscan inclusief beleid {today.year}",
        municipality=DEMO_MUNICIPALITY,
        description=("Demoronde: zes afdelingen van Gemeente Voorbeeld brengen in kaart hoe "
                     "inclusief hun beleid is, als basis voor de Lokale Inclusie Agenda. "
                     "De antwoorden zijn gesimuleerd."),
        deadline=today + datetime.timedelta(days=28),
        banks=dict.fromkeys(municipal),
        departments=[(profile.name, own) for profile, own in plan], secret_key=secret_key)
    banks = round_bank_map(round_)
    by_name = {department.name: department for department in round_.departments}
    now = datetime.datetime.now(datetime.UTC)
    submitted = drafts = 0
    for profile, _own in plan:
        done, unfinished = _simulate(rng, by_name[profile.name], profile, banks, now)
        submitted += done
        drafts += unfinished
    for group in rounds.municipal_groups(round_):
        done, unfinished = _simulate(rng, group, DEMO_MUNICIPAL, banks, now)
        submitted += done
        drafts += unfinished
    password = secrets.token_urlsafe(12)
    _demo_user(password)
    db.session.flush()
    return DemoResult(round_id=round_.id, departments=len(plan), submitted=submitted,
                      drafts=drafts, email=DEMO_EMAIL, password=password,
                      login_file=login_file)
