"""Logging: JSON lines for ``warroom serve``, plain text for people at a terminal.

Every line logged while a unit of work (a Slack request's listener, a job, an alert) deals with
an incident carries its reference: the places that get hold of an incident call
``bind_incident``, and the value lives in a context variable, so it follows the current asyncio
task (tasks copy the context they are started from) and never another's.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

LOG_FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_incident: ContextVar[str | None] = ContextVar("warroom_incident", default=None)
# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
_STANDARD_ATTRIBUTES = _RECORD_ATTRIBUTES | {"message", "asctime", "taskName", "incident"}
# aiohttp's access log passes the headers its format names as extras: headers are never logged.
_NEVER_LOGGED = frozenset({"request_header", "response_header"})
# Defence in depth: a Slack token that found its way into a message is masked all the same.
_SLACK_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")


def bind_incident(reference: str) -> None:
    """Name ``reference`` on every later log line of the current task (and tasks it starts)."""
    _incident.set(reference)


def current_incident() -> str | None:
    """The incident the current unit of work is about, if it has found one."""
    return _incident.get()


@contextmanager
def incident_scope(reference: str | None = None) -> Iterator[None]:
    """Run a unit of work with its own incident binding, restored when it ends.

    The HTTP middleware and the job runner wrap each request and each job in one, so an
    incident bound by one never labels the next one's lines.
    """
    token = _incident.set(reference)
    try:
        yield
    finally:
        _incident.reset(token)


def redact(text: str) -> str:
    """``text`` with anything shaped like a Slack token masked."""
    return _SLACK_TOKEN.sub(lambda match: match.group(0)[:5] + "[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, incident, exception, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        incident = getattr(record, "incident", None) or current_incident()
        if incident:
            line["incident"] = incident
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        for name, value in record.__dict__.items():
            if name in _STANDARD_ATTRIBUTES or name in _NEVER_LOGGED or name.startswith("_"):
                continue
            if _serialisable(value):
                line[name] = value
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic one-line format, with ``[INC-7]`` after the logger name when bound."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        incident = getattr(record, "incident", None) or current_incident()
        text = super().format(record)
        if incident:
            head = f"{record.name}:"
            text = text.replace(head, f"{record.name} [{incident}]:", 1)
        return redact(text)


def configure_logging(level: str, fmt: str) -> None:
    """Send the process's logs to stderr as JSON lines (``json``) or text lines (``text``)."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; use one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.set_name("warroom")
    root = logging.getLogger()
    # Called again (tests, a second command in one process): replace our handler, not add one.
    for old in [h for h in root.handlers if h.get_name() == "warroom"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def _utc_iso(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _serialisable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class PathOnlyAccessLogger(AbstractAccessLogger):
    """aiohttp's access log without query strings: a sign-in callback's code and state, or
    anything else a URL carries, stay out of the logs."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s in %.1f ms",
            request.remote,
            request.method,
            request.path,
            response.status,
            time * 1000,
            extra={"status": response.status, "path": request.path},
        )
