"""Fixtures for the e-mail tests: a real local SMTP server (aiosmtpd on 127.0.0.1, a free
port) started by the tests, and the app switched to it. Never an outside server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from quickscan import tasks
from quickscan.services import accounts
from quickscan.services import mail as mail_service
from tests.rounds_helpers import test_banks  # noqa: F401  (fixture)

EMAIL = "coordinator@gemeente.nl"
PASSWORD = "een-lang-wachtwoord"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """What the local SMTP server received: one parsed message per recipient."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages received for ``address``."""
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


class Handler:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.received.lock:
            self.received.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class Smtp:
    """The running local SMTP server."""

    host: str
    port: int
    received: Received


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Smtp]:
    """An aiosmtpd server on 127.0.0.1 and a free port, for the whole session."""
    received = Received()
    port = free_port()
    controller = Controller(Handler(received), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp("127.0.0.1", port, received)
    finally:
        controller.stop()


def configure_mail(app: Flask, host: str, port: int, sender: str = "Quickscan <quickscan@gemeente.nl>"
                   ) -> None:
    """Point the app's mail settings at ``host:port`` (no TLS, no login)."""
    app.config.update({"MAIL_HOST": host, "MAIL_PORT": port, "MAIL_USE_TLS": False,
                       "MAIL_USE_SSL": False, "MAIL_SENDER": sender, "MAIL_USERNAME": "",
                       "MAIL_PASSWORD": "", "MAIL_TIMEOUT": 5})
    mail_service.init_app(app)


@pytest.fixture
def mail_on(app: Flask, smtp_server: Smtp, test_banks) -> Iterator[Smtp]:  # noqa: F811
    """The app sending to the local SMTP server; tasks run at once (Huey immediate mode)."""
    huey = tasks.get_huey(app)
    configure_mail(app, smtp_server.host, smtp_server.port)
    app.config["BASE_URL"] = "http://quickscan.test"
    huey.immediate = True
    smtp_server.received.clear()
    try:
        yield smtp_server
    finally:
        huey.immediate = False
        app.config.pop("BASE_URL", None)
        configure_mail(app, "", 25, sender="")
        smtp_server.received.clear()


@pytest.fixture
def coordinator(app: Flask):
    """A logged-in coordinator's test client."""
    from tests.rounds_helpers import post

    accounts.create_user(EMAIL, PASSWORD)
    client = app.test_client()
    response = post(client, "/login", {"email": EMAIL, "password": PASSWORD}, form_page="/login")
    assert response.status_code == 303
    return client
