"""The local type stubs (stubs/) agree with the installed Flask-Login, Flask-WTF and Flask-Babel.

`make lint` type-checks the package with `mypy --strict quickscan`, which reads these stubs for
the three libraries that ship no types; a stub that drifted from the library would make mypy
check calls against a signature that does not exist. mypy's `stubtest` compares every name the
stubs declare with the runtime object (names the stubs leave out are not checked).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUBBED = ("flask_login", "flask_wtf", "flask_babel")


@pytest.mark.slow
def test_local_stubs_match_the_installed_libraries() -> None:
    env = {**os.environ, "MYPYPATH": str(ROOT / "stubs")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", *STUBBED, "--ignore-missing-stub"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stubbed_library_has_a_stub() -> None:
    for name in STUBBED:
        assert (ROOT / "stubs" / name / "__init__.pyi").is_file(), name
