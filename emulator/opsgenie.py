"""A fake Opsgenie REST API (the read side ``warroom import opsgenie`` uses) on 127.0.0.1.

It serves the GET operations of Opsgenie's OpenAPI description that are cut, unchanged, into
``emulator/fixtures/opsgenie_openapi.json`` (from opsgenie/opsgenie-oas, Apache-2.0, its licence
beside it), over an account of objects (``emulator.opsgenie_samples``), and applies these rules:

- Authentication ("securityDefinitions": ``GenieKey``, an ``Authorization`` header; Opsgenie's
  API overview: ``Authorization: GenieKey <key>``): a missing or wrong key is answered 401
  (the description's ``Unauthorized``: "apiKey is invalid or integration is disabled") with
  the body the live API sends, ``{"message": "Could not authenticate", "took", "requestId"}``
  (a wrong GenieKey's answer as captured in https://github.com/streaak/keyhacks/pull/124).
- Only the query parameters each operation declares are taken; another, or a value outside
  its ``enum`` or type, is answered 422 (``UnprocessableEntity``). An unknown path is 404; a
  method the fake does not serve is 405 (when in doubt the fake refuses).
- Errors are the description's ``ErrorResponse``: ``{"message", "took", "requestId"}``.
- ``GET /v2/users`` is paged: ``offset`` (default 0) and ``limit`` (default 100, at most 100),
  ``totalCount``, and ``paging`` with ``first``, ``last`` and, but on the last page, ``next``
  (full addresses, ``ListUsersResponse``'s ``PageDetails``).
- ``GET /v2/heartbeats`` answers ``{"data": {"heartbeats": [...]}}`` (``ListHeartbeatResponse``)
  and ``GET /v2/integrations`` ``{"data": [...]}`` (``ListIntegrationsResponse``), filtered by
  ``type`` and ``teamId`` when given (``teamName`` is refused: the fake does not resolve it).
- ``GET /v2/forwarding-rules`` ("List Forwarding Rules") answers ``{"data": [...]}``
  (``ListForwardingRulesResponse``): each ``ForwardingRule``, a user's notifications forwarded
  to another from ``startDate`` to ``endDate`` (how Opsgenie teams cover a vacation).
- ``GET /v2/users/{identifier}/notification-rules`` lists a user's rules (by the user's id:
  ``NotificationRuleMeta``), ``.../notification-rules/{ruleId}`` answers one whole, its
  ``steps`` (``NotificationRuleStep``: ``contact`` ``{method, to}``, ``sendAfter``) included.
- ``GET /v2/schedules`` lists rotations only with ``expand=rotation`` (its ``expand``
  parameter: "Possible value is 'rotation'").
- ``{identifier}`` is a schedule's id, or its name with ``scheduleIdentifierType=name``.
- ``GET /v2/schedules/{identifier}/on-calls?date=`` answers who is on call at ``date`` (default
  now), computed by ``emulator.opsgenie_oncall`` from the same objects.
- ``GET /v2/alerts`` (the Alert API's "List Alerts") lists ``account.alerts`` oldest first,
  paged as users are (``limit`` at most 100, default 20); of its search ``query`` ("Alerts
  Search Query Help") the fake reads only ``createdAt>N`` (Unix milliseconds) and refuses
  any other query 422.
- ``GET /v2/alerts/{identifier}/recipients`` ("List Alert Recipients") answers
  ``account.recipients`` of the alert, found by ``identifierType`` id (default), alias or
  tiny: each ``{"user": {"id", "username"}, "state", "method", "createdAt", "updatedAt"}``.
- Rate limiting ("API Rate Limiting"): ``throttle(times, period)`` has the next requests
  answered 429 with ``X-RateLimit-State: THROTTLED``, ``X-RateLimit-Reason`` and
  ``X-RateLimit-Period-In-Sec``; ``fail(status)`` injects other statuses and ``garbage()`` an
  answer that is not JSON (a proxy's error page).

    async with FakeOpsgenie(api_key="k") as opsgenie:
        ... warroom import opsgenie --api-url {opsgenie.root} --token k ...
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from emulator import opsgenie_samples as samples
from emulator.fake_http import FakeHttpServer
from emulator.opsgenie_oncall import CannotSay, on_call, parse_instant

FIXTURE = Path(__file__).parent / "fixtures" / "opsgenie_openapi.json"
API_KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889"
USERS_LIMIT = 100
ALERTS_LIMIT, ALERTS_DEFAULT = 100, 20
CREATED_AFTER = re.compile(r"^createdAt\s*>\s*(\d+)$")


@cache
def description() -> dict[str, Any]:
    """Opsgenie's OpenAPI description, the part the fake serves."""
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


