"""Build hook: a wheel that holds everything the app needs to serve a page.

The metadata lives in ``setup.cfg``; this file only extends ``build_py`` so that a wheel (``pip
wheel .``, ``python -m build``) carries, besides the package and its ``package_data``:

- the top-level ``templates/``, ``questions/`` and ``reports/`` folders, copied to
  ``quickscan/_data/`` (they stay at the top of the repository; ``quickscan.config.data_path``
  finds them in either place);
- the compiled message catalogues (``.po`` -> ``.mo``, with Babel);
- the NL Design System CSS in ``quickscan/static/vendor/``, copied from ``node_modules`` (``npm
  ci`` is run when ``node_modules`` lacks it and npm is there; otherwise the build fails, naming
  what is missing).

An editable install (``pip install -e .``) copies nothing: the app reads the checkout's folders,
and ``make`` compiles the catalogues and copies the CSS in place (``python -m quickscan.assets``).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: Top-level folders that go into the wheel as ``quickscan/_data/<folder>``.
DATA_FOLDERS = ("templates", "questions", "reports")


def load_assets() -> ModuleType:
    """``quickscan/assets.py`` loaded on its own: importing the package needs Flask."""
    spec = importlib.util.spec_from_file_location("_quickscan_assets", HERE / "quickscan" / "assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithData(build_py):
    """``build_py`` that also copies the data folders, compiles the catalogues and the CSS."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        assets = load_assets()
        package = Path(self.build_lib) / "quickscan"
        for folder in DATA_FOLDERS:
            target = package / "_data" / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / folder, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for mo_path in assets.compile_translations(package / "translations"):
            self.announce(f"compiled {mo_path}", level=2)
        vendor = package / "static" / "vendor"
        missing = [source for source, _ in assets.FILES
                   if not (HERE / "node_modules" / source).exists()]
        if missing and all((vendor / name).exists() for _, name in assets.FILES):
            return  # an sdist made after `make assets` carries the copied CSS already
        if missing and (HERE / "package-lock.json").exists() and shutil.which("npm"):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=HERE, check=True)
        elif missing:
            raise SystemExit(
                "error: the NL Design System CSS is missing (" + ", ".join(missing) + "): "
                "install Node.js with npm and run `npm ci` in " + str(HERE))
        assets.copy_vendor(HERE, vendor)


setup(cmdclass={"build_py": BuildPyWithData})
