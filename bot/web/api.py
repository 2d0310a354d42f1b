"""The JSON API under /api/: incidents, one incident with its timeline, the postmortem.

Every answer matches the OpenAPI document at /api/openapi.json (bot/web/openapi.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.postmortem.draft import Draft, Metric, known_names
from bot.postmortem.posting import WrittenDraft, write_draft
from bot.store.db import session_scope
from bot.store.models import Incident
from bot.web.auth import api_viewer
from bot.web.context import WebContext, web_context
from bot.web.filters import FilterError, parse_filters
from bot.web.openapi import openapi_document
from bot.web.reading import NotVisible, incidents_for, requested_incident, team_of
from bot.web.visibility import Viewer

Json = dict[str, Any]


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    404: web.HTTPNotFound,
}


def _error(status: int, code: str, message: str) -> web.HTTPException:
    headers = {"WWW-Authenticate": 'Bearer realm="warroom"'} if status == 401 else None
    return _ERRORS[status](
        text=json.dumps({"error": code, "message": message}),
        content_type="application/json",
        headers=headers,
    )


def _viewer(request: web.Request) -> Viewer:
    viewer = api_viewer(request)
    if viewer is None:
        raise _error(401, "unauthorized", "Sign in, or send Authorization: Bearer <token>.")
    return viewer


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def incident_summary(incident: Incident, names: dict[str, str], now: datetime) -> Json:
    began = incident.started_at or incident.declared_at
    ended = incident.resolved_at or now
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "private": incident.is_private,
        "commander": _person(incident.commander, names),
        "channel": {"id": incident.channel_id, "name": incident.channel_name}
        if incident.channel_id
        else None,
        "timezone": incident.timezone,
        "started_at": iso(incident.started_at),
        "detected_at": iso(incident.detected_at),
        "declared_at": iso(incident.declared_at),
        "acknowledged_at": iso(incident.acknowledged_at),
        "mitigated_at": iso(incident.mitigated_at),
        "resolved_at": iso(incident.resolved_at),
        "duration_seconds": max(0, int((ended - began).total_seconds())),
        "url": f"/incidents/{incident.reference}",
    }


def _person(user_id: str | None, names: dict[str, str]) -> Json | None:
    return {"id": user_id, "name": names.get(user_id, user_id)} if user_id else None


def _metric(metric: Metric) -> Json:
    seconds = None
    if metric.known and not metric.negative:
        assert metric.start.at is not None and metric.end.at is not None
        seconds = int((metric.end.at - metric.start.at).total_seconds())
    return {
        "key": metric.key,
        "from": metric.start.milestone,
        "to": metric.end.milestone,
        "seconds": seconds,
    }


def incident_detail(written: WrittenDraft, names: dict[str, str], now: datetime) -> Json:
    draft: Draft = written.draft
    return {
        **incident_summary(draft.incident, names, now),
        "description": draft.description,
        "metrics": [_metric(metric) for metric in draft.metrics],
        "timeline": [
            {
                "at": iso(line.at),
                "kind": line.kind,
                "text": line.text,
                "author": line.author,
                "link": line.link,
            }
            for line in draft.timeline
        ],
        "escalations": [
            {
                "target": line.target,
                "at": iso(line.at),
                "by": line.by,
                "reason": line.reason,
                "acknowledged_at": iso(line.acknowledged_at),
                "acknowledged_by": line.acknowledged_by,
            }
            for line in draft.escalations
        ],
        "actions": [
            {
                "text": a.text,
                "owner": a.owner,
                "noted_by": a.noted_by,
                "at": iso(a.at),
                "link": a.link,
            }
            for a in draft.actions
        ],
        "postmortem": {
            "gaps": written.gaps,
            "sections": [
                {
                    "key": slot.key,
                    "prompt": slot.prompt,
                    "text": draft.written[slot.key].text if slot.key in draft.written else None,
                    "author": draft.written[slot.key].author if slot.key in draft.written else None,
                    "edited_at": iso(draft.written[slot.key].at)
                    if slot.key in draft.written
                    else None,
                }
                for slot in draft.slots
            ],
        },
    }


async def list_incidents(request: web.Request) -> web.Response:
    """GET /api/incidents"""
    web_ = web_context(request)
    viewer = _viewer(request)
    team_id = await team_of(request, web_, viewer)
    try:
        query = parse_filters(request.query, zone=web_.settings.timezone, team_id=team_id)
    except FilterError as error:
        raise _error(400, "bad_filter", str(error)) from None
    page = await incidents_for(web_, viewer, query)
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, {i.commander for i in page.incidents if i.commander})
    now = web_.services.clock()
    return web.json_response(
        {
            "items": [incident_summary(incident, names, now) for incident in page.incidents],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
        }
    )


async def _visible(request: web.Request, web_: WebContext) -> tuple[Incident, int]:
    try:
        return await requested_incident(request, web_, _viewer(request))
    except NotVisible:
        raise _error(404, "not_found", "No such incident.") from None


async def get_incident(request: web.Request) -> web.Response:
    """GET /api/incidents/{reference}"""
    web_ = web_context(request)
    incident, incident_id = await _visible(request, web_)
    written = await write_draft(web_.services, incident_id, ask_slack=False)
    async with session_scope(web_.services.engine) as session:
        names = await known_names(session, {incident.commander} - {None})  # type: ignore[arg-type]
    return web.json_response(incident_detail(written, names, web_.services.clock()))


async def get_postmortem(request: web.Request) -> web.Response:
    """GET /api/incidents/{reference}/postmortem: the draft's Markdown."""
    web_ = web_context(request)
    _, incident_id = await _visible(request, web_)
    written = await write_draft(web_.services, incident_id, ask_slack=False)
    return web.Response(text=written.markdown, content_type="text/markdown", charset="utf-8")


async def openapi(request: web.Request) -> web.Response:  # noqa: ARG001
    """GET /api/openapi.json (public: it describes the API, not the incidents)."""
    return web.json_response(openapi_document())
