"""Short questions for the postmortem draft, asked in a marked message's thread while people
are there, each answered in one click or one line, or skipped; none blocks anything.

- At a :x: (a misleading path): "What ruled it out?" A reply in the thread says it (the draft
  ends the path there); "It rules out an earlier idea" says the marked message is what ruled
  an earlier idea out, and offers the earlier messages to say which.
- On the draft's page, the same :x:'s question answered for an idea whose end the record
  lacks (``rule_out_on_page``): a message said after it, and/or the person's words with the
  time they give; said in the channel, and the question in Slack shows the answer.
- At a :white_check_mark: (a mitigation): "Did it work? When did the impact end?" Yes (now),
  another time (a form with one input), or skip. The answer sets impact ended, which confirms
  the mitigation.

Asked once per message, after its reaction was applied: a question is a courtesy, like the
receipt reaction, and is kept with its message in one transaction of its own.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.slack_text import SlackText, truncate
from bot.flows.channel import Writes, refresh_channel_header
from bot.record.incident import incidents, messages
from bot.record.incident.milestones import set_milestone
from bot.record.moments import parse_moment
from bot.record.postmortem import prompts
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import ChannelMessage, DraftPrompt, Incident, Milestone, TimelineKind

# The earlier messages offered as the idea a marked message rules out.
CANDIDATES = 8
# How much of a person's message a question quotes.
QUOTED_CHARS = 280
_TEMPLATES = {prompts.RULED_OUT: "prompt_ruled_out", prompts.WORKED: "prompt_worked"}


class PathEndRefused(BotError):
    """What ruled an idea out cannot be kept as given; ``field``: the form's field it is
    about, ``problem``: why (templates/messages/path_end_refused.j2)."""

    template = "messages/path_end_refused.j2"


class PromptGone(BotError):
    """The question, or the message it is about, is no longer in the record."""

    def __init__(self) -> None:
        super().__init__("That question is no longer in the record; nothing was changed.")


async def ask_after_mark(services: Services, *, channel: str, ts: str, kind: TimelineKind) -> None:
    """Ask what the draft needs in the thread of a message just marked ``kind``."""
    question = prompts.ASKED_AT.get(kind)
    if question is None:
        return
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel)
        message = await messages.find_message(session, channel, ts)
        if message is None or message.is_bot or message.deleted_at is not None:
            return
        prompt = await prompts.ask(session, incident, message, question, services.clock())
        if prompt is None:
            return  # asked when the message was first marked
        writes = Writes(services, session, incident)
        shown = _shown(services, incident, prompt, asking=True)
        await writes.keep(
            outbox.POST, {**shown, "thread_ts": message.ts}, after=f"draft_prompt:{prompt.id}"
        )
        await session.commit()
    await writes.send()


def _shown(
    services: Services,
    incident: Incident,
    prompt: DraftPrompt,
    *,
    asking: bool = False,
    candidates: list[ChannelMessage] | None = None,
    **context: Any,
) -> dict[str, object]:
    """The question's message (text and blocks) as it stands."""
    render = services.renderer
    name = _TEMPLATES[prompt.kind]
    recovered = next(
        (
            emoji
            for emoji, kind in services.settings.incidents.reactions.items()
            if kind == "recovered"
        ),
        None,
    )
    extra: dict[str, Any] = {"answer": None, **context}
    if candidates is not None:
        extra["candidates"] = candidates
    text = render.render(f"messages/{name}.j2", incident=incident, recovered=recovered, **extra)
    offered = [
        (
            candidate,
            render.render(
                "messages/prompt_idea.j2",
                incident=incident,
                message=candidate,
                words=truncate(SlackText(candidate.text), QUOTED_CHARS),
            ),
        )
        for candidate in candidates or []
    ]
    blocks = render.render_json(
        f"blocks/{name}.json.j2", text=text, prompt=prompt, asking=asking, candidates=offered
    )
    return {"text": text, "blocks": blocks}


async def _prompt(session: AsyncSession, prompt_id: int, kind: str) -> DraftPrompt:
    prompt = await session.get(DraftPrompt, prompt_id)
    if prompt is None or prompt.kind != kind:
        raise PromptGone()
    return prompt


async def _show(
    services: Services, session: AsyncSession, incident: Incident, prompt: DraftPrompt, **how: Any
) -> Writes:
    """Keep the question's message as it now stands (the caller commits, then sends)."""
    writes = Writes(services, session, incident)
    if prompt.prompt_ts is not None:
        shown = _shown(services, incident, prompt, **how)
        await writes.keep(outbox.UPDATE, {**shown, "ts": prompt.prompt_ts}, channel=prompt.channel)
    return writes


async def offer_ideas(services: Services, *, prompt_id: int) -> None:
    """ "It rules out an earlier idea": show the earlier messages, one button each."""
    async with session_scope(services.engine) as session:
        prompt = await _prompt(session, prompt_id, prompts.RULED_OUT)
        incident, ruling = await _about(session, prompt)
        candidates = await messages.said_before(session, ruling, CANDIDATES)
        writes = await _show(services, session, incident, prompt, candidates=candidates)
        await session.commit()
    await writes.send()


