"""Logging: JSON lines for ``warroom serve``, plain text for people at a terminal.

Every line logged while a unit of work (a Slack request's listener, a job, an alert) deals with
an incident carries its reference: the places that get hold of an incident call
``bind_incident``, and the value lives in a context variable, so it follows the current asyncio
task (tasks copy the context they are started from) and never another's.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from aiohttp.http_exceptions import HttpProcessingError

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
# A response_url or incoming webhook lets whoever holds it post as the app (for 30 minutes,
# or for good): as secret as a token, and masked likewise, wherever it shows.
_SLACK_HOOK = re.compile(r"(?P<keep>\bhttps?://hooks\.slack\.com/)[^\s'\",)}\]]+")


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
    """``text`` with anything shaped like a Slack token or a Slack webhook address masked."""
    # Every match holds one of these: a line without them (nearly every line) is read once.
    if "xox" not in text and "xapp-" not in text and "hooks.slack.com" not in text:
        return text
    text = _SLACK_TOKEN.sub(lambda match: match.group(0)[:5] + "[redacted]", text)
    return _SLACK_HOOK.sub(lambda match: match.group("keep") + "[redacted]", text)


# -- what libraries log of requests and answers ------------------------------------------------
#
# slack_bolt logs the whole body of a request that fails its signature check (at INFO), and
# parts of unhandled ones; the Slack SDK logs, at DEBUG, each Web API call's arguments and answer
# (an OpenID code and client secret going out, an id_token and an email coming back);
# aiosqlite logs each statement's parameters at DEBUG. Their lines are cleaned as each record
# is made (a log record factory), so no handler ever sees them: not ours, not a test's, not
# one a library or an operator adds. A filter on our handler would miss the others, and one
# on a logger misses its children, which Bolt makes per class.

_OUR_LOGGERS = ("bot", "commands")
NOT_LOGGED = "(not logged)"
# Fields whose values are credentials or personal data, wherever a library prints a mapping
# ('key': 'value' or "key": "value") or a form (key=value).
_SECRET_FIELDS = (
    "token|client_secret|code|id_token|access_token|refresh_token|email|response_url"
    "|authorization|signing_secret|password|secret"
)
_QUOTED_SECRET = re.compile(
    rf"""(?P<key>(?P<q>['"])(?:{_SECRET_FIELDS})(?P=q)\s*:\s*)"""
    r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,}\]\s]+)""",
    re.IGNORECASE,
)
_FORM_SECRET = re.compile(rf"(?P<key>(?<![\w.-])(?:{_SECRET_FIELDS})=)[^&\s'\",]*", re.IGNORECASE)
# A JSON Web Token (an OpenID id_token) anywhere: three base64url parts, the first "{".
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_QUERY_STRING = re.compile(r"\?[^\s\"]*")
# slack_sdk's webhook client posts only to response_urls and incoming webhooks, and prints the
# address in its debug lines ("url: …", "for POST …"): what follows the host is the secret.
_WEBHOOK_LOGGER = "slack_sdk.webhook"
_URL_PATH = re.compile(r"(?P<keep>\bhttps?://[^/\s'\",]+)/[^\s'\",)}\]]*")
# aiosmtpd's logger (the bounce listener, bot/flows/status_page/bounces.py), and anything
# shaped like a mail address in its lines.
_SMTP_LOGGER = "mail.log"
_POOL_LOGGER = "bot.store.pool"
_MAIL_ADDRESS = re.compile(r"[^\s<>'\":,;()\[\]]+@[^\s<>'\",;()\[\]]+")
_UNHANDLED = re.compile(r"^Unhandled request \((\{.*?\})\)", re.DOTALL)
# What of an unhandled request is worth knowing: what kind it was, never what it said.
_UNHANDLED_KEPT = ("type", "command", "callback_id", "action_id", "block_id")
_CUT_AFTER = (
    # slack_bolt: a request that failed its signature check; the rest is the body.
    ("Invalid request signature detected", " (signature, timestamp and body not logged)"),
    # the Slack SDK: a Web API answer; the body holds tokens, id_tokens, emails, messages.
    ("Received the following response - ", None),
    # slack_bolt: what a listener answered Slack (an ephemeral reply's text).
    ("Responding with status: ", None),
    ("Skipped self event", ""),
    ("request body: ", NOT_LOGGED),
    ("Request body: ", NOT_LOGGED),
)
_BODY_MARKERS = (", body: ", " body: ")
# The line ``warroom serve``'s access log writes (bot/web/monitoring.py): a path without its
# query string or secret part already, so the record is not cleaned again as it is made.
ACCESS_LINE = "%s %s %s %s in %.1f ms"


def install_log_redaction() -> None:
    """Clean what libraries log of requests and answers as each record is made (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "warroom_redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        name = record.name
        if not any(name == ours or name.startswith(ours + ".") for ours in _OUR_LOGGERS):
            _redact_library_record(record)
        return record

    make_record.warroom_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


def _aiohttp_parse_error(error: BaseException | None) -> TypeGuard[HttpProcessingError]:
    """A request aiohttp could not parse. Looked up among the loaded modules, not imported: a
    process that has not loaded aiohttp has none of its errors, and importing it was a fifth of
    the start of every command that does not serve."""
    exceptions = sys.modules.get("aiohttp.http_exceptions")
    return exceptions is not None and isinstance(error, exceptions.HttpProcessingError)


def _redact_library_record(record: logging.LogRecord) -> None:
    if record.msg is ACCESS_LINE:
        return
    error = record.exc_info[1] if record.exc_info else None
    if _aiohttp_parse_error(error) and record.name.startswith("aiohttp"):
        # A request aiohttp could not parse, answered 400: its traceback quotes the raw header
        # line (an Authorization or Cookie value), and anyone can send one, so it is no ERROR.
        reason = (error.message or "").split("\n", 1)[0].rstrip(": ")
        record.msg = "malformed HTTP request from %s refused (%s: %s)"
        peer = record.args[:1] if isinstance(record.args, tuple) and record.args else ("?",)
        record.args = (*peer, error.code, reason)
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return
    if record.name == "aiosqlite" and record.args:
        # The statement and its parameters (message text, alert bodies): the operation's name
        # is what debugging needs.
        record.args = tuple(_operation_name(arg) for arg in record.args)
        return
    try:
        message = record.getMessage()
    except Exception:
        # A malformed call, or an argument whose str() fails: logging reports it itself when
        # a handler formats it; making the record must never raise into the library.
        return
    if record.name.startswith(_SMTP_LOGGER):
        # aiosmtpd logs each command line at INFO (``RCPT TO:<…>``) and each sender and
        # recipient: the bounce listener's carry a subscription's token, a relay's an address.
        cleaned = _MAIL_ADDRESS.sub("[address]", message)
    elif record.name == "aiohttp.access":
        # aiohttp's own access log (any runner but ``warroom serve``'s, which logs paths only)
        # prints the request line and Referer with their query strings: a sign-in code, state.
        cleaned = _QUERY_STRING.sub("", message)
    else:
        cleaned = redact_library_message(message)
    if record.name.startswith(_WEBHOOK_LOGGER):
        cleaned = _URL_PATH.sub(lambda match: match.group("keep") + "/[redacted]", cleaned)
    if cleaned != message:
        record.msg, record.args = cleaned, ()


def redact_library_message(message: str) -> str:
    """A library's log line without request bodies, Web API answers and secret fields."""
    for prefix, tail in _CUT_AFTER:
        start = message.find(prefix)
        if start == -1:
            continue
        if tail is None:  # keep the status and headers, drop the body
            cut = max(message.find(marker, start) for marker in _BODY_MARKERS)
            if cut == -1:
                return message[: start + len(prefix)] + NOT_LOGGED
            return message[:cut] + message[cut:].split(":", 1)[0] + ": " + NOT_LOGGED
        return message[: start + len(prefix)] + tail
    unhandled = _UNHANDLED.match(message)
    if unhandled:
        # Only what kind of request it was: the rest of the line may be the body's tail.
        return f"Unhandled request ({_request_kind(unhandled.group(1))})"
    if "without providing a response for the request (" in message:
        return message.split(" (", 1)[0] + " " + NOT_LOGGED
    message = _QUOTED_SECRET.sub(lambda match: match.group("key") + "'[redacted]'", message)
    message = _FORM_SECRET.sub(lambda match: match.group("key") + "[redacted]", message)
    return redact(_JWT.sub("[redacted]", message))


def _request_kind(shown: str) -> str:
    """The kind of request Bolt's "unhandled request" warning shows, without its content."""
    try:
        fields = ast.literal_eval(shown)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return NOT_LOGGED
    if not isinstance(fields, dict):
        return NOT_LOGGED
    kind = {key: fields[key] for key in _UNHANDLED_KEPT if fields.get(key) is not None}
    for nested in ("event", "view"):
        inner = fields.get(nested)
        if isinstance(inner, dict):
            kept = ("type", "subtype", "callback_id")
            kind[nested] = {key: inner[key] for key in kept if inner.get(key) is not None}
    return repr(kind)


def _operation_name(arg: object) -> object:
    if isinstance(arg, BaseException):
        return type(arg).__name__
    function = getattr(arg, "func", arg)
    return getattr(function, "__qualname__", type(function).__name__)


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
        fields = record.__dict__
        # The extras, found in one step (a record has some 25 attributes), kept in order.
        extras = fields.keys() - _STANDARD_ATTRIBUTES - _NEVER_LOGGED
        for name, value in fields.items() if extras else ():
            if name in extras and not name.startswith("_") and _serialisable(value):
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


# A page's path stage by stage (``python -m bench.paging --trace``): at DEBUG only, a line for
# each stage with this process's monotonic clock and CPU time, from which each stage's wall
# and CPU milliseconds are read. Names no person, number or address.
_PAGE_PATH = logging.getLogger("warroom.page_path")


def page_stage(stage: str, key: object = "") -> None:
    """Note that a page's path reached ``stage`` (``key``: the payload or notification)."""
    if _PAGE_PATH.isEnabledFor(logging.DEBUG):
        _PAGE_PATH.debug(
            "page path %s %s t=%.6f cpu=%.6f", stage, key, time.monotonic(), time.process_time()
        )


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
    # Alembic announces each of its plugins at INFO when it is first imported, which each
    # command does when it needs the database's migrations: noise, not news, at any level.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # aiosmtpd (the status page's bounce listener) logs every connection and command line at
    # INFO: noise beside warroom's own line for each report, so only at DEBUG.
    quiet = root.level > logging.DEBUG
    logging.getLogger(_SMTP_LOGGER).setLevel(logging.WARNING if quiet else logging.NOTSET)
    # SQLAlchemy's pool logs its own housekeeping at INFO under the pool class's name ("Pool
    # disposed", "Pool recreating" after every command's migration check): only at DEBUG.
    logging.getLogger(_POOL_LOGGER).setLevel(logging.WARNING if quiet else logging.NOTSET)
    install_log_redaction()


def _utc_iso(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Values JSON writes as they are, without trying.
_JSON_SCALARS = (str, int, float, bool, type(None))


def _serialisable(value: object) -> bool:
    if type(value) in _JSON_SCALARS:
        return True
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
