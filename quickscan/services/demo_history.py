"""The demo's history: the same departments measured a year earlier, on the oldest banks.

:func:`add_history` adds a closed round dated a year before the demo round, on the first
version of every bank the demo round uses (the 1.0.0 banks when the demo round has 2.0.0),
with simulated answers of a somewhat lower maturity, and makes the demo round its next
measurement: each question about :data:`GROWTH` scale levels below where the department
stands now, so the change shows growth with some setbacks. So a new user sees the
"Ontwikkeling" pages, the change since the previous round and the compatibility share of the
1.0.0 -> 2.0.0 change at once.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from quickscan.bank import Bank
from quickscan.bank_diff import diff_banks
from quickscan.extensions import db
from quickscan.models import (
    RESPONSE_SUBMITTED,
    ROUND_CLOSED,
    Answer,
    Department,
    ImportanceRating,
    Response,
    Round,
)
from quickscan.services import group_size, tokens
from quickscan.services import rounds as round_service
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import round_bank_map

#: How much lower the demo departments scored a year earlier (in scale levels), on average.
GROWTH = 0.45
HISTORY_SEED_OFFSET = 1
MIN_RESPONDENTS = 3


def _levels_now(department: Department) -> dict[str, float]:
    """Mean level per question of a department's submitted demo responses."""
    given: dict[str, list[int]] = defaultdict(list)
    for response in department.responses:
        if response.status == RESPONSE_SUBMITTED:
            for answer in response.answers:
                if answer.value.isdigit():
                    given[answer.question_id].append(int(answer.value))
    return {question: sum(values) / len(values) for question, values in given.items()}


def _old_ids(now_banks: dict[str, Bank], old_banks: dict[str, Bank]) -> dict[str, list[str]]:
    """Old question id -> the new question ids it continues in (kept, replaced, split, merged)."""
    out: dict[str, list[str]] = defaultdict(list)
    for bank_id, old in old_banks.items():
        new = now_banks.get(bank_id)
        if new is None:
            continue
        diff = diff_banks(old, new)
        for question_id in diff.kept:
            out[question_id].append(question_id)
        for old_id, new_id in diff.replaced:
            out[old_id].append(new_id)
        for old_id, new_ids in diff.split:
            out[old_id].extend(new_ids)
        for old_ids, new_id in diff.merged:
            for old_id in old_ids:
                out[old_id].append(new_id)
    return out


def _clamp(value: float) -> int:
    return max(0, min(4, round(value)))


def _simulate_before(rng: random.Random, old: Department, now: Department,
                     banks: dict[str, Bank], when: datetime.datetime, respondents: int) -> None:
    """Submitted responses of a year earlier: per question about :data:`GROWTH` levels below
    the department's level now (the questions that changed follow the ones they became)."""
    levels = _levels_now(now)
    overall = sum(levels.values()) / len(levels) if levels else 2.0
    follows = _old_ids(round_bank_map(now.round), banks)
    growth = {(bank_id, theme.id): GROWTH + rng.gauss(0.0, 0.35)
              for bank_id in old.bank_ids if bank_id in banks
              for theme in banks[bank_id].themes}
    for index in range(max(respondents, MIN_RESPONDENTS)):
        started = when + datetime.timedelta(days=rng.uniform(1, 20), minutes=index)
        response = Response(
            department=old, resume_token_hash=tokens.hash_token(tokens.new_resume_token()),
            status=RESPONSE_SUBMITTED, created_at=started, updated_at=started,
            submitted_at=started + datetime.timedelta(minutes=rng.uniform(15, 45)))
        db.session.add(response)
        bias = rng.gauss(0.0, 0.4)
        for bank_id in old.bank_ids:
            bank = banks.get(bank_id)
            if bank is None:
                continue
            for theme in bank.themes:
                for question in theme.questions:
                    later = [levels[q] for q in follows.get(question.id, []) if q in levels]
                    base = sum(later) / len(later) if later else overall
                    roll = rng.random()
                    value = ("dont_know" if roll < 0.08 else "not_applicable" if roll < 0.1
                             else str(_clamp(rng.gauss(base - growth[(bank_id, theme.id)]
                                                       + bias, 0.6))))
                    response.answers.append(Answer(question_id=question.id, value=value,
                                                   updated_at=started))
                response.importance_ratings.append(ImportanceRating(
                    bank_id=bank_id, theme_id=theme.id, value=max(1, min(5, round(3 + rng.gauss(0, 1))))))


def add_history(current: Round, *, seed: int, secret_key: str | bytes,
                today: datetime.date) -> Round:
    """Add the demo round's predecessor (inside the caller's unit of work) and link the two."""
    from quickscan.services.demo import DEMO_DEPARTMENTS

    catalog = bank_catalog()
    first = {rb.bank_id: catalog.versions(rb.bank_id)[0] for rb in current.banks
             if catalog.versions(rb.bank_id)}
    # A bank with no version before the demo round's (new since, like a 2.0.0-only bank) did
    # not exist a year earlier, unless no bank has an older version at all.
    older = {bank_id: version for bank_id, version in first.items()
             if len(catalog.versions(bank_id)) > 1}
    banks = older or first
    # The municipal group is no department: create_round adds it for the municipal bank.
    departments = [(d.name, [b for b in d.bank_ids if b in banks]) for d in current.departments
                   if not round_service.is_municipal_group(d)]
    year_ago = today - datetime.timedelta(days=365)
    earlier = round_service.create_round(
        name=f"Quickscan inclusief beleid {year_ago.year}",
        municipality=current.municipality,
        description=("Demoronde van vorig jaar: de eerste meting van Gemeente Voorbeeld, op de "
                     "eerste versie van de vragenlijsten. De antwoorden zijn gesimuleerd."),
        deadline=year_ago + datetime.timedelta(days=28), banks=banks,
        departments=departments, secret_key=secret_key)
    when = datetime.datetime.combine(year_ago, datetime.time(9, 0), datetime.UTC)
    earlier.created_at = when
    earlier.status = ROUND_CLOSED
    earlier.min_group_size = group_size.min_group_size(current)
    pinned = round_bank_map(earlier)
    by_name = {d.name: d for d in earlier.departments}
    rng = random.Random(seed + HISTORY_SEED_OFFSET)
    sizes = {profile.name: profile.respondents for profile in DEMO_DEPARTMENTS}
    for department in current.departments:
        old = by_name.get(department.name)
        if old is not None:
            _simulate_before(rng, old, department, pinned, when,
                             sizes.get(department.name, MIN_RESPONDENTS))
    db.session.flush()
    current.previous_round_id = earlier.id
    for department in current.departments:
        department.continues = [department.name] if department.name in by_name else []
    db.session.flush()
    return earlier
