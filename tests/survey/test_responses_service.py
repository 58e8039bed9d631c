"""The response service: start, save (upserts), submit, read-only and closed rounds.

Every refused write is checked by counting rows before and after: nothing may be written.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from quickscan.errors import status_for
from quickscan.extensions import db
from quickscan.models import (
    ROUND_CLOSED,
    Answer,
    Comment,
    ImportanceRating,
    Response,
    Round,
)
from quickscan.services import responses as service
from quickscan.services import tokens
from quickscan.services.responses import (
    CommentTooLongError,
    InvalidAnswerError,
    InvalidImportanceError,
    NotFoundError,
    ResponseSubmittedError,
    RoundClosedError,
    UnknownQuestionError,
)

Q1 = "proef_bestuur.visie.vastgelegd"
Q2 = "proef_bestuur.visie.ervaringsdeskundigen"
Q_BUDGET = "proef_bestuur.budget.begroting"
Q_ZORG = "proef_zorg.toegang.loket"
Q_SPORT = "proef_sport.accommodaties.toegankelijk"


def counts() -> tuple[int, int, int, int]:
    """Rows in response, answer, comment and importance_rating."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]
                 for model in (Response, Answer, Comment, ImportanceRating))


def stored(response: Response) -> tuple[dict, dict, dict]:
    return (service.answers_of(response), service.comments_of(response),
            service.importance_of(response))


@pytest.fixture
def draft(small_round):
    response, _ = service.start_response(small_round.token("Zorg"))
    return response


# --------------------------------------------------------------------------- start and find


def test_start_creates_a_draft_with_a_hashed_resume_token(small_round):
    response, resume_token = service.start_response(small_round.token("Zorg"))
    assert response.status == "draft"
    assert response.department.name == "Zorg"
    assert len(resume_token) >= 32
    assert response.resume_token_hash == tokens.hash_token(resume_token)
    assert resume_token not in response.resume_token_hash
    assert service.find_response(resume_token).id == response.id
    assert service.find_response(resume_token + "x") is None
    assert service.find_response("") is None


def test_start_refuses_unknown_revoked_and_closed(small_round, closed_round):
    before = counts()
    with pytest.raises(NotFoundError):
        service.start_response("onbekend-token")
    invitation = small_round.departments["Sport"].invitations[0]
    invitation.revoked_at = invitation.created_at
    db.session.commit()
    with pytest.raises(service.RevokedLinkError):  # 410: ask the coordinator for the new link
        service.start_response(small_round.token("Sport"))
    with pytest.raises(RoundClosedError) as excinfo:
        service.start_response(closed_round.token("Zorg"))
    assert status_for(excinfo.value) == 409
    assert "Deze ronde is gesloten" in excinfo.value.message
    assert counts() == before


def test_steps_put_the_common_bank_first_and_only_the_departments_banks(small_round):
    zorg, _ = service.start_response(small_round.token("Zorg"))
    sport, _ = service.start_response(small_round.token("Sport"))
    assert [(s.number, s.bank.id, s.theme.id) for s in service.steps(zorg)] == [
        (1, "proef_bestuur", "visie"), (2, "proef_bestuur", "budget"),
        (3, "proef_zorg", "toegang")]
    assert [s.bank.id for s in service.steps(sport)] == [
        "proef_bestuur", "proef_bestuur", "proef_sport"]
    assert service.question_count(small_round.departments["Zorg"]) == 5
    assert service.estimated_minutes(small_round.departments["Zorg"]) == 2  # 5 x 20 s


# --------------------------------------------------------------------------- saving


def test_save_page_writes_answers_comments_and_importance(draft):
    before = draft.updated_at
    service.save_page(draft, 1, {Q1: "3", Q2: "dont_know"}, {Q1: "Zie nota 2024.\r\nRegel 2"}, 4)
    assert stored(draft) == ({Q1: "3", Q2: "dont_know"}, {Q1: "Zie nota 2024.\nRegel 2"},
                             {("proef_bestuur", "visie"): 4})
    assert draft.updated_at >= before


def test_save_page_upserts_without_duplicates_and_leaves_unsent_alone(draft):
    service.save_page(draft, 1, {Q1: "1", Q2: "2"}, {Q1: "eerst", Q2: "blijft"}, 2)
    service.save_page(draft, 1, {Q1: "4"}, {Q1: "daarna"}, 5)
    assert stored(draft) == ({Q1: "4", Q2: "2"}, {Q1: "daarna", Q2: "blijft"},
                             {("proef_bestuur", "visie"): 5})
    assert counts() == (1, 2, 2, 1)


def test_empty_comment_deletes_the_comment(draft):
    service.save_page(draft, 1, {}, {Q1: "tekst"}, None)
    service.save_page(draft, 1, {}, {Q1: "   "}, None)
    assert service.comments_of(draft) == {}


def test_comment_of_exactly_2000_characters_is_kept(draft):
    service.save_page(draft, 1, {}, {Q1: "x" * 2000}, None)
    assert len(service.comments_of(draft)[Q1]) == 2000


def test_windows_line_ends_do_not_count_double(draft):
    text = ("a" * 9 + "\r\n") * 200  # 2,200 characters as sent, 2,000 once normalised
    service.save_page(draft, 1, {}, {Q1: text}, None)
    assert len(service.comments_of(draft)[Q1]) == 1999  # trailing newline stripped


