"""Running workflows' actions: one job per action (bot/record/workflows/runs.py wrote them in
the transaction of the change that started the workflow).

An action's change to the record, its timeline entry ("workflow exec-heads-up: posted in
C0EXECUPD1"), its channel writes (through the outbox, keyed by the job) and the job's end
commit together, so a run cut short and run again does it once. A failing action is said in
the incident channel once (the action and Slack's reason) and recorded; the job ends, and
the workflow's other actions (their own jobs) and other workflows still run.

Changes a workflow makes carry ``cause="workflow:<name>"`` and are written here, never
through the flows that start workflows: a workflow's own changes start no workflow.

Webhooks and Teams cards (bot/flows/workflows/webhooks.py) are jobs of their own lane
(``JobKind.WORKFLOW_WEBHOOK``): a slow or failing endpoint waits there, retried with backoff,
never in front of the incident's other work.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.slack_text import SlackText, cut_plain, encode, to_mrkdwn, to_plain
from bot.clients.slack.errors import SlackFailure, SlackRateLimited, SlackTokenRevoked
from bot.flows.channel import Writes, as_sent, deliver_now, lead_of
from bot.flows.escalation.levels import start_policy
from bot.flows.escalation.reach import group_members
from bot.flows.escalation.targets import EscalationTarget, escalate
from bot.flows.follow_ups import filing
from bot.flows.incident.fields import set_up_type
from bot.flows.oncall.handoffs import on_call_now
from bot.flows.scheduler import Wait
from bot.flows.status_page.publishing import mark_public
from bot.record.escalation.escalations import WhyWorkflow
from bot.record.incident import fields, findings, incidents
from bot.record.incident.fields import NoFieldChange
from bot.record.incident.incidents import NoChange
from bot.record.incident.timeline import add_entry
from bot.record.status_page import publications as public
from bot.record.workflows import runs as workflow_runs
from bot.record.workflows.actions import (
    BOOKMARK_TITLE_MAX,
    Action,
    as_field_input,
    bookmark_link_problem,
    render,
)
from bot.record.workflows.definitions import CAUSE_PREFIX, Workflow
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import database_now, session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Escalation, Incident, Job, OutboxMessage, TimelineKind

log = logging.getLogger(__name__)
# While another replica runs an earlier action of the incident, this one waits its turn.
TURN_WAIT = timedelta(seconds=1)
# An action of an incident whose war room is not open yet waits for it this many turns (ten
# minutes), then runs anyway: Slack may never let the channel be made, and the action says
# why it could not act.
WAR_ROOM_TRIES = 600


# -- what templates see ----------------------------------------------------------------------
async def template_incident(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    *,
    plain: bool = False,
    outside: bool = False,
) -> dict[str, Any]:
    """``incident`` as templates see it: people's words as Slack text (``plain``: none;
    ``outside``: for a message outside the incident, links showing their address)."""
    types = services.settings.incidents.types
    values = await fields.values_of(session, incident.id or 0, types.fields)

    def words(text: SlackText) -> str:
        if plain:
            return to_plain(text)
        return to_mrkdwn(text, ping=False, addresses=outside)

    def shown(name: str, value: object) -> object:
        field = types.field(name)
        if field is not None and field.kind == "text":
            return words(SlackText.of(str(value)))
        if field is not None and field.kind == "user":
            return value if plain else f"<@{value}>"
        if isinstance(value, list):
            return ", ".join(value) if plain else encode(", ".join(value))
        return value if plain or not isinstance(value, str) else encode(value)

    commander = incident.commander
    base = services.settings.web.public_url.rstrip("/")
    return {
        "reference": incident.reference,
        "title": words(SlackText.of(incident.title)),
        "severity": incident.severity,
        "status": incident.status,
        "type": incident.incident_type or "",
        "private": incident.is_private,
        "channel_id": incident.channel_id or "",
        "commander": (commander or "") if plain else (f"<@{commander}>" if commander else ""),
        "fields": {name: shown(name, values.get(name, "")) for name in types.fields},
        "url": f"{base}/incidents/{incident.reference}" if base else "",
    }


# -- the job handlers ------------------------------------------------------------------------
async def run_action(services: Services, job: Job) -> datetime | Wait | None:
    """The job handler of one workflow action."""
    found = await job_work(services, job)
    if found is None:
        return None
    incident, workflow, action = found
    if incident.channel_id is None and incident.is_open and job.attempts < WAR_ROOM_TRIES:
        # Started with the incident (an alert's alert.received): its war room opens first.
        return Wait(services.clock() + TURN_WAIT)
    if await _earlier_running(services, job):
        return Wait(services.clock() + TURN_WAIT)
    by = await services.slack.bot_user()
    try:
        await ACTIONS[action.verb](services, job, incident, workflow, action, by)
    except (SlackRateLimited, SlackTokenRevoked):
        raise  # the runner puts the job back until Slack allows
    except (SlackFailure, BotError, TemplateError, ValueError) as error:
        await action_failed(services, job, incident, workflow, action, _reason(error))
    return None


async def run_timer(services: Services, job: Job) -> None:
    """The job handler of an ``incident.open_for`` timer: its workflow runs if the incident
    is still open and its conditions hold now."""
    details = jobs.payload_of(job)
    workflow = services.settings.workflows.definitions.get(str(details.get("workflow")))
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
        if workflow is None or incident is None or not incident.is_open:
            return
        since = details.get("since")
        if workflow.in_status is not None and (
            incident.status != workflow.in_status
            or not await workflow_runs.in_status_since(
                session, incident, datetime.fromisoformat(str(since))
            )
        ):
            return  # it left the status meanwhile: a later stint has a timer of its own
        facts = await workflow_runs.facts_of(
            session, incident, services.settings.incidents.types, workflow.condition.fields
        )
        if workflow.condition.test(facts):
            await workflow_runs.schedule_actions(
                session, incident, workflow, event="open_for", now=services.clock()
            )
            await session.commit()
    services.wake_jobs()


async def job_work(services: Services, job: Job) -> tuple[Incident, Workflow, Action] | None:
    """The job's incident, workflow and action; None when the file no longer has them."""
    details = jobs.payload_of(job)
    workflow = services.settings.workflows.definitions.get(str(details.get("workflow")))
    step = int(details.get("step", -1))
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    if workflow is None or incident is None or not 0 <= step < len(workflow.actions):
        log.warning("workflow job %s: the workflow or its action is gone; skipped", job.key)
        return None
    return incident, workflow, workflow.actions[step]


