"""Shared handling of posted forms: run a service call, show a correctable refusal on the same
page, else flash and redirect (303, post/redirect/get).

Used by the LIA pages (``views/lia.py``) and the inwoners/bestuur pages
(``views/perspectives.py``). A refusal the user can correct (:class:`NeedsCorrection`, 422) or
one the state does not allow (:class:`Conflict`, 409) is shown on the page with its Dutch
message; any other domain error goes to the blueprint's error page. The honeypot check of
public forms is :func:`quickscan.forms.perspectives.honeypot_filled`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect
from werkzeug.wrappers import Response

from quickscan.errors import status_for
from quickscan.forms.perspectives import HONEYPOT, honeypot_filled
from quickscan.services.errors import Conflict, NeedsCorrection

__all__ = ["HONEYPOT", "SHOWN_ON_PAGE", "honeypot_filled", "submit"]

#: Refusals shown on the page the form was posted from (not on the error page).
SHOWN_ON_PAGE = (NeedsCorrection, Conflict)

T = TypeVar("T")


def submit(call: Callable[[], object], *, on_error: Callable[[str, int], T], to: str,
           done: str | None = None) -> Response | T:
    """Run ``call``; on a correctable refusal return ``on_error(message, status)``, else flash
    ``done`` (when given) and redirect to ``to`` with 303."""
    try:
        call()
    except SHOWN_ON_PAGE as exc:
        return on_error(exc.message, status_for(exc))
    if done:
        flash(done, "success")
    return redirect(to, code=303)
