"""Opsgenie's REST API, as ``warroom import opsgenie`` reads it (https://docs.opsgenie.com/docs/api-overview).

- The API is at ``https://api.opsgenie.com``, or ``https://api.eu.opsgenie.com`` for an
  account on Opsgenie's EU service ("API Overview": "If you are using Opsgenie's EU
  instance, use api.eu.opsgenie.com"): ``--region eu``.
- Every call carries ``Authorization: GenieKey <key>`` ("Authentication": an API
  integration's key; read access is enough).
- ``GET /v2/users`` is paged with ``offset`` and ``limit`` (100 at most), the answer's
  ``paging.next`` the next page's address (absent on the last): followed, on the API's host
  only (``VendorApi``).
- ``GET /v2/teams``, ``GET /v2/schedules?expand=rotation``, ``GET
  /v2/schedules/{id}/overrides?scheduleIdentifierType=id`` and ``GET /v2/escalations`` answer
  every object at once, under ``data``.
- ``GET /v2/heartbeats`` (Heartbeat API, "List Heartbeats": ``data.heartbeats``) and ``GET
  /v2/integrations`` (Integration API, "List Integrations": ``data``) answer the heartbeats
  and the integrations to repoint (``bot.record.oncall.importing.opsgenie_services``);
  ``GET /v2/users/{id}/notification-rules`` each user's rules, and each enabled
  ``create-alert`` one whole (``.../notification-rules/{ruleId}``, its steps).
- ``GET /v2/forwarding-rules`` (Forwarding Rule API, "List Forwarding Rules": ``data``): a
  user's notifications forwarded to another for a while, carried as their leave.
- ``GET /v2/schedules/{id}/on-calls?scheduleIdentifierType=id&date=…`` answers who is on call
  at ``date`` (``data.onCallParticipants``): ``--compare``'s vendor side.
- ``warroom shadow compare``'s vendor side ("List Alerts", "List Alert Recipients" of the
  Alert API): ``GET /v2/alerts?query=createdAt>N`` (N in Unix milliseconds, its "Alerts
  Search Query Help"), paged as users are (100 at most), then ``GET
  /v2/alerts/{id}/recipients?identifierType=id`` per alert: each recipient's
  ``user.username`` (their e-mail) and ``createdAt``, those whose ``state`` is ``notactive``
  (never notified) left out; the alert's ``report.ackTime``/``closeTime`` (milliseconds after
  it began) say when it stopped.
- Over the rate limit Opsgenie answers 429 with ``X-RateLimit-State: THROTTLED`` and
  ``X-RateLimit-Period-In-Sec``, the period the limit is counted over ("API Rate Limiting"):
  that long is waited unless ``Retry-After`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from bot.basics.numbers import parse_bounded_int
from bot.clients.importing import VendorApi, retry_after_header
from bot.clients.vendor_http import RETRY_AFTER_MAX_SECONDS
from bot.record.oncall.importing.drafts import Person, ScheduleRef, Translation
from bot.record.oncall.importing.opsgenie import OpsgenieAccount, translate
from bot.record.paging.shadow import VendorAlert, instant

# The largest page ``GET /v2/users`` gives ("limit": "Number of users to retrieve", 100).
USERS_PAGE = 100
# The largest page ``GET /v2/alerts`` gives ("Default value is 20 and maximum value is 100").
ALERTS_PAGE = 100


class Opsgenie:
    """``warroom import opsgenie``."""

    name = "opsgenie"
    title = "Opsgenie"
    token_env = "OPSGENIE_API_KEY"
    default_api_url = "https://api.opsgenie.com"
    regions: Mapping[str, str] = MappingProxyType(
        {"us": default_api_url, "eu": "https://api.eu.opsgenie.com"}
    )

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"GenieKey {token}"}

    def rate_limit_wait(self, headers: Mapping[str, str]) -> float | None:
        asked = retry_after_header(headers)
        if asked is not None:
            return asked
        period = parse_bounded_int(headers.get("X-RateLimit-Period-In-Sec"), 0, 10**9)
        return float(min(period, RETRY_AFTER_MAX_SECONDS)) if period is not None else None

    async def read_account(self, api: VendorApi, now: datetime) -> Translation:
        users = [
            user
            async for page in api.pages("/v2/users", {"limit": str(USERS_PAGE)}, _next_page)
            for user in _data_list(api, page, "/v2/users")
        ]
        teams = _data_list(api, await api.get("/v2/teams"), "/v2/teams")
        schedules = _data_list(
            api, await api.get("/v2/schedules", {"expand": "rotation"}), "/v2/schedules"
        )
        overrides = {}
        for schedule in schedules:
            path = f"/v2/schedules/{schedule.get('id')}/overrides"
            body = await api.get(path, {"scheduleIdentifierType": "id"})
            overrides[str(schedule.get("id"))] = _data_list(api, body, path)
        escalations = _data_list(api, await api.get("/v2/escalations"), "/v2/escalations")
        heartbeats = await api.get("/v2/heartbeats")
        data = heartbeats.get("data") if isinstance(heartbeats, dict) else None
        beats = data.get("heartbeats") if isinstance(data, dict) else None
        if not isinstance(beats, list) or not all(isinstance(each, dict) for each in beats):
            raise api.unexpected("a list of heartbeats under 'data'", api.url("/v2/heartbeats"))
        integrations = _data_list(api, await api.get("/v2/integrations"), "/v2/integrations")
        rules = {str(user.get("id")): await _new_alert_rules(api, user) for user in users}
        # A folder saved before forwarding rules were read has none: the rest is imported.
        saved = await api.get_if_saved("/v2/forwarding-rules")
        forwarding = [] if saved is None else _data_list(api, saved, "/v2/forwarding-rules")
        account = OpsgenieAccount(
            users, teams, schedules, overrides, escalations, beats, integrations, rules, forwarding
        )
        return translate(account, now)

    async def on_call(
        self, api: VendorApi, schedule: ScheduleRef, at: datetime
    ) -> frozenset[Person]:
        path = f"/v2/schedules/{schedule.vendor_id}/on-calls"
        moment = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = await api.get(path, {"scheduleIdentifierType": "id", "date": moment})
        data = body.get("data") if isinstance(body, dict) else None
        participants = data.get("onCallParticipants") if isinstance(data, dict) else None
        if not isinstance(participants, list):
            raise api.unexpected("a list of on-call participants", api.url(path))
        return frozenset(_participant(each) for each in participants if isinstance(each, dict))

    async def alert_log(self, api: VendorApi, since: datetime) -> list[VendorAlert]:
        """Every alert created since ``since``, whom it notified and when."""
        query = {
            "query": f"createdAt>{int(since.timestamp() * 1000) - 1}",
            "limit": str(ALERTS_PAGE),
            "sort": "createdAt",
            "order": "asc",
        }
        listed = [
            alert
            async for page in api.pages("/v2/alerts", query, _next_page)
            for alert in _data_list(api, page, "/v2/alerts")
        ]
        found = []
        for alert in listed:
            path = f"/v2/alerts/{alert.get('id')}/recipients"
            recipients = _data_list(api, await api.get(path, {"identifierType": "id"}), path)
            created = instant(alert.get("createdAt"))
            if created is None:
                raise api.unexpected("alerts with createdAt", api.url("/v2/alerts"))
            found.append(_vendor_alert(alert, created, recipients))
        return found


OPSGENIE = Opsgenie()


async def _new_alert_rules(api: VendorApi, user: dict[str, Any]) -> list[dict[str, Any]]:
    """A user's enabled ``create-alert`` notification rules, each read whole (its steps)."""
    path = f"/v2/users/{quote(str(user.get('id')))}/notification-rules"
    listed = _data_list(api, await api.get(path), path)
    rules = []
    for meta in listed:
        if meta.get("actionType") != "create-alert" or meta.get("enabled") is False:
            continue
        one = f"{path}/{quote(str(meta.get('id')))}"
        body = await api.get(one)
        rule = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rule, dict):
            raise api.unexpected("a notification rule under 'data'", api.url(one))
        rules.append(rule)
    return rules


