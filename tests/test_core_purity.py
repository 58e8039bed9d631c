"""The domain core (banks, scoring, coverage) loads without any web or database framework."""

import subprocess
import sys

FRAMEWORKS = ("flask", "sqlalchemy", "flask_sqlalchemy", "wtforms", "flask_wtf")


def test_core_imports_no_framework():
    code = (
        "import sys, quickscan.bank, quickscan.scoring, quickscan.coverage, quickscan.frameworks\n"
        f"print(','.join(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