async def _earlier_running(services: Services, job: Job) -> bool:
    """Whether another replica runs an earlier action of the incident right now: its
    actions run in the order they were written."""
    async with session_scope(services.engine) as session:
        earlier = await session.exec(
            select(Job.id).where(
                col(Job.incident_id) == job.incident_id,
                col(Job.kind) == JobKind.WORKFLOW_ACTION,
                col(Job.id) < (job.id or 0),
                col(Job.done_at).is_(None),
                col(Job.locked_until) > database_now(session.get_bind().dialect.name),
                col(Job.locked_by) != job.locked_by,
            )
        )
        return earlier.first() is not None


async def end_job(session: AsyncSession, job: Job, now: datetime) -> None:
    """End the job in the caller's transaction, with the action's effects."""
    await session.exec(
        update(Job)
        .where(col(Job.id) == job.id, col(Job.done_at).is_(None))
        .values(done_at=now, locked_until=None, locked_by=None)
    )


def record_done(
    session: AsyncSession,
    incident: Incident,
    workflow: Workflow,
    action: Action,
    *,
    did: str,
    by: str,
    at: datetime,
    error: str | None = None,
) -> None:
    facts: dict[str, Any] = {"workflow": workflow.name, "action": action.verb, "did": did}
    if error is not None:
        facts["error"] = error
    add_entry(session, incident, kind=TimelineKind.WORKFLOW, facts=facts, author=by, occurred_at=at)