def _vendor_alert(
    alert: dict[str, Any], created: datetime, recipients: list[dict[str, Any]]
) -> VendorAlert:
    report = alert.get("report") if isinstance(alert.get("report"), dict) else {}
    assert isinstance(report, dict)
    stops = [report.get(key) for key in ("ackTime", "closeTime")]
    after = [int(each) for each in stops if isinstance(each, int) and each >= 0]
    notified: dict[str, datetime] = {}
    for each in sorted(recipients, key=lambda r: str(r.get("createdAt") or "")):
        user = each.get("user") if isinstance(each.get("user"), dict) else None
        at = instant(each.get("createdAt"))
        if user is None or each.get("state") == "notactive" or not user.get("username"):
            continue
        if at is not None:
            notified.setdefault(str(user["username"]).lower(), at)
    return VendorAlert(
        id=str(alert.get("id") or ""),
        alias=str(alert.get("alias") or ""),
        title=str(alert.get("message") or ""),
        created_at=created,
        notified=tuple(notified.items()),
        stopped_at=created + timedelta(milliseconds=min(after)) if after else None,
    )


def _participant(raw: dict[str, Any]) -> Person:
    """A user by their id; anything else (a team, an escalation) by its type and id, which no
    Slack user matches."""
    kind, ident = raw.get("type"), str(raw.get("id") or raw.get("name") or "")
    return Person(ident if kind == "user" else f"{kind}:{ident}")


def _next_page(body: Any, _url: str) -> str | None:
    paging = body.get("paging") if isinstance(body, dict) else None
    following = paging.get("next") if isinstance(paging, dict) else None
    return following if isinstance(following, str) and following else None


def _data_list(api: VendorApi, body: Any, path: str) -> list[dict[str, Any]]:
    """The objects under ``data``; a failure naming the request when there is no such list."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(each, dict) for each in data):
        raise api.unexpected("a list of objects under 'data'", api.url(path))
    return data