def test_two_tabs_saving_at_once_never_duplicate(app, draft):
    """Concurrent saves from two sessions: one row per question, no error."""
    errors: list[Exception] = []
    response_id = draft.id

    def save(value: str) -> None:
        with app.app_context():
            try:
                for _ in range(5):
                    response = db.session.get(Response, response_id)
                    service.save_page(response, 1, {Q1: value, Q2: value}, {Q1: value}, 3)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(v,)) for v in ("1", "2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert counts() == (1, 2, 1, 1)
    assert service.answers_of(draft)[Q1] in ("1", "2")


# --------------------------------------------------------------------------- refused input


@pytest.mark.parametrize(("answers", "comments", "importance", "error"), [
    ({Q1: "5"}, {}, None, InvalidAnswerError),
    ({Q1: "-1"}, {}, None, InvalidAnswerError),
    ({Q1: "weet niet"}, {}, None, InvalidAnswerError),
    ({Q1: ""}, {}, None, InvalidAnswerError),
    ({"proef_bestuur.visie.bestaat_niet": "2"}, {}, None, UnknownQuestionError),
    ({Q_SPORT: "2"}, {}, None, UnknownQuestionError),  # another department's bank
    ({Q_ZORG: "2"}, {}, None, UnknownQuestionError),   # own bank, other step
    ({}, {"onbekend.vraag.id": "tekst"}, None, UnknownQuestionError),
    ({}, {}, 0, InvalidImportanceError),
    ({}, {}, 6, InvalidImportanceError),
    ({}, {}, True, InvalidImportanceError),
    ({}, {Q1: "x" * 2001}, None, CommentTooLongError),
])
def test_forged_values_write_nothing(draft, answers, comments, importance, error):
    service.save_page(draft, 1, {Q2: "2"}, {Q2: "bestaand"}, 3)
    before, before_data, updated = counts(), stored(draft), draft.updated_at
    # A valid answer next to the forged one must not be written either.
    with pytest.raises(error) as excinfo:
        service.save_page(draft, 1, {Q2: "4", **answers}, {Q2: "nieuw", **comments}, importance)
    assert status_for(excinfo.value) == (422 if error is CommentTooLongError else 400)
    db.session.expire_all()
    assert counts() == before
    assert stored(draft) == before_data
    assert draft.updated_at == updated


def test_unknown_step_is_not_found(draft):
    with pytest.raises(NotFoundError):
        service.save_page(draft, 4, {}, {}, None)
    with pytest.raises(NotFoundError):
        service.save_page(draft, 0, {}, {}, None)


# --------------------------------------------------------------------------- submit, read-only


def test_submit_makes_the_response_read_only(draft):
    service.save_page(draft, 1, {Q1: "2"}, {}, None)
    service.submit(draft)
    assert draft.status == "submitted" and draft.submitted_at is not None
    before, data = counts(), stored(draft)
    with pytest.raises(ResponseSubmittedError) as excinfo:
        service.save_page(draft, 1, {Q1: "4"}, {Q1: "te laat"}, 5)
    assert status_for(excinfo.value) == 409
    with pytest.raises(ResponseSubmittedError):
        service.submit(draft)
    assert counts() == before and stored(draft) == data


def test_submitted_meanwhile_in_another_tab_is_refused(draft):
    """A stale object (status read before another tab submitted) still cannot write."""
    db.session.execute(Response.__table__.update().where(Response.id == draft.id)
                       .values(status="submitted"))
    db.session.commit()
    set_committed_value(draft, "status", "draft")  # as a stale copy would see it
    assert not draft.is_submitted
    before = counts()
    with pytest.raises(ResponseSubmittedError):
        service.save_page(draft, 1, {Q1: "4"}, {}, None)
    assert counts() == before


def test_round_closed_meanwhile_is_refused_and_writes_nothing(draft):
    """A stale round (read as open before the coordinator closed it) still cannot write."""
    round_ = draft.department.round
    db.session.execute(Round.__table__.update().where(Round.id == round_.id)
                       .values(status=ROUND_CLOSED))
    db.session.commit()
    set_committed_value(round_, "status", "open")  # as a stale copy would see it
    assert round_.is_open
    before = counts()
    with pytest.raises(RoundClosedError) as excinfo:
        service.save_page(draft, 1, {Q1: "4"}, {Q1: "te laat"}, 2)
    assert status_for(excinfo.value) == 409
    assert counts() == before
    set_committed_value(round_, "status", "open")
    with pytest.raises(RoundClosedError):
        service.submit(draft)
    db.session.expire_all()
    assert draft.status == "draft" and counts() == before


def test_closed_round_accepts_no_changes(draft):
    service.save_page(draft, 1, {Q1: "2"}, {}, None)
    draft.department.round.status = ROUND_CLOSED
    db.session.commit()
    before, data = counts(), stored(draft)
    with pytest.raises(RoundClosedError) as excinfo:
        service.save_page(draft, 1, {Q1: "4"}, {}, 2)
    assert status_for(excinfo.value) == 409
    assert "Deze ronde is gesloten" in excinfo.value.message
    with pytest.raises(RoundClosedError):
        service.submit(draft)
    db.session.expire_all()
    assert counts() == before and stored(draft) == data
    assert draft.status == "draft"


def test_progress_lists_unanswered_questions(draft):
    service.save_page(draft, 1, {Q1: "2"}, {}, 3)
    service.save_page(draft, 3, {Q_ZORG: "not_applicable", "proef_zorg.toegang.brieven": "0"},
                      {}, None)
    progress = service.progress(draft)
    assert [(p.answered, p.total, p.importance) for p in progress] == [
        (1, 2, 3), (0, 1, None), (2, 2, None)]
    assert [q.id for q in progress[0].unanswered] == [Q2]
    assert service.first_open_step(draft) == 1


def test_real_banks_round(real_round):
    response, _ = service.start_response(real_round.token())
    steps = service.steps(response)
    assert steps and steps[0].bank.common
    first = steps[0]
    service.save_page(response, 1, {q.id: "3" for q in first.theme.questions}, {}, 4)
    assert service.progress(response)[0].complete
