"""The README's command-line path, on the real question banks in ``questions/``.

``quickscan rounds create`` prints an id, ``quickscan rounds links`` prints links that open the
survey, and ``quickscan demo --if-empty`` loads a scoreable demo round once and leaves the data
alone the second time, as ``make run`` relies on.
"""

from __future__ import annotations

import re
import stat
from urllib.parse import urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.links import DEFAULT_BASE_URL
from quickscan.models import (
    KIND_DEPARTMENT,
    RESPONSE_SUBMITTED,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Response,
    Round,
    User,
)
from quickscan.services.demo import DEMO_EMAIL, DEMO_MUNICIPALITY
from quickscan.services.results import score
from tests.factories import post


@pytest.fixture
def cli(app):
    """Flask's CLI runner for the test app (the real questions folder)."""
    return app.test_cli_runner()


@pytest.fixture
def login_file(app, tmp_path):
    """Keep the demo login out of the real instance folder."""
    path = tmp_path / "demo-login.txt"
    app.config["DEMO_LOGIN_FILE"] = str(path)
    yield path
    app.config.pop("DEMO_LOGIN_FILE")


def snapshot() -> dict[str, object]:
    """Everything the demo writes, in a comparable form."""
    return {
        "rounds": db.session.execute(select(Round.id, Round.name, Round.status)
                                     .order_by(Round.id)).all(),
        "departments": db.session.execute(select(Department.id, Department.name)
                                          .order_by(Department.id)).all(),
        "responses": db.session.execute(select(Response.id, Response.status)
                                        .order_by(Response.id)).all(),
        "answers": db.session.execute(select(Answer.response_id, Answer.question_id,
                                             Answer.value).order_by(Answer.id)).all(),
        "comments": db.session.execute(select(Comment.response_id, Comment.text)
                                       .order_by(Comment.id)).all(),
        "ratings": db.session.execute(select(ImportanceRating.response_id,
                                             ImportanceRating.theme_id, ImportanceRating.value)
                                      .order_by(ImportanceRating.id)).all(),
        "users": db.session.execute(select(User.id, User.email, User.password_hash)
                                    .order_by(User.id)).all(),
    }


def test_rounds_create_and_links_open_the_survey(cli, client):
    result = cli.invoke(args=[
        "rounds", "create", "--name", "Quickscan 2026", "--municipality", "Gemeente Voorbeeld",
        "--department", "A=wonen", "--department", "B=werk,inkomen", "--department", "C=zorg"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\d+\n", result.output), result.output
    round_id = int(result.output)
    round_ = db.session.get(Round, round_id)
    assert round_.name == "Quickscan 2026" and round_.municipality == "Gemeente Voorbeeld"
    order = [rb.bank_id for rb in round_.banks]
    assert order[0] == "bestuur"
    assert set(order) == {"bestuur", "wonen", "werk", "inkomen", "zorg"}
    # A department answers the common bank and its own, in the round's bank order.
    assert {d.name: d.bank_ids for d in round_.departments} == {
        "A": ["bestuur", "wonen"], "B": sorted(["bestuur", "werk", "inkomen"], key=order.index),
        "C": ["bestuur", "zorg"]}

    links = cli.invoke(args=["rounds", "links", str(round_id)])
    assert links.exit_code == 0, links.output
    lines = links.output.rstrip("\n").split("\n")
    assert [line.split("\t")[0] for line in lines] == ["A", "B", "C"]
    urls = [line.split("\t")[1] for line in lines]
    assert all(line.count("\t") == 1 for line in lines)
    assert len(set(urls)) == 3
    for name, url in zip("ABC", urls, strict=True):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == DEFAULT_BASE_URL
        assert re.fullmatch(r"/s/[A-Za-z0-9_-]{22,}", parts.path), url
        page = client.get(parts.path)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert f"U vult deze vragenlijst in voor de afdeling {name}." in html
        assert "Start de vragenlijst" in html


def test_demo_if_empty_loads_a_scoreable_round_once(cli, client, login_file):
    first = cli.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    round_ = db.session.scalars(select(Round)).one()
    assert round_.municipality == DEMO_MUNICIPALITY
    assert f"Demoronde {round_.id} geladen" in first.output
    # The municipal group (it answers the municipal bank once) is not a department.
    departments = [d for d in round_.departments if d.kind == KIND_DEPARTMENT]
    assert len(departments) >= 3
    # Every department answers the common bank and at least one real domain bank.
    for department in departments:
        assert department.bank_ids[0] == "bestuur" and len(department.bank_ids) >= 2

    submitted = dict(db.session.execute(
        select(Response.department_id, func.count(Response.id))
        .where(Response.status == RESPONSE_SUBMITTED).group_by(Response.department_id)).all())
    assert all(submitted.get(d.id, 0) > 0 for d in round_.departments), submitted
    assert db.session.scalar(select(func.count(Comment.id))) > 0

    result = score(round_)
    assert [d.name for d in result.departments] == [d.name for d in departments]
    for department in result.departments:
        assert department.respondents_submitted > 0
        assert [bank.bank_id for bank in department.banks] == next(
            d.bank_ids for d in departments if d.name == department.name)
        for bank in department.banks:
            assert bank.score is not None, (department.name, bank.bank_id)
            assert 0 <= bank.score <= 100
    assert result.priorities  # a realistic round has gaps to work on

    # The printed login works (README step 1) and is kept for the owner only.
    password = re.search(r"wachtwoord:\s*(\S+)", first.output).group(1)
    assert DEMO_EMAIL in first.output
    assert password in login_file.read_text(encoding="utf-8")
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    login = post(client, "/login", {"email": DEMO_EMAIL, "password": password},
                 form_page="/login")
    assert login.status_code == 303
    assert client.get(f"/rondes/{round_.id}").status_code == 200

    # Every demo department's link opens its survey.
    links = cli.invoke(args=["rounds", "links", str(round_.id)])
    assert links.exit_code == 0
    lines = links.output.rstrip("\n").split("\n")
    assert len(lines) == len(round_.departments)
    for line in lines:
        name, url = line.split("\t")
        intro = client.get(urlsplit(url).path)
        assert intro.status_code == 200 and str(escape(name)) in intro.get_data(as_text=True)

    before = snapshot()
    again = cli.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "niet opnieuw geladen" in again.output and password in again.output
    db.session.expire_all()
    assert snapshot() == before
