"""The unit of work: the one place where a service's writes are committed or rolled back.

Every write in the application runs inside :func:`unit_of_work`::

    with unit_of_work() as session:
        session.add(thing)

On leaving the block without an exception the session is committed; on any exception it is
rolled back and the exception propagates. Blocks nest: only the outermost block commits, so a
service may call another service and the whole stays one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from quickscan.extensions import db

_DEPTH_KEY = "quickscan.uow_depth"


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run a block as one transaction: commit on success, roll back on any exception."""
    session: Session = db.session()
    depth = int(session.info.get(_DEPTH_KEY, 0))
    session.info[_DEPTH_KEY] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH_KEY] = depth


def discard() -> None:
    """Throw away the session's pending changes: for a request or job that must write nothing
    (a preview, a refused form) or that failed outside a unit of work."""
    db.session.rollback()
