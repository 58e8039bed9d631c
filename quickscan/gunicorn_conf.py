"""gunicorn configuration for production: ``gunicorn -c python:quickscan.gunicorn_conf ...``.

Invitation and resume links carry their token in the path (``/s/<token>``, ``/r/<token>``),
and whoever holds a token can answer or read in a respondent's name. gunicorn's access log
would write every one of them to disk, so :class:`TokenMaskingLogger` replaces the token in
every atom of every access-log line (request line, path, query, referrer, headers) with
``***`` before the line is formatted, and masks the error log's messages the same way. The
master also sets the umask to ``077`` so files the app creates (SQLite database and its WAL,
the secret key, generated reports) are readable by the service user only.

Every other setting can still be given on the command line (``-w 4 --bind ...``); the command
line wins over this file.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from gunicorn.glogging import Logger

from quickscan.security import install_log_masking, mask_tokens

if TYPE_CHECKING:
    from gunicorn.glogging import _AtomsDict

accesslog = "-"
errorlog = "-"
#: The combined log format without the user agent; tokens are masked by the logger class.
access_log_format = '%(h)s - - %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "quickscan.gunicorn_conf.TokenMaskingLogger"
umask = 0o077


class TokenMaskingLogger(Logger):
    """gunicorn's logger with invitation and resume tokens masked in every line."""

    def setup(self, cfg: Any) -> None:
        """Set up the handlers as gunicorn does, then add the masking filter to each."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                install_log_masking(handler)

    def atoms(self, resp: Any, req: Any, environ: MutableMapping[str, Any],
              request_time: timedelta) -> _AtomsDict:
        """The access-log atoms with every token in every text atom masked."""
        atoms = super().atoms(resp, req, environ, request_time)
        return cast("_AtomsDict", {key: mask_tokens(value) if isinstance(value, str) else value
                                   for key, value in atoms.items()})


def on_starting(server: Any) -> None:
    """Before the workers fork: files the app creates are private to the service user."""
    os.umask(umask)
