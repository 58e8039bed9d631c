"""Issue 10 on the coordinator's side: the minimum group size k on the round form, expected
respondents and the response rate, and deleting a closed round (web and command line).

Every refused request is checked for its status, its Dutch message and that nothing was
written.
"""

from __future__ import annotations

import html as html_lib

import pytest
from sqlalchemy import func, select

from quickscan import links
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    Answer,
    Comment,
    Department,
    ImportanceRating,
    Invitation,
    Response,
    Round,
    RoundBank,
)
from quickscan.services import accounts, rounds, tokens
from tests.rounds_helpers import post, test_banks  # noqa: F401  (fixture)

EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"
MODELS = (Round, RoundBank, Department, Invitation, Response, Answer, Comment, ImportanceRating)

pytestmark = pytest.mark.usefixtures("test_banks")


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in MODELS}


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


@pytest.fixture
def logged_in(client, app):
    accounts.create_user(EMAIL, PASSWORD, role="coordinator")
    response = post(client, "/login", {"email": EMAIL, "password": PASSWORD}, form_page="/login")
    assert response.status_code == 303
    return client


def _round(**kwargs) -> Round:
    args = {"name": "Ronde", "municipality": "Gemeente Test",
            "departments": [("Sociaal domein", ["werk"]), ("Wonen", [])]}
    args.update(kwargs)
    return rounds.create_round(**args, secret_key=links.secret_key())


def _responses(department: Department, submitted: int, drafts: int = 0) -> None:
    for index in range(submitted + drafts):
        response = Response(department_id=department.id,
                            resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
                            status=RESPONSE_SUBMITTED if index < submitted else "draft")
        response.answers.append(Answer(question_id="bestuur.thema1.vraag1", value="2"))
        response.comments.append(Comment(question_id="bestuur.thema1.vraag1", text="x"))
        response.importance_ratings.append(ImportanceRating(bank_id="bestuur",
                                                            theme_id="thema1", value=3))
        db.session.add(response)
    db.session.commit()


# --------------------------------------------------------------------------- k on the round form


def test_new_round_form_explains_k_and_stores_it(logged_in):
    page = text(logged_in.get("/rondes/nieuw"))
    assert "Minimale groepsgrootte" in page and 'value="3"' in page
    assert "Kies 3 tot en met 10" in page and "terugrekenen" in page
    response = post(logged_in, "/rondes/nieuw", {
        "name": "Najaar", "municipality": "Gemeente Test", "min_group_size": "5",
        "bank": ["werk"]}, form_page="/rondes/nieuw")
    assert response.status_code == 303
    round_ = db.session.scalar(select(Round).where(Round.name == "Najaar"))
    assert round_.min_group_size == 5
    assert "Minimale groepsgrootte: 5." in text(logged_in.get(f"/rondes/{round_.id}"))


def test_a_new_round_without_k_gets_the_default(logged_in):
    response = post(logged_in, "/rondes/nieuw", {"name": "Zonder k", "municipality": "G"},
                    form_page="/rondes/nieuw")
    assert response.status_code == 303
    assert db.session.scalar(select(Round.min_group_size).where(Round.name == "Zonder k")) == 3


@pytest.mark.parametrize("value", ["2", "1", "0", "11", "-3", "3.5", "drie", "３", "99999999999"])
def test_other_values_of_k_are_refused_and_nothing_is_written(logged_in, value):
    before = counts()
    response = post(logged_in, "/rondes/nieuw", {
        "name": "Fout", "municipality": "Gemeente Test", "min_group_size": value},
        form_page="/rondes/nieuw")
    assert response.status_code == 422
    assert "De minimale groepsgrootte moet" in text(response)
    assert counts() == before

    round_ = _round()
    before = counts()
    edit = post(logged_in, f"/rondes/{round_.id}/bewerken", {
        "name": "Andere naam", "municipality": "Gemeente Test", "min_group_size": value},
        form_page=f"/rondes/{round_.id}/bewerken")
    assert edit.status_code == 422
    assert "De minimale groepsgrootte moet" in text(edit)
    db.session.expire_all()
    assert counts() == before
    assert (round_.name, round_.min_group_size) == ("Ronde", 3)


