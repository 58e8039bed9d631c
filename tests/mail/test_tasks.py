"""The task queue: which Huey storage the configuration picks, and tasks in an app context."""

from __future__ import annotations

from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from quickscan import create_app, tasks


def _app(tmp_path: Path, **config):
    return create_app({"TESTING": True, "SECRET_KEY": "x",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}", **config})


def test_default_queue_is_sqlite_in_the_instance_folder(tmp_path):
    app = _app(tmp_path)
    huey = tasks.get_huey(app)
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    assert huey.storage.filename == str(Path(app.instance_path) / "huey.db")
    names = list(huey._registry._registry)
    assert any(name.endswith("send_mail_batch") for name in names), names
    assert any(name.endswith("mail_tick") for name in names), names


def test_redis_and_sqlite_urls_and_immediate_mode(tmp_path):
    redis_app = _app(tmp_path, HUEY_URL="redis://127.0.0.1:6390/3")
    assert isinstance(tasks.get_huey(redis_app), RedisHuey)  # connects only when used
    sqlite_app = _app(tmp_path, HUEY_URL=f"sqlite:///{tmp_path / 'q' / 'huey.db'}")
    assert tasks.get_huey(sqlite_app).storage.filename == str(tmp_path / "q" / "huey.db")
    immediate = _app(tmp_path, HUEY_IMMEDIATE=True)
    assert tasks.get_huey(immediate).immediate
    with pytest.raises(ValueError):
        _app(tmp_path, HUEY_URL="amqp://elders")


def test_a_registered_task_runs_in_an_app_context(tmp_path):
    app = _app(tmp_path, HUEY_IMMEDIATE=True)

    def which_app() -> str:
        from flask import current_app

        return str(current_app.config["SECRET_KEY"])

    run = tasks.task(app, "which_app")(which_app)
    assert run()() == "x"  # immediate mode: the result is there at once
