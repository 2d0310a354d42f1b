"""PagerDuty's REST API v2, read for ``warroom import pagerduty`` (the ``Vendor`` of
``bot.clients.importing``); the Events API warroom pages through is
``bot.clients.pagerduty.events``.

As PagerDuty's OpenAPI description documents it (github.com/PagerDuty/api-schema): the key in
``Authorization: Token token=<key>``, the versioning header ``Accept:
application/vnd.pagerduty+json;version=2``, lists read page by page with ``offset`` and
``limit`` while ``more`` is true, a 429 waited out for the seconds ``ratelimit-reset`` says
(https://support.pagerduty.com/docs/rest-api-rate-limits). What the account holds is
translated by ``bot.record.oncall.importing.pagerduty``: users, teams, schedules, their
overrides, escalation policies, services with their integrations (``include[]=integrations``)
and each user's notification rules (``urgency=all&include[]=contact_methods``); who is on
call, for ``--compare``, is each schedule's ``final_schedule`` (overrides included), read a
week at a time; whom an incident notified, for ``warroom shadow compare``, its
``notify_log_entry`` log entries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

from bot.basics.numbers import parse_bounded_int
from bot.clients.importing import ImportFailure, VendorApi, retry_after_header
from bot.record.oncall.importing.drafts import Person, ScheduleRef, Translation
from bot.record.oncall.importing.pagerduty import PagerDutyAccount, UnexpectedObject, translate
from bot.record.paging.shadow import VendorAlert, instant

ACCEPT = "application/vnd.pagerduty+json;version=2"
# Each user's rules of both urgencies, their contact methods whole (the description's
# ``urgency``: high, low or all; ``include_notification_rules``: contact_methods).
RULES_QUERY = {"urgency": "all", "include[]": "contact_methods"}
# The most a page holds (PagerDuty's classic pagination).
PAGE_LIMIT = 100
# Overrides are read from now to this far ahead.
OVERRIDES_AHEAD = timedelta(days=365)
# --compare reads a schedule's final schedule this much at a time.
ON_CALL_WINDOW = timedelta(days=7)
# The longest range GET /incidents answers is 6 months: asked 180 days at a time.
INCIDENTS_RANGE = timedelta(days=180)
# The longest wait a 429's ratelimit-reset is taken at its word for (a day).
LONGEST_RESET_SECONDS = 86_400


@dataclass
class _Rendered:
    """A schedule's final schedule from ``since`` to ``until``: (start, end, user id)."""

    since: datetime
    until: datetime
    entries: list[tuple[datetime, datetime, str]] = field(default_factory=list)


class PagerDuty:
    """``warroom import pagerduty``."""

    name = "pagerduty"
    title = "PagerDuty"
    token_env = "PAGERDUTY_API_TOKEN"
    default_api_url = "https://api.pagerduty.com"
    # PagerDuty's EU service answers at its own address ("EU service region").
    regions: Mapping[str, str] = MappingProxyType(
        {"us": default_api_url, "eu": "https://api.eu.pagerduty.com"}
    )

    def __init__(self) -> None:
        # Per API session: what --compare has read of each schedule, and a lock per schedule
        # so that questions asked at once read it once.
        self._rendered: WeakKeyDictionary[VendorApi, dict[str, _Rendered]] = WeakKeyDictionary()
        self._locks: WeakKeyDictionary[VendorApi, dict[str, asyncio.Lock]] = WeakKeyDictionary()

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Token token={token}", "Accept": ACCEPT}

    def rate_limit_wait(self, headers: Mapping[str, str]) -> float | None:
        """``ratelimit-reset``: the seconds to wait; else a standard ``Retry-After``."""
        reset = parse_bounded_int(headers.get("ratelimit-reset"), 0, LONGEST_RESET_SECONDS)
        return float(reset) if reset is not None else retry_after_header(headers)

    async def read_account(self, api: VendorApi, now: datetime) -> Translation:
        users = await _every(api, "/users", "users")
        teams = await _every(api, "/teams", "teams")
        listed = await _every(api, "/schedules", "schedules")
        schedules, overrides = [], {}
        for item in listed:
            schedule_id = _id(api, item, "/schedules")
            schedules.append(await _one(api, f"/schedules/{quote(schedule_id)}", "schedule"))
            overrides[schedule_id] = await _overrides(api, schedule_id, now)
        policies = await _every(api, "/escalation_policies", "escalation_policies")
        services = await _every(api, "/services", "services", {"include[]": "integrations"})
        rules = {}
        for user in users:
            user_id = _id(api, user, "/users")
            path = f"/users/{quote(user_id)}/notification_rules"
            found = await _one(api, path, "notification_rules", RULES_QUERY)
            if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
                raise api.unexpected("a list of notification rules", api.url(path, RULES_QUERY))
            rules[user_id] = found
        account = PagerDutyAccount(
            users,
            teams,
            schedules,
            overrides,
            policies,
            services=services,
            notification_rules=rules,
        )
        try:
            return translate(account, now)
        except UnexpectedObject as problem:
            raise ImportFailure(
                f"PagerDuty answered with something its API does not describe: {problem}",
                retryable=False,
            ) from None

    async def on_call(
        self, api: VendorApi, schedule: ScheduleRef, at: datetime
    ) -> frozenset[Person]:
        rendered = await self._final_schedule(api, schedule.vendor_id, at)
        return frozenset(Person(user) for start, end, user in rendered.entries if start <= at < end)

    async def alert_log(self, api: VendorApi, since: datetime) -> list[VendorAlert]:
        """``warroom shadow compare``: every incident created since ``since`` (``GET
        /incidents``, ``since`` and ``until``), whom each notified and when (``GET
        /incidents/{id}/log_entries``: its ``notify_log_entry`` entries), people by the
        e-mail ``GET /users`` gives them."""
        incidents, start, now = [], since, datetime.now(UTC)
        while start < now:  # the list's "Maximum range is 6 months"
            end = min(start + INCIDENTS_RANGE, now)
            window = {"since": _iso(start), "until": _iso(end)}
            incidents += await _every(api, "/incidents", "incidents", window)
            start = end
        emails = {
            str(user.get("id")): str(user.get("email") or "")
            for user in await _every(api, "/users", "users")
        }
        found = []
        for incident in incidents:
            path = f"/incidents/{quote(_id(api, incident, '/incidents'))}/log_entries"
            entries = await _every(api, path, "log_entries")
            try:
                found.append(_vendor_alert(incident, entries, emails))
            except ValueError:
                raise api.unexpected("incidents with created_at", api.url("/incidents")) from None
        return found

    async def _final_schedule(self, api: VendorApi, schedule_id: str, at: datetime) -> _Rendered:
        """The final schedule around ``at``, read once per week asked about."""
        rendered = self._rendered.setdefault(api, {})
        lock = self._locks.setdefault(api, {}).setdefault(schedule_id, asyncio.Lock())
        async with lock:
            known = rendered.get(schedule_id)
            if known is None or not known.since <= at < known.until:
                known = await _render(api, schedule_id, at, at + ON_CALL_WINDOW)
                rendered[schedule_id] = known
            return known


