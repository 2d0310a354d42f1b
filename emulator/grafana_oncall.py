"""A fake Grafana OnCall HTTP API v1 on 127.0.0.1, read-only, for ``warroom import``'s tests.

It follows Grafana OnCall's API reference (grafana/oncall, ``docs/sources/oncall-api-reference/``,
AGPL-3.0: the example objects it serves are cut from those pages into
``emulator/fixtures/grafana_oncall_accounts.json``, with the licence beside it; no code of
Grafana's is copied):

- ``GET /api/v1/users/``, ``/user_groups/``, ``/schedules/``, ``/on_call_shifts/`` (filters
  ``name``, ``schedule_id``), ``/escalation_chains/``, ``/escalation_policies/`` (filter
  ``escalation_chain_id``), ``/integrations/``, ``/personal_notification_rules/`` (filters
  ``user_id``, ``important``), each object by ``/<id>/``, and a schedule's
  ``/final_shifts?start_date=&end_date=`` (computed by ``emulator.grafana_oncall_shifts``).
- Authentication (_index.md): the API key alone in the ``Authorization`` header; anything
  else is refused with 401 and Django REST framework's ``{"detail": ...}`` body (the API is a
  Django REST framework one: its error bodies are that framework's).
- Pagination (_index.md): ``count``, ``next``, ``previous``, ``results`` (and
  ``current_page_number``, ``page_size``, ``total_pages`` as the examples show); ``next`` is
  the whole address of the next page, ``?page=N``.
- Rate limits (_index.md "API rate limits"): 300 requests per API key per 5 minutes; beyond,
  429 with ``Retry-After`` (Django REST framework's throttling answer).
- final_shifts' caveats (schedules.md): both dates required, ISO 8601 dates, ``end_date`` not
  before ``start_date`` nor more than 365 days after it: else 400.

When in doubt it refuses: a query parameter the reference does not list is a 400, a method
other than GET a 405 (this fake is read-only), an unknown path a 404.

    async with FakeGrafanaOnCall(api_key="meowmeowmeow") as grafana:
        grafana.load("team")                 # an account of the fixtures
        ... --api-url grafana.root --token meowmeowmeow
"""

from __future__ import annotations

import json
import time
from collections import deque
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from emulator.fake_http import FakeHttpServer
from emulator.grafana_oncall_shifts import final_shifts

FIXTURES = Path(__file__).parent / "fixtures" / "grafana_oncall_accounts.json"
API = "/api/v1/"
# _index.md, "API rate limits": 300 requests per API key per 5 minutes.
RATE_LIMIT = 300
RATE_WINDOW_SECONDS = 300
# schedules.md, final_shifts caveats: end_date at most 365 days after start_date.
MAX_FINAL_SHIFT_DAYS = 365
DEFAULT_PAGE_SIZE = 50
# Each list and the filters its page of the reference documents (besides ``page``).
LISTS: dict[str, tuple[str, ...]] = {
    "users": ("username",),
    "user_groups": (),
    "schedules": ("name", "team_id"),
    "on_call_shifts": ("name", "schedule_id"),
    "escalation_chains": (),
    "escalation_policies": ("escalation_chain_id",),
    # integrations.md, "List integrations": no filter documented.
    "integrations": (),
    # personal_notification_rules.md, "List personal notification rules".
    "personal_notification_rules": ("user_id", "important"),
}
# The field each filter compares (on_call_shifts' ``schedule`` is the serializer's own name).
FILTER_FIELDS = {"schedule_id": "schedule", "escalation_chain_id": "escalation_chain_id"}


