"""What an alert source is: ``AlertSource``, the seam every receiver of alerts fits.

A source is a monitoring system or a vendor's API that sends alerts: its kind (stored with
each body it sends, so the body is parsed again when it is applied or replayed), the HTTP
paths it posts to, where its requests carry their key, its body's parser into the one shape
(``bot.record.alerting.payloads``), and how it answers, in its vendor's own words: PagerDuty's
Events API answers 202 ``{"status": "success", "message": "Event processed", "dedup_key": …}``,
Opsgenie's Alert API 202 ``{"result": "Request will be processed", …}``, each with errors of
its own shape.

What a source says over HTTP is data here (``Delivery`` in, ``Reply`` out): the one
dispatcher, ``bot.web.alerting.webhooks``, reads the request, applies the limits every source
shares (the body's size: 413; its parse in a worker process, with a time limit: 422), checks
the key against the integrations warroom knows, stores the body, and writes the source's
``Reply``. A source cannot forget a limit, since it never reads a request itself.

``WebhookSource`` is warroom's own way of answering (a bearer token, 202 ``{"status":
"accepted", "id": …}``, ``{"error": …, "problems": […]}``), which Alertmanager, Grafana and
the generic shape use.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.record.alerting.payloads import Notification, json_object


class KeyPlace(StrEnum):
    """Where a source's requests carry the integration's key."""

    REQUEST = "request"  # a header or the URL: ``key(delivery)``, checked before the body is read
    BODY = "body"  # the body (PagerDuty's routing_key): ``Notification.integration_key``
    SIGNATURE = "signature"  # an HMAC of the body with it (Sentry's): ``signed(…)``


class Why(StrEnum):
    """Why a delivery is refused: the dispatcher decides, the source says it in its words."""

    OFF = "off"  # no integration is set up (WARROOM_ALERT_TOKEN unset)
    UNAUTHORIZED = "unauthorized"  # no key, or one no integration has
    TOO_LARGE = "too_large"  # over WARROOM_ALERT_MAX_BODY_BYTES
    INVALID = "invalid"  # not UTF-8, or the parser refused it
    TOO_SLOW = "too_slow"  # its parse ran past WARROOM_PARSE_SECONDS
    UNAVAILABLE = "unavailable"  # it could not be stored: the sender should send it again

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
    """A request as a source reads it, before its body: the path it came on, that path's
    parameters (``/v2/alerts/{identifier}/close``), its headers (looked up without regard to
    case) and its query."""

    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    query: Mapping[str, str]


class AlertSource(Protocol):
    """One source of alerts: registered once in ``registry``, received by the one dispatcher."""

    @property
    def kind(self) -> str:
        """Its name, stored with each body (``alertmanager``) and counted in the metrics."""
        ...

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths it posts to, as aiohttp writes them (``/v2/enqueue``)."""
        ...

    @property
    def key_place(self) -> KeyPlace:
        """Where its requests carry the key: in the request (checked before the body is read),
        in the body (checked once it is parsed), or as the body's signature (checked once it
        is read, before it is parsed)."""
        ...

    def key(self, delivery: Delivery) -> str | None:
        """The key the request presents where its vendor puts it (a header, the URL); None
        when it presents none (or its key is elsewhere)."""
        ...

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool:
        """Whether the request's signature is the body's with ``key`` (a source whose key is
        a signature; the others answer False)."""
        ...

    def stored(self, delivery: Delivery, body: str) -> str:
        """The body as kept and parsed: the request's body, with what its path says folded in
        for a source whose path carries part of the event (Opsgenie's
        ``/v2/alerts/{identifier}/close``); a stored body is parsed again alone."""
        ...

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        """Its body in the one shape, or PayloadError naming every problem; run in a worker
        process (it and its source picklable), and again when the body is applied."""
        ...

    def accepted(self, payload_id: int, notification: Notification) -> Reply:
        """Its answer to a body stored."""
        ...

    def refused(self, refusal: Refusal) -> Reply:
        """Its answer to a delivery refused."""
        ...


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


@dataclass(frozen=True)
class WebhookSource:
    """A source answered as warroom answers: a JSON body read by ``reader``, the key as a
    bearer token, 202 ``{"status": "accepted", "id": …}``, errors ``{"error": …, "problems":
    […]}`` (401 with ``WWW-Authenticate: Bearer``)."""

    kind: str
    reader: Callable[[dict[str, Any], datetime], Notification]
    key_place: KeyPlace = KeyPlace.REQUEST

    @property
    def paths(self) -> tuple[str, ...]:
        return (f"/alerts/{self.kind}",)

    def key(self, delivery: Delivery) -> str | None:
        return bearer_key(delivery.headers)

    def signed(self, delivery: Delivery, body: bytes, key: str) -> bool:  # noqa: ARG002
        return False

    def stored(self, delivery: Delivery, body: str) -> str:  # noqa: ARG002
        return body

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return self.reader(json_object(body), received_at)

    def accepted(self, payload_id: int, notification: Notification) -> Reply:  # noqa: ARG002
        return Reply(202, {"status": "accepted", "id": payload_id})

    def refused(self, refusal: Refusal) -> Reply:
        return warroom_refusal(refusal)


def warroom_refusal(refusal: Refusal) -> Reply:
    """A refusal in warroom's own words: ``{"error": …, "problems": […]}``."""
    body: dict[str, Any] = {"error": refusal.message}
    if refusal.problems:
        body["problems"] = list(refusal.problems)
    unauthorized = refusal.why is Why.UNAUTHORIZED
    headers = {"WWW-Authenticate": "Bearer"} if unauthorized else {}
    return Reply(STATUS[refusal.why], body, headers)