def test_edit_round_changes_k(logged_in):
    round_ = _round()
    assert 'value="3"' in text(logged_in.get(f"/rondes/{round_.id}/bewerken"))
    response = post(logged_in, f"/rondes/{round_.id}/bewerken", {
        "name": "Ronde", "municipality": "Gemeente Test", "min_group_size": "10"},
        form_page=f"/rondes/{round_.id}/bewerken")
    assert response.status_code == 303
    db.session.expire_all()
    assert round_.min_group_size == 10


def test_set_min_group_size_service(app):
    round_ = _round()
    assert rounds.set_min_group_size(round_.id, 4).min_group_size == 4
    for bad, kind in ((2, rounds.RoundInputError), (11, rounds.RoundInputError),
                      ("x", rounds.ForgedRoundInput), (True, rounds.ForgedRoundInput),
                      (None, rounds.ForgedRoundInput)):
        with pytest.raises(kind):
            rounds.set_min_group_size(round_.id, bad)
    db.session.expire_all()
    assert round_.min_group_size == 4


# --------------------------------------------------------------------------- expected respondents


def test_expected_respondents_give_a_response_rate_and_a_flag(logged_in):
    round_ = _round()
    social, housing = round_.departments[0], round_.departments[1]
    page = text(logged_in.get(f"/rondes/{round_.id}"))
    assert f"Verwacht aantal invullers van {social.name}" in page
    response = post(logged_in, f"/rondes/{round_.id}/afdelingen/{social.id}/verwacht",
                    {"expected": "2"}, form_page=f"/rondes/{round_.id}")
    assert response.status_code == 303
    response = post(logged_in, f"/rondes/{round_.id}/afdelingen/{housing.id}/verwacht",
                    {"expected": "8"}, form_page=f"/rondes/{round_.id}")
    assert response.status_code == 303
    db.session.expire_all()
    assert (social.expected_respondents, housing.expected_respondents) == (2, 8)
    _responses(social, submitted=3, drafts=1)
    _responses(housing, submitted=2)
    progress = text(logged_in.get(f"/rondes/{round_.id}/voortgang"))
    row = progress[progress.index(f">{social.name}<"):]
    row = row[:row.index("</tr>")]
    assert "150%" in row and "Meer ingevuld dan verwacht" in row
    row = progress[progress.index(f">{housing.name}<"):]
    row = row[:row.index("</tr>")]
    assert "25%" in row and "Meer ingevuld dan verwacht" not in row
    # Clearing it removes the rate.
    post(logged_in, f"/rondes/{round_.id}/afdelingen/{social.id}/verwacht", {"expected": ""},
         form_page=f"/rondes/{round_.id}")
    db.session.expire_all()
    assert social.expected_respondents is None
    assert "Meer ingevuld dan verwacht" not in text(logged_in.get(f"/rondes/{round_.id}/voortgang"))


@pytest.mark.parametrize("value", ["0", "-1", "abc", "2.5", "100001", "٣"])
def test_a_bad_expected_number_is_refused_and_nothing_written(logged_in, value):
    round_ = _round()
    department = round_.departments[0]
    rounds.set_expected_respondents(department, 7)
    response = post(logged_in, f"/rondes/{round_.id}/afdelingen/{department.id}/verwacht",
                    {"expected": value}, form_page=f"/rondes/{round_.id}")
    assert response.status_code == 422
    assert "verwachte aantal invullers" in text(response)
    db.session.expire_all()
    assert department.expected_respondents == 7


def test_expected_respondents_change_only_while_the_round_is_open(logged_in):
    round_ = _round()
    department = round_.departments[0]
    rounds.set_expected_respondents(department, 4)
    rounds.close_round(round_)
    page = text(logged_in.get(f"/rondes/{round_.id}"))
    assert "Verwacht aantal invullers: 4." in page and "/verwacht" not in page
    response = post(logged_in, f"/rondes/{round_.id}/afdelingen/{department.id}/verwacht",
                    {"expected": "9"}, form_page=f"/rondes/{round_.id}")
    assert response.status_code == 409
    assert "Deze ronde is gesloten" in text(response)
    db.session.expire_all()
    assert department.expected_respondents == 4