async def choose_idea(
    services: Services, *, channel: str, prompt_ts: str, idea_id: int, by: str
) -> None:
    """Keep the earlier idea the marked message rules out (the question's message is
    ``prompt_ts``, its button named the idea's message)."""
    async with session_scope(services.engine) as session:
        prompt = await prompts.prompt_shown(session, channel, prompt_ts)
        if prompt is None or prompt.kind != prompts.RULED_OUT:
            raise PromptGone()
        incident, ruling = await _about(session, prompt)
        idea = await session.get(ChannelMessage, idea_id)
        if idea is None or idea.channel != ruling.channel or idea.occurred_at > ruling.occurred_at:
            raise PromptGone()
        now = services.clock()
        prompts.answer(session, prompt, prompts.RULES_OUT, by=by, at=now, idea_ts=idea.ts)
        writes = await _show(
            services,
            session,
            incident,
            prompt,
            answer=prompts.RULES_OUT,
            by=by,
            idea=idea,
            ruling=ruling,
            idea_words=truncate(SlackText(idea.text), QUOTED_CHARS),
        )
        await session.commit()
    await writes.send()


async def rule_out_on_page(
    services: Services,
    *,
    channel_id: str,
    idea_ts: str,
    by: str,
    ruling_id: int | None,
    words: SlackText | None,
    when: datetime | None,
) -> None:
    """Keep what ruled out the idea of ``idea_ts`` (a message marked :x:), said on the
    draft's page: the message ``ruling_id`` (one of those said after it) and/or ``words``
    at ``when`` (read as the incident's by the page: ``read_incident_time``). Said in the
    channel, and the idea's question in Slack, if it was asked, shows the answer."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        idea = await messages.find_message(session, channel_id, idea_ts)
        if idea is None or idea.deleted_at is not None:
            raise PathEndRefused(field="ruling", problem="gone")
        ruling = None
        if ruling_id is not None:
            offered = await messages.said_after(session, idea, CANDIDATES)
            ruling = next((m for m in offered if m.id == ruling_id), None)
            if ruling is None:
                raise PathEndRefused(field="ruling", problem="not_offered")
        now = services.clock()
        at = when
        if at is not None and at < idea.occurred_at:
            raise PathEndRefused(field="when", problem="before_idea")
        end = prompts.PathEnd(ruling.ts if ruling else None, words, at, by, now, "page")
        prompt = await prompts.rule_out(session, incident, idea, end)
        said: dict[str, Any] = {
            "by": by,
            "idea": idea,
            "idea_words": truncate(SlackText(idea.text), QUOTED_CHARS),
            "ruling": ruling,
            "ruling_words": truncate(SlackText(ruling.text), QUOTED_CHARS) if ruling else "",
            "words": words,
            "at": at,
        }
        writes = await _show(services, session, incident, prompt, answer=prompts.ENDED, **said)
        await writes.say("messages/path_ruled_out.j2", **said)
        await session.commit()
    await writes.send()


async def skip(services: Services, *, prompt_id: int, kind: str, by: str) -> None:
    """The person chose not to answer: the question says so, and asks no more."""
    async with session_scope(services.engine) as session:
        prompt = await _prompt(session, prompt_id, kind)
        incident, _ = await _about(session, prompt)
        prompts.answer(session, prompt, prompts.SKIPPED, by=by, at=services.clock())
        writes = await _show(services, session, incident, prompt, answer=prompts.SKIPPED, by=by)
        await session.commit()
    await writes.send()


async def impact_ended(
    services: Services, *, prompt_id: int, by: str, when: str | None = None
) -> None:
    """It worked: impact ended now, or at ``when`` (as a person types a time, in the
    incident's zone). Refused, with why, like ``/incident time ended``."""
    async with session_scope(services.engine) as session:
        prompt = await _prompt(session, prompt_id, prompts.WORKED)
        incident, _ = await _about(session, prompt)
        incident = await incidents.lock(session, incident)
        now = services.clock()
        at = now if when is None else parse_moment(when, zone=incident.timezone, now=now)
        set_milestone(session, incident, Milestone.ENDED, at, by=by, at=now)
        prompts.answer(session, prompt, prompts.IT_WORKED, by=by, at=now)
        writes = await _show(
            services, session, incident, prompt, answer=prompts.IT_WORKED, by=by, ended_at=at
        )
        await session.commit()
    await writes.send()
    # The header's figures are measured from the milestones (bot/record/postmortem/figures.py).
    await refresh_channel_header(services, incident)


async def check_when(services: Services, *, prompt_id: int, when: str) -> datetime:
    """The time typed in the form, read in the incident's zone; MomentRefused says why not."""
    async with session_scope(services.engine) as session:
        prompt = await _prompt(session, prompt_id, prompts.WORKED)
        incident, _ = await _about(session, prompt)
    return parse_moment(when, zone=incident.timezone, now=services.clock())


def worked_form(
    services: Services, *, prompt_id: int, zone: str, response_url: str
) -> dict[str, Any]:
    """The form "It ended at another time" opens."""
    metadata = json.dumps({"prompt": prompt_id, "response_url": response_url})
    return dict(
        services.renderer.render_json(
            "views/prompt_worked.json.j2", private_metadata=metadata, zone=zone
        )
    )


async def zone_of(services: Services, prompt_id: int) -> str:
    """The incident's zone, which a time typed for the question is read in."""
    async with session_scope(services.engine) as session:
        prompt = await _prompt(session, prompt_id, prompts.WORKED)
        incident, _ = await _about(session, prompt)
    return incident.timezone


async def _about(session: AsyncSession, prompt: DraftPrompt) -> tuple[Incident, ChannelMessage]:
    """The incident and the marked message a question is about."""
    incident = await session.get(Incident, prompt.incident_id)
    message = await messages.find_message(session, prompt.channel, prompt.ts)
    if incident is None or message is None:
        raise PromptGone()
    return incident, message
