"""Shared pieces of the LIA tests: row counts and a scored round."""

from __future__ import annotations

from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import (
    LiaAction,
    LiaBallot,
    LiaCandidate,
    LiaNote,
    LiaPlan,
    LiaVote,
)

TABLES = (LiaPlan, LiaCandidate, LiaBallot, LiaVote, LiaAction, LiaNote)


def counts() -> dict[str, int]:
    """Rows per LIA table (bad input must leave these unchanged)."""
    db.session.expire_all()
    return {model.__tablename__: db.session.execute(select(func.count()).select_from(model))
            .scalar_one() for model in TABLES}


def vote_totals() -> int:
    """Every vote counted (tallies included)."""
    return int(db.session.execute(select(func.coalesce(func.sum(LiaVote.count), 0)))
               .scalar_one())
