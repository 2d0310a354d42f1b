"""The day-after lessons DM (bot/flows/postmortem/lessons.py): its *Answer* button, which opens the
form at once (Slack's trigger_id lasts 3 s), its *Skip* button, and the form's submission. In the
person's DM, not an incident channel's line: nothing of an incident's order to keep."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.slack_ids import LessonsModal, input_state
from bot.basics.slack_text import SlackText
from bot.flows.channel import direct_message
from bot.flows.postmortem.lessons import answer_lessons, open_lessons_form, skip_lessons
from bot.flows.replies import outcome
from bot.services import Services
from commands.buttons import Press, answer_press, open_from_press


async def handle_answer_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """*Answer*: the form, opened at once."""

    async def opener(services: Services, press: Press, trigger_id: str) -> str | None:
        return await open_lessons_form(
            services,
            trigger_id=trigger_id,
            prompt_id=press.value_id,
            by=press.user_id,
            channel=press.channel_id,
            message_ts=press.message_ts,
        )

    await open_from_press(ack, body, context, opener)


async def handle_skip_button(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """*Skip*: keep that they skipped; the DM says so."""

    async def skip(services: Services, press: Press) -> str | None:
        return await skip_lessons(
            services,
            prompt_id=press.value_id,
            by=press.user_id,
            channel=press.channel_id,
            message_ts=press.message_ts,
        )

    await answer_press(ack, body, context, skip, name="skip the lessons")


def _answer(values: dict[str, Any], input_id: str) -> SlackText | None:
    """A line of the form, encoded for the record (a modal's input arrives plain)."""
    typed = str(input_state(values, input_id).get("value") or "").strip()
    return SlackText.from_plain(typed) if typed else None


async def handle_lessons_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: Any
) -> None:
    """Keep the answers (one of the two at least), then thank them in the DM."""
    services: Services = context["services"]
    values = (view.get("state") or {}).get("values") or {}
    went_well = _answer(values, LessonsModal.WENT_WELL)
    went_wrong = _answer(values, LessonsModal.WENT_WRONG)
    if went_well is None and went_wrong is None:
        said = services.renderer.render("messages/form_error.j2", problem="one_lesson")
        await ack(response_action="errors", errors={LessonsModal.WENT_WELL: said})
        return
    await ack()
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        metadata = {}
    by = str((body.get("user") or {}).get("id") or "")
    work = answer_lessons(
        services,
        by=by,
        metadata=metadata if isinstance(metadata, dict) else {},
        went_well=went_well,
        went_wrong=went_wrong,
    )

    async def keep() -> None:
        # A form has no response_url: what it has to say goes by DM, where the question was.
        if reply := await outcome(services, work):
            await direct_message(services, by, reply)

    services.background.spawn(keep(), name="keep the lessons")
