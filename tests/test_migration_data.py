"""Data migrations change stored values as they say, on a database made by the migrations."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from tests.server.harness import ROOT, VENV_BIN, server_env

QUESTIONS = ROOT / "questions"


def _upgrade(url: str, revision: str = "head") -> None:
    result = subprocess.run([str(VENV_BIN / "quickscan"), "db", "upgrade", revision],
                            env=server_env(url, QUESTIONS), cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_the_vote_role_of_the_advisory_council_gets_the_survey_id(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    url = f"sqlite:///{path}"
    _upgrade(url, "b8e2c4d6f0a1")
    with sqlite3.connect(path) as connection:  # foreign keys are off in a bare connection
        connection.executemany(
            "INSERT INTO lia_ballot (round_id, origin, voter_role, created_at) "
            "VALUES (1, ?, ?, '2026-11-30 10:00:00')",
            [("zaal", "lid-adviesraad"), ("online", "inwoner"), ("papier", "")])
    _upgrade(url)
    with sqlite3.connect(path) as connection:
        roles = [row[0] for row in connection.execute(
            "SELECT voter_role FROM lia_ballot ORDER BY id")]
    assert roles == ["lid_adviesraad", "inwoner", ""]
