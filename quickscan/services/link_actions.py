"""What renewing or revoking a department's invitation link affects, read before confirming.

The coordinator's confirmation page shows how many people already started with the current
link: they keep going through their own resume link, but a link mailed to colleagues who did not
start yet stops working.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import RESPONSE_SUBMITTED, Department, Invitation, Response


@dataclass(frozen=True)
class LinkUsage:
    """How a department's current link was used: responses started and submitted since it
    was made (all of the department's responses when it has no active link)."""

    active: bool
    started: int
    submitted: int


def current_invitation(department: Department) -> Invitation | None:
    """The department's active invitation, or None when its link is revoked."""
    active = [invitation for invitation in department.invitations if invitation.active]
    return max(active, key=lambda invitation: invitation.created_at) if active else None


def link_usage(department: Department) -> LinkUsage:
    """Responses started (and submitted) in the department since its current link was made."""
    invitation = current_invitation(department)
    query = (select(Response.status, func.count(Response.id))
             .where(Response.department_id == department.id)
             .group_by(Response.status))
    if invitation is not None and invitation.created_at is not None:
        query = query.where(Response.created_at >= invitation.created_at)
    counts: dict[str, int] = {status: count for status, count in db.session.execute(query)}
    return LinkUsage(active=invitation is not None, started=sum(counts.values()),
                     submitted=counts.get(RESPONSE_SUBMITTED, 0))