async def _every(
    api: VendorApi, path: str, key: str, extra: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every object of a paginated list: pages of ``PAGE_LIMIT`` while ``more``."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        params = {**(extra or {}), "limit": str(PAGE_LIMIT), "offset": str(offset)}
        body = await api.get(path, params)
        items = body.get(key) if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise api.unexpected(f"a page of {key}", api.url(path, params))
        found.extend(items)
        if body.get("more") is not True:
            return found
        if not items:  # "more" with nothing on the page would go on forever
            raise api.unexpected(
                f"a page of {key} (more, but an empty page)", api.url(path, params)
            )
        offset += len(items)


async def _one(api: VendorApi, path: str, key: str, params: Mapping[str, str] | None = None) -> Any:
    body = await api.get(path, params)
    item = body.get(key) if isinstance(body, dict) else None
    if item is None or not isinstance(item, dict | list):
        raise api.unexpected(f"an answer with {key}", api.url(path, params))
    return item


async def _overrides(api: VendorApi, schedule_id: str, now: datetime) -> list[dict[str, Any]]:
    """The schedule's overrides that end after ``now`` (``since`` and ``until`` required)."""
    params = {"since": _iso(now), "until": _iso(now + OVERRIDES_AHEAD)}
    items = await _one(api, f"/schedules/{quote(schedule_id)}/overrides", "overrides", params)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise api.unexpected("a list of overrides", api.url(f"/schedules/{schedule_id}/overrides"))
    return items


async def _render(api: VendorApi, schedule_id: str, since: datetime, until: datetime) -> _Rendered:
    path = f"/schedules/{quote(schedule_id)}"
    params = {"since": _iso(since), "until": _iso(until)}
    schedule = await _one(api, path, "schedule", params)
    final = schedule.get("final_schedule") if isinstance(schedule, dict) else None
    raw = final.get("rendered_schedule_entries") if isinstance(final, dict) else None
    if not isinstance(raw, list):
        raise api.unexpected("a schedule with its final_schedule", api.url(path, params))
    rendered = _Rendered(since, until)
    for entry in raw:
        try:
            user = entry["user"]["id"]
            start = datetime.fromisoformat(entry["start"])
            end = datetime.fromisoformat(entry["end"])
        except (KeyError, TypeError, ValueError):
            raise api.unexpected("rendered schedule entries", api.url(path, params)) from None
        if not isinstance(user, str) or start.tzinfo is None or end.tzinfo is None:
            raise api.unexpected("rendered schedule entries", api.url(path, params))
        rendered.entries.append((start, end, user))
    return rendered


def _id(api: VendorApi, item: Mapping[str, Any], path: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise api.unexpected("objects with ids", api.url(path))
    return value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _vendor_alert(
    incident: Mapping[str, Any], entries: list[dict[str, Any]], emails: Mapping[str, str]
) -> VendorAlert:
    """An incident as ``shadow compare`` sees it: each user its ``notify_log_entry`` entries
    name (by e-mail, at their first), and its first acknowledgement or resolution."""
    notified: dict[str, datetime] = {}
    stopped = None
    for entry in entries:
        at = instant(entry.get("created_at"))
        user = entry.get("user") if isinstance(entry.get("user"), dict) else None
        if entry.get("type") == "notify_log_entry" and user is not None and at is not None:
            email = emails.get(str(user.get("id")), f"pagerduty:{user.get('id')}")
            notified.setdefault(email.lower(), at)
        elif entry.get("type") in STOPPING and stopped is None:
            stopped = at
    created = instant(incident.get("created_at"))
    if created is None:
        raise ValueError("an incident without created_at")
    return VendorAlert(
        id=str(incident.get("id") or ""),
        alias=str(incident.get("incident_key") or ""),
        title=str(incident.get("title") or ""),
        created_at=created,
        notified=tuple(notified.items()),
        stopped_at=stopped,
    )


# The log entries that end an incident's notifications: someone acknowledged or resolved it.
STOPPING = ("acknowledge_log_entry", "resolve_log_entry")


# The one PagerDuty ``warroom import`` reads through (``bot.admin.importing.importing.VENDORS``).
PAGERDUTY = PagerDuty()
