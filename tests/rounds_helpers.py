"""Helpers for the coordinator tests: a small, fixed questions folder and CSRF-aware posting.

The real ``questions/`` folder grows while banks are written, so these tests pin their own
catalog: a common bank ``bestuur`` and the domain banks ``wonen`` and ``werk`` (``wonen`` in two
versions), plus one invalid file that must never be pinned.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from quickscan.services.banks import reload_catalog

ROOT = Path(__file__).resolve().parent.parent

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def bank_data(bank_id: str, title: str, version: str = "1.0.0", *, common: bool = False,
              themes: int = 2, questions: int = 2) -> dict:
    """A valid bank with ``themes`` themes of ``questions`` questions each."""
    return {
        "id": bank_id, "version": version, "title": title,
        "description": f"Vragen over {title.lower()}.", "scale": "volwassenheid",
        "common": common, "levensdomeinen": ["welzijn"],
        "changelog": [{"version": version, "date": "2026-01-01", "changes": "Versie."}],
        "themes": [{
            "id": f"thema{t}", "title": f"{title} thema {t}",
            "description": f"Thema {t} van {title}.", "crpd": ["9"], "target": 3,
            "questions": [{
                "id": f"{bank_id}.thema{t}.vraag{q}",
                "statement": f"{title}: stelling {t}.{q} in versie {version}.",
                "help": {2: "Deels.", 3: "Grotendeels.", 4: "Volledig."},
                "next_step": "Zet een volgende stap.",
                "tags": {"crpd": ["9"], "levensdomein": ["welzijn"], "movisie": 1},
            } for q in range(1, questions + 1)],
        } for t in range(1, themes + 1)],
    }


def write_questions(root: Path) -> Path:
    """Write the test questions folder under ``root`` and return it."""
    folder = root / "questions"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "questions" / "scales.yaml", folder / "scales.yaml")
    banks = [bank_data("bestuur", "Bestuur", common=True),
             bank_data("wonen", "Wonen"),
             bank_data("wonen", "Wonen", "1.1.0", themes=3),
             bank_data("werk", "Werk")]
    for data in banks:
        path = folder / data["id"] / f"{data['version']}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    broken = folder / "kapot" / "1.0.0.yaml"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text("id: kapot\nversion: 1.0.0\ntitle: Kapot\n", encoding="utf-8")
    return folder


@pytest.fixture
def test_banks(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Point the app at the small test questions folder for one test."""
    previous = app.config["QUESTIONS_DIR"]
    folder = write_questions(tmp_path)
    app.config["QUESTIONS_DIR"] = str(folder)
    reload_catalog()
    try:
        yield folder
    finally:
        app.config["QUESTIONS_DIR"] = previous
        reload_catalog()


def csrf_token(client: FlaskClient, path: str) -> str:
    """GET ``path`` and return the CSRF token of its first form."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no csrf token on {path} ({response.status_code})"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict | None = None, *, form_page: str = "/rondes",
         **kwargs) -> object:
    """POST with a valid CSRF token taken from ``form_page``."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client, form_page))
    return client.post(path, data=payload, **kwargs)
