"""Forms of the inwoners and bestuur pages: CSRF-protected, their fields read by name.

The statements and themes are known only at runtime (the round's pinned banks), so the posted
fields are parsed here into plain mappings for :mod:`quickscan.services.perspectives`; anything
unexpected is refused there with nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from quickscan.services.perspectives import ResidentSubmission

#: The honeypot field: hidden from people, filled in by bots; a filled one stores nothing.
HONEYPOT = "website"


class CsrfForm(FlaskForm):
    """Only the CSRF token; the other fields are read by :func:`residents_submission`."""


def honeypot_filled(form: MultiDict[str, str]) -> bool:
    """True when the hidden field was filled in (a bot)."""
    return bool(form.get(HONEYPOT, "").strip())


def residents_submission(form: MultiDict[str, str], statement_ids: Sequence[str]
                         ) -> ResidentSubmission:
    """The answers, comments, role and begeleider mark of a posted residents form."""
    answers = {sid: form[f"a-{sid}"] for sid in statement_ids if form.get(f"a-{sid}")}
    comments = {sid: form[f"c-{sid}"] for sid in statement_ids if form.get(f"c-{sid}")}
    return ResidentSubmission(answers=answers, comments=comments,
                              participant_role=form.get("role") or None,
                              assisted=form.get("assisted") == "1")


def bestuur_ratings(form: MultiDict[str, str], themes: Sequence[tuple[str, str]]
                    ) -> Mapping[tuple[str, str], tuple[str | None, str | None]]:
    """Per theme: the posted ambition level and importance (None when left empty)."""
    return {(b, t): (form.get(f"l-{b}/{t}") or None, form.get(f"i-{b}/{t}") or None)
            for b, t in themes}
