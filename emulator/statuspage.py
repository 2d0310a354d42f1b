"""A fake Atlassian Statuspage REST API on 127.0.0.1, for tests and the demo.

Its rules come from Statuspage's API reference (https://developer.statuspage.io/):

- every call carries ``Authorization: OAuth <api key>`` (section "Authentication"); a missing
  or wrong key gets 401;
- ``POST /v1/pages/{page_id}/incidents`` ("Create an incident") takes ``{"incident": {...}}``
  with a required ``name``, a ``status`` of a realtime incident (investigating, identified,
  monitoring, resolved), an optional ``body``, ``component_ids`` (a list of the page's
  component ids) and ``components`` (component id -> operational, under_maintenance,
  degraded_performance, partial_outage or major_outage); it answers 201 with the incident,
  its ``incident_updates`` newest first;
- ``PATCH /v1/pages/{page_id}/incidents/{incident_id}`` ("Update an incident") takes the same
  fields, renames the incident when ``name`` is given, adds an incident update when the
  status or body is given, and answers 200;
- ``PATCH /v1/pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}``
  ("Update a previous incident update") takes ``{"incident_update": {"body": ...}}`` and
  answers 200 with the update, and notifies nobody;
- ``incident[deliver_notifications]`` ("Deliver notifications to subscribers if this is true.
  If this is false, create an incident without notifying customers", default true): each
  update created with it is kept in ``notified``, what subscribers received, as it was sent;
- ``GET /v1/pages/{page_id}/incidents/unresolved`` ("Get a list of unresolved incidents")
  answers 200 with a JSON array of the incidents in the investigating, identified or
  monitoring state (newest first, ``per_page`` of them, 100 at most as the fake reads it);
- an unknown page, incident or update is 404, values it refuses are 422, a body that is not
  JSON (the reference says "make sure the Content-Type header matches the body") is 400;
- section "Rate Limiting": 1 request a second per key, over the limit answered 420 or 429
  (``fail(429, retry_after=...)`` injects one; the fake does not count requests itself).

``answer_late(seconds)`` has the next request taken (an incident created) and answered only
after ``seconds``: a client that timed out meanwhile does not know it was taken.

Errors are answered as the reference's ``ErrorEntity``: ``{"message": "..."}``.

    async with FakeStatuspage() as statuspage:
        status_page = settings.status_page.replace(api_url=statuspage.api_url, ...)
        settings = settings.replace(status_page=status_page)
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web

from emulator.fake_http import FakeHttpServer

PAGE_ID = "kctbh9vrtdwd"
API_KEY = "c2ce8b8f-25c1-4b8c-9d5e-fake-statuspage"
REALTIME_STATUSES = ("investigating", "identified", "monitoring", "resolved")
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Received:
    """One request the fake answered."""

    method: str
    path: str
    authorization: str | None
    body: bytes
    status: int


@dataclass
class FakeIncident:
    id: str
    name: str
    status: str
    components: dict[str, str]
    updates: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    created_at: str = field(default_factory=_now)
    resolved_at: str | None = None


class FakeStatuspage(FakeHttpServer):
    """One Statuspage page (``page_id``, reached with ``api_key``) with some components."""

    def __init__(
        self,
        *,
        page_id: str = PAGE_ID,
        api_key: str = API_KEY,
        components: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.page_id = page_id
        self.api_key = api_key
        # Component id -> its name.
        self.components = components or {}
        self.incidents: dict[str, FakeIncident] = {}
        self.requests: list[Received] = []
        # What subscribers were sent: (incident id, status, body) of each update created
        # with deliver_notifications, its body as it was then (later edits notify nobody).
        self.notified: list[tuple[str, str, str]] = []
        self._late: list[float] = []

    @property
    def api_url(self) -> str:
        return self.root + "/v1"

    def add_component(self, name: str) -> str:
        component_id = _new_id()
        self.components[component_id] = name
        return component_id

    def answer_late(self, seconds: float) -> None:
        """Take the next request, and answer it only after ``seconds``."""
        self._late.append(seconds)

    # -- HTTP ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers: dict[str, str] = {}
        if request.headers.get("Authorization") != f"OAuth {self.api_key}":
            status, answer = 401, _error("Could not authenticate")
        elif (mishap := await self.next_mishap()) is not None:
            status, answer, headers = mishap.status, _error(_phrase(mishap.status)), mishap.headers
        else:
            status, answer = self._answer(request, body)
        authorization = request.headers.get("Authorization")
        self.requests.append(Received(request.method, request.path, authorization, body, status))
        if self._late:
            await asyncio.sleep(self._late.pop(0))
        return web.json_response(answer, status=status, headers=headers)

    def _answer(self, request: web.Request, body: bytes) -> tuple[int, Any]:
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["v1", "pages"] or len(parts) < 4 or parts[3] != "incidents":
            return 404, _error("Not found")
        if parts[2] != self.page_id:
            return 404, _error("Page not found")
        if request.method == "GET" and parts[4:] == ["unresolved"]:
            return self._unresolved(request)
        if request.content_type != "application/json":
            return 400, _error("Content-Type must match the body: send application/json")
        try:
            data = json.loads(body)
        except ValueError:
            return 400, _error("The body is not valid JSON")
        if not isinstance(data, dict):
            return 400, _error("The body must be a JSON object")
        route = (request.method, len(parts))
        if route == ("POST", 4):
            return self._create(data)
        if route == ("PATCH", 5):
            return self._update(parts[4], data)
        if route == ("PATCH", 7) and parts[5] == "incident_updates":
            return self._edit(parts[4], parts[6], data)
        return 405 if len(parts) in (4, 5, 7) else 404, _error("Not found")

    def _unresolved(self, request: web.Request) -> tuple[int, Any]:
        try:
            per_page = min(int(request.query.get("per_page", "100")), 100)
        except ValueError:
            return 400, _error("per_page must be a number")
        unresolved = [i for i in self.incidents.values() if i.status != "resolved"]
        newest = sorted(unresolved, key=lambda i: i.created_at, reverse=True)[:per_page]
        return 200, [self._incident_json(incident) for incident in newest]

    def _create(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        incident = self._incident_in(data, creating=True)
        if isinstance(incident, tuple):
            return incident
        created = FakeIncident(
            id=_new_id(),
            name=incident["name"],
            status=incident.get("status", "investigating"),
            components=dict(incident.get("components") or {}),
        )
        self.incidents[created.id] = created
        self._add_update(created, incident)
        return 201, self._incident_json(created)

    def _update(self, incident_id: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        found = self.incidents.get(incident_id)
        if found is None:
            return 404, _error("Incident not found")
        incident = self._incident_in(data, creating=False)
        if isinstance(incident, tuple):
            return incident
        found.name = incident.get("name", found.name)
        found.status = incident.get("status", found.status)
        found.components.update(incident.get("components") or {})
        if "status" in incident or "body" in incident:
            self._add_update(found, incident)
        return 200, self._incident_json(found)

    def _edit(
        self, incident_id: str, update_id: str, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        found = self.incidents.get(incident_id)
        update = next((u for u in found.updates if u["id"] == update_id), None) if found else None
        if update is None:
            return 404, _error("Incident update not found")
        change = data.get("incident_update")
        if not isinstance(change, dict) or not isinstance(change.get("body"), str):
            return 422, _error("incident_update[body] must be a string")
        update["body"] = change["body"]
        update["updated_at"] = _now()
        return 200, dict(update)

    def _incident_in(
        self, data: dict[str, Any], *, creating: bool
    ) -> dict[str, Any] | tuple[int, dict[str, Any]]:
        """The request's ``incident`` object, or the answer refusing it (400 or 422)."""
        incident = data.get("incident")
        if not isinstance(incident, dict):
            return 400, _error("incident is missing")
        problems = self._problems(incident, creating=creating)
        return (422, _error(problems)) if problems else incident

    def _problems(self, incident: dict[str, Any], *, creating: bool) -> str:
        problems = []
        name = incident.get("name")
        if (creating or "name" in incident) and (not isinstance(name, str) or not name.strip()):
            problems.append("Name can't be blank")
        status = incident.get("status")
        if status is not None and status not in REALTIME_STATUSES:
            problems.append(f"Status {status!r} is not a status of a realtime incident")
        if "body" in incident and not isinstance(incident["body"], str):
            problems.append("Body must be a string")
        if not isinstance(incident.get("deliver_notifications", True), bool):
            problems.append("Deliver notifications must be true or false")
        ids = incident.get("component_ids", [])
        if not isinstance(ids, list) or any(i not in self.components for i in ids):
            problems.append("component_ids must list components of this page")
        states = incident.get("components", {})
        if not isinstance(states, dict) or any(
            key not in self.components or value not in COMPONENT_STATUSES
            for key, value in states.items()
        ):
            problems.append("components must map this page's components to a component status")
        return "; ".join(problems)

    def _add_update(self, incident: FakeIncident, fields: dict[str, Any]) -> None:
        now = _now()
        notify = fields.get("deliver_notifications", True)
        if notify:
            self.notified.append((incident.id, incident.status, fields.get("body", "")))
        if incident.status == "resolved":
            incident.resolved_at = incident.resolved_at or now
        incident.updates.append(
            {
                "id": _new_id(),
                "incident_id": incident.id,
                "status": incident.status,
                "body": fields.get("body", ""),
                "created_at": now,
                "updated_at": now,
                "display_at": now,
                "deliver_notifications": notify,
                "affected_components": [
                    {"code": key, "name": self.components[key], "new_status": value}
                    for key, value in (fields.get("components") or {}).items()
                ],
            }
        )

    def _incident_json(self, incident: FakeIncident) -> dict[str, Any]:
        return {
            "id": incident.id,
            "page_id": self.page_id,
            "name": incident.name,
            "status": incident.status,
            "impact": "minor",
            "created_at": incident.created_at,
            "updated_at": incident.updates[-1]["updated_at"] if incident.updates else None,
            "resolved_at": incident.resolved_at,
            "shortlink": f"https://stspg.io/{incident.id[:6]}",
            "incident_updates": [dict(update) for update in reversed(incident.updates)],
            "components": [
                {"id": key, "name": self.components[key], "status": value}
                for key, value in incident.components.items()
            ],
        }


def _error(message: str) -> dict[str, Any]:
    return {"message": message}


def _phrase(status: int) -> str:
    if status in (420, 429):
        return "Rate limit exceeded: 1 request a second"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
