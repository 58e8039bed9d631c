"""Front-end assets: copy the NL Design System CSS from ``node_modules`` into the static folder.

Run by ``make`` after ``npm ci`` (``python -m quickscan.assets``); the copied files are served by
the app itself, never from a CDN, and are not committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(__file__).resolve().parent / "static" / "vendor"

#: (source under node_modules, file name under static/vendor)
FILES: tuple[tuple[str, str], ...] = (
    ("@utrecht/component-library-css/dist/index.css", "utrecht-components.css"),
    ("@utrecht/design-tokens/dist/theme.css", "utrecht-tokens.css"),
)


def build(root: Path = ROOT, target: Path = TARGET) -> list[Path]:
    """Copy the asset files; raise FileNotFoundError naming what `npm ci` did not install."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source, name in FILES:
        path = root / "node_modules" / source
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `npm ci` first")
        destination = target / name
        shutil.copyfile(path, destination)
        written.append(destination)
    return written


if __name__ == "__main__":
    try:
        for written_path in build():
            print(f"asset: {written_path.relative_to(ROOT)}")
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
