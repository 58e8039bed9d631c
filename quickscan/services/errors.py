"""Domain exceptions raised by the services.

They carry a Dutch, user-facing message (already translated) and no HTTP status: each
blueprint maps them to a page in one place (``quickscan.errors.register_domain_errors``; the
status each kind answers with is in ``quickscan.errors.DOMAIN_STATUSES``). Subclass the kind
that fits, e.g. ``class RoundClosed(Conflict)``.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every domain exception; ``message`` is shown to the user as it is."""

    default_message = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)


class NotFound(DomainError):
    """The thing asked for does not exist (or may not be revealed)."""


class InvalidInput(DomainError):
    """The request's data is malformed or out of range; nothing was written."""


class NeedsCorrection(InvalidInput):
    """Input a user typed and can correct (missing, too long, a name already taken).

    Unlike a plain :class:`InvalidInput` (forged or impossible values, which no form of the
    app sends), the form is shown again with everything typed and this message.
    """


class Conflict(DomainError):
    """The request is valid but conflicts with the current state (closed, submitted, taken)."""


class Forbidden(DomainError):
    """The user may not do this."""


class Gone(DomainError):
    """The thing existed but was revoked or removed on purpose."""
