"""What a source is: the seam every sender of alerts or of change events fits, and the line
the registry keeps of it.

A source is a monitoring system, a vendor's API or a deploy tool that sends warroom bodies
over HTTP (or e-mail): its line (``SourceEntry``: its kind, the paths it posts to, how its
requests carry their key, what the importers call it) and its code (``Source``: its body's
parser into the one shape, ``bot.record.alerting.payloads`` or
``bot.record.changes.events``, and whichever capabilities it needs: where its vendor puts the
key, a signature, what the request adds to the body, answers in the vendor's own words:
PagerDuty's Events API answers 202 ``{"status": "success", "message": "Event processed",
"dedup_key": …}``, Opsgenie's Alert API 202 ``{"result": "Request will be processed", …}``).

What a source says over HTTP is data here (``Delivery`` in, ``Reply`` out): the one
dispatcher, ``bot.web.alerting.webhooks`` (and ``bot.web.changes.receivers`` for changes),
reads the request, applies the limits every source shares (the body's size: 413; its parse in
a worker process, with a time limit: 422), checks the key against the integrations warroom
knows, stores the body, and writes the source's ``Reply``. A source cannot forget a limit,
since it never reads a request itself.

This module imports nothing heavier than the standard library: the registry's lines are read
by ``warroom integrations --help``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

ParsedT = TypeVar("ParsedT")
ParsedT_co = TypeVar("ParsedT_co", covariant=True)


class KeyPlace(StrEnum):
    """How a source's requests carry the integration's key."""

    # ``Authorization: Bearer <key>``, warroom's own way: checked before the body is read.
    BEARER = "bearer"
    # Elsewhere in the request, where its vendor puts it (a header of its own, the URL): the
    # source's ``key(delivery)``, checked before the body is read.
    REQUEST = "request"
    # The body (PagerDuty's routing_key): ``key(delivery)`` reads it from ``delivery.body``
    # cheaply, checked before the body is parsed.
    BODY = "body"
    SIGNATURE = "signature"  # an HMAC of the body with it (Sentry's): ``signed(…)``
    # An address on warroom's inbound SMTP listener, the key its local part (e-mail): read by
    # the listener (``bot.flows.alerting.mail_alerts``), never over HTTP.
    ADDRESS = "address"


class Why(StrEnum):
    """Why a delivery is refused: the dispatcher decides, the source says it in its words."""

    OFF = "off"  # no integration is set up (WARROOM_ALERT_TOKEN unset)
    UNAUTHORIZED = "unauthorized"  # no key, or one no integration has
    TOO_LARGE = "too_large"  # over WARROOM_ALERT_MAX_BODY_BYTES
    INVALID = "invalid"  # not UTF-8, or the parser refused it
    TOO_SLOW = "too_slow"  # its parse ran past WARROOM_PARSE_SECONDS
    UNAVAILABLE = "unavailable"  # it could not be stored: the sender should send it again
    RATE_LIMITED = "rate_limited"  # its key sent more than WARROOM_ALERT_RATE_PER_MINUTE
    BODY_TIMEOUT = "body_timeout"  # its body did not arrive within WARROOM_BODY_READ_SECONDS

    @property
    def outcome(self) -> str:
        """What ``warroom_alert_payloads_total`` counts it as."""
        return "unavailable" if self is Why.OFF else self.value


# The status warroom's own answers give each refusal: what senders do with them (Alertmanager
# retries 5xx and drops 4xx, so only what may pass when sent again is a 5xx).
STATUS: Mapping[Why, int] = {
    Why.OFF: 503,
    Why.UNAUTHORIZED: 401,
    Why.TOO_LARGE: 413,
    Why.INVALID: 400,
    Why.TOO_SLOW: 422,
    Why.UNAVAILABLE: 503,
    Why.RATE_LIMITED: 429,
    Why.BODY_TIMEOUT: 408,
}


@dataclass(frozen=True)
class Refusal:
    """A delivery refused: why, the message in words, and each problem of an invalid body."""

    why: Why
    message: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """What the receiver answers: a status, a JSON body and headers."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """A request as a source reads it: the path it came on, that path's parameters
    (``/v2/alerts/{identifier}/close``), its headers (looked up without regard to case), its
    query, and its body once it is read (empty before)."""

    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes = b""


class Carries(StrEnum):
    """What a source's bodies are read into."""

    ALERTS = "alerts"  # a notification of alerts (``bot.record.alerting.payloads``)
    CHANGES = "changes"  # a change event (``bot.record.changes.events``)


