"""What a button press (Slack's ``block_actions``) says, read once for every button of ours: the
value (a database id), who pressed it, and where; the line a press that acts on the
channel's incident waits in, after what was typed or pressed there before it
(bot/flows/in_order.py); and the one listener of a request's answer buttons (a cover
request's Accept and Reject, a swap's Accept and Decline). Buttons that open a form ("Edit
fields") do not wait: Slack's trigger_id lasts 3 s."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.flows.in_order import ARRIVED_KEY, CONTEXT_KEY, CommandLine, Replayed
from bot.flows.replies import run_and_reply, run_in_line
from bot.services import Services


@dataclass(frozen=True)
class Press:
    """A press of one of our buttons, whose value is the id of what it acts on."""

    action_id: str
    value_id: int
    user_id: str
    channel_id: str
    message_ts: str
    response_url: str
    # What the button names when its value is not a bare id (a follow-up's ref, "Merge"),
    # and whether it was pressed on the person's App Home (no message, no response_url).
    ref: str = ""
    on_home: bool = False


def pressed(body: dict[str, Any]) -> Press | None:
    """The press in a ``block_actions`` body; None when it lacks what every press has (a
    value that is an id, a person, a channel)."""
    action = (body.get("actions") or [{}])[0]
    value_id = parse_bounded_int(str(action.get("value") or ""), 1, DATABASE_ID_MAX)
    container = body.get("container") or {}
    channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    if value_id is None or not channel_id or not user_id:
        return None
    return Press(
        action_id=str(action.get("action_id") or ""),
        value_id=value_id,
        user_id=user_id,
        channel_id=channel_id,
        message_ts=str(container.get("message_ts") or ""),
        response_url=str(body.get("response_url") or ""),
    )


async def press_in_line(context: Any, press: Press, body: dict[str, Any]) -> None:
    """Keep the press in its channel's line, to be applied by the applier of its action id:
    once (claimed by the ``trigger_id`` of its ``body``: the same press sent again, a replay,
    is not kept, and Slack, already answered, hears nothing more)."""
    line: CommandLine = context[CONTEXT_KEY]
    arrived, trigger_id = context.get(ARRIVED_KEY), str(body.get("trigger_id") or "")
    with contextlib.suppress(Replayed):  # said in the log by the line
        await line.receive(press.channel_id, press.action_id, asdict(press), arrived, trigger_id)


async def handle_press_in_line(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
    """The listener of a button applied in its channel's line (Acknowledge, File as issue):
    answer Slack, keep the press; its action id's applier applies it in turn."""
    await ack()
    press = pressed(body)
    if press is None:
        return
    await press_in_line(context, press, body)


def press_kept(payload: dict[str, Any]) -> Press:
    """The press a kept payload (``press_in_line``) holds."""
    return Press(**payload)


class AnswerFlow(Protocol):
    """A flow that takes a person's answer to a request (its id) asked in a message."""

    def __call__(
        self,
        services: Services,
        request_id: int,
        /,
        *,
        by: str,
        accept: bool,
        channel: str,
        message_ts: str,
    ) -> Awaitable[None]: ...


Listener = Callable[[AsyncAck, dict[str, Any], Any], Awaitable[None]]


def answer_buttons(answer: AnswerFlow, accept_id: str, what: str) -> Listener:
    """The listener of a request's two answer buttons: the press of ``accept_id`` accepts, the
    other declines; ``answer`` takes it after the ack, and the presser is told privately only
    when it cannot be taken (a second press: it was answered). ``what`` names the work."""

    async def take(services: Services, press: Press) -> None:
        await answer(
            services,
            press.value_id,
            by=press.user_id,
            accept=press.action_id == accept_id,
            channel=press.channel_id,
            message_ts=press.message_ts,
        )

    async def handle(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
        await answer_press(ack, body, context, take, name=f"answer {what}")

    return handle


async def apply_kept_press(
    services: Services,
    payload: dict[str, Any],
    work: Callable[[Press], Awaitable[str | None]],
) -> None:
    """Apply a press kept in its channel's line, in its turn: ``work`` of the press, what it
    says (or the clear error it raised) told to whoever pressed."""
    press = press_kept(payload)
    await run_in_line(services, press.response_url, work(press))


# A form to open for a press, with its trigger_id; its private reply (None: none).
Opener = Callable[[Services, Press, str], Awaitable[str | None]]


async def open_from_press(
    ack: AsyncAck, body: dict[str, Any], context: Any, opener: Opener
) -> None:
    """The listener of a button that opens a form: answer Slack, then open it at once, while
    the press's trigger_id is good (3 s), outside any channel's line."""
    await ack()
    services: Services = context["services"]
    press = pressed(body)
    if press is None:
        return
    trigger_id = str(body.get("trigger_id") or "")
    await run_and_reply(services, press.response_url, opener(services, press, trigger_id))


# The work a press outside a channel's line asks for, and its private reply (None: none).
Answer = Callable[[Services, Press], Awaitable[str | None]]


async def answer_press(
    ack: AsyncAck, body: dict[str, Any], context: Any, answer: Answer, *, name: str
) -> None:
    """The listener of a button pressed outside any incident channel's line (a DM's Accept,
    Reject, Mark done...): answer Slack, then ``answer`` the press in the background, its
    reply sent to the person privately. A press without its message is left alone."""
    await ack()
    services: Services = context["services"]
    press = pressed(body)
    if press is None or not press.message_ts:
        return
    services.background.spawn(
        run_and_reply(services, press.response_url, answer(services, press)), name=name
    )
