"""Outgoing e-mail over SMTP, through Flask-Mailman.

Configured with environment variables (``QUICKSCAN_`` + the key):

=====================  ==========================================================
``MAIL_HOST``          SMTP server; without it (or without ``MAIL_SENDER``) e-mail is off
``MAIL_PORT``          default 587 (25 without TLS/SSL, 465 with SSL)
``MAIL_USE_TLS``       STARTTLS (default true unless ``MAIL_USE_SSL``)
``MAIL_USE_SSL``       implicit TLS ("SMTPS"), default false
``MAIL_USERNAME``      optional login
``MAIL_PASSWORD``      optional password: from the environment only, never stored or shown
``MAIL_SENDER``        the From address, e.g. ``Quickscan <quickscan@gemeente.nl>``
``MAIL_TIMEOUT``       seconds, default 30
=====================  ==========================================================

Without configuration the rest of the app works and the pages say that e-mail is off.
Error messages never contain a link, a token or the password.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_mailman import EmailMultiAlternatives, Mail  # type: ignore[import-untyped]  # untyped

from quickscan.services.errors import Conflict, InvalidInput

mail = Mail()

#: Keys this module reads, with their defaults.
DEFAULTS: dict[str, object] = {
    "MAIL_HOST": "",
    "MAIL_PORT": None,
    "MAIL_USE_TLS": None,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_SENDER": "",
    "MAIL_TIMEOUT": 30,
}


class MailOff(Conflict):
    """E-mail is not configured."""


class MailFailed(Conflict):
    """The SMTP server could not be reached or refused the message; nothing was sent."""


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "ja", "on")
    return bool(value)


def init_app(app: Flask) -> None:
    """Read the ``MAIL_*`` settings and bind Flask-Mailman."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    use_ssl = _flag(app.config["MAIL_USE_SSL"])
    use_tls = (not use_ssl) if app.config["MAIL_USE_TLS"] is None else _flag(
        app.config["MAIL_USE_TLS"])
    port = app.config["MAIL_PORT"]
    if port in (None, ""):
        port = 465 if use_ssl else (587 if use_tls else 25)
    app.config.update({
        # Flask-Mailman's own names
        "MAIL_SERVER": str(app.config["MAIL_HOST"] or "localhost"),
        "MAIL_PORT": int(port),
        "MAIL_USE_TLS": use_tls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": str(app.config["MAIL_USERNAME"] or "") or None,
        "MAIL_PASSWORD": str(app.config["MAIL_PASSWORD"] or "") or None,
        "MAIL_DEFAULT_SENDER": str(app.config["MAIL_SENDER"] or ""),
        "MAIL_TIMEOUT": int(app.config["MAIL_TIMEOUT"] or 30),
        "MAIL_BACKEND": "smtp",
    })
    mail.init_app(app)


def is_configured() -> bool:
    """True when an SMTP host and a sender are set."""
    return bool(current_app.config.get("MAIL_HOST") and current_app.config.get("MAIL_SENDER"))


def check_configured() -> None:
    """Raise :class:`MailOff` with a Dutch message when e-mail is not configured."""
    if not is_configured():
        raise MailOff(_("E-mail staat uit: er is geen mailserver ingesteld "
                        "(QUICKSCAN_MAIL_HOST en QUICKSCAN_MAIL_SENDER)."))


def describe() -> dict[str, object]:
    """The mail settings as the coordinator may see them (never the password)."""
    config = current_app.config
    return {"configured": is_configured(), "host": config.get("MAIL_HOST") or "",
            "port": config.get("MAIL_PORT"), "tls": config.get("MAIL_USE_TLS"),
            "ssl": config.get("MAIL_USE_SSL"), "sender": config.get("MAIL_SENDER") or "",
            "username": config.get("MAIL_USERNAME") or ""}


@dataclass(frozen=True)
class Message:
    """One e-mail: recipient, subject, plain text and HTML parts, language."""

    to: str
    subject: str
    text: str
    html: str
    language: str = "nl"


def _build(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.text,
        from_email=current_app.config["MAIL_SENDER"], to=[message.to],
        headers={"Content-Language": message.language, "Auto-Submitted": "auto-generated"})
    email.attach_alternative(message.html, "text/html")
    return email


def failure_text(exc: BaseException) -> str:
    """A Dutch description of an SMTP failure, without addresses of links."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("De mailserver weigert de inlog (controleer QUICKSCAN_MAIL_USERNAME en het "
                 "wachtwoord).")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("De mailserver weigert het adres van de ontvanger.")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _("De mailserver weigert het afzenderadres (QUICKSCAN_MAIL_SENDER).")
    if isinstance(exc, (ConnectionError, socket.timeout, TimeoutError, socket.gaierror,
                        smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
        return _("De mailserver is niet bereikbaar. Er is niets verstuurd; probeer het later "
                 "opnieuw.")
    return _("De mailserver gaf een foutmelding; het bericht is niet verstuurd.")


def is_definite_failure(exc: BaseException) -> bool:
    """True when the server certainly did not accept the message (safe to send again)."""
    return isinstance(exc, (ConnectionRefusedError, socket.gaierror, smtplib.SMTPConnectError,
                            smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused,
                            smtplib.SMTPSenderRefused, smtplib.SMTPHeloError))


class Connection:
    """One SMTP connection for a batch: ``send`` raises the SMTP or socket error as it is."""

    def __init__(self) -> None:
        check_configured()
        self._connection = mail.get_connection(fail_silently=False)
        self._open = False

    def open(self) -> None:
        """Connect (and log in) now, so an unreachable server fails before any claim."""
        if not self._open:
            self._connection.open()
            self._open = True

    def send(self, message: Message) -> None:
        """Send one message; raises on any failure."""
        self.open()
        sent = self._connection.send_messages([_build(message)])
        if sent != 1:
            raise smtplib.SMTPException("message not accepted")

    def close(self) -> None:
        """Close the connection, ignoring errors."""
        if self._open:
            try:
                self._connection.close()
            except (OSError, smtplib.SMTPException):
                pass
            self._open = False


def probe() -> None:
    """Connect to the SMTP server (and log in) once; raises :class:`MailFailed` in Dutch."""
    connection = Connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("mail: server check failed: %s", type(exc).__name__)
        raise MailFailed(failure_text(exc)) from exc
    finally:
        connection.close()


def send_now(messages: Sequence[Message]) -> None:
    """Send messages at once (the test message); raises :class:`MailFailed` in Dutch."""
    connection = Connection()
    try:
        for message in messages:
            connection.send(message)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("mail: sending failed: %s", type(exc).__name__)
        raise MailFailed(failure_text(exc)) from exc
    finally:
        connection.close()


def test_message(address: str) -> Message:
    """The "stuur een testbericht" message to ``address`` (validated first)."""
    from flask import render_template

    from quickscan.services.invitations import clean_address

    clean = clean_address(address)
    if clean is None:
        raise InvalidInput(_("‘%(address)s’ is geen geldig e-mailadres.", address=address[:254]))
    subject = _("Testbericht van de Quickscan Inclusieve Gemeente")
    context = {"subject": subject, "lang": "nl"}
    return Message(to=clean, subject=subject,
                   text=render_template("mail/test.txt", **context),
                   html=render_template("mail/test.html", **context))
