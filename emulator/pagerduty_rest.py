"""A fake PagerDuty REST API v2 (what ``warroom import pagerduty`` reads) on 127.0.0.1.

It follows PagerDuty's OpenAPI description, cut into ``emulator/fixtures/pagerduty_rest_api.json``
(with its licence note): the GET operations of ``/users``, ``/teams``, ``/schedules``,
``/schedules/{id}``, ``/schedules/{id}/overrides``, ``/escalation_policies``, ``/oncalls``,
``/services`` (integrations whole with ``include[]=integrations``),
``/users/{id}/notification_rules`` (``urgency`` high by default, ``all`` for both) and
``/users/{id}/contact_methods`` (what the import reads), ``/incidents`` and
``/incidents/{id}/log_entries`` (what ``warroom shadow compare`` reads: incidents created from
``since`` to ``until``, a month before now by default, and each one's log entries oldest
first), each taking the query parameters the description lists and nothing else. The account it
serves (``Account``) is made of plain objects in the API's shape; ``documented_account`` builds
one from the description's own example objects (both in ``emulator.pagerduty_account``). Who
is on call (a schedule's
``final_schedule`` and ``GET /oncalls``) is worked out by ``emulator.pagerduty_schedules``,
written from PagerDuty's documentation and not from warroom's engine.

Kept apart from ``emulator/pagerduty.py`` (the Events API v2, another host and another
contract: a routing key in the body, no token).

    async with FakePagerDutyRest(documented_account(2027)) as pagerduty:
        ... --api-url pagerduty.root --token pagerduty.token ...
        pagerduty.rate_limit(times=1, reset_seconds=1)     # the next request answers 429
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from emulator.fake_http import FakeHttpServer
from emulator.pagerduty_account import DESCRIPTION, Account
from emulator.pagerduty_schedules import Entry, PdOverride, ScheduleRender, layer_from_api

# The versioning header every request sends (the description's ``header_Accept``).
ACCEPT = "application/vnd.pagerduty+json;version=2"
TOKEN = "y_NbAkKc66ryYTWUXYEu"  # the shape of a PagerDuty API key (20 characters)
# PagerDuty's classic pagination: "limit" at most 100, 25 when not given
# (https://developer.pagerduty.com/docs/pagination).
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# GET /oncalls and the overrides reach at most 90 days ahead of now (the description's
# ``since``/``until`` of /oncalls: "On-call shifts are limited to 90 days in the future");
# the fake allows a range of up to a year, which is all the import asks.
LONGEST_RANGE = timedelta(days=366)
# What a 429 says about the limit (https://support.pagerduty.com/docs/rest-api-rate-limits:
# ``ratelimit-limit``, ``ratelimit-remaining``, ``ratelimit-reset`` in seconds to wait).
RATE_LIMIT = 960
# How far past the range GET /oncalls looks for the ends of the stretches it lists.
ONCALL_MARGIN = timedelta(days=7)


class FakePagerDutyRest(FakeHttpServer):
    """PagerDuty's REST API v2, strict: a request the description does not document is
    refused (400, in PagerDuty's error body), not guessed at.

    ``requests`` lists each request's path and query; ``rate_limit`` and ``answer_garbage``
    queue a 429 or a 200 whose body is not JSON for the next requests; ``fail`` (from
    ``FakeHttpServer``) any other status.
    """

    def __init__(self, account: Account, *, token: str = TOKEN) -> None:
        super().__init__()
        self.account = account
        self.token = token
        self.requests: list[str] = []
        self._rate_limited: list[int] = []
        self._garbage = 0

    def rate_limit(self, *, times: int = 1, reset_seconds: int = 1) -> None:
        """Answer the next ``times`` requests 429 with ``ratelimit-reset: reset_seconds``."""
        self._rate_limited.extend([reset_seconds] * times)

    def answer_garbage(self, *, times: int = 1) -> None:
        """Answer the next ``times`` requests 200 with an HTML page (a proxy's, say)."""
        self._garbage += times

    # -- answering --------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        mishap = await self.next_mishap()
        if mishap is not None:
            return _error(mishap.status, "Internal Server Error" if mishap.status >= 500 else "")
        if self._rate_limited:
            return _rate_limited(self._rate_limited.pop(0))
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if self._garbage:
            self._garbage -= 1
            return web.Response(status=200, text="<html><body>Bad gateway</body></html>")
        route = _route(request.path)
        if route is None:
            return _error(404, "Not Found", code=2100)
        operation, ids = route
        query = request.query
        problems = _query_problems(operation, query)
        if problems:
            return _argument_error(problems)
        try:
            body = ANSWERS[operation](self, ids, query)
        except ArgumentError as error:
            return _argument_error([str(error)])
        if body is None:
            return _error(404, "Not Found", code=2100)
        # GET /schedules/{id}/overrides is documented with 201, not 200.
        status = 201 if operation == "/schedules/{id}/overrides" else 200
        return web.json_response(body, status=status)

    def _refusal(self, request: web.Request) -> web.Response | None:
        """The description's security scheme: ``Authorization: Token token=<API_KEY>``; its
        ``header_Accept``: the versioning header, required. Only GET is served."""
        if request.headers.get("Authorization") != f"Token token={self.token}":
            return _error(401, "Authentication failed", code=2006)
        if request.headers.get("Accept") != ACCEPT:
            return _argument_error([f"the Accept header must be {ACCEPT}"])
        if request.method != "GET":
            return _error(405, "Method Not Allowed")
        return None

    # -- the operations ---------------------------------------------------------------------
    def list_users(self, _ids: list[str], query: Mapping[str, str]) -> dict[str, Any]:
        return _page("users", self.account.users, query)

    def list_teams(self, _ids: list[str], query: Mapping[str, str]) -> dict[str, Any]:
        return _page("teams", self.account.teams, query)

    def list_schedules(self, _ids: list[str], query: Mapping[str, str]) -> dict[str, Any]:
        """The list leaves out the layers (the description's "Basic Example")."""
        listed = [_without(schedule, "schedule_layers") for schedule in self.account.schedules]
        return _page("schedules", listed, query)

    def get_schedule(self, ids: list[str], query: Mapping[str, str]) -> dict[str, Any] | None:
        """One schedule with its layers; with ``since`` or ``until`` its ``final_schedule``
        (each missing end two weeks from the other, as the description says)."""
        schedule = self._schedule(ids[0])
        if schedule is None:
            return None
        if query.get("overflow", "false") != "false":
            raise ArgumentError("overflow=true is not rendered by this fake")
        answer = dict(schedule)
        if "since" in query or "until" in query:
            since, until = _range(query, default=timedelta(days=14))
            zone = _zone(query.get("time_zone") or schedule["time_zone"])
            render = self.render(schedule["id"])
            answer["final_schedule"] = {
                "name": "Final Schedule",
                "rendered_schedule_entries": [
                    self._entry(entry, zone) for entry in render.entries(since, until)
                ],
            }
        return {"schedule": answer}

    def list_overrides(self, ids: list[str], query: Mapping[str, str]) -> dict[str, Any] | None:
        """Overrides that overlap ``since``..``until`` (both required)."""
        if self._schedule(ids[0]) is None:
            return None
        if "since" not in query or "until" not in query:
            raise ArgumentError("since and until are required")
        since, until = _range(query, default=timedelta(0))
        return {
            "overrides": [
                override
                for override in self.account.overrides.get(ids[0], [])
                if _when(override["start"]) < until and _when(override["end"]) > since
            ]
        }

    def list_escalation_policies(self, _ids: list[str], query: Mapping[str, str]) -> dict[str, Any]:
        return _page("escalation_policies", self.account.escalation_policies, query)

    def list_services(self, _ids: list[str], query: Any) -> dict[str, Any]:
        """Services, their integrations as references unless ``include[]=integrations``."""
        whole = "integrations" in query.getall("include[]", [])
        listed = [
            {
                **service,
                "integrations": [i if whole else _reference(i) for i in service["integrations"]],
            }
            for service in self.account.services
        ]
        return _page("services", listed, query)

    def list_notification_rules(self, ids: list[str], query: Any) -> dict[str, Any] | None:
        """A user's rules of ``urgency`` (high when not given, as the description says; all
        for both), their contact methods whole with ``include[]=contact_methods``."""
        if not any(user["id"] == ids[0] for user in self.account.users):
            return None
        urgency = query.get("urgency", "high")
        methods = {m["id"]: m for m in self.account.contact_methods.get(ids[0], [])}
        whole = "contact_methods" in query.getall("include[]", [])
        return {
            "notification_rules": [
                {**rule, "contact_method": methods[rule["contact_method"]["id"]]} if whole else rule
                for rule in self.account.notification_rules.get(ids[0], [])
                if urgency == "all" or rule["urgency"] == urgency
            ]
        }

    def list_contact_methods(self, ids: list[str], _query: Any) -> dict[str, Any] | None:
        if not any(user["id"] == ids[0] for user in self.account.users):
            return None
        return {"contact_methods": self.account.contact_methods.get(ids[0], [])}

    def list_incidents(self, _ids: list[str], query: Mapping[str, str]) -> dict[str, Any]:
        """Incidents created in ``since``..``until`` (a month up to now by default; at most
        six months, the description's "Maximum range"), oldest first."""
        if query.get("date_range") == "all":
            kept = list(self.account.incidents)
        else:
            since, until = _range(query, default=timedelta(days=30), now=datetime.now(UTC))
            if until - since > timedelta(days=183):
                raise ArgumentError("the range is longer than 6 months")
            kept = [i for i in self.account.incidents if since <= _when(i["created_at"]) < until]
        kept.sort(key=lambda incident: _when(incident["created_at"]))
        return _page("incidents", kept, query)

    def list_log_entries(self, ids: list[str], query: Mapping[str, str]) -> dict[str, Any] | None:
        """One incident's log entries, oldest first."""
        if not any(incident["id"] == ids[0] for incident in self.account.incidents):
            return None
        entries = sorted(self.account.log_entries.get(ids[0], []), key=lambda e: e["created_at"])
        return _page("log_entries", entries, query)

    def list_oncalls(self, _ids: list[str], query: Mapping[str, str]) -> dict[str, Any]:
        """Each escalation policy's rules: a schedule target's final schedule entries in the
        range (``since``/``until``, now by default), a user target always on call."""
        since, until = _range(query, default=timedelta(0), now=datetime.now(UTC))
        wanted = {name: set(_listed(query, name)) for name in _ONCALL_FILTERS}
        found: list[dict[str, Any]] = []
        for policy in self.account.escalation_policies:
            for level, rule in enumerate(policy["escalation_rules"], start=1):
                for target in rule["targets"]:
                    found.extend(self._oncalls(policy, level, target, since, until))
        found = [oncall for oncall in found if _kept(oncall, wanted)]
        if query.get("earliest") == "true":
            found = _earliest(found)
        return _page("oncalls", found, query)

    def _oncalls(
        self,
        policy: dict[str, Any],
        level: int,
        target: dict[str, Any],
        since: datetime,
        until: datetime,
    ) -> list[dict[str, Any]]:
        base = {"escalation_policy": _reference(policy), "escalation_level": level}
        if target["type"] == "user_reference":
            return [{**base, "user": target, "schedule": None, "start": None, "end": None}]
        schedule = self._schedule(target["id"])
        if schedule is None:
            return []
        zone = ZoneInfo(schedule["time_zone"])
        # An on-call is the whole stretch, not cut at the range (the Oncall schema's "start
        # of the on-call"): rendered a week wider each side, those that overlap the range
        # (or hold its instant, when since is until) kept.
        wide = self.render(schedule["id"]).entries(since - ONCALL_MARGIN, until + ONCALL_MARGIN)
        return [
            {**base, "schedule": _reference(schedule), **self._entry(entry, zone)}
            for entry in wide
            if entry.start <= since < entry.end or (since < entry.end and entry.start < until)
        ]

    # -- the account as the renderer sees it ------------------------------------------------
    def render(self, schedule_id: str) -> ScheduleRender:
        """The schedule's layers and overrides, for ``emulator.pagerduty_schedules``."""
        schedule = self._schedule(schedule_id)
        if schedule is None:
            raise KeyError(schedule_id)
        layers = [layer_from_api(layer) for layer in schedule["schedule_layers"]]
        overrides = [
            PdOverride(item["user"]["id"], _when(item["start"]), _when(item["end"]))
            for item in self.account.overrides.get(schedule_id, [])
        ]
        return ScheduleRender(schedule["time_zone"], layers, overrides)

    def _schedule(self, schedule_id: str) -> dict[str, Any] | None:
        return next((s for s in self.account.schedules if s["id"] == schedule_id), None)

    def _user_reference(self, user_id: str) -> dict[str, Any]:
        user = next((u for u in self.account.users if u["id"] == user_id), {"id": user_id})
        return _reference(user)

    def _entry(self, entry: Entry, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "user": self._user_reference(entry.user),
            "start": entry.start.astimezone(zone).isoformat(),
            "end": entry.end.astimezone(zone).isoformat(),
        }


class ArgumentError(ValueError):
    """The request's arguments are not what the description documents: 400."""


_ONCALL_FILTERS = ("user_ids[]", "escalation_policy_ids[]", "schedule_ids[]")
ANSWERS: dict[str, Callable[[FakePagerDutyRest, list[str], Mapping[str, str]], Any]] = {
    "/users": FakePagerDutyRest.list_users,
    "/teams": FakePagerDutyRest.list_teams,
    "/schedules": FakePagerDutyRest.list_schedules,
    "/schedules/{id}": FakePagerDutyRest.get_schedule,
    "/schedules/{id}/overrides": FakePagerDutyRest.list_overrides,
    "/escalation_policies": FakePagerDutyRest.list_escalation_policies,
    "/oncalls": FakePagerDutyRest.list_oncalls,
    "/services": FakePagerDutyRest.list_services,
    "/users/{id}/notification_rules": FakePagerDutyRest.list_notification_rules,
    "/users/{id}/contact_methods": FakePagerDutyRest.list_contact_methods,
    "/incidents": FakePagerDutyRest.list_incidents,
    "/incidents/{id}/log_entries": FakePagerDutyRest.list_log_entries,
}


def _route(path: str) -> tuple[str, list[str]] | None:
    """The described operation ``path`` is (``/schedules/{id}``) and its ids."""
    parts = path.strip("/").split("/")
    for operation in ANSWERS:
        pattern = operation.strip("/").split("/")
        if len(pattern) == len(parts) and all(
            p == q or (p == "{id}" and q) for p, q in zip(pattern, parts, strict=True)
        ):
            return operation, [q for p, q in zip(pattern, parts, strict=True) if p == "{id}"]
    return None


def _query_problems(operation: str, query: Any) -> list[str]:
    """What is wrong with the query by the description's parameters of GET ``operation``:
    one it does not list, a value not of its schema's type, format or enum, a single-valued
    one given twice."""
    described = _query_parameters(operation)
    problems = []
    for name in sorted(set(query)):
        schema = described.get(name)
        if schema is None:
            problems.append(f"{name} is not a parameter of GET {operation}")
            continue
        values = query.getall(name)
        # ``include[]`` is typed a string with uniqueItems in the description: a name ending
        # in [] is a list all the same.
        if schema.get("type") != "array" and not name.endswith("[]") and len(values) > 1:
            problems.append(f"{name} is given {len(values)} times")
        problems += [f"{name}: {problem}" for v in values if (problem := _value_problem(schema, v))]
    return problems


def _value_problem(schema: Mapping[str, Any], value: str) -> str | None:
    kind, enum = schema.get("type"), schema.get("enum")
    if kind == "integer" and not value.isdigit():
        return f"{value!r} is not a whole number"
    if kind == "boolean" and value not in ("true", "false"):
        return f"{value!r} is not true or false"
    if enum is not None and value not in enum:
        return f"{value!r} is not one of {', '.join(enum)}"
    if schema.get("format") == "date-time":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not an ISO 8601 date and time"
        if moment.tzinfo is None:
            return f"{value!r} has no offset"
    if schema.get("format") == "tzinfo":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return f"{value!r} is not a time zone"
    return None


def _query_parameters(operation: str) -> dict[str, Mapping[str, Any]]:
    """The query parameters the description lists for GET ``operation``, with their schemas."""
    parameters = DESCRIPTION["components"]["parameters"]
    found = {}
    for item in DESCRIPTION["paths"][operation]["get"]["parameters"]:
        parameter = parameters[item["$ref"].rsplit("/", 1)[1]] if "$ref" in item else item
        if parameter["in"] == "query":
            found[parameter["name"]] = parameter["schema"]
    return found


def _page(key: str, items: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """Classic pagination: ``offset`` and ``limit`` in, ``more`` and ``total`` (null unless
    ``total=true``) out (the description's Pagination)."""
    offset = int(query.get("offset", 0))
    limit = int(query.get("limit", DEFAULT_LIMIT))
    if limit < 1 or limit > MAX_LIMIT:
        raise ArgumentError(f"limit must be between 1 and {MAX_LIMIT}")
    total = query.get("total", "false")
    if "query" in query:  # "showing only the records whose name matches the query"
        items = [i for i in items if query["query"].lower() in str(i.get("name", "")).lower()]
    return {
        key: items[offset : offset + limit],
        "limit": limit,
        "offset": offset,
        "more": offset + limit < len(items),
        "total": len(items) if total == "true" else None,
    }


def _range(
    query: Mapping[str, str], *, default: timedelta, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """``since`` and ``until`` (ISO 8601 with an offset); one missing is ``default`` away from
    the other (or ``now`` when both are)."""
    given_since, given_until = _instant(query, "since"), _instant(query, "until")
    if given_since is None:
        until = given_until or now or datetime.now(UTC)
        since = until - default if given_until is not None else until
    else:
        since = given_since
        until = given_until if given_until is not None else since + default
    if until < since:
        raise ArgumentError("until cannot be before since")
    if until - since > LONGEST_RANGE:
        raise ArgumentError("the range is longer than this fake renders (a year)")
    return since, until


def _instant(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ArgumentError(f"{name} is not an ISO 8601 date and time: {raw!r}") from None
    if moment.tzinfo is None:
        raise ArgumentError(f"{name} needs an offset or Z: {raw!r}")
    return moment


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ArgumentError(f"time_zone: unknown time zone {name!r}") from None


def _listed(query: Any, name: str) -> list[str]:
    return list(query.getall(name, []))


def _kept(oncall: dict[str, Any], wanted: dict[str, set[str]]) -> bool:
    keys = {
        "user_ids[]": oncall["user"]["id"],
        "escalation_policy_ids[]": oncall["escalation_policy"]["id"],
        "schedule_ids[]": (oncall["schedule"] or {}).get("id", "null"),
    }
    return all(not wanted[name] or keys[name] in wanted[name] for name in _ONCALL_FILTERS)


def _earliest(oncalls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``earliest=true``: the first on-call of each policy, level and user."""
    seen: set[tuple[str, int, str]] = set()
    kept = []
    for oncall in sorted(oncalls, key=lambda o: o["start"] or ""):
        key = (oncall["escalation_policy"]["id"], oncall["escalation_level"], oncall["user"]["id"])
        if key not in seen:
            seen.add(key)
            kept.append(oncall)
    return kept


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _reference(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type", "user")
    return {
        "id": item["id"],
        "type": kind if kind.endswith("_reference") else f"{kind}_reference",
        "summary": item.get("name") or item.get("summary", ""),
    }


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def _error(status: int, message: str, *, code: int | None = None) -> web.Response:
    """PagerDuty's error body (the description's generic error response): ``{"error":
    {"message", "code"}}``."""
    error: dict[str, Any] = {"message": message or f"HTTP {status}"}
    if code is not None:
        error["code"] = code
    return web.json_response({"error": error}, status=status)


def _argument_error(errors: Any) -> web.Response:
    """400 ArgumentError: "Retrying with the same arguments will *not* work"."""
    return web.json_response(
        {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": list(errors)}},
        status=400,
    )


def _rate_limited(reset_seconds: int) -> web.Response:
    """429 with the rate-limit headers PagerDuty documents."""
    response = _error(429, "Rate Limit Exceeded")
    response.headers["ratelimit-limit"] = str(RATE_LIMIT)
    response.headers["ratelimit-remaining"] = "0"
    response.headers["ratelimit-reset"] = str(reset_seconds)
    return response
