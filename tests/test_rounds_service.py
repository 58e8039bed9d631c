"""The rounds service: pinning banks, department rules, invitation links, progress."""

from __future__ import annotations

import datetime

import pytest
import yaml
from sqlalchemy import func, select

from quickscan import links
from quickscan.bank import content_hash
from quickscan.errors import status_for
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_DRAFT,
    RESPONSE_SUBMITTED,
    Answer,
    Department,
    Invitation,
    Response,
    Round,
    RoundBank,
)
from quickscan.services import rounds, tokens
from quickscan.services.banks import reload_catalog, round_banks
from quickscan.services.rounds import RoundError

pytestmark = pytest.mark.usefixtures("test_banks")


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _make_round(**kwargs: object) -> Round:
    args: dict[str, object] = {
        "name": "Ronde 2026", "municipality": "Gemeente Test",
        "departments": [("Sociaal domein", ["werk"]), ("Ruimte", ["wonen"])]}
    args.update(kwargs)
    return rounds.create_round(**args, secret_key=links.secret_key())  # type: ignore[arg-type]


def _start_response(department: Department, *, submitted: bool = False,
                    answers: dict[str, str] | None = None) -> Response:
    response = Response(department=department,
                        resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
                        status=RESPONSE_SUBMITTED if submitted else RESPONSE_DRAFT)
    for question_id, value in (answers or {}).items():
        response.answers.append(Answer(question_id=question_id, value=value))
    db.session.add(response)
    db.session.commit()
    return response


# --------------------------------------------------------------------------- pinning


def test_create_round_pins_banks_with_hash_and_snapshot(test_banks):
    round_ = _make_round(description="Toelichting", deadline=datetime.date(2026, 3, 31))
    pinned = {rb.bank_id: rb for rb in round_.banks}
    assert list(pinned) == ["bestuur", "werk", "wonen"]  # common bank first, always included
    wonen = pinned["wonen"]
    assert wonen.version == "1.1.0"  # newest when no version asked
    on_disk = yaml.safe_load((test_banks / "wonen" / "1.1.0.yaml").read_text())
    assert wonen.content["themes"][2]["id"] == on_disk["themes"][2]["id"]
    assert wonen.sha256 == content_hash(wonen.content) == content_hash(on_disk)
    assert round_.deadline == datetime.date(2026, 3, 31)
    assert round_.is_open


def test_snapshot_survives_changes_to_the_file(test_banks):
    round_ = _make_round()
    path = test_banks / "werk" / "1.0.0.yaml"
    data = yaml.safe_load(path.read_text())
    data["themes"][0]["title"] = "Gewijzigde titel"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    reload_catalog()
    db.session.expire_all()
    werk = next(b for b in round_banks(db.session.get(Round, round_.id)) if b.id == "werk")
    assert werk.themes[0].title == "Werk thema 1"


def test_a_chosen_version_is_pinned():
    round_ = _make_round(banks={"wonen": "1.0.0"})
    wonen = next(rb for rb in round_.banks if rb.bank_id == "wonen")
    assert wonen.version == "1.0.0"
    assert len(wonen.content["themes"]) == 2


@pytest.mark.parametrize("banks, departments", [
    ({"kapot": None}, []),                 # invalid file: left out of the catalog
    ({"bestaatniet": None}, []),           # unknown id
    ({"wonen": "9.9.9"}, []),              # unknown version
    ({}, [("Afdeling", ["kapot"])]),       # invalid bank through a department
    ({"../wonen": None}, []),              # forged id
])
def test_an_invalid_bank_can_never_be_pinned(banks, departments):
    with pytest.raises(RoundError) as error:
        _make_round(banks=banks, departments=departments)
    assert status_for(error.value) == 400
    assert _count(Round) == 0 and _count(RoundBank) == 0 and _count(Department) == 0


@pytest.mark.parametrize("old, new, status", [
    ("Werk thema 1", "Ongeldig: {", 400),          # now broken YAML
    ("Werk thema 1", "Stiekem gewijzigd", 409),     # valid, but not what was validated
])
def test_a_file_changed_after_validation_is_not_pinned(test_banks, old, new, status):
    rounds.bank_catalog()  # cache the validated catalog
    path = test_banks / "werk" / "1.0.0.yaml"
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(RoundError) as error:
        _make_round()
    assert status_for(error.value) == status
    assert _count(Round) == 0 and _count(RoundBank) == 0


def test_target_overrides_are_validated():
    round_ = _make_round(target_overrides={"werk/thema1": "4", "werk/thema2": 3})
    assert round_.target_overrides == {"werk/thema1": 4}  # equal to the default: not stored
    for overrides in ({"werk/onbekend": 2}, {"werk/thema1": 7}, {"werk/thema1": "x"}):
        with pytest.raises(RoundError) as error:
            _make_round(name="Andere", target_overrides=overrides)
        assert status_for(error.value) == 400
    assert _count(Round) == 1


