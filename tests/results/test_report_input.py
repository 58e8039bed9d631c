"""The report input gathered by ``services.reports`` and the chart endpoint's one scoring."""

from __future__ import annotations

import dataclasses

import pytest

from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    Answer,
    Comment,
    Response,
    utcnow,
)
from quickscan.reporting.content import build_report
from quickscan.services import reports
from quickscan.services import results as results_service
from quickscan.services.tokens import hash_token, new_resume_token


def test_report_input_is_frozen_and_complete(app, built_round) -> None:
    round_ = built_round.round
    data = reports.report_input(round_)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.lang = "en"  # type: ignore[misc]
    with pytest.raises(TypeError):
        data.texts["intro"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        data.texts["labels"]["score"] = "changed"  # type: ignore[index]
    assert data.round.id == round_.id and data.round.municipality == round_.municipality
    assert data.round.status == "open"
    assert [d.id for d in data.departments] == [d.id for d in round_.departments]
    assert [b.sha256 for b in data.banks] == [rb.sha256 for rb in round_.banks]
    assert data.result == results_service.score(round_)
    submitted = sorted((r.department_id, c.question_id, c.text)
                       for d in round_.departments for r in d.responses
                       if r.status == RESPONSE_SUBMITTED for c in r.comments)
    assert sorted((c.department_id, c.question_id, c.text) for c in data.comments) == submitted


def test_report_input_reads_only_what_is_asked(app, built_round) -> None:
    round_ = built_round.round
    department = built_round.departments[1]
    data = reports.report_input(round_, department=department)
    assert data.comments and {c.department_id for c in data.comments} == {department.id}
    assert reports.report_input(round_, comments=False).comments == ()
    content = build_report(data, department_id=department.id)
    assert content.department_report is not None
    assert content.department_report.name == department.name
    with pytest.raises(LookupError):
        build_report(data, department_id=999999)


def _count_scorings(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = results_service.score

    def counting(round_):  # type: ignore[no-untyped-def]
        calls.append(round_.id)
        return real(round_)

    monkeypatch.setattr(results_service, "score", counting)
    return calls


def test_charts_of_a_page_share_one_scoring(coordinator_client, built_round,
                                            monkeypatch) -> None:
    calls = _count_scorings(monkeypatch)
    round_ = built_round.round
    rid = round_.id
    department = built_round.departments[0]
    names = ["gemeente", "heatmap", "vergelijking",
             *(f"afdeling-{d.id}" for d in built_round.departments)]
    assert coordinator_client.get(f"/rondes/{rid}/resultaten").status_code == 200
    before = coordinator_client.get(f"/rondes/{rid}/grafiek/afdeling-{department.id}.svg")
    for name in names:
        for ext in ("png", "svg"):
            response = coordinator_client.get(f"/rondes/{rid}/grafiek/{name}.{ext}")
            assert response.status_code == 200, name
    assert calls == [rid]

    # A newly submitted response changes the results version: the next chart scores again.
    response = Response(department_id=department.id, resume_token_hash=hash_token(
        new_resume_token()), status=RESPONSE_SUBMITTED, submitted_at=utcnow())
    question = built_round.banks[0].themes[0].questions[0].id
    response.answers.append(Answer(question_id=question, value="4"))
    response.comments.append(Comment(question_id=question, text="nieuw"))
    db.session.add(response)
    db.session.commit()
    after = coordinator_client.get(f"/rondes/{rid}/grafiek/afdeling-{department.id}.svg")
    assert after.status_code == 200
    assert calls == [rid, rid]
    assert after.data != before.data
    coordinator_client.get(f"/rondes/{rid}/grafiek/heatmap.png")
    assert calls == [rid, rid]

    # So does a changed target.
    theme = built_round.banks[0].themes[0]
    round_.target_overrides = {f"{built_round.banks[0].id}/{theme.id}": 1}
    db.session.commit()
    coordinator_client.get(f"/rondes/{rid}/grafiek/gemeente.png")
    assert calls == [rid, rid, rid]
