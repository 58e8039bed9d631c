"""Build artefacts: the NL Design System CSS and the compiled message catalogues.

Run by ``make`` after ``npm ci`` (``python -m quickscan.assets``): copies the CSS from
``node_modules`` into the static folder (served by the app itself, never from a CDN) and compiles
every ``quickscan/translations/<lang>/LC_MESSAGES/messages.po`` into its ``.mo``. Neither the
copied files nor the ``.mo`` files are committed.

The wheel build (``setup.py``) loads this file on its own (without importing the package, whose
dependencies the build environment lacks) and runs the same steps into the build folder.
This module therefore imports nothing from ``quickscan`` and Babel only inside a function.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(__file__).resolve().parent / "static" / "vendor"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

#: (source under node_modules, file name under static/vendor)
FILES: tuple[tuple[str, str], ...] = (
    ("@utrecht/component-library-css/dist/index.css", "utrecht-components.css"),
    ("@utrecht/design-tokens/dist/theme.css", "utrecht-tokens.css"),
)


def compile_translations(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``messages.po`` under ``directory`` into ``messages.mo`` beside it.

    Fuzzy entries are left out, as ``pybabel compile`` does.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo_path)
    return written


def copy_vendor(root: Path = ROOT, target: Path = TARGET) -> list[Path]:
    """Copy the NL Design System CSS from ``root/node_modules`` into ``target``.

    Raises FileNotFoundError naming what `npm ci` did not install.
    """
    written = []
    target.mkdir(parents=True, exist_ok=True)
    for source, name in FILES:
        path = root / "node_modules" / source
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `npm ci` first")
        destination = target / name
        shutil.copyfile(path, destination)
        written.append(destination)
    return written


def build(root: Path = ROOT, target: Path = TARGET) -> list[Path]:
    """Compile the translations and copy the asset files.

    Raises FileNotFoundError naming what `npm ci` did not install.
    """
    return compile_translations() + copy_vendor(root, target)


if __name__ == "__main__":
    try:
        for written_path in build():
            print(f"asset: {written_path.relative_to(ROOT)}")
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
