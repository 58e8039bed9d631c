"""Kept so that tests written before ``tests/factories.py`` still import; import from there.

Nothing is defined here: the names are the shared factories', and ``test_banks`` is the fixture
of ``tests/conftest.py`` (importing it is no longer needed).
"""

from tests.conftest import test_banks
from tests.factories import CSRF_RE, ROOT, bank_data, csrf_token, post, write_questions

__all__ = ["CSRF_RE", "ROOT", "bank_data", "csrf_token", "post", "test_banks", "write_questions"]