async def finished(
    services: Services,
    job: Job,
    incident: Incident,
    workflow: Workflow,
    action: Action,
    *,
    did: str,
    by: str | None = None,
) -> None:
    """An action done with nothing more to write: its record and its job's end, committed
    together (``by``: the bot's user, asked of Slack before the session when not given, so no
    connection is held across a Slack call)."""
    by = by or await services.slack.bot_user()
    now = services.clock()
    async with session_scope(services.engine) as session:
        record_done(session, incident, workflow, action, did=did, by=by, at=now)
        await end_job(session, job, now)
        await session.commit()


async def action_failed(
    services: Services,
    job: Job,
    incident: Incident,
    workflow: Workflow,
    action: Action,
    reason: str,
) -> None:
    """Record the failure, say it in the channel once, and end the job."""
    log.warning(
        "%s: workflow %s: %s failed: %s", incident.reference, workflow.name, action.verb, reason
    )
    by = await services.slack.bot_user()
    now = services.clock()
    async with session_scope(services.engine) as session:
        record_done(session, incident, workflow, action, did="", by=by, at=now, error=reason)
        if incident.channel_id:
            text = services.renderer.render(
                "messages/workflow_failed.j2",
                workflow=workflow.name,
                action=action.words or action.verb,
                error=reason,
            )
            await outbox.post_once(
                session,
                channel=incident.channel_id,
                text=text,
                now=now,
                after=f"{job.key}:failed",
                incident_id=incident.id,
            )
        await end_job(session, job, now)
        await session.commit()
    if incident.channel_id:
        await deliver_now(services, incident.channel_id)


def _reason(error: BaseException) -> str:
    if isinstance(error, SlackFailure):
        return f"Slack said {error.code}"
    if isinstance(error, BotError):
        context = error.context
        return str(context.get("reason") or context.get("message") or type(error).__name__)
    return str(error) or type(error).__name__


# -- the actions -----------------------------------------------------------------------------
async def _change(
    services: Services,
    job: Job,
    incident_id: int,
    workflow: Workflow,
    action: Action,
    by: str,
    apply: Any,
) -> None:
    """Apply a change to the record under the incident's lock, record it, say it, refresh
    the header, and end the job: one transaction."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        current = await session.get(Incident, incident_id)
        assert current is not None
        current = await incidents.lock(session, current)
        lead = await lead_of(services, current)
        did = await apply(session, current, now)
        writes = Writes(services, session, current)
        if did is not None:
            record_done(session, current, workflow, action, did=did, by=by, at=now)
            if current.channel_id:
                await writes.say(
                    "messages/workflow_acted.j2", workflow=workflow.name, did=did, after=job.key
                )
                await writes.header(lead)
        await end_job(session, job, now)
        await session.commit()
    services.wake_jobs()
    await writes.send()


def _cause(workflow: Workflow) -> str:
    return f"{CAUSE_PREFIX}{workflow.name}"


async def _set_severity(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    severity = str(action.args["value"])

    async def apply(session: AsyncSession, current: Incident, now: datetime) -> str | None:
        try:
            await incidents.set_severity(
                session, current, severity=severity, by=by, at=now, cause=_cause(workflow)
            )
        except NoChange:
            return None
        await start_policy(session, services, current)
        return f"severity set to {severity}"

    await _change(services, job, incident.id or 0, workflow, action, by, apply)


async def _set_type(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    kind = services.settings.incidents.types.get(str(action.args["value"]))

    async def apply(session: AsyncSession, current: Incident, now: datetime) -> str | None:
        try:
            previous = await fields.set_type(
                session,
                current,
                kind.name if kind else None,
                by=by,
                at=now,
                cause=_cause(workflow),
            )
        except NoFieldChange:
            return None
        await set_up_type(session, services, current, previous)
        return f"type set to {kind.name if kind else 'none'}"

    await _change(services, job, incident.id or 0, workflow, action, by, apply)


async def _set_field(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    field = services.settings.incidents.types.field(str(action.args["field"]))
    if field is None:
        raise ActionFailedValue(f"no field {action.args['field']!r}")

    async def apply(session: AsyncSession, current: Incident, now: datetime) -> str | None:
        context = await template_incident(session, services, current, plain=True)
        value = field.checked(as_field_input(field, render(str(action.args["value"]), context)))
        try:
            await fields.set_field(
                session, current, field, value, by=by, at=now, cause=_cause(workflow)
            )
        except NoFieldChange:
            return None
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        return f"{field.label} set to {shown}"

    await _change(services, job, incident.id or 0, workflow, action, by, apply)


class ActionFailedValue(ValueError):
    """An action's argument the settings no longer have."""