def test_cli_create_with_expected(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rounds", "create", "--name", "R", "--municipality", "G",
                                 "--department", "Wonen=wonen", "--department", "Werk=werk",
                                 "--expected", "Wonen=12"])
    assert result.exit_code == 0, result.output
    round_ = db.session.get(Round, int(result.output.strip()))
    assert {d.name: d.expected_respondents for d in round_.departments} == {
        "Wonen": 12, "Werk": None}
    before = counts()
    for bad in ("Onbekend=3", "Wonen=0", "Wonen=drie", "Wonen"):
        result = runner.invoke(args=["rounds", "create", "--name", "R2", "--municipality", "G",
                                     "--department", "Wonen=wonen", "--expected", bad])
        assert result.exit_code != 0, bad
    assert counts() == before


# --------------------------------------------------------------------------- deleting a round


def test_delete_a_closed_round_with_everything_in_it(logged_in, app, tmp_path):
    keep = _round(name="Blijft")
    _responses(keep.departments[0], submitted=1)
    round_ = _round()
    _responses(round_.departments[0], submitted=3, drafts=1)
    from quickscan.services.reports import reports_folder

    report = reports_folder() / f"quickscan-ronde-{round_.id}-abcdef012345.pdf"
    report.write_bytes(b"%PDF")
    other_report = reports_folder() / f"quickscan-ronde-{keep.id}-abcdef012345.pdf"
    other_report.write_bytes(b"%PDF")
    page = text(logged_in.get(f"/rondes/{round_.id}"))
    assert "Ronde definitief verwijderen" not in page  # only once closed

    before = counts()
    open_refused = post(logged_in, f"/rondes/{round_.id}/ronde-verwijderen", {"confirm": "yes"},
                        form_page=f"/rondes/{round_.id}")
    assert open_refused.status_code == 409
    assert "Sluit de ronde voordat u haar verwijdert" in text(open_refused)
    assert counts() == before

    rounds.close_round(round_)
    assert "Ronde definitief verwijderen" in text(logged_in.get(f"/rondes/{round_.id}"))
    unconfirmed = post(logged_in, f"/rondes/{round_.id}/ronde-verwijderen", {},
                       form_page=f"/rondes/{round_.id}")
    assert unconfirmed.status_code == 422
    assert "Er is niets verwijderd" in text(unconfirmed)
    assert counts() == before

    round_id = round_.id
    done = post(logged_in, f"/rondes/{round_id}/ronde-verwijderen", {"confirm": "yes"},
                form_page=f"/rondes/{round_id}")
    assert done.status_code == 303 and done.headers["Location"].endswith("/rondes")
    db.session.expire_all()
    after = counts()
    assert after["Round"] == before["Round"] - 1
    assert after["Department"] == before["Department"] - 2
    assert after["Response"] == before["Response"] - 4
    assert after["Answer"] == before["Answer"] - 4
    assert after["Comment"] == before["Comment"] - 4
    assert after["ImportanceRating"] == before["ImportanceRating"] - 4
    assert db.session.get(Round, round_id) is None
    assert not report.exists() and other_report.exists()
    assert logged_in.get(f"/rondes/{round_id}").status_code == 404


def test_cli_delete_needs_yes_and_a_closed_round(app):
    round_ = _round()
    _responses(round_.departments[0], submitted=2)
    runner = app.test_cli_runner()
    before = counts()
    refused = runner.invoke(args=["rounds", "delete", str(round_.id)])
    assert refused.exit_code == 1 and "--yes" in refused.output
    still_open = runner.invoke(args=["rounds", "delete", str(round_.id), "--yes"])
    assert still_open.exit_code == 1 and "Sluit de ronde" in still_open.output
    assert counts() == before
    rounds.close_round(round_)
    done = runner.invoke(args=["rounds", "delete", str(round_.id), "--yes"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert counts()["Response"] == before["Response"] - 2
    assert counts()["Round"] == before["Round"] - 1


def test_a_lezer_cannot_delete_a_round(client, app):
    accounts.create_user("lezer@gemeente.nl", PASSWORD, role="lezer")
    round_ = _round()
    rounds.close_round(round_)
    post(client, "/login", {"email": "lezer@gemeente.nl", "password": PASSWORD},
         form_page="/login")
    before = counts()
    response = post(client, f"/rondes/{round_.id}/ronde-verwijderen", {"confirm": "yes"},
                    form_page=f"/rondes/{round_.id}/resultaten")
    assert response.status_code == 403
    assert counts() == before
