"""A wheel built from the repository serves the app from a virtual environment outside the checkout.

The test copies the tracked sources (without the generated ``.mo`` files and the copied NL Design
System CSS, so the build has to make them) to a temporary folder, builds a wheel there with
``pip wheel --no-deps --no-build-isolation`` (setuptools, wheel and Babel come from this
environment), creates a fresh virtual environment elsewhere and installs the wheel into it with
``--no-deps``. The app's dependencies are not downloaded again: a ``.pth`` file in the new
environment appends this environment's site-packages to ``sys.path`` (after the new
environment's own, and without running this environment's ``.pth`` files, so the editable install
of the checkout stays out of reach). Then, with the working directory outside the checkout, it runs
``quickscan db upgrade`` and ``quickscan demo`` and starts ``quickscan run``, and fetches the login
page (Dutch and English), the NL Design System CSS and a survey page from that server.
"""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.test_make_run import CSRF_RE, free_port, get, serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: Not copied into the build folder: caches, environments, build output and generated files.
SKIPPED = {".git", ".venv", "node_modules", "build", "dist", "instance", "__pycache__",
           ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "out", "_data"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {name for name in names
               if name in SKIPPED or name.endswith((".egg-info", ".mo", ".pyc"))}
    if Path(folder) == ROOT / "quickscan" / "static":
        skipped.add("vendor")
    return skipped


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources that holds no generated files."""
    source = tmp_path_factory.mktemp("source") / "quickscan-src"
    shutil.copytree(ROOT, source, ignore=_ignore)
    assert not list(source.rglob("*.mo")) and not (source / "quickscan/static/vendor").exists()
    (source / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    out = tmp_path_factory.mktemp("wheelhouse")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(out), str(source)], cwd=out)
    wheels = list(out.glob("quickscan_inclusieve_gemeente-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment outside the checkout with the wheel installed (``--no-deps``)."""
    target = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", "--without-pip", str(target)], cwd=target.parent)
    python = target / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=target).strip())
    # This environment's packages (Flask, matplotlib, ...) after the new environment's own.
    (purelib / "zz_quickscan_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)], cwd=target.parent)
    return target


def test_wheel_holds_the_data_the_app_needs(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "quickscan/_data/templates/base.html",
        "quickscan/_data/questions/scales.yaml",
        "quickscan/_data/questions/published.lock",
        "quickscan/_data/reports/nl.yaml",
        "quickscan/_data/reports/en.yaml",
        "quickscan/static/vendor/utrecht-components.css",
        "quickscan/static/vendor/utrecht-tokens.css",
        "quickscan/static/css/quickscan.css",
        "quickscan/translations/en/LC_MESSAGES/messages.mo",
        "quickscan/migrations/env.py",
        "quickscan/migrations/alembic.ini",
    }
    assert expected <= names, sorted(expected - names)
    tracked = {path.relative_to(ROOT).as_posix() for folder in ("templates", "questions", "reports")
               for path in (ROOT / folder).rglob("*") if path.is_file()
               and "__pycache__" not in path.parts}
    assert {f"quickscan/_data/{name}" for name in tracked} <= names
    assert any(name.startswith("quickscan/migrations/versions/") for name in names)
    assert not any(name.startswith(("tests/", "bench/", "node_modules/")) for name in names)


def test_installed_wheel_serves_the_app_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("QUICKSCAN_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["QUICKSCAN_DATABASE_URL"] = f"sqlite:///{work / 'quickscan.db'}"
    env["QUICKSCAN_DEMO_LOGIN_FILE"] = str(work / "demo-login.txt")

    # The package and its data come from the new environment, not from the checkout.
    code = ("import quickscan, quickscan.config as c; print(quickscan.__file__); "
            "print(c.data_path('templates')); print(c.data_path('questions'))")
    where = run([str(venv / "bin" / "python"), "-c", code], cwd=work, env=env).split()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv.resolve()), where
        assert not Path(path).resolve().is_relative_to(ROOT), where

    quickscan = str(venv / "bin" / "quickscan")
    run([quickscan, "db", "upgrade"], cwd=work, env=env)
    # The generated secret key goes to the installed app's instance folder, inside the venv.
    assert (venv / "var" / "quickscan.app-instance" / "secret_key").is_file()
    assert "Demoronde" in run([quickscan, "demo"], cwd=work, env=env)
    round_id = run([quickscan, "rounds", "list"], cwd=work, env=env).split("\t", 1)[0]
    port = free_port()
    links = run([quickscan, "rounds", "links", round_id], cwd=work,
                env=dict(env, QUICKSCAN_BASE_URL=f"http://127.0.0.1:{port}"))
    first_link = links.splitlines()[0].split("\t")[1]

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with serving(env, port, command=[quickscan], cwd=work) as base:
        status, _, login_page = get(opener, base + "/login")
        assert status == 200 and "Inloggen als coördinator" in login_page
        assert "vendor/utrecht-components.css" in login_page

        with opener.open(base + "/static/vendor/utrecht-components.css", timeout=10) as response:
            assert response.status == 200 and b".utrecht-" in response.read()

        # The compiled English catalogue is in the wheel: the language switch shows it.
        form = urllib.parse.urlencode({"csrf_token": CSRF_RE.search(login_page).group(1),
                                       "lang": "en", "next": "/login"}).encode()
        with opener.open(base + "/taal", data=form, timeout=10) as response:
            english = response.read().decode("utf-8")
        assert response.status == 200 and response.geturl() == base + "/login"
        assert "Log in as coordinator" in english and "Inloggen als coördinator" not in english

        status, _, intro = get(urllib.request.build_opener(), first_link)
        assert status == 200
        assert "Start de vragenlijst" in intro and "Gemeente Voorbeeld" in intro