def test_round_needs_a_name_and_municipality():
    with pytest.raises(RoundError) as error:
        _make_round(name="  ")
    assert status_for(error.value) == 422
    assert "naam" in error.value.message


# --------------------------------------------------------------------------- departments


def test_departments_always_include_the_common_bank():
    round_ = _make_round(banks={"wonen": None}, departments=[("Publiekszaken", [])])
    department = round_.departments[0]
    assert department.bank_ids == ["bestuur"]
    added = rounds.add_department(round_, "Ruimte", ["wonen", "bestuur"],
                                  secret_key=links.secret_key())
    assert added.bank_ids == ["bestuur", "wonen"]


def test_add_department_refuses_banks_outside_the_round():
    round_ = _make_round(departments=[("A", [])])
    with pytest.raises(RoundError) as error:
        rounds.add_department(round_, "B", ["werk"], secret_key=links.secret_key())
    assert status_for(error.value) == 400
    assert [d.name for d in round_.departments] == ["A"]


def test_department_names_are_unique_and_required():
    round_ = _make_round()
    with pytest.raises(RoundError):
        rounds.add_department(round_, "sociaal DOMEIN", [], secret_key=links.secret_key())
    with pytest.raises(RoundError):
        rounds.add_department(round_, " ", [], secret_key=links.secret_key())
    with pytest.raises(RoundError):
        _make_round(name="Dubbel", departments=[("X", []), ("x", [])])
    assert _count(Department) == 2


def test_rename_and_remove_before_answers():
    round_ = _make_round()
    department = next(d for d in round_.departments if d.name == "Ruimte")
    rounds.rename_department(department, "Ruimte en wonen")
    assert department.name == "Ruimte en wonen"
    rounds.remove_department(department)
    assert [d.name for d in round_.departments] == ["Sociaal domein"]
    assert _count(Invitation) == 1


def test_rename_and_remove_refused_once_answers_exist():
    round_ = _make_round()
    department = round_.departments[0]
    _start_response(department, answers={"bestuur.thema1.vraag1": "2"})
    with pytest.raises(RoundError) as error:
        rounds.rename_department(department, "Nieuw")
    assert status_for(error.value) == 409
    with pytest.raises(RoundError):
        rounds.remove_department(department)
    db.session.expire_all()
    assert db.session.get(Department, department.id).name == "Ruimte"


def test_set_department_banks_before_answers():
    round_ = _make_round()
    department = next(d for d in round_.departments if d.name == "Ruimte")
    rounds.set_department_banks(department, ["werk", "wonen"])
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur", "werk", "wonen"]
    rounds.set_department_banks(db.session.get(Department, department.id), [])
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur"]  # always common


@pytest.mark.parametrize("bank_ids", [["bestaatniet"], ["werk", "../wonen"], ["kapot"]])
def test_set_department_banks_refuses_banks_outside_the_round(bank_ids):
    round_ = _make_round(banks={"wonen": None}, departments=[("Ruimte", ["wonen"])])
    department = round_.departments[0]
    with pytest.raises(RoundError) as error:
        rounds.set_department_banks(department, bank_ids)
    assert status_for(error.value) == 400
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur", "wonen"]


def test_set_department_banks_refused_once_answers_exist():
    round_ = _make_round()
    department = next(d for d in round_.departments if d.name == "Ruimte")
    _start_response(department)
    with pytest.raises(RoundError) as error:
        rounds.set_department_banks(department, ["werk"])
    assert status_for(error.value) == 409
    assert "antwoorden" in error.value.message
    db.session.expire_all()
    assert db.session.get(Department, department.id).bank_ids == ["bestuur", "wonen"]


def test_departments_cannot_change_while_the_round_is_closed():
    round_ = _make_round()
    department = next(d for d in round_.departments if d.name == "Ruimte")
    rounds.close_round(round_)
    closed = "Deze ronde is gesloten. Heropen de ronde om afdelingen te wijzigen."
    for change in (lambda: rounds.add_department(round_, "Nieuw", ["werk"],
                                                 secret_key=links.secret_key()),
                   lambda: rounds.rename_department(department, "Nieuwe naam"),
                   lambda: rounds.remove_department(department),
                   lambda: rounds.set_department_banks(department, ["werk"])):
        with pytest.raises(RoundError) as error:
            change()
        assert (status_for(error.value), error.value.message) == (409, closed)
    db.session.expire_all()
    assert {d.name: d.bank_ids for d in db.session.get(Round, round_.id).departments} == {
        "Sociaal domein": ["bestuur", "werk"], "Ruimte": ["bestuur", "wonen"]}
    rounds.reopen_round(round_)
    assert rounds.set_department_banks(department, ["werk"]).bank_ids == ["bestuur", "werk"]


# --------------------------------------------------------------------------- invitations


