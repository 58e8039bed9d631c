"""The demo's history: the same departments measured a year earlier, on the oldest banks.

:func:`add_history` adds a closed round dated a year before the demo round, on the first
version of every bank the demo round uses (the 1.0.0 banks when the demo round has 2.0.0),
with simulated answers of a somewhat lower maturity, and makes the demo round its next
measurement. So a new user sees the "Ontwikkeling" pages, the change since the previous round
and the compatibility share of the 1.0.0 -> 2.0.0 change at once.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import replace

from quickscan.extensions import db
from quickscan.models import ROUND_CLOSED, Round
from quickscan.services import group_size
from quickscan.services import rounds as round_service
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import round_bank_map

#: How much lower the demo departments scored a year earlier (in scale levels).
GROWTH = 0.45
HISTORY_SEED_OFFSET = 1


def add_history(current: Round, *, seed: int, secret_key: str | bytes,
                today: datetime.date) -> Round:
    """Add the demo round's predecessor (inside the caller's unit of work) and link the two."""
    from quickscan.services.demo import DEMO_DEPARTMENTS, _simulate

    catalog = bank_catalog()
    banks = {rb.bank_id: catalog.versions(rb.bank_id)[0] for rb in current.banks
             if catalog.versions(rb.bank_id)}
    departments = [(d.name, [b for b in d.bank_ids if b in banks]) for d in current.departments]
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
    for profile in DEMO_DEPARTMENTS:
        department = by_name.get(profile.name)
        if department is None:
            continue
        _simulate(rng, department, replace(profile, mean_level=profile.mean_level - GROWTH,
                                           drafts=0), pinned, when)
    db.session.flush()
    current.previous_round_id = earlier.id
    for department in current.departments:
        department.continues = [department.name] if department.name in by_name else []
    db.session.flush()
    return earlier
