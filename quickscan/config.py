"""Configuration: defaults, then environment variables prefixed ``QUICKSCAN_``.

``QUICKSCAN_DATABASE_URL`` (default: a SQLite file in the instance folder) and
``QUICKSCAN_SECRET_KEY`` (default: generated once into ``instance/secret_key``) are the two that
matter; any other ``QUICKSCAN_X`` sets config key ``X`` (values parsed as JSON when they can be).
``QUICKSCAN_TRUSTED_HOSTS`` (a JSON list or comma-separated host names) makes Flask refuse
requests for any other ``Host`` with 400, so links built from the request never point elsewhere.
The instance folder and its files are made private to the service user (0700/0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE = Path(__file__).resolve().parent
#: The checkout: its top-level ``templates/``, ``questions/`` and ``reports/`` folders.
ROOT = PACKAGE.parent
#: Where a wheel holds those folders (``setup.py`` copies them there at build time).
PACKAGE_DATA = PACKAGE / "_data"


def data_path(name: str) -> Path:
    """The data folder ``name`` (``templates``, ``questions`` or ``reports``).

    From an installed wheel: ``quickscan/_data/<name>``; from a checkout or an editable install
    (which has no ``_data``): the repository's top-level folder.
    """
    packaged = PACKAGE_DATA / name
    return packaged if packaged.is_dir() else ROOT / name


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the default configuration for an app whose instance folder is ``instance_path``."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'quickscan.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "QUESTIONS_DIR": str(data_path("questions")),
        "REPORTS_DIR": str(data_path("reports")),
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ["nl", "en"],
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE / "translations"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        "ACCOUNT_LOGIN_RATE_LIMIT": "10 per 5 minutes",
        "TOKEN_RATE_LIMIT": "30 per minute",
        # Inwoners' public link: one bucket per link, and a high per-address ceiling
        # (docs/security.md, "The public inwoners link").
        "RESIDENTS_LINK_RATE_LIMIT": "120 per minute",
        "RESIDENTS_IP_RATE_LIMIT": "60 per 10 minutes",
        # The public vote link of a LIA vote, per client address and per link (docs/lia.md).
        "LIA_VOTE_RATE_LIMIT": "60 per minute;600 per hour",
        "LIA_VOTE_LINK_RATE_LIMIT": "300 per minute",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "PREFERRED_URL_SCHEME": "http",
    }


SECRET_KEY_LENGTH = 64


def _read_key(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


def _secret_key(instance_path: str) -> str:
    """The key in ``instance/secret_key``, created (0600) the first time.

    Several workers may start at once: the key is written to a private temporary file and
    linked into place with ``os.link``, which fails when another worker was first; every
    worker then reads the one key that won, so all of them sign cookies alike.
    """
    path = Path(instance_path) / "secret_key"
    with contextlib.suppress(FileNotFoundError):
        key = _read_key(path)
        if key:
            return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(SECRET_KEY_LENGTH // 2))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic: exactly one worker's key becomes the key
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def secure_instance_folder(instance_path: str, database_uri: str) -> None:
    """Make the instance folder 0700 and the files the app keeps in it 0600.

    The folder holds the SQLite database with its WAL and shared-memory files, the secret key
    and generated reports. A SQLite database file that does not exist yet is created empty
    with mode 0600 (SQLite gives its ``-wal`` and ``-shm`` files the database's mode).
    """
    folder = Path(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(folder, 0o700)
    if database_uri.startswith("sqlite:///") and database_uri != "sqlite:///:memory:":
        db_path = Path(database_uri[len("sqlite:///"):].split("?", 1)[0])
        if db_path.parent.is_dir() and not db_path.exists():
            with contextlib.suppress(FileExistsError):
                os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for child in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if child.is_symlink():
                continue
            mode = stat.S_IMODE(child.stat().st_mode)
            wanted = 0o700 if child.is_dir() else 0o600
            if mode & 0o077:
                os.chmod(child, mode & wanted)


def trusted_hosts(value: Any) -> list[str] | None:
    """``TRUSTED_HOSTS`` as a list: from JSON (``["a", "b"]``) or a comma-separated string."""
    if value in (None, "", []):
        return None
    if isinstance(value, str) and value.strip().startswith("["):
        value = json.loads(value)
    if isinstance(value, str):
        return [host.strip() for host in value.split(",") if host.strip()]
    return [str(host) for host in value]


def configure(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides`` (in that order)."""
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_prefixed_env(prefix="QUICKSCAN")
    if "DATABASE_URL" in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if overrides:
        app.config.from_mapping(overrides)
        if "DATABASE_URL" in overrides:
            app.config["SQLALCHEMY_DATABASE_URI"] = overrides["DATABASE_URL"]
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    elif uri.startswith("postgres://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgres://"):]
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config.get("TRUSTED_HOSTS"))
    secure_instance_folder(app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
