"""Argo CD's notifications, read as change events: an application synced.

Argo CD sends what a notification template says to a ``webhook`` service
(https://argo-cd.readthedocs.io/en/stable/operator-manual/notifications/services/webhook/:
``service.webhook.<name>`` with a ``url`` and ``headers``; a template's ``webhook.<name>``
with a ``method`` and a ``body``, a Go template over ``.app``, the Application, and
``.context``). warroom documents the body to send (docs/changes.md), each field a path of
the Application (https://argo-cd.readthedocs.io/en/stable/operator-manual/notifications/templates/):

    {"app": "{{.app.metadata.name}}",
     "revision": "{{.app.status.sync.revision}}",
     "phase": "{{.app.status.operationState.phase}}",
     "finished_at": "{{.app.status.operationState.finishedAt}}",
     "initiated_by": "{{.app.status.operationState.operation.initiatedBy.username}}",
     "destination": "{{.app.spec.destination.namespace}}",
     "repo": "{{.app.spec.source.repoURL}}",
     "link": "{{.context.argocdUrl}}/applications/{{.app.metadata.name}}"}

``app`` is required; ``phase`` other than ``Succeeded`` (a sync running, failed, in error)
is answered and not kept. The key is an integration's (kind ``argocd``), sent as the
service's ``Authorization: Bearer <key>`` header; the change is the service the file names
``app`` (else the integration's). Its answers are warroom's own: 202 ``{"status":
"accepted", "id": …}``, 200 ``{"status": "ignored", "reason": …}``, errors ``{"error": …,
"problems": […]}`` (401 for no key or a wrong one, nothing kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import PayloadError, json_object
from bot.record.changes.events import ChangeSeen
from bot.record.changes.sources.checks import link_at, text_at, time_at

FIELDS = (
    "app",
    "revision",
    "phase",
    "finished_at",
    "initiated_by",
    "destination",
    "repo",
    "link",
)
SYNCED = "Succeeded"


def _blank_as_none(document: dict[str, Any]) -> dict[str, Any]:
    # A Go template renders a missing path as "" (or "<no value>"): nothing said.
    return {
        key: (None if isinstance(value, str) and value.strip() in ("", "<no value>") else value)
        for key, value in document.items()
    }


def read_notification(body: str, received_at: datetime) -> ChangeSeen:  # noqa: ARG001
    """A notification as a change; PayloadError names every field wrong."""
    document = _blank_as_none(json_object(body))
    problems = [
        f"'{field}' is not a field warroom reads" for field in document if field not in FIELDS
    ]
    app = text_at(document, "app", "app", problems, required=True)
    revision = text_at(document, "revision", "revision", problems)
    phase = text_at(document, "phase", "phase", problems)
    who = text_at(document, "initiated_by", "initiated_by", problems)
    destination = text_at(document, "destination", "destination", problems)
    repo = text_at(document, "repo", "repo", problems)
    at = time_at(document.get("finished_at"), "finished_at", problems)
    link = link_at(document.get("link"), "link", problems)
    if problems:
        raise PayloadError(problems)
    if phase is not None and phase != SYNCED:
        return ChangeSeen(ignored=f"a sync that is {phase[:40]}, not {SYNCED}")
    summary = f"{app} synced"
    if revision:
        summary += f" to revision {revision[:12]}"
    if destination:
        summary += f" in {destination}"
    return ChangeSeen(
        kind="deploy",
        summary=summary,
        at=at,
        who=who,
        link=link,
        origin=repo or "argocd",
        event_key=f"argocd:{app}:{revision or ''}:{document.get('finished_at') or ''}",
        application=app,
    )


@dataclass(frozen=True)
class ArgoCdNotifications:
    """Argo CD's webhook service, the key a bearer token of an ``argocd`` integration."""

    def parse(self, body: str, *, received_at: datetime) -> ChangeSeen:
        return read_notification(body, received_at)


ARGOCD = ArgoCdNotifications()