class FakeGrafanaOnCall(FakeHttpServer):
    """Grafana OnCall's API with one account (``load`` one of the fixtures, or ``add``
    objects); ``requests`` holds each request's method, path and query, in order."""

    def __init__(
        self,
        api_key: str = "meowmeowmeow",
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        rate_limit: int = RATE_LIMIT,
        rate_window: float = RATE_WINDOW_SECONDS,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.page_size = page_size
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.objects: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
        self.requests: list[str] = []
        self._recent: deque[float] = deque()
        self._garbled = 0
        # Final shifts computed, by schedule and days: each page of them is asked apart.
        self._finals: dict[tuple[str, date, date], list[dict[str, Any]]] = {}

    # -- the account ---------------------------------------------------------------------------
    def load(self, account: str) -> None:
        """Serve the fixtures' ``account`` ("documented": the reference's own examples;
        "team": a team's account built from the documented fields)."""
        accounts = json.loads(FIXTURES.read_text())
        self._finals.clear()
        for name in LISTS:
            self.objects[name] = [dict(one) for one in accounts[account].get(name, [])]
        for one in self.objects["integrations"]:  # the reference writes the address {{API_URL}}
            one["link"] = str(one.get("link", "")).replace("{{API_URL}}", self._root or "")

    def add(self, kind: str, obj: dict[str, Any]) -> None:
        """Add an object to a list (``on_call_shifts``...); a shift with a ``schedule`` is
        listed in that calendar schedule's ``shifts``."""
        self.objects[kind].append(obj)
        self._finals.clear()
        if kind == "on_call_shifts" and obj.get("schedule"):
            for schedule in self.objects["schedules"]:
                if schedule["id"] == obj["schedule"] and schedule.get("type") == "calendar":
                    schedule["shifts"] = [*schedule.get("shifts", []), obj["id"]]

    def garble(self, times: int = 1) -> None:
        """Answer the next ``times`` requests 200 with a body that is not JSON (a proxy's
        page in front of the API, say)."""
        self._garbled += times

    # -- answering -----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if (mishap := await self.next_mishap()) is not None:
            return _detail(
                mishap.status, _STATUS_WORDS.get(mishap.status, "Error."), mishap.headers
            )
        if self._garbled:
            self._garbled -= 1
            return web.Response(
                text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        if request.headers.get("Authorization") != self.api_key:
            return _detail(401, "Invalid token.")
        if (wait := self._throttled()) is not None:
            return _detail(
                429,
                f"Request was throttled. Expected available in {wait} seconds.",
                {"Retry-After": str(wait)},
            )
        if request.method != "GET":
            return _detail(405, f'Method "{request.method}" not allowed.')
        return self._route(request)

    def _throttled(self) -> int | None:
        """The seconds until a request is allowed again, when over the rate limit."""
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - self.rate_window:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit:
            return max(1, int(self._recent[0] + self.rate_window - now + 0.999))
        self._recent.append(now)
        return None

    def _route(self, request: web.Request) -> web.Response:
        if not request.path.startswith(API):
            return _detail(404, "Not found.")
        parts = request.path.removeprefix(API).split("/")
        kind = parts[0]
        if kind not in LISTS:
            return _detail(404, "Not found.")
        if parts[1:] == [""]:
            return self._list(request, kind)
        if kind == "schedules" and len(parts) == 3 and parts[2] == "final_shifts":
            return self._final_shifts(request, parts[1])
        if len(parts) == 3 and parts[2] == "":
            found = self._find(kind, parts[1])
            return web.json_response(found) if found else _detail(404, "Not found.")
        return _detail(404, "Not found.")

    def _find(self, kind: str, ident: str) -> dict[str, Any] | None:
        return next((one for one in self.objects[kind] if one["id"] == ident), None)

    def _list(self, request: web.Request, kind: str) -> web.Response:
        filters = {key: value for key, value in request.query.items() if key != "page"}
        if unknown := sorted(set(filters) - set(LISTS[kind])):
            return _detail(400, f"Unknown query parameter: {unknown[0]}")
        rows = [
            one
            for one in self.objects[kind]
            if all(str(one.get(FILTER_FIELDS.get(k, k))) == v for k, v in filters.items())
        ]
        return self._page(request, [dict(one) for one in rows])

    def _page(self, request: web.Request, rows: list[dict[str, Any]]) -> web.Response:
        """One page of ``rows`` (_index.md, "Pagination")."""
        try:
            page = int(request.query.get("page", "1"))
        except ValueError:
            return _detail(404, "Invalid page.")
        pages = max(1, -(-len(rows) // self.page_size))
        if not 1 <= page <= pages:
            return _detail(404, "Invalid page.")
        chunk = rows[(page - 1) * self.page_size : page * self.page_size]
        return web.json_response(
            {
                "count": len(rows),
                "next": self._link(request, page + 1) if page < pages else None,
                "previous": self._link(request, page - 1) if page > 1 else None,
                "results": chunk,
                "current_page_number": page,
                "page_size": self.page_size,
                "total_pages": pages,
            }
        )

    def _link(self, request: web.Request, page: int) -> str:
        query = {**request.query, "page": str(page)}
        return f"{self.root}{request.path}?{urlencode(query)}"

    def _final_shifts(self, request: web.Request, ident: str) -> web.Response:
        """schedules.md, "Export a schedule's final shifts", with its caveats."""
        schedule = self._find("schedules", ident)
        if schedule is None:
            return _detail(404, "Not found.")
        extra = sorted(set(request.query) - {"start_date", "end_date", "page"})
        if extra:
            return _detail(400, f"Unknown query parameter: {extra[0]}")
        try:
            first = date.fromisoformat(request.query["start_date"])
            last = date.fromisoformat(request.query["end_date"])
        except (KeyError, ValueError):
            return _detail(400, "start_date and end_date are required ISO 8601 dates")
        if last < first or (last - first).days > MAX_FINAL_SHIFT_DAYS:
            return _detail(400, "end_date must be on or after start_date, at most 365 days")
        key = (ident, first, last)
        if key not in self._finals:
            self._finals[key] = self._computed(schedule, first, last)
        return self._page(request, self._finals[key])

    def _computed(self, schedule: dict[str, Any], first: date, last: date) -> list[dict[str, Any]]:
        low = datetime(first.year, first.month, first.day, tzinfo=UTC)
        high = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        shifts = [s for s in self.objects["on_call_shifts"] if s.get("schedule") == schedule["id"]]
        rows = final_shifts(shifts, schedule.get("time_zone") or "UTC", low, high)
        users = {user["id"]: user for user in self.objects["users"]}
        return [_final_row(row, users) for row in rows]


def _final_row(row: tuple[datetime, datetime, str], users: dict[str, Any]) -> dict[str, Any]:
    start, end, ident = row
    user = users.get(ident, {})
    return {
        "user_pk": ident,
        "user_email": user.get("email"),
        "user_username": user.get("username"),
        "shift_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shift_end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# Django REST framework's default details for the statuses a fake failure is told to give.
_STATUS_WORDS = {
    429: "Request was throttled.",
    500: "A server error occurred.",
    502: "Bad Gateway",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway Timeout",
}


def _detail(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"detail": text}, status=status, headers=headers)
