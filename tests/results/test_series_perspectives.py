"""The trend per perspective and the LIA actions beside the change, on a small series built
here: round 1 on informatie 1.0.0 with an inwoners and a bestuur group and a speerpunt with an
action on informatie/taal, round 2 its next measurement on informatie 2.0.0.

Every expected figure is recomputed from the raw ratings of this file (not from
quickscan/comparison.py); the trend page, the HTML report and the PDF (pdftotext) are read."""

from __future__ import annotations

import re
import subprocess
from statistics import median

import pytest

from quickscan import links
from quickscan.comparison import compare_residents, match_statements
from quickscan.extensions import db
from quickscan.models import (
    KIND_BESTUUR,
    KIND_RESIDENTS,
    RESPONSE_SUBMITTED,
    Answer,
    Response,
    Round,
)
from quickscan.services import lia, reports, rounds, series, trend
from quickscan.services import perspectives as groups
from quickscan.services.banks import catalog, round_bank_map
from quickscan.services.group_size import set_min_group_size
from quickscan.services.tokens import hash_token, new_resume_token

TAAL = ("informatie", "taal")
DIGITAAL = ("informatie", "digitaal")
#: The inwoners' ratings (1-5) of inwoners.brieven (mirrors informatie/taal) per round.
BRIEVEN = {1: [2, 3, 2], 2: [4, 4, 4]}
#: ... and of inwoners.website (mirrors informatie/digitaal).
WEBSITE = {1: [3, 3, 4], 2: [2, 3, 3]}
#: The bestuur's ambition levels (0-4) for informatie/taal per round.
AMBITION = {1: [2, 3], 2: [3, 4]}
#: The department's level on every question of informatie, per round.
LEVEL = {1: "1", 2: "3"}
ACTION = "Alle brieven op taalniveau B1"
#: The titles of informatie/taal (2.0.0) and its bank, as the tables show them.
TAAL_TITLE = "Eenvoudige taal en makkelijk lezen"


def _answer(round_: Round, level: str, respondents: int = 2) -> None:
    department = round_.departments[0]
    bank = round_bank_map(round_)["informatie"]
    for _index in range(respondents):
        response = Response(department=department, status=RESPONSE_SUBMITTED,
                            resume_token_hash=hash_token(new_resume_token()))
        response.answers = [Answer(question_id=q.id, value=level) for q in bank.questions]
        db.session.add(response)
    db.session.commit()


def _groups(round_: Round, number: int, residents: int | None = None) -> None:
    secret = links.secret_key()
    if groups.group(round_, KIND_RESIDENTS) is None:
        groups.add_residents_group(round_, secret_key=secret)
    if groups.group(round_, KIND_BESTUUR) is None:
        groups.add_bestuur_group(round_, secret_key=secret)
    groups.set_residents_min_group_size(round_, 3)
    resident_link = groups.links(groups.group(round_, KIND_RESIDENTS))[0]
    pairs = list(zip(BRIEVEN[number], WEBSITE[number], strict=True))
    for brieven, website in pairs[:residents]:
        groups.submit_residents(resident_link, groups.ResidentSubmission(
            answers={"inwoners.brieven": str(brieven), "inwoners.website": str(website)},
            comments={}))
    bestuur_link = groups.links(groups.group(round_, KIND_BESTUUR))[0]
    for level in AMBITION[number]:
        groups.submit_bestuur(bestuur_link, {TAAL: (level, 4)})


def _build(residents_first: int | None = None) -> tuple[Round, Round]:
    first = rounds.create_round("Meting 2025", "Gemeente Test", banks={"informatie": "1.0.0"},
                                departments=[("Burgerzaken", ["informatie"])],
                                secret_key=links.secret_key())
    set_min_group_size(first, 2)
    _answer(first, LEVEL[1])
    _groups(first, 1, residents_first)
    speerpunt = lia.add_candidate(first, "Begrijpelijke brieven",
                                  themes=["informatie/taal"])
    lia.choose(first, 1)
    lia.add_action(first, speerpunt.id, ACTION, "Burgerzaken", status="bezig",
                   themes=["informatie/taal"])
    second = series.next_round(first, "Meting 2026", secret_key=links.secret_key())
    _answer(second, LEVEL[2])
    _groups(second, 2)
    # An action of round 2's own agenda is planned after round 2: not beside round 2's change.
    later = lia.add_candidate(second, "Later speerpunt", themes=["informatie/taal"])
    lia.choose(second, 1)
    lia.add_action(second, later.id, "Actie van later", "Burgerzaken",
                   themes=["informatie/taal"])
    return first, second


def _points(ratings: list[int]) -> float:
    return sum(25 * (r - 1) for r in ratings) / len(ratings)


