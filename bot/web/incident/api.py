"""The incidents' JSON API under /api/incidents: the list, one incident with its timeline, its
postmortem draft; and what the agents' tools read through it.

Each handler answers one of the models of bot/web/api/models.py; ``INCIDENT_OPERATIONS`` at
the end lists the routes. They join every other domain's in the API's table
(bot/web/routes.py ``API_OPERATIONS``), which the OpenAPI document (bot/web/api/document.py)
is generated from, so it describes exactly what is answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from aiohttp import web

from bot.basics.render import readable
from bot.basics.slack_text import SlackText
from bot.record.alerting.alerts import alerts_of
from bot.record.incident import fields
from bot.record.incident.incident_types import CustomField, FieldValue
from bot.record.incident.milestones import Surface
from bot.record.incident.queries import IncidentQuery
from bot.record.people import known_names
from bot.record.postmortem.draft import Draft
from bot.record.postmortem.figures import Figures, figures_of
from bot.record.postmortem.parts import Action, Metric
from bot.record.postmortem.review import review_of
from bot.record.postmortem.written import WrittenDraft
from bot.store.db import session_scope
from bot.store.models import Alert, Incident, Milestone
from bot.web.api.answers import api_caller, api_error, json_answer, person_public
from bot.web.api.models import (
    ActionPublic,
    AlertLinkPublic,
    AlertPublic,
    ChannelPublic,
    ErrorPublic,
    EscalationPublic,
    IncidentListPublic,
    IncidentPublic,
    IncidentSummaryPublic,
    IssuePublic,
    MetricPublic,
    PostmortemPublic,
    ReviewPublic,
    SectionPublic,
    TimelineLinePublic,
)
from bot.web.context import WebContext, web_context
from bot.web.filters import FilterError, FilterParameters, parse_filters
from bot.web.openapi import (
    Answer,
    Operation,
    path_parameter,
    query_parameter,
    query_parameters,
)
from bot.web.reading import (
    NotVisible,
    incident_draft,
    incidents_for,
    requested_incident,
    team_of,
)
from bot.web.visibility import Viewer


def incident_summary(
    incident: Incident,
    figures: Figures,
    names: dict[str, str],
    now: datetime,
    values: Mapping[str, FieldValue] | None = None,
) -> IncidentSummaryPublic:
    """An incident as the list answers it, its milestones and spans its ``figures``
    (bot/record/postmortem/figures.py): each ``…_at`` is the one its metrics are measured
    from."""
    lasted = figures.impact_lasted
    return IncidentSummaryPublic(
        reference=incident.reference,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        private=incident.is_private,
        type=incident.incident_type,
        fields={
            name: readable(value, names) if isinstance(value, SlackText) else value
            for name, value in (values or {}).items()
        },
        commander=person_public(incident.commander, names),
        channel=ChannelPublic(id=incident.channel_id, name=incident.channel_name)
        if incident.channel_id
        else None,
        timezone=incident.timezone,
        started_at=figures.at(Milestone.STARTED),
        detected_at=figures.at(Milestone.DETECTED),
        declared_at=incident.declared_at,
        paged_at=figures.paged.at if figures.paged is not None else None,
        acknowledged_at=figures.at(Milestone.ACKNOWLEDGED),
        mitigated_at=figures.at(Milestone.MITIGATED),
        ended_at=figures.at(Milestone.ENDED),
        resolved_at=figures.at(Milestone.RESOLVED),
        impact_lasted_seconds=None if lasted is None else int(lasted.total_seconds()),
        open_for_seconds=int(figures.open_for(now).total_seconds()),
        postmortem_review=postmortem_review(incident, names),
        service=incident.service,
        url=f"/incidents/{incident.reference}",
    )


def postmortem_review(incident: Incident, names: dict[str, str]) -> ReviewPublic:
    """The postmortem's review state, who moved it there and when (``names``: the names
    the record keeps, the mover's among them)."""
    return ReviewPublic(
        state=review_of(incident).value,
        by=person_public(incident.postmortem_review_by, names),
        at=incident.postmortem_review_at,
    )


