"""``make run`` stays the only command: ``quickscan run`` sends queued e-mail itself, through
the Huey consumer thread it starts in-process."""

from __future__ import annotations

import time

import pytest

from tests.mail.conftest import Received
from tests.test_make_run import QUICKSCAN, env, free_port, quickscan, serving  # noqa: F401

pytestmark = pytest.mark.slow


def test_quickscan_run_sends_a_mailing_queued_by_another_process(env, tmp_path):  # noqa: F811
    from aiosmtpd.controller import Controller

    from tests.mail.conftest import Handler

    received = Received()
    smtp_port = free_port()
    controller = Controller(Handler(received), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    env = dict(env, QUICKSCAN_MAIL_HOST="127.0.0.1", QUICKSCAN_MAIL_PORT=str(smtp_port),
               QUICKSCAN_MAIL_USE_TLS="false", QUICKSCAN_MAIL_SENDER="qs@gemeente.nl",
               QUICKSCAN_BASE_URL=f"http://127.0.0.1:{port}",
               QUICKSCAN_HUEY_URL=f"sqlite:///{tmp_path / 'huey.db'}",
               QUICKSCAN_SECRET_KEY="run-consumer-test")
    try:
        assert QUICKSCAN.exists()
        quickscan(env, "db", "upgrade")
        quickscan(env, "demo", "--if-empty")
        with serving(env, port):
            # another process (here: a second app on the same database and queue) queues
            import subprocess
            import sys

            script = (
                "from quickscan import create_app, tasks\n"
                "from quickscan.services import invitations, rounds\n"
                "app = create_app()\n"
                "with app.app_context():\n"
                "    r = rounds.list_rounds()[0]\n"
                "    invitations.add_invitees(r.departments[0], 'a@gemeente.nl\\nb@gemeente.nl',"
                " 'personal')\n"
                "    tasks.enqueue_batch(invitations.queue_invitations(r).id)\n")
            done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                  text=True, timeout=60, check=False)
            assert done.returncode == 0, done.stderr
            deadline = time.monotonic() + 30
            while len(received.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
        assert sorted(str(m["To"]) for m in received.messages) == ["a@gemeente.nl",
                                                                   "b@gemeente.nl"]
        assert all(f"http://127.0.0.1:{port}/p/" in m.get_body(("plain",)).get_content()
                   for m in received.messages)
    finally:
        controller.stop()
