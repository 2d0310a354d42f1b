"""The day after an incident is resolved, each participant is asked once, by DM: "One thing
that went well, one that did not?". *Answer* opens a form of two lines; *Skip* says no. What
they answer goes in the draft's lessons sections with their name, and a draft already posted
as the channel's canvas is brought up to date quietly (as a web edit is).

Who is asked: everyone who wrote in the incident's channel (bot/record/postmortem/lessons.py), but a
guest of the workspace (Slack's ``is_restricted`` / ``is_ultra_restricted``: a vendor or a
contractor, outside the team's own review), a bot, or someone deactivated since. Resolving
schedules one ``lessons_ask`` job in its transaction, due ``WARROOM_LESSONS_DM`` after the
resolution (resolved again after a reopening: due again, but nobody is asked twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import GoneFromRecord
from bot.basics.slack_text import SlackText
from bot.flows.channel import Writes, deliver_now
from bot.flows.people import is_guest
from bot.flows.replies import open_form
from bot.record.postmortem import lessons
from bot.record.postmortem.publication import schedule_publication
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Incident, Job, LessonsPrompt


async def schedule_lessons(session: AsyncSession, services: Services, incident: Incident) -> None:
    """Ask the participants for the lessons ``WARROOM_LESSONS_DM`` after the resolution (the
    caller commits, with the resolution)."""
    after = services.settings.prompts.lessons_after
    if after is None or incident.resolved_at is None:
        return
    await jobs.reschedule(
        session,
        kind=JobKind.LESSONS_ASK,
        key=f"lessons:{incident.id}",
        due_at=incident.resolved_at + after,
        incident_id=incident.id,
    )


async def ask_for_lessons(services: Services, job: Job) -> None:
    """The job handler: DM each participant not asked yet, unless the incident was reopened
    (resolving it again asks then)."""
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
        people = await lessons.participants(session, job.incident_id or 0) if incident else []
    if incident is None or incident.is_open:
        return None
    for user in people:
        # Asked afresh each time: a failure that may pass raises, and the job runs again.
        if not await services.slack.is_person(user) or await is_guest(services, user, retried=True):
            continue
        await _ask(services, incident, user)
    return None


async def _ask(services: Services, incident: Incident, user: str) -> None:
    """Keep the question to ``user`` and its DM in one transaction, unless they were asked."""
    async with session_scope(services.engine) as session:
        prompt = await lessons.ask(session, incident.id or 0, user, services.clock())
        if prompt is None:
            return
        render = services.renderer
        text = render.render("messages/lessons_ask.j2", outside=True, incident=incident)
        blocks = render.render_json("blocks/lessons_ask.json.j2", text=text, prompt=prompt)
        await outbox.enqueue(
            session,
            channel=user,
            method=outbox.POST,
            payload={"text": text, "blocks": blocks},
            now=services.clock(),
            after=f"lessons_prompt:{prompt.id}",
            incident_id=incident.id,
        )
        await session.commit()
    await deliver_now(services, user)


async def _prompt(services: Services, prompt_id: int, by: str) -> tuple[LessonsPrompt, Incident]:
    """The question ``by`` was asked, and its incident; GoneFromRecord when it is not theirs."""
    async with session_scope(services.engine) as session:
        prompt = await session.get(LessonsPrompt, prompt_id)
        incident = await session.get(Incident, prompt.incident_id) if prompt else None
    if prompt is None or incident is None or prompt.user_id != by:
        raise GoneFromRecord(what="question")
    return prompt, incident


async def open_lessons_form(
    services: Services, *, trigger_id: str, prompt_id: int, by: str, channel: str, message_ts: str
) -> str | None:
    """*Answer*: the form of two lines; said instead when it was answered or skipped."""
    prompt, incident = await _prompt(services, prompt_id, by)
    if prompt.answered_at is not None or prompt.skipped_at is not None:
        return services.renderer.render("messages/lessons_done_already.j2", prompt=prompt)
    metadata = {"prompt": prompt.id, "channel": channel, "ts": message_ts}
    view = services.renderer.render_json(
        "views/lessons_modal.json.j2",
        incident=incident,
        answer_max=lessons.ANSWER_MAX,
        private_metadata=json.dumps(metadata),
    )
    await open_form(services, trigger_id, dict(view))
    return None


async def answer_lessons(
    services: Services,
    *,
    by: str,
    metadata: dict[str, Any],
    went_well: SlackText | None,
    went_wrong: SlackText | None,
) -> str | None:
    """The form's answers kept with their author, the DM edited to thank them, the draft's
    canvas brought up to date."""
    return await _close(
        services,
        by=by,
        metadata=metadata,
        decide=lambda prompt, now: lessons.answer(
            prompt, went_well=went_well, went_wrong=went_wrong, at=now
        ),
        template="messages/lessons_thanks.j2",
    )


async def skip_lessons(
    services: Services, *, prompt_id: int, by: str, channel: str, message_ts: str
) -> str | None:
    """*Skip*: nothing kept but that they skipped; the DM edited to say so."""
    metadata = {"prompt": prompt_id, "channel": channel, "ts": message_ts}
    return await _close(
        services,
        by=by,
        metadata=metadata,
        decide=lessons.skip,
        template="messages/lessons_skipped.j2",
    )


async def _close(
    services: Services,
    *,
    by: str,
    metadata: dict[str, Any],
    decide: Callable[[LessonsPrompt, datetime], bool],
    template: str,
) -> str | None:
    """Answer or skip the question ``metadata`` names (its DM's channel and ts), once."""
    prompt, incident = await _prompt(services, int(metadata.get("prompt") or 0), by)
    now = services.clock()
    async with session_scope(services.engine) as session:
        session.add(prompt)
        await session.refresh(prompt)  # another press may have answered it meanwhile
        if not decide(prompt, now):
            return services.renderer.render("messages/lessons_done_already.j2", prompt=prompt)
        writes = Writes(services, session, incident)
        text = services.renderer.render(template, outside=True, incident=incident, prompt=prompt)
        ts, channel = str(metadata.get("ts") or ""), str(metadata.get("channel") or by)
        if ts:
            edited = {"ts": ts, "text": text, "blocks": []}
            await writes.keep(outbox.UPDATE, edited, channel=channel)
        if prompt.answered_at is not None and incident.channel_id:
            await schedule_publication(session, incident, by=by, now=now, quiet=True)
        await session.commit()
    await writes.send()
    services.wake_jobs()
    return None
