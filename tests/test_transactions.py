"""One owner per transaction: services write through unit_of_work and raise domain exceptions.

The grep test proves that no module commits or rolls back outside ``services/uow.py`` (and the
database failure handler); the race test shows that two coordinators adding the same department
at the same moment get one department and a clean Dutch 409, never a 500.
"""

from __future__ import annotations

import ast
import inspect
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from quickscan import errors, links
from quickscan.extensions import db
from quickscan.models import Department, Invitation, Round
from quickscan.services import accounts, demo, responses, rounds
from quickscan.services.errors import DomainError
from tests.factories import csrf_token, log_in

pytestmark = pytest.mark.usefixtures("test_banks")

PACKAGE = Path(__file__).resolve().parent.parent / "quickscan"

#: Where a commit or rollback may be written: the unit of work, and the database failure
#: handler that rolls back the request whose connection failed.
ALLOWED = {"services/uow.py", "database.py"}

#: Modules of other work in progress that committed themselves when this test was written
#: (the importer is converted on another branch, the accounts service is being rewritten);
#: remove each from this set once its branch is merged, so the grep covers it again.
NOT_YET_CONVERTED: set[str] = set()

TRANSACTION_CALL = re.compile(r"\.(commit|rollback)\(")


def _transaction_calls() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TRANSACTION_CALL.search(line.split("#", 1)[0]):
                found.setdefault(relative, []).append(number)
    return found


def test_only_the_unit_of_work_commits_or_rolls_back():
    found = _transaction_calls()
    offenders = {name: lines for name, lines in found.items()
                 if name not in ALLOWED | NOT_YET_CONVERTED}
    assert not offenders, f"commit()/rollback() outside services/uow.py: {offenders}"
    assert "services/uow.py" in found  # the grep itself works
    # The rounds, responses and demo services and their views are covered, none is excused.
    for name in ("services/rounds.py", "services/responses.py", "services/demo.py",
                 "views/coordinator.py", "views/survey.py", "cli/rounds.py"):
        assert name not in found and name not in NOT_YET_CONVERTED, name


@pytest.mark.parametrize("module", [rounds, responses, demo])
def test_services_take_request_values_as_arguments(module):
    tree = ast.parse(inspect.getsource(module))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "flask" for alias in node.names}
    assert not imported & {"request", "current_app", "has_request_context", "g", "session"}


def test_domain_exceptions_carry_no_http_status():
    kinds = [value for module in (rounds, responses, demo)
             for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, DomainError)]
    assert len(kinds) > 10
    for kind in kinds:
        assert not hasattr(kind, "status") and not hasattr(kind, "code"), kind
        assert errors.status_for(kind("x")) in errors.ERROR_CODES, kind


def test_the_one_mapping_of_domain_exceptions_to_statuses():
    from quickscan.services.errors import (
        Conflict,
        Forbidden,
        Gone,
        InvalidInput,
        NeedsCorrection,
        NotFound,
    )

    assert [errors.status_for(kind("x")) for kind in (
        NotFound, InvalidInput, NeedsCorrection, Conflict, Forbidden, Gone)] == [
        404, 400, 422, 409, 403, 410]
    assert errors.status_for(rounds.RoundClosed("x")) == 409
    assert errors.status_for(responses.CommentTooLongError()) == 422


# --------------------------------------------------------------------------- the race


EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"


def _count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _race(app, monkeypatch, form_page: str,  # type: ignore[no-untyped-def]
          requests: list[tuple[str, dict[str, str]]]) -> list[tuple[int, str]]:
    """POST ``requests`` at the same moment, each from its own logged-in session.

    Both requests pass the department-name check before either writes: the moment of the race.
    """
    sessions = []
    for _ in requests:
        client = log_in(app.test_client(), EMAIL, PASSWORD)
        sessions.append((client, csrf_token(client, form_page)))
    both_checked = threading.Barrier(len(requests), timeout=30)
    check = rounds._check_department_name

    def check_then_wait(*args: object, **kwargs: object) -> str:
        name = check(*args, **kwargs)  # type: ignore[arg-type]
        both_checked.wait()
        return name

    monkeypatch.setattr(rounds, "_check_department_name", check_then_wait)
    answers: list[tuple[int, str]] = []

    def send(client: Any, token: str, path: str, data: dict[str, str]) -> None:
        response = client.post(path, data={"csrf_token": token, **data})
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=send, args=(*session, *request))
               for session, request in zip(sessions, requests, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(code for code, _body in answers) == [303, 409], [
        (code, re.findall(r'role="alert"[^>]*>\s*<p[^>]*>([^<]*)', body)) for code, body in answers]
    return answers


RACE_MESSAGE = "Er is zojuist al een afdeling met de naam Inkoop opgeslagen"


def test_two_simultaneous_adds_of_one_department_give_one_and_a_clean_409(
        app, monkeypatch):
    accounts.create_user(EMAIL, PASSWORD)
    round_ = rounds.create_round("Ronde", "Gemeente Test", banks={"wonen": None},
                                 departments=[("Zorg", [])], secret_key=links.secret_key())
    path = f"/rondes/{round_.id}"
    add = (f"{path}/afdelingen", {"name": "Inkoop", "bank": "wonen"})
    answers = _race(app, monkeypatch, path, [add, add])
    refused = next(body for code, body in answers if code == 409)
    assert RACE_MESSAGE in refused
    assert "Traceback" not in refused and "IntegrityError" not in refused
    assert 'value="Inkoop"' in refused  # what was typed is kept on the round page
    db.session.expire_all()
    inkoop = db.session.scalar(select(Department).where(Department.name == "Inkoop"))
    assert inkoop is not None and inkoop.bank_ids == ["bestuur", "wonen"]
    assert _count(Department, Department.round_id == round_.id) == 2
    assert _count(Invitation, Invitation.department_id == inkoop.id) == 1
    assert _count(Invitation) == _count(Department)  # the refused add left no invitation
    assert _count(Round) == 1


def test_two_simultaneous_renames_to_one_name_give_one_and_a_clean_409(app, monkeypatch):
    accounts.create_user(EMAIL, PASSWORD)
    round_ = rounds.create_round("Ronde", "Gemeente Test",
                                 departments=[("Zorg", []), ("Welzijn", [])],
                                 secret_key=links.secret_key())
    path = f"/rondes/{round_.id}"
    renames = [(f"{path}/afdelingen/{department.id}/hernoemen", {"name": "Inkoop"})
               for department in round_.departments]
    answers = _race(app, monkeypatch, path, renames)
    refused = next(body for code, body in answers if code == 409)
    assert RACE_MESSAGE in refused and "Traceback" not in refused
    db.session.expire_all()
    names = sorted(d.name for d in db.session.get(Round, round_.id).departments)
    assert names in (["Inkoop", "Welzijn"], ["Inkoop", "Zorg"])  # one rename, the other kept


def test_a_refused_write_leaves_nothing_half_done(app):
    round_ = rounds.create_round("Ronde", "Gemeente Test", departments=[("Zorg", [])],
                                 secret_key=links.secret_key())
    with pytest.raises(rounds.ForgedRoundInput):
        # The name is fine, the bank is forged: the department must not be half added.
        rounds.add_department(round_, "Nieuw", ["bestaat-niet"], secret_key=links.secret_key())
    db.session.expire_all()
    assert [d.name for d in db.session.get(Round, round_.id).departments] == ["Zorg"]
    assert _count(Invitation) == 1

