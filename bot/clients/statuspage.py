"""Atlassian Statuspage's REST API: create an incident, post its updates, edit an update.

The calls, as the API reference documents them (https://developer.statuspage.io/):

- ``POST /v1/pages/{page_id}/incidents`` with ``{"incident": {name, status, body,
  component_ids, components}}`` creates an incident (201, the incident with its
  ``incident_updates``, newest first);
- ``PATCH /v1/pages/{page_id}/incidents/{incident_id}`` with ``{"incident": {status, body,
  component_ids, components}}`` adds an update (200, the incident); ``deliver_notifications``
  (default true) has the new update sent to the page's subscribers (e-mail, SMS, webhooks):
  creating an update notifies, editing one's text later does not; with only ``name`` it
  renames the incident and adds no update;
- ``PATCH /v1/pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}``
  with ``{"incident_update": {body}}`` changes an update's text (200, the update);
- ``GET /v1/pages/{page_id}/incidents/unresolved`` ("Get a list of unresolved incidents":
  investigating, identified or monitoring; ``page`` and ``per_page`` pick a page of them)
  answers 200 with a JSON array of incidents.

Every request carries ``Authorization: OAuth <api key>``. The key is a secret: it goes in
that header and nowhere else (not in errors, logs, or the database). Errors: 401 (bad key),
404 (no such page or incident), 422 (refused values) are final; 420/429 (1 request a second
per key) and 5xx are worth trying again, after ``Retry-After`` when it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.clients.vendor_http import Answer, VendorFailure, call_json
from bot.config import Secret

TIMEOUT_SECONDS = 10.0
RETRYABLE = frozenset({420, 429})
# Unresolved incidents read at once when looking for one a late answer left unknown.
UNRESOLVED_PAGE = 100


class StatuspageFailure(VendorFailure):
    """Statuspage did not take the call; ``retryable`` says whether trying again may help."""


@dataclass(frozen=True)
class IncidentChange:
    """What one update says: the status, the text, and the components' state."""

    status: str
    body: str
    # Statuspage component id -> its status (operational, degraded_performance, ...).
    components: Mapping[str, str]

    def fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "body": self.body,
            "component_ids": list(self.components),
            "components": dict(self.components),
            # Statuspage's default, said out loud: a new update is what subscribers are sent.
            "deliver_notifications": True,
        }


@dataclass(frozen=True)
class Statuspage:
    """One page of Statuspage, reached with one API key."""

    http: aiohttp.ClientSession
    api_url: str  # https://api.statuspage.io/v1
    page_id: str
    api_key: Secret

    async def create_incident(self, name: str, change: IncidentChange) -> tuple[str, str]:
        """Open the incident with its first update; (incident id, that update's id)."""
        incident = await self._call(
            "POST",
            f"/pages/{self.page_id}/incidents",
            {"incident": {"name": name, **change.fields()}},
        )
        return _incident_id(incident), _newest_update(incident)

    async def add_update(self, incident_id: str, change: IncidentChange) -> str:
        """Post an update to the incident; the new update's id."""
        incident = await self._call(
            "PATCH", f"/pages/{self.page_id}/incidents/{incident_id}", {"incident": change.fields()}
        )
        return _newest_update(incident)

    async def rename(self, incident_id: str, name: str) -> None:
        """Give the incident a new name (no status or body: no update, nobody notified)."""
        await self._call(
            "PATCH", f"/pages/{self.page_id}/incidents/{incident_id}", {"incident": {"name": name}}
        )

    async def find_unresolved(
        self, name: str, held: frozenset[str] = frozenset()
    ) -> tuple[str, str] | None:
        """The newest unresolved incident called ``name`` that is none of ``held`` (those other
        incidents of ours are already): (its id, its newest update's id)."""
        found = await self._call(
            "GET", f"/pages/{self.page_id}/incidents/unresolved?per_page={UNRESOLVED_PAGE}", None
        )
        if not isinstance(found, list):
            raise StatuspageFailure("the list of incidents is not a list", retryable=True)
        named = [
            i
            for i in found
            if isinstance(i, dict) and i.get("name") == name and i.get("id") not in held
        ]
        newest = max(named, key=lambda i: str(i.get("created_at", "")), default=None)
        return None if newest is None else (_incident_id(newest), _newest_update(newest))

    async def edit_update(self, incident_id: str, update_id: str, body: str) -> None:
        """Change the text of an update already posted."""
        path = f"/pages/{self.page_id}/incidents/{incident_id}/incident_updates/{update_id}"
        await self._call("PATCH", path, {"incident_update": {"body": body}})

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        """What Statuspage answered (a JSON object or array), or the failure raised."""
        answer = await call_json(
            self.http,
            method,
            self.api_url + path,
            body,
            headers={"Authorization": f"OAuth {self.api_key}"},
            timeout=TIMEOUT_SECONDS,
            failure=StatuspageFailure,
        )
        status = answer.status
        if 200 <= status < 300:
            if not isinstance(answer.body, dict | list):
                raise StatuspageFailure(
                    f"HTTP {status} without JSON", retryable=True, status=status
                )
            return answer.body
        raise StatuspageFailure(
            f"HTTP {status}: {_said(answer)}",
            retryable=status in RETRYABLE or status >= 500,
            status=status,
            retry_after=answer.retry_after,
        )


def _newest_update(incident: Any) -> str:
    updates: Sequence[Any] = (
        incident.get("incident_updates") or [] if isinstance(incident, dict) else []
    )
    if not updates or not isinstance(updates[0], dict) or "id" not in updates[0]:
        raise StatuspageFailure("the answer has no incident update", retryable=False)
    return str(updates[0]["id"])


def _incident_id(incident: Any) -> str:
    if not isinstance(incident, dict) or "id" not in incident:
        raise StatuspageFailure("the answer has no incident id", retryable=False)
    return str(incident["id"])


def _said(answer: Answer) -> str:
    """Statuspage's own words on a refusal (``message`` or ``error``), kept short."""
    fields = answer.body_object
    said = fields.get("message") or fields.get("error") or answer.text
    if isinstance(said, list):
        said = "; ".join(str(part) for part in said)
    return str(said)[:300]
