"""The background task queue (Huey), shared by e-mail sending and other slow work.

Storage, from ``QUICKSCAN_HUEY_URL``:

- unset: ``SqliteHuey`` in the instance folder (``instance/huey.db``), the embedded default;
- ``redis://…``: ``RedisHuey`` (needs the ``redis`` package: ``pip install redis``);
- ``sqlite:///path``: ``SqliteHuey`` at that path;
- ``QUICKSCAN_HUEY_IMMEDIATE=1``: Huey's immediate mode (tasks run at once, in the caller).

Who runs the tasks (``QUICKSCAN_TASK_CONSUMER``):

- ``auto`` (default): a consumer thread inside the app when it is served by ``quickscan run``
  (so ``make run`` stays the only command); otherwise none;
- ``thread``: always a consumer thread inside the app process (e.g. a single gunicorn worker);
- ``none``: run ``quickscan worker`` beside the app servers (recommended with several workers).

Tasks run inside an app context. A periodic tick (every minute) resumes batches that still
have queued messages (after a restart or an unreachable mail server), sends the scheduled
reminders and deletes expired addresses. Other modules register their own tasks with
:func:`task` (e.g. ``tasks.task(name="report")(build_report)``): a round's charts are rendered
into the shared chart store when its results change (:mod:`quickscan.services.chart_jobs`) and
large reports are built as jobs with a progress page (:mod:`quickscan.services.report_jobs`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab  # type: ignore[import-untyped]  # untyped
from huey.consumer import Consumer  # type: ignore[import-untyped]  # huey ships no type hints

log = logging.getLogger("quickscan.tasks")

EXTENSION = "quickscan.huey"


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "ja", "on")
    return bool(value)


def make_huey(app: Flask) -> Huey:
    """The Huey instance the app's configuration asks for."""
    url = str(app.config.get("HUEY_URL") or "")
    immediate = _flag(app.config.get("HUEY_IMMEDIATE", False))
    name = "quickscan"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, immediate=immediate)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif url:
        raise ValueError("QUICKSCAN_HUEY_URL must start with redis:// or sqlite:///")
    else:
        path = str(Path(app.instance_path) / "huey.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=path, immediate=immediate)


def get_huey(app: Flask | None = None) -> Huey:
    """The app's Huey instance."""
    huey: Huey = (app or current_app).extensions[EXTENSION]
    return huey


def task(app: Flask, name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Register ``func`` as a task of ``app``'s queue; it runs inside an app context."""
    huey = get_huey(app)

    def decorator(func: Callable[..., Any]) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return func(*args, **kwargs)

        run.__name__ = name
        run.__qualname__ = name
        run.__module__ = "quickscan.tasks"
        return huey.task(name=name, **options)(run)

    return decorator


# --------------------------------------------------------------------------- the mail tasks


def _send_batch(batch_id: int) -> dict[str, Any]:
    from quickscan.services import invitations

    outcome = invitations.send_batch(batch_id)
    return {"sent": outcome.sent, "failed": outcome.failed, "uncertain": outcome.uncertain,
            "left": outcome.left}


def _tick() -> None:
    """Resume interrupted batches, queue scheduled reminders, delete expired addresses."""
    from quickscan.services import invitations, mail
    from quickscan.services.uow import discard

    try:
        invitations.purge_expired()
        invitations.scheduled_reminders()
        invitations.recover_stale()
        if mail.is_configured():
            for batch_id in invitations.pending_batches():
                invitations.send_batch(batch_id)
    except Exception:
        discard()
        log.exception("task queue: the periodic tick failed")


def enqueue_batch(batch_id: int) -> None:
    """Send a batch in the background (or at once in immediate mode)."""
    current_app.extensions["quickscan.tasks"]["send_batch"](batch_id)


# --------------------------------------------------------------------------- consumers


class _InProcessConsumer(Consumer):  # type: ignore[misc]
    """A Huey consumer in threads of the app's own process (no signal handlers)."""

    def _set_signal_handlers(self) -> None:
        return


_consumers: dict[int, _InProcessConsumer] = {}
_lock = threading.Lock()


def start_in_process(app: Flask) -> _InProcessConsumer | None:
    """Start one consumer thread for ``app`` (idempotent); None in immediate mode."""
    huey = get_huey(app)
    if huey.immediate:
        return None
    with _lock:
        consumer = _consumers.get(id(app))
        if consumer is None:
            consumer = _InProcessConsumer(huey, workers=1, worker_type="thread",
                                          periodic=True, check_worker_health=False)
            consumer.start()
            _consumers[id(app)] = consumer
            log.info("task queue: in-process consumer started")
        return consumer


def run_worker(app: Flask, workers: int = 1) -> None:
    """Run a consumer in the foreground (``quickscan worker``) until interrupted."""
    huey = get_huey(app)
    huey.immediate = False
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    with app.app_context():
        from quickscan.extensions import db
        from quickscan.services import invitations

        # Messages a killed worker left in 'sending' become 'uncertain' (never resent);
        # batches it left half done are resumed.
        invitations.recover_stale()
        pending = invitations.pending_batches()
        db.session.remove()
        for batch_id in pending:
            app.extensions["quickscan.tasks"]["send_batch"](batch_id)
    consumer.run()


def _wants_thread(app: Flask) -> bool:
    mode = str(app.config.get("TASK_CONSUMER", "auto")).lower()
    if mode == "thread":
        return True
    if mode != "auto":
        return False
    # ``quickscan run`` / ``flask run`` (not its reloader's watcher process)
    import click

    context = click.get_current_context(silent=True)
    served = context is not None and context.command.name == "run"
    reloader_parent = (os.environ.get("WERKZEUG_RUN_MAIN") != "true"
                       and _flag(os.environ.get("FLASK_DEBUG", "")))
    return served and not reloader_parent and not app.testing


def init_app(app: Flask) -> None:
    """Create the app's queue, register the tasks and, when asked, start a consumer thread."""
    app.config.setdefault("HUEY_URL", "")
    app.config.setdefault("HUEY_IMMEDIATE", False)
    app.config.setdefault("TASK_CONSUMER", "auto")
    huey = make_huey(app)
    app.extensions[EXTENSION] = huey
    from quickscan.services import chart_jobs, report_jobs

    chart_jobs.configure(app)
    registry = {
        "send_batch": task(app, "send_mail_batch", retries=0)(_send_batch),
        "render_charts": task(app, chart_jobs.TASK, retries=0)(chart_jobs.render_round_charts),
        "build_report": task(app, report_jobs.TASK, retries=0)(report_jobs.run_job),
    }

    # huey ships no type hints, so its decorator leaves ``tick`` untyped
    @huey.periodic_task(crontab(minute="*"), name="mail_tick")  # type: ignore[untyped-decorator]
    def tick() -> None:
        with app.app_context():
            _tick()

    registry["tick"] = tick
    app.extensions["quickscan.tasks"] = registry
    if _wants_thread(app):
        start_in_process(app)
