"""The buttons of the questions asked for the draft in a marked message's thread
(bot/flows/postmortem/prompts.py): applied in their channel's line like every press that acts on
an incident, but for "It ended at another time", which opens its form at once (Slack's
trigger_id lasts 3 s), and that form's submission.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.errors import BotError
from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.basics.slack_ids import WorkedPrompt, input_state
from bot.flows.in_order import Applier
from bot.flows.postmortem import prompts as draft_prompts
from bot.flows.replies import open_form, run_and_reply, run_in_line
from bot.services import Services
from commands.buttons import press_kept, pressed


async def apply_rules_out_press(services: Services, payload: dict[str, Any]) -> None:
    """ "It rules out an earlier idea": offer the earlier messages."""
    press = press_kept(payload)
    work = draft_prompts.offer_ideas(services, prompt_id=press.value_id)
    await run_in_line(services, press.response_url, _quiet(work))


async def apply_idea_press(services: Services, payload: dict[str, Any]) -> None:
    """One of the earlier messages: the idea the marked message rules out."""
    press = press_kept(payload)
    work = draft_prompts.choose_idea(
        services,
        channel=press.channel_id,
        prompt_ts=press.message_ts,
        idea_id=press.value_id,
        by=press.user_id,
    )
    await run_in_line(services, press.response_url, _quiet(work))


def skip_applier(kind: str) -> Applier:
    """ "Skip" on the question of ``kind``: it says so, and asks no more."""

    async def apply_skip(services: Services, payload: dict[str, Any]) -> None:
        press = press_kept(payload)
        work = draft_prompts.skip(services, prompt_id=press.value_id, kind=kind, by=press.user_id)
        await run_in_line(services, press.response_url, _quiet(work))

    return apply_skip


async def apply_worked_now(services: Services, payload: dict[str, Any]) -> None:
    """ "Yes, it ended now": impact ended at the press."""
    press = press_kept(payload)
    work = draft_prompts.impact_ended(services, prompt_id=press.value_id, by=press.user_id)
    await run_in_line(services, press.response_url, _quiet(work))


async def _quiet(work: Any) -> None:
    """The question's own message shows the answer: nothing more is said privately."""
    await work


async def handle_worked_at_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """ "It ended at another time": open the form with one input, at once."""
    await ack()
    services: Services = context["services"]
    press = pressed(body)
    if press is None:
        return
    trigger_id = str(body.get("trigger_id") or "")

    async def open_it() -> None:
        zone = await draft_prompts.zone_of(services, press.value_id)
        view = draft_prompts.worked_form(
            services, prompt_id=press.value_id, zone=zone, response_url=press.response_url
        )
        await open_form(services, trigger_id, view)

    await run_and_reply(services, press.response_url, _quiet(open_it()))


async def handle_worked_at_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """The time the impact ended, as typed: refused in the form if it cannot be read."""
    services: Services = context["services"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    prompt_id = parse_bounded_int(str(metadata.get("prompt") or ""), 1, DATABASE_ID_MAX)
    values = (view.get("state") or {}).get("values") or {}
    when = str(input_state(values, WorkedPrompt.WHEN).get("value") or "").strip()
    if prompt_id is None:
        await ack()
        return
    try:
        await draft_prompts.check_when(services, prompt_id=prompt_id, when=when)
    except BotError as error:
        said = services.renderer.render(error.template, **error.context)
        await ack(response_action="errors", errors={WorkedPrompt.WHEN.value: said[:150]})
        return
    await ack()
    by = str((body.get("user") or {}).get("id") or "")
    work = draft_prompts.impact_ended(services, prompt_id=prompt_id, by=by, when=when)
    services.background.spawn(
        run_and_reply(services, str(metadata.get("response_url") or ""), _quiet(work)),
        name="impact ended, from the question's form",
    )
