"""What a person does on a preview that acts (``POST /preview/<channel>``, ``warroom dev``):
type a message, a slash command or ``+:emoji:``, or press a button of a message, as the
chosen person of the workspace. Each is sent to the app exactly as the emulator's client
sends it (emulator.client: ``post_message``, ``send_command``, ``add_reaction``,
``click_button``), so the app sees what Slack would send it:

- a slash command as Slack's form POST, its text escaped as the manifest says
  (https://docs.slack.dev/interactivity/implementing-slash-commands);
- a message as a ``message`` event (https://docs.slack.dev/reference/events/message);
- ``+:emoji:`` alone in the composer reacts to the channel's last message, as in the Slack
  client (https://slack.com/help/articles/202931348-Use-emoji-and-reactions, "Add a reaction
  from the message field"): a ``reaction_added`` event;
- a button, or an overflow menu's option, as a ``block_actions`` payload
  (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload: an overflow's
  action carries its ``selected_option``).

Then the page is shown again (303, Post/Redirect/Get) as the same person, with a word on what
was done. A press that names no button of a stored message is refused (400); what Slack
itself would refuse (a command the app does not declare, a private channel one is not in) is
said on the page.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from aiohttp import web

from emulator.client import SlackEmulator, UndeclaredCommand
from emulator.models import Channel
from emulator.preview import pressed

_REACTION = re.compile(r"\+:([a-z0-9_+\-]+):")


class ActingEmulator(SlackEmulator):
    """The Slack emulator whose previews are places to act (``warroom dev``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.previews_act = True

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/preview/{channel}", self._handle_act)

    async def _handle_act(self, request: web.Request) -> web.Response:
        return await act(self, request)


async def act(slack: SlackEmulator, request: web.Request) -> web.Response:
    """``POST /preview/<channel>``: the form's ``user`` does what it says, then the page."""
    ref = request.match_info["channel"].lstrip("#")
    channel = slack.resolve_channel(ref)
    if channel is None:
        raise web.HTTPNotFound(text=f"no channel {ref}")
    form = await request.post()
    user = str(form.get("user", ""))
    if user not in slack.users or slack.users[user].is_bot:
        raise web.HTTPBadRequest(text=f"no person {user!r} in this workspace")
    if "press" in form:
        note = await _press(slack, channel, user, str(form["press"]))
    else:
        note = await _type(slack, channel, user, str(form.get("text", "")).strip())
    query = urllib.parse.urlencode({"as": user, "note": note})
    raise web.HTTPSeeOther(f"/preview/{channel.id}?{query}")


async def _type(slack: SlackEmulator, channel: Channel, user: str, text: str) -> str:
    """A message, a slash command or a reaction typed in the composer; what was done."""
    if not text:
        return "Nothing to send: type a message, a /command or +:emoji:."
    if text.startswith("/"):
        command, _, rest = text.partition(" ")
        try:
            answer = await slack.send_command(
                rest.strip(), user=user, channel=channel.id, command=command
            )
        except UndeclaredCommand as error:
            return str(error)
        if answer.status != 200:
            return f"{command} sent; the app answered HTTP {answer.status}"
        return f"{command} sent"
    if reaction := _REACTION.fullmatch(text):
        last = next(
            (m for m in reversed(channel.messages) if not m.hidden and not m.is_reply), None
        )
        if last is None:
            return "No message to react to yet."
        await slack.add_reaction(channel.id, last.ts, reaction[1], user=user)
        return f"Reacted :{reaction[1]}: to the last message"
    try:
        await slack.post_message(channel.id, text, user=user)
    except (PermissionError, ValueError) as error:
        return str(error)
    return "Message sent"


async def _press(slack: SlackEmulator, channel: Channel, user: str, value: str) -> str:
    """A button, or an overflow menu's option, of a stored message pressed: its block_actions
    sent; what was done."""
    where = pressed(value)
    message = channel.find(where[0]) if where else None
    if where is None or message is None:
        raise web.HTTPBadRequest(text="press: no such message in this channel")
    _ts, block_index, element_index, option_index = where
    blocks: list[Any] = message.blocks or []
    block = blocks[block_index] if block_index < len(blocks) else {}
    if block.get("type") == "section":
        elements = [block["accessory"]] if isinstance(block.get("accessory"), dict) else []
    else:
        elements = list(block.get("elements") or [])
    element = elements[element_index] if element_index < len(elements) else {}
    if option_index is not None:
        return await _choose(slack, channel, message.ts, user, element, option_index)
    if element.get("type") != "button" or not element.get("action_id"):
        raise web.HTTPBadRequest(text="press: no button there in this message")
    label = str(element.get("text", {}).get("text", element["action_id"]))
    answer = await slack.click_button(
        channel.id,
        message.ts,
        str(element["action_id"]),
        user=user,
        value=element.get("value"),
        # Slack gives every block an id; the client's fallback when the app set none.
        block_id=block.get("block_id") or f"emulator-block-{block_index}",
    )
    return _pressed_note(label, answer.status)


async def _choose(
    slack: SlackEmulator,
    channel: Channel,
    message_ts: str,
    user: str,
    element: dict[str, Any],
    option_index: int,
) -> str:
    """An overflow menu's option chosen: the block_actions its choice sends (``selected_option``
    as the menu listed it); what was done."""
    options = (element.get("options") or []) if element.get("type") == "overflow" else []
    if not element.get("action_id") or option_index >= len(options):
        raise web.HTTPBadRequest(text="press: no such menu option in this message")
    label = str(options[option_index].get("text", {}).get("text", ""))
    answer = await slack.choose_in_message(
        channel.id, message_ts, str(element["action_id"]), user=user, option_text=label
    )
    return _pressed_note(label, answer.status)


def _pressed_note(label: str, status: int) -> str:
    if status != 200:
        return f"Pressed {label}; the app answered HTTP {status}"
    return f"Pressed {label}"