def people_of(incident: Incident) -> set[str]:
    """Who an incident's answer names: its commander and who moved its review last."""
    return {who for who in (incident.commander, incident.postmortem_review_by) if who}


def _metric(metric: Metric, figures: Figures) -> MetricPublic:
    return MetricPublic(
        key=metric.key,
        from_=metric.start.milestone,
        to=metric.end.milestone,
        seconds=figures.seconds(metric.key),
    )


def _postmortem(written: WrittenDraft) -> PostmortemPublic:
    draft = written.draft
    sections = []
    for slot in draft.slots:
        saved = draft.written.get(slot.key)
        sections.append(
            SectionPublic(
                key=slot.key,
                prompt=slot.prompt,
                text=saved.text if saved is not None else None,
                author=saved.author if saved is not None else None,
                edited_at=saved.at if saved is not None else None,
            )
        )
    return PostmortemPublic(gaps=written.gaps, sections=sections)


def _action(action: Action) -> ActionPublic:
    issue = action.issue
    return ActionPublic(
        text=action.text,
        owner=action.owner,
        noted_by=action.noted_by,
        at=action.at,
        link=action.link,
        # The row carries these fields under the same names.
        issue=IssuePublic.model_validate(issue, from_attributes=True) if issue else None,
        done=action.done,
        due_at=action.due_at,
        overdue=action.overdue,
        marked_done_by=action.done_by if action.marked_done else None,
        reads_like=action.alike.text if action.alike else None,
    )


def _alert(alert: Alert) -> AlertPublic:
    """An alert as the monitoring system last said it (labels, annotations and links are
    kept as JSON text)."""
    return AlertPublic(
        name=alert.name,
        fingerprint=alert.fingerprint,
        status="resolved" if alert.status == "resolved" else "firing",
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        summary=alert.summary,
        labels={str(k): str(v) for k, v in json.loads(alert.labels).items()},
        annotations={str(k): str(v) for k, v in json.loads(alert.annotations).items()},
        links=[
            AlertLinkPublic(text=str(link["text"]), url=str(link["url"]))
            for link in json.loads(alert.links)
        ],
    )


def incident_detail(
    written: WrittenDraft,
    names: dict[str, str],
    now: datetime,
    values: Mapping[str, FieldValue] | None = None,
    alerts: Sequence[Alert] = (),
) -> IncidentPublic:
    draft: Draft = written.draft
    figures = draft.figures
    return IncidentPublic(
        **dict(incident_summary(draft.incident, figures, names, now, values)),
        description=draft.description,
        metrics=[_metric(metric, figures) for metric in figures.on(Surface.API)],
        # The draft's lines carry these fields under the same names.
        timeline=[
            TimelineLinePublic.model_validate(x, from_attributes=True) for x in draft.timeline
        ],
        alerts=[_alert(alert) for alert in alerts],
        escalations=[
            EscalationPublic.model_validate(x, from_attributes=True) for x in draft.escalations
        ],
        actions=[_action(action) for action in draft.actions],
        postmortem=_postmortem(written),
    )


async def list_incidents(request: web.Request) -> web.Response:
    """GET /api/incidents"""
    web_ = web_context(request)
    viewer = api_caller(request)
    team_id = await team_of(request, web_, viewer)
    try:
        query = parse_filters(
            request.query,
            zone=web_.settings.incidents.timezone,
            team_id=team_id,
            types=web_.settings.incidents.types,
        )
    except FilterError as error:
        raise api_error(400, "bad_filter", str(error)) from None
    return json_answer(await incident_list(web_, viewer, query))