@dataclass
class OpsgenieAccount:
    """The objects the fake serves."""

    users: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    overrides: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[dict[str, Any]] = field(default_factory=list)
    # By user id: their notification rules, whole (``NotificationRule``, steps included).
    notification_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Forwarding rules (``ForwardingRule``: ``fromUser``, ``toUser``, ``startDate``,
    # ``endDate``, ``alias``, ``id``), as ``GET /v2/forwarding-rules`` lists them.
    forwarding_rules: list[dict[str, Any]] = field(default_factory=list)
    # The Alert API's side: alerts (``BaseAlert``) and each one's recipients, by alert id.
    alerts: list[dict[str, Any]] = field(default_factory=list)
    recipients: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def sample(cls, year: int) -> OpsgenieAccount:
        """``emulator.opsgenie_samples``' account, its dates in ``year``."""
        return cls(
            samples.users(),
            samples.teams(),
            samples.schedules(year),
            samples.overrides(year),
            samples.escalations(),
            samples.heartbeats(),
            samples.integrations(),
            samples.notification_rules(),
        )


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: Mapping[str, str]


class FakeOpsgenie(FakeHttpServer):
    """Opsgenie's read API over ``account``, for the key ``api_key``."""

    def __init__(self, account: OpsgenieAccount, *, api_key: str = API_KEY) -> None:
        super().__init__()
        self.account = account
        self.api_key = api_key
        self.received: list[Received] = []
        self._throttled = 0
        self._period = 1
        self._garbage = 0

    def throttle(self, times: int = 1, *, period: int = 1) -> None:
        """Answer the next ``times`` requests 429, asking to wait ``period`` seconds."""
        self._throttled += times
        self._period = period

    def garbage(self, times: int = 1) -> None:
        """Answer the next ``times`` requests 200 with an HTML page."""
        self._garbage += times

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append(Received(request.method, request.path, dict(request.query)))
        if request.headers.get("Authorization") != f"GenieKey {self.api_key}":
            return _error(401, UNAUTHENTICATED)
        if self._throttled:
            self._throttled -= 1
            return _throttled(self._period)
        mishap = await self.next_mishap()
        if mishap is not None:
            return _error(mishap.status, "Internal Server Error", mishap.headers)
        if self._garbage:
            self._garbage -= 1
            return web.Response(
                text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        if request.method != "GET":
            return _error(405, f"{request.method} is not served by this fake")
        return self._get(request)

    def _get(self, request: web.Request) -> web.StreamResponse:
        operation, path_params = _operation(request.path)
        if operation is None:
            return _error(404, f"No such endpoint: {request.path}")
        problem = _query_problem(operation, request.query)
        if problem:
            return _error(422, problem)
        template = operation["template"]
        if template == "/v2/users":
            return self._users(request)
        if template == "/v2/alerts":
            return self._alerts(request)
        if template == "/v2/alerts/{identifier}/recipients":
            return self._recipients(path_params["identifier"], request.query)
        if template == "/v2/teams":
            return _ok({"data": self.account.teams, "expandable": ["member"]})
        if template == "/v2/escalations":
            return _ok({"data": self.account.escalations})
        if template == "/v2/heartbeats":
            return _ok({"data": {"heartbeats": self.account.heartbeats}})
        if template == "/v2/forwarding-rules":
            return _ok({"data": self.account.forwarding_rules})
        if template == "/v2/integrations":
            return self._integrations(request.query)
        if template.startswith("/v2/users/{identifier}/notification-rules"):
            return self._notification_rules(path_params)
        return self._get_schedules(template, path_params, request.query)

    def _get_schedules(
        self, template: str, path_params: dict[str, str], query: Mapping[str, str]
    ) -> web.StreamResponse:
        """``/v2/schedules``, and one schedule's overrides or on-calls."""
        if template == "/v2/schedules":
            expand = query.get("expand", "").split(",")
            return _ok(
                {
                    "data": [_listed(s, "rotation" in expand) for s in self.account.schedules],
                    "expandable": ["rotation"],
                }
            )
        schedule = self._schedule(path_params["identifier"], query)
        if schedule is None:
            return _error(404, "Schedule with identifier ... doesn't exist")
        overrides = self.account.overrides.get(schedule["id"], [])
        if template.endswith("/overrides"):
            return _ok({"data": overrides})
        return self._on_calls(schedule, overrides, query)

    def _users(self, request: web.Request) -> web.StreamResponse:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", str(USERS_LIMIT)))
        if offset < 0 or not 1 <= limit <= USERS_LIMIT:
            return _error(422, f"limit must be from 1 to {USERS_LIMIT}, offset 0 or more")
        ordered = sorted(self.account.users, key=lambda u: str(u["username"]))
        page = ordered[offset : offset + limit]
        base = f"{self.root}/v2/users"

        def at(where: int) -> str:
            query = {"limit": limit, "offset": where, "order": "asc", "sortField": "username"}
            return f"{base}?{urlencode(query)}"

        paging = {"first": at(0), "last": at(max((len(ordered) - 1) // limit * limit, 0))}
        if offset + limit < len(ordered):
            paging["next"] = at(offset + limit)
        if offset > 0:
            paging["prev"] = at(max(offset - limit, 0))
        return _ok({"totalCount": len(ordered), "data": page, "paging": paging})

    def _notification_rules(self, path_params: Mapping[str, str]) -> web.StreamResponse:
        """ "List Notification Rules" (``NotificationRuleMeta``: id, name, actionType, order,
        enabled) of a user by id, or "Get Notification Rule" (the whole rule)."""
        user = path_params["identifier"]
        if not any(one["id"] == user for one in self.account.users):
            return _error(404, "User not found")
        rules = self.account.notification_rules.get(user, [])
        if "ruleId" not in path_params:
            meta = ("id", "name", "actionType", "order", "enabled")
            return _ok({"data": [{key: rule[key] for key in meta} for rule in rules]})
        rule = next((r for r in rules if r["id"] == path_params["ruleId"]), None)
        if rule is None:
            return _error(404, "Notification rule not found")
        return _ok({"data": rule})

    def _integrations(self, query: Mapping[str, str]) -> web.StreamResponse:
        """ "List Integrations": filtered by ``type`` and ``teamId`` when given."""
        if "teamName" in query:
            return _error(422, "the fake filters by teamId only")
        found = [
            one
            for one in self.account.integrations
            if query.get("type", one["type"]) == one["type"]
            and query.get("teamId", one.get("teamId")) == one.get("teamId")
        ]
        return _ok({"data": found})

    def _alerts(self, request: web.Request) -> web.StreamResponse:
        query = request.query.get("query", "")
        after = CREATED_AFTER.match(query.strip())
        if query and after is None:
            return _error(422, "this fake reads only a query createdAt>N (Unix milliseconds)")
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", str(ALERTS_DEFAULT)))
        if offset < 0 or not 1 <= limit <= ALERTS_LIMIT:
            return _error(422, f"limit must be from 1 to {ALERTS_LIMIT}, offset 0 or more")
        bound = int(after.group(1)) if after else -1
        kept = [a for a in self.account.alerts if _millis(a["createdAt"]) > bound]
        kept.sort(key=lambda a: _millis(a["createdAt"]))
        if request.query.get("order", "desc") == "desc":
            kept.reverse()
        page = kept[offset : offset + limit]
        base = f"{self.root}/v2/alerts"

        def at(where: int) -> str:
            asked = {k: v for k, v in request.query.items() if k != "offset"}
            return f"{base}?{urlencode({**asked, 'offset': where})}"

        paging = {"first": at(0), "last": at(max((len(kept) - 1) // limit * limit, 0))}
        if offset + limit < len(kept):
            paging["next"] = at(offset + limit)
        return _ok({"data": page, "paging": paging})

    def _recipients(self, identifier: str, query: Mapping[str, str]) -> web.StreamResponse:
        key = {"id": "id", "alias": "alias", "tiny": "tinyId"}[query.get("identifierType", "id")]
        alert = next((a for a in self.account.alerts if a.get(key) == identifier), None)
        if alert is None:
            return _error(404, f"Alert with identifier [{identifier}] does not exist")
        return _ok({"data": self.account.recipients.get(alert["id"], [])})

    def _schedule(self, identifier: str, query: Mapping[str, str]) -> dict[str, Any] | None:
        key = "name" if query.get("scheduleIdentifierType") == "name" else "id"
        return next((s for s in self.account.schedules if s[key] == identifier), None)

    def _on_calls(
        self,
        schedule: dict[str, Any],
        overrides: Sequence[dict[str, Any]],
        query: Mapping[str, str],
    ) -> web.StreamResponse:
        try:
            at = parse_instant(query["date"]) if "date" in query else datetime.now(UTC)
        except ValueError:
            return _error(422, "date must be a date-time like 2017-01-15T08:00:00+02:00")
        try:
            participants = on_call(schedule, overrides, at)
        except CannotSay as error:
            return _error(422, f"the fake cannot say who is on call: {error}")
        parent = {"id": schedule["id"], "name": schedule["name"], "enabled": schedule["enabled"]}
        if query.get("flat") == "true":
            return _ok(
                {"data": {"_parent": parent, "onCallRecipients": [p["name"] for p in participants]}}
            )
        return _ok({"data": {"_parent": parent, "onCallParticipants": participants}})


def _millis(text: str) -> int:
    return int(parse_instant(text).timestamp() * 1000)


def _listed(schedule: dict[str, Any], with_rotations: bool) -> dict[str, Any]:
    return schedule if with_rotations else {k: v for k, v in schedule.items() if k != "rotations"}


def _operation(path: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The GET operation whose path template ``path`` matches, with the template and the
    path's parameters."""
    parts = path.rstrip("/").split("/")
    for template, methods in description()["paths"].items():
        pattern = template.split("/")
        if len(pattern) != len(parts):
            continue
        found = {}
        for want, got in zip(pattern, parts, strict=True):
            if want.startswith("{") and want.endswith("}") and got:
                found[want[1:-1]] = got
            elif want != got:
                break
        else:
            return {**methods["get"], "template": template}, found
    return None, {}


def _query_problem(operation: Mapping[str, Any], query: Mapping[str, str]) -> str | None:
    """Why the query does not fit the operation's declared parameters, or None."""
    declared = {}
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = description()["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "query":
            declared[parameter["name"]] = parameter
    for name, value in query.items():
        parameter = declared.get(name)
        if parameter is None:
            return f"unknown parameter {name!r}"
        kind = parameter.get("type")
        if kind == "integer" and not value.lstrip("-").isdigit():
            return f"{name} must be an integer"
        if kind == "boolean" and value not in ("true", "false"):
            return f"{name} must be true or false"
        if "enum" in parameter and value not in parameter["enum"]:
            return f"{name} must be one of {', '.join(parameter['enum'])}"
    return None


def _ok(body: dict[str, Any]) -> web.Response:
    return web.json_response({**body, "took": 0.01, "requestId": str(uuid.uuid4())})


# The live API's 401 body's message (the module's docstring says where it comes from).
UNAUTHENTICATED = "Could not authenticate"


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    body = {"message": message, "took": 0.0, "requestId": str(uuid.uuid4())}
    return web.json_response(body, status=status, headers=dict(headers or {}))


def _throttled(period: int) -> web.Response:
    headers = {
        "X-RateLimit-State": "THROTTLED",
        "X-RateLimit-Reason": "INTEGRATION",
        "X-RateLimit-Period-In-Sec": str(period),
    }
    return _error(
        429,
        "You are making too many requests! To avoid errors, we recommend you limit requests.",
        headers,
    )
