"""Grafana OnCall's HTTP API v1, as ``warroom import grafana-oncall`` reads it.

What it asks (grafana/oncall ``docs/sources/oncall-api-reference/``): ``GET /api/v1/users/``,
``/user_groups/``, ``/schedules/``, ``/on_call_shifts/?schedule_id=``,
``/escalation_chains/``, ``/escalation_policies/?escalation_chain_id=``, ``/integrations/``
(integrations.md, "List integrations": the senders to repoint),
``/personal_notification_rules/`` (personal_notification_rules.md: everyone's; each paginated:
``results`` and a ``next`` link, _index.md "Pagination"), and for ``--compare`` a schedule's
final shifts, ``GET /api/v1/schedules/{id}/final_shifts?start_date=&end_date=`` (schedules.md).
The API key goes as it is in the ``Authorization`` header (_index.md "Authentication"); a 429
(300 requests per 5 minutes per key, _index.md "API rate limits") is waited out by
``VendorApi``, the ``Retry-After`` header's wait when given.

The account is translated by ``bot.record.oncall.importing.grafana_oncall``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from bot.clients.importing import ImportFailure, VendorApi, retry_after_header
from bot.record.oncall.importing.drafts import Person, ScheduleRef, Translation
from bot.record.oncall.importing.grafana_oncall import GrafanaAccount, translate
from bot.record.oncall.importing.grafana_oncall_fields import UnexpectedObject

# None: each stack has its own address (OnCall's Settings page shows it; Grafana Cloud's are
# per region, like https://oncall-prod-us-central-0.grafana.net/oncall), so --api-url is
# required rather than the key sent to a stack that is not the team's.
DEFAULT_API_URL = ""
API = "/api/v1"
# The days of final shifts asked at once for --compare (schedules.md: at most 365).
COMPARE_WINDOW_DAYS = 35
# Final shifts as (start, end, Grafana user id), aware.
_Shifts = list[tuple[datetime, datetime, str]]


class GrafanaOnCall:
    """Grafana OnCall, for ``warroom import grafana-oncall``."""

    name = "grafana-oncall"
    title = "Grafana OnCall"
    token_env = "GRAFANA_ONCALL_API_TOKEN"
    default_api_url = DEFAULT_API_URL
    regions: Mapping[str, str] = MappingProxyType({})  # a stack's own address instead

    def __init__(self) -> None:
        # --compare asks who is on call at every hour: each schedule's final shifts are
        # fetched a window of days at a time, kept per API (one import, one API).
        self._final: weakref.WeakKeyDictionary[VendorApi, _Known] = weakref.WeakKeyDictionary()

    def auth_headers(self, token: str) -> dict[str, str]:
        """_index.md, "Authentication": ``Authorization: <api_key>``, no scheme word."""
        return {"Authorization": token}

    def rate_limit_wait(self, headers: Mapping[str, str]) -> float | None:
        return retry_after_header(headers)

    async def read_account(self, api: VendorApi, now: datetime) -> Translation:
        schedules = await _listed(api, "/schedules/")
        chains = await _listed(api, "/escalation_chains/")
        account = GrafanaAccount(
            users=await _listed(api, "/users/"),
            user_groups=await _listed(api, "/user_groups/"),
            schedules=schedules,
            shifts={
                _ident(one): await _listed(api, "/on_call_shifts/", schedule_id=_ident(one))
                for one in schedules
            },
            chains=chains,
            steps={
                _ident(one): await _listed(
                    api, "/escalation_policies/", escalation_chain_id=_ident(one)
                )
                for one in chains
            },
            integrations=await _listed(api, "/integrations/"),
            notification_rules=await _listed(api, "/personal_notification_rules/"),
        )
        try:
            return translate(account, now)
        except UnexpectedObject as error:
            raise ImportFailure(f"Grafana OnCall answered {error}", retryable=False) from None

    async def on_call(
        self, api: VendorApi, schedule: ScheduleRef, at: datetime
    ) -> frozenset[Person]:
        """Whose final shift holds ``at`` (schedules.md, "Export a schedule's final shifts")."""
        known = self._final.setdefault(api, _Known())
        async with known.lock(schedule.vendor_id):  # --compare asks several at once
            windows = known.windows.setdefault(schedule.vendor_id, {})
            first = next((day for day in windows if _holds(day, at)), None)
            if first is None:
                first = at.astimezone(UTC).date() - timedelta(days=1)
                windows[first] = await _final_shifts(api, schedule.vendor_id, first)
        return frozenset(Person(user) for start, end, user in windows[first] if start <= at < end)


@dataclass
class _Known:
    """The final shifts fetched so far, by schedule and first day; a lock per schedule."""

    windows: dict[str, dict[date, _Shifts]] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, schedule: str) -> asyncio.Lock:
        return self.locks.setdefault(schedule, asyncio.Lock())


GRAFANA_ONCALL = GrafanaOnCall()


def _holds(first: date, at: datetime) -> bool:
    """Whether final shifts fetched from ``first`` answer for ``at`` (a day's margin each
    side, for shifts that began before the window)."""
    day = at.astimezone(UTC).date()
    return first + timedelta(days=1) <= day < first + timedelta(days=COMPARE_WINDOW_DAYS - 1)


async def _final_shifts(api: VendorApi, schedule: str, first: date) -> _Shifts:
    last = first + timedelta(days=COMPARE_WINDOW_DAYS)
    params = {"start_date": first.isoformat(), "end_date": last.isoformat()}
    rows = await _listed(api, f"/schedules/{schedule}/final_shifts", **params)
    shifts = []
    for row in rows:
        try:
            start = datetime.fromisoformat(str(row["shift_start"]).replace("Z", "+00:00"))
            end = datetime.fromisoformat(str(row["shift_end"]).replace("Z", "+00:00"))
            shifts.append((start, end, str(row["user_pk"])))
        except (KeyError, ValueError):
            where = api.url(f"{API}/schedules/{schedule}/final_shifts", params)
            raise api.unexpected("final shifts", where) from None
    return shifts


async def _listed(api: VendorApi, path: str, **params: str) -> list[dict[str, Any]]:
    """Every object of a paginated list (_index.md, "Pagination"): ``results`` of each page,
    ``next`` the whole address of the next (None on the last)."""
    objects: list[dict[str, Any]] = []
    async for body in api.pages(f"{API}{path}", params, _next_page):
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or not all(isinstance(one, dict) for one in results):
            raise api.unexpected("a page of results", api.url(f"{API}{path}", params))
        objects += results
    return objects


def _next_page(body: Any, _url: str) -> str | None:
    link = body.get("next") if isinstance(body, dict) else None
    return link if isinstance(link, str) and link else None


def _ident(raw: Mapping[str, Any]) -> str:
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise ImportFailure("Grafana OnCall answered an object without an id", retryable=False)
    return ident
