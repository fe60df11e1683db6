"""Logging without patient data or secrets.

:class:`RedactingFilter` rewrites every record before any handler formats it:
bearer tokens, JWTs, OAuth parameters (``code``, ``state``, tokens, client
assertions, verifiers), query strings, FHIR resource ids after a resource
type (``Patient/123``) and ``patient``/``subject`` parameters are replaced by
``[redacted]``. The app's own log calls are written so that they never need
it; the filter is the safety net for library and access logs.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(
        r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|code|state|client_assertion|code_verifier|"
        r"code_challenge|launch|token|patient|subject|encounter|password|secret|authorization)[\"']?"
        r"\s*[=:]\s*[\"']?)([^\s&\"',;}]+)"), r"\1" + REDACTED),
    (re.compile(r"(?<![A-Za-z0-9])([A-Z][a-z][A-Za-z]{2,}/)(?!_history\b)([A-Za-z0-9\-.]{1,64})"), r"\1" + REDACTED),
    (re.compile(r"(\?)[^\s\"']+"), r"\1" + REDACTED),
)


def redact(text: str) -> str:
    """``text`` with secrets and patient identifiers replaced by ``[redacted]``."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the fully formatted message of every record (see :func:`redact`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install(*, level: str = "INFO") -> RedactingFilter:
    """Attach the redacting filter to the root handlers and the loggers that log requests.

    Idempotent. A root handler is created (stderr) when there is none, so that
    every record passes through a filtered handler.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    for name in ("", "werkzeug", "gunicorn.access", "gunicorn.error", "fpcds", "urllib3", "authlib"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    logging.getLogger("fpcds").setLevel(level)
    return _FILTER