async def _follow_up(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    async def apply(session: AsyncSession, current: Incident, now: datetime) -> str | None:
        context = await template_incident(session, services, current)
        text = render(str(action.args["text"]), context).strip()
        if not text:
            raise ActionFailedValue("the follow-up's text is empty")
        findings.note_action(session, current, text=text, owner=None, by=by, at=now)
        return "follow-up added"

    await _change(services, job, incident.id or 0, workflow, action, by, apply)


async def _file_follow_ups(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    target = await filing.target_for(services, incident)
    if target is None:
        raise ActionFailedValue("there is no tracker to file in")
    tracker = filing.TRACKER_NAMES[target.kind]

    async def apply(session: AsyncSession, current: Incident, now: datetime) -> str | None:
        asked = await filing.request_unfiled(session, services, current, target, by=by, at=now)
        if not asked:
            return f"no follow-up was waiting to be filed in {tracker}"
        return f"{asked} follow-up{'s' if asked != 1 else ''} sent to {tracker}"

    await _change(services, job, incident.id or 0, workflow, action, by, apply)


async def _post(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    channel = str(action.args.get("channel") or incident.channel_id or "")
    # Asked of Slack before the transaction: the database is not held while Slack answers.
    where = await _channel_words(services, channel, incident)
    now = services.clock()
    async with session_scope(services.engine) as session:
        outside = channel != incident.channel_id  # another channel, or someone's DM
        context = await template_incident(session, services, incident, outside=outside)
        text = render(str(action.args["text"]), context).strip()
        if not text:
            raise ActionFailedValue("the message is empty")
        row = await _kept(session, job, incident, channel, outbox.POST, {"text": text}, now)
        record_done(session, incident, workflow, action, did=f"posted in {where}", by=by, at=now)
        await end_job(session, job, now)
        await session.commit()
    await _sent_or_failed(services, job, incident, workflow, action, row)


async def _kept(
    session: AsyncSession,
    job: Job,
    incident: Incident,
    channel: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    """The action's Slack write, kept in the outbox under the job's key (once, however often
    the job runs); it commits with the job's end."""
    row = await outbox.written_for(session, job.key)
    if row is None:
        row = await outbox.enqueue(
            session,
            channel=channel,
            method=method,
            payload=payload,
            now=now,
            after=job.key,
            incident_id=incident.id,
        )
    return row


async def _sent_or_failed(
    services: Services,
    job: Job,
    incident: Incident,
    workflow: Workflow,
    action: Action,
    row: OutboxMessage,
) -> None:
    """Send the kept write now; if Slack refused it for good, or refused some of the people
    an invitation named, say so as a failed action."""
    await deliver_now(services, row.channel)
    sent = await as_sent(services, row)
    if sent.gave_up_at is not None:
        reason = f"Slack said {sent.last_error}"
        await action_failed(services, job, incident, workflow, action, reason)
    elif sent.method == outbox.INVITE and sent.sent_at is not None and sent.last_error:
        reason = f"Slack would not invite {sent.last_error}"
        await action_failed(services, job, incident, workflow, action, reason)


async def _channel_words(services: Services, channel: str, incident: Incident) -> str:
    """How the timeline names where a workflow posted: ``#exec-updates``, as people know it
    (the id when Slack does not say the name)."""
    if channel == incident.channel_id:
        return "the incident channel"
    try:
        facts = await services.slack.channel_facts(channel)
    except SlackFailure:
        facts = None
    return f"#{facts.name}" if facts is not None else f"channel {channel}"


async def _invite(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    users = [str(user) for user in action.args.get("users", [])]
    if group := action.args.get("usergroup"):
        users += await group_members(services, str(group))
    if schedule := action.args.get("schedule"):
        named = await on_call_now(services, str(schedule))
        if not named or named[0].user is None:
            raise ActionFailedValue(f"nobody is on call for {schedule} right now")
        reachable = [one.reachable for one in named if one.reachable is not None]
        if not reachable:
            # Never into an incident's channel: it may be private.
            raise ActionFailedValue(
                f"whoever is on call for {schedule} is a guest of the workspace: not invited"
            )
        users += reachable
    if not incident.channel_id:
        raise ActionFailedValue("the incident has no channel yet")
    now = services.clock()
    async with session_scope(services.engine) as session:
        payload = {"users": sorted(set(users))}
        row = await _kept(session, job, incident, incident.channel_id, outbox.INVITE, payload, now)
        did = f"invited {len(set(users))} {'person' if len(set(users)) == 1 else 'people'}"
        record_done(session, incident, workflow, action, did=did, by=by, at=now)
        await end_job(session, job, now)
        await session.commit()
    await _sent_or_failed(services, job, incident, workflow, action, row)


async def _escalate(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    if not incident.channel_id:
        raise ActionFailedValue("the incident has no channel yet")
    policy = str(action.args["policy"])
    # The job's key rides with the escalation: a run cut short after escalating and run
    # again finds it, and only ends the job.
    why: WhyWorkflow = {
        "because": "workflow",
        "workflow": workflow.name,
        "policy": policy,
        "job": job.key,
    }
    if not await _escalated_by(services, incident, job):
        await escalate(
            services,
            channel_id=incident.channel_id,
            requested_by=by,
            target=EscalationTarget("name", policy),
            reason=str(action.args.get("reason") or ""),
            why=why,
        )
    await finished(services, job, incident, workflow, action, did=f"escalated to {policy}", by=by)


async def _escalated_by(services: Services, incident: Incident, job: Job) -> bool:
    """Whether this job's escalation is recorded already."""
    async with session_scope(services.engine) as session:
        rows = await session.exec(select(Escalation).where(Escalation.incident_id == incident.id))
        return any((e.why or {}).get("job") == job.key for e in rows.all())


async def _make_public(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    if incident.is_private:
        raise ActionFailedValue("a private incident is never shown on the status page")
    if not incident.channel_id:
        raise ActionFailedValue("the incident has no channel yet")
    now = services.clock()
    writes = None
    async with session_scope(services.engine) as session:
        current = await incidents.lock(session, incident)
        if await public.public_record(session, incident.id or 0) is None:
            _, writes = await mark_public(session, services, current, by=by, components=[])
        did = "shown on the status page"
        record_done(session, current, workflow, action, did=did, by=by, at=now)
        await end_job(session, job, now)
        await session.commit()
    services.wake_jobs()
    if writes is not None:
        await writes.send()


async def _bookmark(
    services: Services, job: Job, incident: Incident, workflow: Workflow, action: Action, by: str
) -> None:
    if not incident.channel_id:
        raise ActionFailedValue("the incident has no channel yet")
    async with session_scope(services.engine) as session:
        context = await template_incident(session, services, incident, plain=True)
    title = render(str(action.args["title"]), context).strip()
    link = render(str(action.args["link"]), context).strip()
    if not link.startswith(("https://", "http://")):
        raise ActionFailedValue(f"the link {link[:80]!r} is not an http(s) address")
    if problem := bookmark_link_problem(link):
        raise ActionFailedValue(f"the link is {problem}")
    title = cut_plain(title, BOOKMARK_TITLE_MAX)
    now = services.clock()
    payload = {"title": title, "link": link}
    async with session_scope(services.engine) as session:
        row = await _kept(
            session, job, incident, incident.channel_id, outbox.BOOKMARK, payload, now
        )
        record_done(session, incident, workflow, action, did=f"bookmarked {title}", by=by, at=now)
        await end_job(session, job, now)
        await session.commit()
    await _sent_or_failed(services, job, incident, workflow, action, row)


ACTIONS: Mapping[str, Any] = {
    "post": _post,
    "invite": _invite,
    "escalate": _escalate,
    "follow_up": _follow_up,
    "file_follow_ups": _file_follow_ups,
    "make_public": _make_public,
    "set_field": _set_field,
    "set_severity": _set_severity,
    "set_type": _set_type,
    "bookmark": _bookmark,
}