async def incident_list(
    web_: WebContext, viewer: Viewer, query: IncidentQuery
) -> IncidentListPublic:
    """A page of the incidents the viewer may see, as the list answers it (the API's and
    the agents' list_incidents)."""
    page = await incidents_for(web_, viewer, query)
    custom = web_.settings.incidents.types.fields
    async with session_scope(web_.services.engine) as session:
        values = await fields.values_for(session, [i.id for i in page.incidents if i.id], custom)
        names = await known_names(
            session,
            {who for i in page.incidents for who in people_of(i)} | _people_in(values, custom),
        )
        figures = await figures_of(session, page.incidents)
    now = web_.services.clock()
    return IncidentListPublic(
        items=[
            incident_summary(
                incident, figures[incident.id or 0], names, now, values.get(incident.id or 0)
            )
            for incident in page.incidents
        ],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        pages=page.pages,
    )


async def _visible(request: web.Request, web_: WebContext) -> tuple[Incident, int]:
    try:
        return await requested_incident(request, web_, api_caller(request))
    except NotVisible:
        raise api_error(404, "not_found", "No such incident.") from None


async def get_incident(request: web.Request) -> web.Response:
    """GET /api/incidents/{reference}"""
    web_ = web_context(request)
    incident, incident_id = await _visible(request, web_)
    return json_answer(await incident_answer(web_, incident, incident_id))


async def incident_answer(web_: WebContext, incident: Incident, incident_id: int) -> IncidentPublic:
    """One incident with its timeline, metrics, escalations and draft, as the API answers it
    (the agents' get_incident too)."""
    written = await incident_draft(web_, incident_id)
    custom = web_.settings.incidents.types.fields
    async with session_scope(web_.services.engine) as session:
        values = await fields.values_of(session, incident_id, custom)
        people = people_of(incident) | _people_in({incident_id: values}, custom)
        names = await known_names(session, people)
        alerts = await alerts_of(session, incident_id)
    return incident_detail(written, names, web_.services.clock(), values, alerts)


def _people_in(
    values: Mapping[int, Mapping[str, FieldValue]], custom: Mapping[str, CustomField]
) -> set[str]:
    """The user ids user fields name, so answers can give their names."""
    return {
        str(value)
        for by_field in values.values()
        for name, value in by_field.items()
        if (field := custom.get(name)) is not None and field.kind == "user"
    }


async def get_postmortem(request: web.Request) -> web.Response:
    """GET /api/incidents/{reference}/postmortem: the draft's Markdown."""
    web_ = web_context(request)
    _, incident_id = await _visible(request, web_)
    written = await incident_draft(web_, incident_id)
    return web.Response(text=written.markdown, content_type="text/markdown", charset="utf-8")


_REFERENCE = path_parameter("reference", "The incident's reference, e.g. INC-7.")
_TEAM = query_parameter("team", "The Slack workspace (token holders only; default: the bot's own).")
_UNAUTHORIZED = Answer("Not signed in and no valid bearer token.", ErrorPublic)
_NOT_FOUND = Answer("No such incident.", ErrorPublic)

# The incidents' operations: with every other domain's, the API's table (bot/web/routes.py
# API_OPERATIONS), which the route table registers and the OpenAPI document describes.
INCIDENT_OPERATIONS = (
    Operation(
        "/api/incidents",
        list_incidents,
        "listIncidents",
        "Incidents, newest first",
        parameters=(*query_parameters(FilterParameters), _TEAM),
        answers={
            200: Answer("A page of incidents.", IncidentListPublic),
            400: Answer("A filter that cannot be used.", ErrorPublic),
            401: _UNAUTHORIZED,
        },
    ),
    Operation(
        "/api/incidents/{reference}",
        get_incident,
        "getIncident",
        "One incident with its timeline",
        parameters=(_REFERENCE, _TEAM),
        answers={200: Answer("The incident.", IncidentPublic), 404: _NOT_FOUND, 401: _UNAUTHORIZED},
    ),
    Operation(
        "/api/incidents/{reference}/postmortem",
        get_postmortem,
        "getPostmortem",
        "The postmortem draft, as Markdown",
        parameters=(_REFERENCE, _TEAM),
        answers={
            200: Answer("The draft.", media_type="text/markdown"),
            404: _NOT_FOUND,
            401: _UNAUTHORIZED,
        },
    ),
)