@dataclass(frozen=True, eq=False)
class SourceEntry:
    """One line of the registry (``registry.SOURCES``): everything the rest of warroom knows
    of a source without reading its code. Every list of kinds (``warroom integrations create
    --kind``, the integrations page, the URL a sender is pointed to, whose key is kept, what
    the importers carry over) is read from these lines.

    ``receiver`` is where its code is, ``module:NAME`` (imported the first time a body of it
    is read, so that the lines cost nothing to a command that only lists them, as Zulip's
    ``WebhookIntegration`` names its view), or the object itself (a source made in a test).
    A line is itself: two lines are never equal, however alike."""

    kind: str  # the integration kind: ``--kind``, stored with each body, counted in the metrics
    carries: Carries
    # Where it posts, as aiohttp writes them (``/v2/enqueue``); ``/alerts/<kind>`` is served by
    # the one ``/alerts/{source}`` route, any other path is mounted from here.
    paths: tuple[str, ...]
    key: KeyPlace  # how its requests carry the integration's key
    receiver: str | Source[Any]
    # Its key is the vendor's signing secret, given when the integration is made (Sentry's
    # client secret); warroom makes every other kind's key.
    vendor_secret: bool = False
    # The address a sender is pointed to, after warroom's public URL, when it is not the first
    # path (Opsgenie's clients take the API's base and add ``/v2/alerts`` themselves).
    shown: str | None = None
    # What each importer's vendor (``warroom import <vendor>``) calls its integrations of this
    # kind: ``{"opsgenie": ("Prometheus",)}``.
    imported_as: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What its change events say they came from, when not its kind (warroom's own API's:
    # ``api``).
    origin: str | None = None

    @property
    def signed(self) -> bool:
        """Its senders sign each body with the key instead of sending it (GitHub's, Sentry's):
        checking an HMAC takes the secret itself, so it is kept (``signing_key``)."""
        return self.key is KeyPlace.SIGNATURE

    @property
    def shown_path(self) -> str:
        """Where a sender is pointed, after warroom's public URL (``{key}``, ``{name}`` or
        ``{integration}`` in it: the integration's)."""
        return self.shown if self.shown is not None else (self.paths[0] if self.paths else "")


class Source(Protocol[ParsedT_co]):
    """What every source does: read a body it sent into warroom's shape (a notification of
    alerts, or a change), or raise PayloadError naming every problem. Run in a worker process
    (the source picklable), and again when a stored body is applied or replayed.

    Everything else is a capability a source has or not (GoAlert's optional interfaces,
    ``notification/nfydest/registry.go``): the dispatcher asks ``isinstance(source, ReadsKey)``
    and does warroom's own where it has none, so no source writes an empty method."""

    def parse(self, body: str, *, received_at: datetime) -> ParsedT_co: ...


@runtime_checkable
class ReadsKey(Protocol):
    """Reads the key where its vendor puts it: a header (Opsgenie's ``GenieKey``), the URL
    (SNS's), or the body (``delivery.body``: PagerDuty's ``routing_key``, read cheaply, before
    the body is parsed; PayloadError when it is no body of the source's). None when the request
    presents none. Needed when the key is ``KeyPlace.REQUEST`` or ``KeyPlace.BODY``; without
    it, the key is a bearer token (``KeyPlace.BEARER``)."""

    def key(self, delivery: Delivery) -> str | None: ...


@runtime_checkable
class ChecksSignature(Protocol):
    """Whether the request's signature is the body's with ``key``: needed when the key is
    ``KeyPlace.SIGNATURE``."""

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool: ...


@runtime_checkable
class KeepsRequest(Protocol):
    """The body as kept and parsed, with what the request says of it folded in: Opsgenie's
    ``/v2/alerts/{identifier}/close``, GitHub's event header, a key made now for an event that
    has none (a stored body is parsed again alone). Without it, the body is kept as it came."""

    def stored(self, delivery: Delivery, body: str) -> str: ...


@runtime_checkable
class AnswersAccepted(Protocol):
    """Its answer to a body kept (``kept``: the payload's or the change's id; None for a body
    that is no change, ``parsed.ignored`` saying why). Without it, warroom's own: 202
    ``{"status": "accepted", "id": …}``."""

    def accepted(self, kept: Any, parsed: Any) -> Reply: ...


@runtime_checkable
class AnswersRefused(Protocol):
    """Its answer to a delivery refused, in its vendor's words. Without it, warroom's own:
    ``{"error": …, "problems": […]}`` (``warroom_refusal``)."""

    def refused(self, refusal: Refusal) -> Reply: ...


# What a key's place needs of a source, so that a source that cannot read its key is refused
# when it is loaded, not when its first delivery arrives.
NEEDS: Mapping[KeyPlace, type] = {
    KeyPlace.REQUEST: ReadsKey,
    KeyPlace.BODY: ReadsKey,
    KeyPlace.SIGNATURE: ChecksSignature,
}


@dataclass(frozen=True)
class Receiver(Generic[ParsedT]):
    """A registered source as the dispatchers call it: its line's facts, and each capability
    it has, else warroom's own way."""

    entry: SourceEntry
    source: Source[ParsedT]

    def __post_init__(self) -> None:
        needed = NEEDS.get(self.entry.key)
        if needed is not None and not isinstance(self.source, needed):
            raise TypeError(
                f"source {self.entry.kind!r} carries its key as {self.entry.key.value} "
                f"but has no {needed.__name__} capability"
            )

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def key_place(self) -> KeyPlace:
        return self.entry.key

    @property
    def parser(self) -> Callable[..., ParsedT]:
        """The source's own ``parse``: what a worker process runs (pickled with its source)."""
        return self.source.parse

    def key(self, delivery: Delivery) -> str | None:
        if isinstance(self.source, ReadsKey):
            return self.source.key(delivery)
        return bearer_key(delivery.headers) if self.entry.key is KeyPlace.BEARER else None

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool:
        return isinstance(self.source, ChecksSignature) and self.source.signed(delivery, body, key)

    def stored(self, delivery: Delivery, body: str) -> str:
        return self.source.stored(delivery, body) if isinstance(self.source, KeepsRequest) else body

    def accepted(self, kept: int | None, parsed: ParsedT) -> Reply | None:
        """Its own answer to a body kept; None: the dispatcher answers as warroom does."""
        if isinstance(self.source, AnswersAccepted):
            return self.source.accepted(kept, parsed)
        return None

    def refused(self, refusal: Refusal) -> Reply:
        if isinstance(self.source, AnswersRefused):
            return self.source.refused(refusal)
        return warroom_refusal(refusal)


def bearer_key(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None without one."""
    scheme, _, given = headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else None


def hmac_sha256(key: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` with ``key``: the signature most vendors send."""
    return hmac.new(key.encode(), body, "sha256").hexdigest()


def same_key(presented: str | None, key: str) -> bool:
    """Whether ``presented`` is ``key``, compared in constant time: how much of a guess matched
    must not show in how long the answer takes. ("replace": undecodable header bytes arrive as
    lone surrogates, which a strict encode refuses: a 500 instead of a 401.)"""
    return presented is not None and hmac.compare_digest(
        presented.encode("utf-8", "replace"), key.encode()
    )


def warroom_refusal(refusal: Refusal) -> Reply:
    """A refusal in warroom's own words: ``{"error": …, "problems": […]}``."""
    body: dict[str, Any] = {"error": refusal.message}
    if refusal.problems:
        body["problems"] = list(refusal.problems)
    unauthorized = refusal.why is Why.UNAUTHORIZED
    headers = {"WWW-Authenticate": "Bearer"} if unauthorized else {}
    return Reply(STATUS[refusal.why], body, headers)