def test_invitation_token_is_long_random_and_stored_only_hashed(app):
    round_ = _make_round()
    department = round_.departments[0]
    token = rounds.invitation_token(department, links.secret_key())
    assert token is not None
    assert len(token) * 6 >= 128  # URL-safe base64: 6 bits a character
    invitation = rounds.active_invitation(department)
    assert invitation.token_hash == tokens.hash_token(token)
    stored = [str(value) for row in db.session.execute(select(Invitation.__table__)).all()
              for value in row]
    assert all(token not in value for value in stored)
    other = rounds.invitation_token(round_.departments[1], links.secret_key())
    assert other != token
    url = links.invitation_url(department)
    assert url == f"http://127.0.0.1:5000/s/{token}"
    app.config["BASE_URL"] = "https://quickscan.example.nl/"
    try:
        assert links.invitation_url(department) == f"https://quickscan.example.nl/s/{token}"
    finally:
        app.config.pop("BASE_URL")
    assert rounds.invitation_url(department, secret_key=links.secret_key(),
                                 base_url="https://x.example/") == f"https://x.example/s/{token}"


def test_renew_invalidates_the_old_token():
    department = _make_round().departments[0]
    old = rounds.invitation_token(department, links.secret_key())
    new = rounds.renew_invitation(department, secret_key=links.secret_key())
    assert new != old
    assert rounds.invitation_token(department, links.secret_key()) == new
    active = db.session.scalars(select(Invitation).where(Invitation.revoked_at.is_(None))
                                .where(Invitation.department_id == department.id)).all()
    assert [i.token_hash for i in active] == [tokens.hash_token(new)]
    old_row = db.session.scalar(select(Invitation)
                                .where(Invitation.token_hash == tokens.hash_token(old)))
    assert old_row is not None and not old_row.active


def test_revoke_stops_the_link_and_renew_restores_one():
    department = _make_round().departments[0]
    rounds.revoke_invitation(department)
    assert rounds.invitation_token(department, links.secret_key()) is None
    with pytest.raises(RoundError) as error:
        rounds.invitation_url(department,
                              secret_key=links.secret_key(), base_url="http://localhost")
    assert status_for(error.value) == 409
    assert links.invitation_url(department) is None
    token = rounds.renew_invitation(department, secret_key=links.secret_key())
    assert links.invitation_url(department).endswith("/s/" + token)


# --------------------------------------------------------------------------- state, progress


def test_close_and_reopen():
    round_ = _make_round()
    rounds.close_round(round_)
    assert db.session.get(Round, round_.id).status == "closed"
    rounds.reopen_round(round_)
    assert db.session.get(Round, round_.id).is_open


def test_progress_counts_started_submitted_and_share_answered():
    round_ = _make_round()
    social = next(d for d in round_.departments if d.name == "Sociaal domein")
    # Sociaal domein answers bestuur (4 questions) + werk (4 questions) = 8 questions.
    _start_response(social, submitted=True, answers={
        f"{bank}.thema{t}.vraag{q}": "3" for bank in ("bestuur", "werk")
        for t in (1, 2) for q in (1, 2)})
    _start_response(social, answers={"bestuur.thema1.vraag1": "dont_know",
                                     "werk.thema1.vraag1": "1",
                                     "wonen.thema1.vraag1": "2"})  # not its bank: not counted
    result = rounds.progress(round_)
    rows = {row.name: row for row in result.departments}
    assert (rows["Sociaal domein"].started, rows["Sociaal domein"].submitted) == (2, 1)
    assert rows["Sociaal domein"].drafts == 1
    assert rows["Sociaal domein"].questions == 8
    assert rows["Sociaal domein"].share_answered == pytest.approx(10 / 16)
    assert (rows["Ruimte"].started, rows["Ruimte"].share_answered) == (0, 0.0)
    assert rows["Ruimte"].questions == 4 + 6  # bestuur + wonen 1.1.0 (3 themes)
    assert (result.started, result.submitted) == (2, 1)


def test_update_round_changes_banks_only_before_answers():
    round_ = _make_round()
    rounds.update_round(round_, "Nieuwe naam", "Gemeente Test",
                        banks={"wonen": "1.0.0", "bestuur": None})
    assert [rb.bank_id for rb in round_.banks] == ["bestuur", "wonen"]
    assert next(rb for rb in round_.banks if rb.bank_id == "wonen").version == "1.0.0"
    social = next(d for d in round_.departments if d.name == "Sociaal domein")
    assert social.bank_ids == ["bestuur"]  # werk was dropped from the round
    _start_response(social)
    with pytest.raises(RoundError) as error:
        rounds.update_round(round_, "Nog een naam", "Gemeente Test", banks={"werk": None})
    assert status_for(error.value) == 409
    db.session.expire_all()
    again = db.session.get(Round, round_.id)
    assert again.name == "Nieuwe naam"
    assert [rb.bank_id for rb in again.banks] == ["bestuur", "wonen"]
    rounds.update_round(again, "Nog een naam", "Gemeente Test", banks=None,
                        target_overrides={"wonen/thema2": 4})
    assert again.target_overrides == {"wonen/thema2": 4}