def _pdf_text(round_: Round) -> str:
    data = reports.render_pdf(reports.report_content(round_))
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data,
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def _flat(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def pair(app) -> tuple[Round, Round]:
    return _build()


def test_next_round_copies_the_groups(pair):
    _first, second = pair
    assert groups.group(second, KIND_RESIDENTS) is not None
    assert groups.group(second, KIND_BESTUUR) is not None
    assert groups.settings(second).residents_min_group_size == 3
    assert {rb.version for rb in second.banks} == {"2.0.0"}


def test_perspective_trend_is_recomputed_from_the_ratings(pair):
    _first, second = pair
    chapter = trend.trend_chapter(second)
    sections = {s.kind: s for s in chapter.perspectives}
    assert set(sections) == {"residents", "ambition"}
    residents = {(r.bank_id, r.theme_id): r for r in sections["residents"].rows}
    for key, ratings in ((TAAL, BRIEVEN), (DIGITAAL, WEBSITE)):
        row = residents[key]
        assert row.scores == pytest.approx((_points(ratings[1]), _points(ratings[2])))
        assert row.delta == pytest.approx(_points(ratings[2]) - _points(ratings[1]))
        # the residents bank is the same version: every statement is comparable
        assert (row.comparable_questions, row.questions) == (1, 1)
        assert not row.hidden and not row.partial
    ambition = {(r.bank_id, r.theme_id): r for r in sections["ambition"].rows}
    row = ambition[TAAL]
    assert row.scores == pytest.approx((25 * median(AMBITION[1]), 25 * median(AMBITION[2])))
    assert row.delta == pytest.approx(25 * (median(AMBITION[2]) - median(AMBITION[1])))
    # the ambition carries its theme's share: taal keeps all its questions in 2.0.0
    old = {q.id for q in round_bank_map(_first)["informatie"].theme("taal").questions}
    new = [q.id for q in round_bank_map(second)["informatie"].theme("taal").questions]
    assert (row.comparable_questions, row.questions) == (
        sum(q in old for q in new), len(new))
    assert set(ambition) == {TAAL}  # the bestuur rated no other theme


def test_perspective_trend_on_the_page_report_and_pdf(coordinator_client, pair):
    _first, second = pair
    delta = _points(BRIEVEN[2]) - _points(BRIEVEN[1])
    shown = f"{delta:+.1f}"
    page = coordinator_client.get(f"/rondes/{second.id}/ontwikkeling")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    flat = _flat(html)
    assert "Inwoners: ervaring per thema" in flat and "Bestuur: ambitie per thema" in flat
    assert html.count('src="data:image/png;base64,') == 3  # Burgerzaken + two perspectives
    assert re.search(TAAL_TITLE + r" [\d,]+ [\d,]+ " + re.escape(shown.replace(".", ",")) +
                     r" 100% \(1/1\)", flat), flat[:3000]
    report = _flat(coordinator_client.get(f"/rondes/{second.id}/rapport")
                   .get_data(as_text=True))
    assert "Inwoners: ervaring per thema" in report
    assert re.search(TAAL_TITLE + r" [\d,.]+ [\d,.]+ " + re.escape(shown) + r" 100%", report)
    text = _pdf_text(second)
    assert "Inwoners: ervaring per thema" in text and "Bestuur: ambitie per thema" in text
    assert re.search(TAAL_TITLE + r"\s+[\d,.]+\s+[\d,.]+\s+" + re.escape(shown.replace(".", ","))
                     + r"\s+100%", text), text


def test_group_under_its_size_gives_no_result(app, coordinator_client):
    _first, second = _build(residents_first=2)  # 2 inwoners < 3 in round 1
    chapter = trend.trend_chapter(second)
    residents = next(s for s in chapter.perspectives if s.kind == "residents")
    assert residents.rows
    for row in residents.rows:
        assert row.hidden and row.delta is None and row.scores[0] is None
        if (row.bank_id, row.theme_id) in (TAAL, DIGITAAL):
            assert row.scores[1] is not None  # round 2 meets its size: its figure stands
    assert any("nog geen resultaat in Meting 2025" in note for note in residents.notes)
    flat = _flat(coordinator_client.get(f"/rondes/{second.id}/ontwikkeling")
                 .get_data(as_text=True))
    assert re.search(TAAL_TITLE + r" nog geen resultaat [\d,]+ nog geen resultaat", flat)
    assert "nog geen resultaat" in _pdf_text(second)
    # the bestuur met its size in both rounds: its change stands
    ambition = next(s for s in chapter.perspectives if s.kind == "ambition")
    assert ambition.rows[0].delta is not None


def test_residents_statements_follow_the_replaces_rule(app):
    old = catalog().latest_residents()
    brieven, website = old.statement("inwoners.brieven"), old.statement("inwoners.website")
    rest = [s for s in old.statements if s.id not in (brieven.id, website.id)]
    reworded = brieven.model_copy(update={"id": "inwoners.brieven_b1",
                                          "replaces": "inwoners.brieven"})
    split = [website.model_copy(update={"id": f"inwoners.website_{n}",
                                        "replaces": "inwoners.website"}) for n in ("a", "b")]
    new = old.model_copy(update={"version": "2.0.0",
                                 "statements": (reworded, *split, *rest)})
    pairs = match_statements(old, new)
    assert pairs["inwoners.brieven_b1"] == "inwoners.brieven"
    assert "inwoners.website_a" not in pairs and "inwoners.website_b" not in pairs
    before = [{"inwoners.brieven": r, "inwoners.website": w}
              for r, w in zip(BRIEVEN[1], WEBSITE[1], strict=True)]
    after = [{"inwoners.brieven_b1": r, "inwoners.website_a": w, "inwoners.website_b": w}
             for r, w in zip(BRIEVEN[2], WEBSITE[2], strict=True)]
    changes = {(c.bank_id, c.theme_id): c
               for c in compare_residents(old, before, False, new, after, False)}
    taal, digitaal = changes[TAAL], changes[DIGITAAL]
    assert taal.delta == pytest.approx(_points(BRIEVEN[2]) - _points(BRIEVEN[1]))
    assert (taal.comparable_questions, taal.questions) == (1, 1)
    assert digitaal.delta is None and (digitaal.comparable_questions, digitaal.questions) == (0, 2)
    assert digitaal.partial
    hidden = compare_residents(old, before, True, new, after, False)
    assert all(c.hidden and c.delta is None and c.score is None for c in hidden)


def test_previous_rounds_actions_stand_beside_their_themes_change(coordinator_client, pair):
    first, second = pair
    chapter = trend.trend_chapter(second)
    rows = {(r.theme_id): r for s in chapter.sections for r in s.rows}
    assert [(a.title, a.status) for a in rows["taal"].actions] == [(ACTION, "bezig")]
    assert all(not r.actions for key, r in rows.items() if key != "taal")
    taal = rows["taal"]
    assert taal.delta == pytest.approx(50.0)  # level 1 -> 3 on every question, 25 a level
    shown = f"{taal.delta:+.1f}"
    page = _flat(coordinator_client.get(f"/rondes/{second.id}/ontwikkeling")
                 .get_data(as_text=True))
    assert re.search(r"– " + TAAL_TITLE + r" [\d,]+ [\d,]+ " + re.escape(shown.replace(".", ",")) +
                     r" 100% \(\d+/\d+\) " + re.escape(f"{ACTION} (bezig)"), page), page[:4000]
    assert "Actie van later" not in page
    report = _flat(coordinator_client.get(f"/rondes/{second.id}/rapport")
                   .get_data(as_text=True))
    assert re.search(r"– " + TAAL_TITLE + r" [\d,.]+ [\d,.]+ " + re.escape(shown) + r" 100% " +
                     re.escape(f"{ACTION} (bezig)"), report)
    text = _pdf_text(second)
    line = next(x for x in text.splitlines() if "– Eenvoudige taal" in x)
    assert shown.replace(".", ",") in line and "100%" in line and "Alle brieven" in line
    assert "(bezig)" in text and "Actie van later" not in text
    # the status follows the action: finishing it shows "gereed" beside the change
    action = lia.all_actions(first)[0][1]
    lia.update_action(first, action, status="gereed")
    again = trend.trend_chapter(second)
    assert [a.status for s in again.sections for r in s.rows for a in r.actions] == ["gereed"]
    # the first round has no previous round, so no actions beside a change
    assert trend.previous_actions(first) == ()


def test_an_action_without_themes_follows_its_speerpunt(app):
    first, second = _build()
    extra = lia.add_candidate(first, "Digitaal toegankelijk", themes=["informatie/digitaal"],
                              departments=["Burgerzaken"])
    lia.choose(first, 2)
    lia.add_action(first, extra.id, "Toegankelijke formulieren", "Burgerzaken")
    found = {(a.bank_id, a.theme_id, a.title, a.status, a.department)
             for a in trend.previous_actions(second)}
    assert ("informatie", "digitaal", "Toegankelijke formulieren", "gepland",
            "Burgerzaken") in found
    rows = {r.theme_id: r for s in trend.trend_chapter(second).sections for r in s.rows}
    assert [a.title for a in rows["digitaal"].actions] == ["Toegankelijke formulieren"]


def test_next_round_form_says_the_groups_come_along(coordinator_client, pair):
    first, _second = pair
    html = _flat(coordinator_client.get(f"/rondes/{first.id}/volgende-meting")
                 .get_data(as_text=True))
    assert "De groepen inwoners en bestuur komen ook in de nieuwe ronde" in html
