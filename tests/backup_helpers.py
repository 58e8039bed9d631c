"""A series of two rounds with everything a backup restores, built through the services.

The first round has departments with responses, an inwoners group (two links, online, paper
and assisted questionnaires, roles, comments, its own minimum size), a closed bestuur group
whose ambitions set the targets, and a Lokale Inclusie Agenda (candidates from the
priorities and of its own, a merge, online ballots and tallies, a closed vote, speerpunten
chosen with a change and its reason, actions owned by a department and by a partner, a
progress note, the public page published). The second round follows it up with two
departments merged into one.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from quickscan.extensions import db
from quickscan.models import Round
from quickscan.services import lia, perspectives, series
from tests.factories import build_round

PARTNER = "Stichting MEE"


def _residents(round_: Round, secret_key: str) -> None:
    group = perspectives.add_residents_group(round_, secret_key=secret_key)
    perspectives.add_shared_link(group, "Wijkcentrum De Brug", secret_key=secret_key)
    general, shared = perspectives.links(group)
    roles = [None, "inwoner", "ervaringsdeskundige", "lid_adviesraad", "mantelzorger",
             "professional"]
    for index in range(6):
        perspectives.submit_residents(
            shared if index % 2 else general, perspectives.ResidentSubmission(
                answers={"inwoners.brieven": str(index % 5 + 1), "inwoners.website": "dont_know",
                         "inwoners.loket": str((index + 2) % 5 + 1)},
                comments={"inwoners.brieven": f"Brieven zijn lastig <b>{index}</b>"}
                if index < 3 else {},
                participant_role=roles[index], assisted=index == 4),
            today=datetime.date(2026, 5, 1 + index % 2))
    perspectives.enter_paper_form(group, perspectives.ResidentSubmission(
        answers={"inwoners.brieven": "2", "inwoners.woning": "4"},
        comments={"inwoners.woning": "=SOM(A1) op papier"}, participant_role="inwoner",
        assisted=True), today=datetime.date(2026, 5, 3))
    perspectives.set_residents_min_group_size(round_, 6)


def _bestuur(round_: Round, secret_key: str) -> None:
    group = perspectives.add_bestuur_group(round_, secret_key=secret_key)
    link = perspectives.links(group)[0]
    themes = perspectives.round_themes(round_)
    for index in range(3):
        ratings = {(bank, theme): (str((index + n) % 5), str(n % 5 + 1) if n % 3 else "")
                   for n, (bank, theme, _title) in enumerate(themes[:6])}
        perspectives.submit_bestuur(link, ratings, today=datetime.date(2026, 5, 10))
    perspectives.set_target_source(round_, "bestuur")
    perspectives.set_group_open(group, False)


def _agenda(round_: Round, secret_key: str) -> None:
    from_priorities = lia.candidates_from_priorities(round_, 20)
    theme = from_priorities[0].themes[0]
    own = lia.add_candidate(round_, "Toegankelijke website", "Voor <iedereen>",
                            themes=[theme])
    double = lia.add_candidate(round_, "Website voor iedereen")
    lia.merge_candidates(round_, own.id, [double.id], "Zelfde onderwerp")
    lia.open_vote(round_, secret_key=secret_key, votes_per_voter=2)
    first, second, third = (c.id for c in from_priorities[:3])
    lia.cast_ballot(round_, lia.new_ballot_token(), [own.id, first], voter_role="inwoner")
    lia.cast_ballot(round_, lia.new_ballot_token(), [second])
    lia.cast_ballot(round_, lia.new_ballot_token(), [first], voter_role="lid_adviesraad")
    lia.add_tally(round_, own.id, "zaal", 12, voter_role="ervaringsdeskundige")
    lia.add_tally(round_, first, "papier", 5)
    lia.close_vote(round_)
    lia.choose(round_, 2, add=[third], reason="De raad koos dit punt erbij")
    lia.add_partner(round_, PARTNER)
    action = lia.add_action(round_, own.id, "WCAG-audit van de website", "Sociaal Domein",
                            deadline="2027-06-30", themes=[theme])
    lia.add_action(round_, first, "Spreekuur in de wijk", PARTNER, status="bezig")
    lia.update_action(round_, action, status="bezig", note="Offerte aangevraagd",
                      day="2026-09-01")
    lia.set_show_results(round_, True)
    lia.set_published(round_, True)


def build_series(secret_key: str) -> tuple[int, int]:
    """The two rounds (ids): the first with everything, the second following it up."""
    from tests.factories import real_banks

    common, other = (bank.id for bank in real_banks(2))
    built = build_round([("Sociaal Domein", [common, other]), ("Ruimte & Wonen", [common, other]),
                         ("Dienstverlening", [common])], bank_count=2)
    round_ = built.round
    _residents(round_, secret_key)
    _bestuur(round_, secret_key)
    _agenda(round_, secret_key)
    plans = [series.DepartmentPlan("Sociaal Domein", tuple(built.departments[0].bank_ids),
                                   ("Sociaal Domein",)),
             series.DepartmentPlan("Ruimte en Dienstverlening", (common,),
                                   ("Ruimte & Wonen", "Dienstverlening"))]
    second = series.next_round(round_, "Vervolgmeting 2027", secret_key=secret_key,
                               departments=plans)
    ids = round_.id, second.id
    db.session.commit()
    return ids


def _utc(value: str) -> str:
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC).isoformat()


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """An export without the moment of export and its random response ids; date-times as UTC
    instants."""
    out = json.loads(json.dumps(data))
    out.pop("exported_at", None)
    for index, response in enumerate(out["responses"] + out["draft_responses"]):
        response["id"] = f"#{index}"

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (_utc(v) if k.endswith("_at") and isinstance(v, str) else walk(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(out)  # type: ignore[no-any-return]


def restorable_tables() -> dict[str, int]:
    """Rows in every table the restorable parts write."""
    from sqlalchemy import func, select

    from quickscan import group_models, models

    tables = (group_models.RoundPerspective, group_models.GroupLink, group_models.GroupState,
              group_models.ResidentResponse, group_models.ResidentAnswer,
              group_models.ResidentComment, group_models.BestuurResponse,
              group_models.AmbitionRating, models.LiaPlan, models.LiaCandidate,
              models.LiaBallot, models.LiaVote, models.LiaAction, models.LiaNote,
              models.Round, models.Department, models.Response)
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in tables}
