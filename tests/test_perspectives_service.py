"""Inwoners and bestuur groups: CLI, services, k per group, targets from the bestuur."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import func, select

from quickscan import links
from quickscan.extensions import db
from quickscan.group_models import ResidentComment, ResidentResponse
from quickscan.models import KIND_BESTUUR, KIND_RESIDENTS, Round
from quickscan.services import perspectives as service
from quickscan.services import rounds
from quickscan.services.errors import Conflict, InvalidInput
from quickscan.services.results import score


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def round_(app):
    round_ = rounds.create_round(
        "Ronde", "Gemeente Test", departments=[("Burgerzaken", ["informatie"])],
        secret_key=links.secret_key())
    service.add_residents_group(round_, secret_key=links.secret_key())
    service.add_bestuur_group(round_, secret_key=links.secret_key())
    return round_


def _residents_link(round_: Round):
    return service.links(service.group(round_, KIND_RESIDENTS))[0]


def _submit(link, value="2", comment="", **extra):
    service.submit_residents(link, service.ResidentSubmission(
        answers={"inwoners.brieven": value, "inwoners.website": "dont_know"},
        comments={"inwoners.brieven": comment} if comment else {}, **extra))


def test_cli_create_with_groups_and_links(app):
    cli = app.test_cli_runner()
    result = cli.invoke(args=[
        "rounds", "create", "--name", "R", "--municipality", "G",
        "--department", "Burgerzaken=informatie", "--residents", "--bestuur"])
    assert result.exit_code == 0, result.output
    round_id = result.output.strip()
    out = cli.invoke(args=["rounds", "links", round_id])
    lines = out.output.strip().splitlines()
    assert lines[0].startswith("Burgerzaken\t") and "/s/" in lines[0]
    inwoners = [line for line in lines if line.startswith("Inwoners\t")]
    bestuur = [line for line in lines if line.startswith("Bestuur\t")]
    assert len(inwoners) == 1 and "/i/" in inwoners[0]
    assert len(bestuur) == 1 and "/b/" in bestuur[0]
    shared = cli.invoke(args=["rounds", "share", round_id, "--label", "Wijkcentrum De Brug"])
    assert shared.exit_code == 0 and shared.output.startswith("Inwoners (Wijkcentrum De Brug)\t")
    lines = cli.invoke(args=["rounds", "links", round_id]).output.strip().splitlines()
    shared_lines = [line for line in lines if line.startswith("Inwoners (Wijkcentrum De Brug)\t")]
    assert len(shared_lines) == 1 and "/i/" in shared_lines[0]
    closed = cli.invoke(args=["rounds", "group", round_id, "residents", "close"])
    assert closed.exit_code == 0
    round_ = db.session.get(Round, int(round_id))
    assert not service.is_open(service.group(round_, KIND_RESIDENTS))
    assert service.is_open(service.group(round_, KIND_BESTUUR))
    # The groups are not departments: the departments' scoring is unchanged.
    assert [d.name for d in score(round_).departments] == ["Burgerzaken"]


def test_residents_k_hides_figures_and_comments(round_):
    link = _residents_link(round_)
    for index in range(4):
        _submit(link, "2", comment=f"opmerking {4 - index}")
    row = next(r for r in service.perspectives(round_).municipality_rows()
               if (r.bank_id, r.theme_id) == ("informatie", "taal"))
    assert row.residents is None
    assert service.resident_comments(round_) == {}
    assert {"bank": "informatie", "theme": "taal", "department": None, "civil_servants": None,
            "residents": None, "ambition": None, "difference": None, "blind_spot": False
            } in service.perspective_rows(round_)
    _submit(link, "5", comment="Te moeilijke woorden")
    row = next(r for r in service.perspectives(round_).municipality_rows()
               if (r.bank_id, r.theme_id) == ("informatie", "taal"))
    assert row.residents == pytest.approx((4 * 25 + 100) / 5)
    comments = service.resident_comments(round_)[("informatie", "taal")]
    assert comments == sorted(comments, key=str.casefold) and len(comments) == 5
    # Comments are stored without any link to the response they came with.
    assert not hasattr(ResidentComment, "response_id")


def test_refusals_write_nothing(round_):
    link = _residents_link(round_)
    with pytest.raises(InvalidInput):
        service.submit_residents(link, service.ResidentSubmission(answers={}, comments={}))
    with pytest.raises(InvalidInput):
        service.submit_residents(link, service.ResidentSubmission(
            answers={"inwoners.brieven": "6"}, comments={}))
    with pytest.raises(InvalidInput):
        service.submit_residents(link, service.ResidentSubmission(
            answers={"inwoners.brieven": "3"}, comments={}, participant_role="wethouder"))
    service.set_group_open(service.group(round_, KIND_RESIDENTS), False)
    with pytest.raises(Conflict):
        _submit(link)
    assert _count(ResidentResponse) == 0 and _count(ResidentComment) == 0


def test_progress_per_link_day_and_paper(round_):
    group = service.group(round_, KIND_RESIDENTS)
    shared = service.add_shared_link(group, "Adviesraad", secret_key=links.secret_key())
    day = datetime.date(2026, 3, 2)
    service.submit_residents(shared, service.ResidentSubmission(
        answers={"inwoners.brieven": "4"}, comments={}, assisted=True,
        participant_role="ervaringsdeskundige"), today=day)
    _submit(_residents_link(round_))
    service.enter_paper_form(group, service.ResidentSubmission(
        answers={"inwoners.werk": "1"}, comments={}), today=day)
    progress = next(p for p in service.group_progress(round_) if p.kind == KIND_RESIDENTS)
    assert progress.submitted == 3 and progress.paper == 1 and progress.assisted == 1
    assert dict(progress.per_link) == {"Algemeen": 1, "Adviesraad": 1}
    assert dict(progress.per_day)[day] == 2
    channels = sorted(db.session.scalars(select(ResidentResponse.channel)))
    assert channels == ["online", "online", "papier"]
    groups = {g["kind"]: g for g in service.groups_summary(round_)}
    assert groups["residents"]["submitted"] == 3 and groups["bestuur"]["submitted"] == 0


def test_bestuur_ambition_sets_targets(round_):
    link = service.links(service.group(round_, KIND_BESTUUR))[0]
    key = ("informatie", "taal")
    levels = [4, 4, 3]
    for index, level in enumerate(levels):
        service.submit_bestuur(link, {key: (str(level), "5")})
        if index == 1:  # two of three: under k = 3, the banks' targets still hold
            service.set_target_source(round_, "bestuur")
            theme = next(t for t in score(round_, 1).departments[0].themes()
                         if (t.bank_id, t.theme_id) == key)
            assert theme.target == 75.0
    theme = next(t for t in score(round_, 1).departments[0].themes()
                 if (t.bank_id, t.theme_id) == key)
    assert theme.target == 100.0  # median of 4, 4, 3 = level 4
    row = next(r for r in service.perspectives(round_).municipality_rows()
               if (r.bank_id, r.theme_id) == key)
    assert row.ambition == 100.0 and row.importance == 5.0
    assert service.perspectives(round_).target_source == "bestuur"
    with pytest.raises(InvalidInput):
        service.submit_bestuur(link, {key: ("5", "3")})
    with pytest.raises(InvalidInput):
        service.submit_bestuur(link, {("informatie", "bestaat_niet"): ("2", "3")})
