"""``quickscan rounds`` and ``quickscan demo`` through Flask's CLI runner."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import func, select

from quickscan import links
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
)
from quickscan.services import accounts, rounds
from quickscan.services.demo import DEMO_EMAIL
from quickscan.services.results import score

pytestmark = pytest.mark.usefixtures("test_banks")


def _count(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def login_file(app, tmp_path):
    path = tmp_path / "instance" / "demo-login.txt"
    app.config["DEMO_LOGIN_FILE"] = str(path)
    yield path
    app.config.pop("DEMO_LOGIN_FILE")


def test_rounds_create_prints_the_id(cli):
    result = cli.invoke(args=[
        "rounds", "create", "--name", "Ronde 2026", "--municipality", "Gemeente Test",
        "--department", "Sociaal domein=werk", "--department", "Ruimte=wonen,werk",
        "--department", "Publiekszaken=", "--bank", "wonen@1.0.0",
        "--description", "Voor de LIA", "--deadline", "2026-05-01"])
    assert result.exit_code == 0, result.output
    round_ = db.session.get(Round, int(result.output.strip()))
    assert round_.name == "Ronde 2026" and str(round_.deadline) == "2026-05-01"
    assert {rb.bank_id: rb.version for rb in round_.banks} == {
        "bestuur": "1.0.0", "werk": "1.0.0", "wonen": "1.0.0"}
    assert {d.name: d.bank_ids for d in round_.departments} == {
        "Sociaal domein": ["bestuur", "werk"], "Ruimte": ["bestuur", "werk", "wonen"],
        "Publiekszaken": ["bestuur"]}


@pytest.mark.parametrize("args, message", [
    (["--department", "Sociaal=kapot"], "kapot"),
    (["--department", "Sociaal=werk", "--bank", "wonen@9.9.9"], "9.9.9"),
    (["--department", "zonder-is-teken"], "Naam=bank1,bank2"),
    (["--department", "A=werk", "--department", "a=wonen"], "Er is al een afdeling"),
])
def test_rounds_create_refuses_bad_input(cli, args, message):
    result = cli.invoke(args=["rounds", "create", "--name", "R", "--municipality", "G", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert _count(Round) == 0


def test_rounds_links_prints_name_tab_url(cli):
    round_ = rounds.create_round("R", "G", departments=[("Sociaal domein", ["werk"]),
                                                        ("Ruimte", [])],
                                                        secret_key=links.secret_key())
    result = cli.invoke(args=["rounds", "links", str(round_.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    expected = {d.name: links.invitation_url(d) for d in round_.departments}
    assert dict(line.split("\t") for line in lines) == expected
    assert all(url.startswith("http://127.0.0.1:5000/s/") for url in expected.values())
    rounds.revoke_invitation(round_.departments[0])
    result = cli.invoke(args=["rounds", "links", str(round_.id)])
    assert f"{round_.departments[0].name}\t(revoked)" in result.output


def test_rounds_close_reopen_and_list(cli):
    round_ = rounds.create_round("Ronde A", "Gemeente Test", departments=[("X", [])],
                                 secret_key=links.secret_key())
    result = cli.invoke(args=["rounds", "close", str(round_.id)])
    assert result.exit_code == 0
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "closed"
    listing = cli.invoke(args=["rounds", "list"]).output
    assert f"{round_.id}\tclosed\tGemeente Test\tRonde A\t1 afdelingen" in listing
    assert cli.invoke(args=["rounds", "reopen", str(round_.id)]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Round, round_.id).is_open
    missing = cli.invoke(args=["rounds", "close", "999"])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_demo_fills_an_empty_database(cli, login_file):
    result = cli.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    round_ = db.session.scalar(select(Round))
    assert round_.municipality == "Gemeente Voorbeeld"
    names = [d.name for d in round_.departments]
    assert len(names) == 6 and "Sociaal domein" in names and "Bedrijfsvoering" in names
    social = next(d for d in round_.departments if d.name == "Sociaal domein")
    assert social.bank_ids == ["bestuur", "werk"]  # only banks that exist are used
    assert _count(Response, Response.status == RESPONSE_SUBMITTED) >= 20
    assert _count(Response, Response.status == RESPONSE_DRAFT) == 2
    assert _count(Comment) > 0 and _count(ImportanceRating) > 0
    # Submitted responses answered every question of their department's banks.
    response = db.session.scalar(select(Response).where(
        Response.status == RESPONSE_SUBMITTED, Response.department_id == social.id))
    assert len(response.answers) == 8
    # The login works and is kept, readable by the owner only.
    text = login_file.read_text()
    password = text.split("wachtwoord:")[1].strip()
    assert password in result.output and DEMO_EMAIL in result.output
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    assert accounts.authenticate(DEMO_EMAIL, password) is not None
    # The results engine can score it: departments differ.
    result_ = score(round_)
    assert result_ is not None
    progress = rounds.progress(round_)
    assert all(row.submitted >= 3 for row in progress.departments)


def test_demo_is_deterministic(cli, login_file):
    def answers() -> list[tuple[str, str, str]]:
        return sorted(db.session.execute(
            select(Department.name, Answer.question_id, Answer.value)
            .join(Response, Answer.response_id == Response.id).join(Department)).all())

    assert cli.invoke(args=["demo", "--seed", "7"]).exit_code == 0
    first = answers()
    for round_ in db.session.scalars(select(Round)).all():
        db.session.delete(round_)
    db.session.commit()
    assert cli.invoke(args=["demo", "--seed", "7"]).exit_code == 0
    assert answers() == first


def test_demo_if_empty_does_nothing_on_a_filled_database(cli, login_file):
    first = cli.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0
    password = login_file.read_text().split("wachtwoord:")[1].strip()
    responses = _count(Response)
    again = cli.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0
    assert password in again.output and "niet opnieuw geladen" in again.output
    assert _count(Response) == responses and _count(Round) == 1
    refused = cli.invoke(args=["demo"])
    assert refused.exit_code == 1
    assert _count(Round) == 1


def test_demo_keeps_out_of_a_database_with_other_rounds(cli, login_file):
    rounds.create_round("Eigen ronde", "Gemeente Echt", departments=[("X", [])],
                        secret_key=links.secret_key())
    result = cli.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert "niet geladen" in result.output
    assert not login_file.exists()
    assert _count(Round) == 1
