"""The interactivity side of the Slack emulator: what Slack sends the app when a person
presses a button, picks in a menu (a select or an overflow menu), submits or closes a form or
runs a message shortcut, on a message, a modal or their App Home
(https://docs.slack.dev/reference/interaction-payloads), each signed as Slack signs it.
``SlackEmulator`` (``emulator.client``) is built on it.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from emulator.api_misc import VIEW_EXTRAS, build_view, public_view
from emulator.app_home import AppHomeEmulator
from emulator.blockkit import view_problems
from emulator.models import BotResponse, Channel, Message, User
from emulator.transport import Outbound

FORM = "application/x-www-form-urlencoded"
VERIFICATION_TOKEN = "emulator-verification-token"  # deprecated field Slack still sends


class InteractionsEmulator(AppHomeEmulator):
    """People's interactions with the app's messages, modals and Home tab, sent to the app."""

    # -- lookups used by the client side ---------------------------------------------------
    def _channel(self, ref: str) -> Channel:
        channel = self.resolve_channel(ref)
        if channel is None:
            raise LookupError(f"unknown channel {ref!r}; create_channel() it first")
        return channel

    def _user(self, user_id: str) -> User:
        if user_id not in self.users:
            raise LookupError(f"unknown user {user_id!r}; add_user() it first")
        return self.users[user_id]

    def _user_obj(self, user_id: str) -> dict[str, Any]:
        user = self._user(user_id)
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    # -- interactivity ---------------------------------------------------------------------
    async def send_interaction(self, payload: dict[str, Any]) -> BotResponse:
        """POST an interactivity payload: one form field `payload` holding JSON, signed."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.send_to_bot(Outbound("interactive", body, FORM, payload))

    async def submit_view(
        self, view_id: str, values: dict[str, dict[str, dict[str, Any]]], *, user: str
    ) -> BotResponse:
        """Submit an opened modal with Slack's state.values shape {block: {action: {...}}}."""
        stored = self.views.get(view_id)
        if stored is None:
            raise LookupError(f"no opened view {view_id!r}; known: {list(self.views)}")
        stored["state"] = {"values": values}
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user_obj(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.issue_trigger_id(user, stored.get("channel")),
            "view": public_view(stored),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = await self.send_interaction(payload)
        self._apply_view_ack(stored, response)
        return response

    def close_view(self, view_id: str) -> None:
        """The person closes a modal (its close button or the X): the view is gone, so
        views.update on it answers `not_found`. Slack tells the app only if the view asked
        (`notify_on_close`: "Indicates whether Slack will send your request URL a
        view_closed event when a user clicks the close button",
        https://docs.slack.dev/reference/views/modal-views); the emulator does not send that
        event yet, so it refuses to close such a view rather than close it silently."""
        stored = self.views.get(view_id)
        if stored is None:
            raise LookupError(f"no opened view {view_id!r}; known: {list(self.views)}")
        if stored.get("notify_on_close"):
            raise NotImplementedError("view_closed is not emulated; this view asks for it")
        del self.views[view_id]

    async def choose_in_view(
        self,
        view_id: str,
        block_id: str,
        selected: dict[str, Any],
        *,
        user: str,
        values: dict[str, dict[str, dict[str, Any]]] | None = None,
    ) -> BotResponse:
        """A person picks an option in an open modal's input block with ``dispatch_action``:
        Slack sends ``block_actions`` with a ``view`` container and the view as it stands,
        its ``state.values`` holding what the form has so far
        (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload: "To send
        this block_actions payload for interactive components used within input blocks, you
        can set dispatch_action to true in those input blocks"). ``selected``: the element's
        state, e.g. ``{"type": "static_select", "selected_option": {...}}``; the input block
        must exist and dispatch actions, or this refuses as Slack would send nothing."""
        stored = self.views.get(view_id)
        if stored is None:
            raise LookupError(f"no opened view {view_id!r}; known: {list(self.views)}")
        block = next((b for b in stored.get("blocks", []) if b.get("block_id") == block_id), None)
        if block is None or block.get("type") != "input" or not block.get("dispatch_action"):
            raise LookupError(f"block {block_id!r} of view {view_id} dispatches no actions")
        element = block["element"]
        action_id = element.get("action_id", "")
        state = {**(values or {}), block_id: {action_id: selected}}
        stored["state"] = {"values": state}
        action = {
            "type": element.get("type"),
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
            **{k: v for k, v in selected.items() if k != "type"},
        }
        payload = {
            "type": "block_actions",
            "user": self._user_obj(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self.issue_trigger_id(user, stored.get("channel")),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": public_view(stored),
            "actions": [action],
        }
        return await self.send_interaction(payload)

    def _apply_view_ack(self, stored: dict[str, Any], response: BotResponse) -> None:
        """Follow response_action "update"/"push" so tests see the modal the user now sees."""
        if response.status != 200 or not response.text.strip():
            return
        try:
            data = response.json()
        except json.JSONDecodeError:
            return
        action = data.get("response_action") if isinstance(data, dict) else None
        if action not in ("update", "push") or "view" not in data:
            return
        # The view is held to the rules views.update / views.push apply; one Slack would
        # refuse is not shown (the modal stays as it was) and is recorded in `refusals`.
        if problems := view_problems(data["view"]):
            self.refuse(f"view_ack:{action}", "invalid_arguments", problems)
            return
        view_id = stored["id"] if action == "update" else self.new_id("V")
        view = build_view(self, data["view"], view_id)
        if action == "push":
            view["previous_view_id"] = stored["id"]
        self.views[view_id] = {**view, **{k: stored.get(k) for k in VIEW_EXTRAS}}

    async def click_button(
        self,
        channel: str,
        message_ts: str,
        action_id: str,
        *,
        user: str,
        value: str | None = None,
        block_id: str | None = None,
    ) -> BotResponse:
        """block_actions for a button in a stored message, as Slack sends it."""
        chan = self._channel(channel)
        message = self.find_message(chan, message_ts)
        found_block, button = _find_element(message.blocks, action_id)
        if button is None and block_id is None:
            raise LookupError(f"no element {action_id!r} in message {message_ts}")
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or found_block,
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if button and button.get("text"):
            action["text"] = button["text"]
        if (value := value if value is not None else (button or {}).get("value")) is not None:
            action["value"] = value
        return await self._message_action(chan, message, user, action)

    async def choose_in_message(
        self, channel: str, message_ts: str, action_id: str, *, user: str, option_text: str
    ) -> BotResponse:
        """``user`` picks the option shown as ``option_text`` in a stored message's
        ``static_select`` (or ``overflow``): block_actions whose action carries the
        ``selected_option`` as the element listed it
        (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload, the
        "actions" property: "selected_option" for select menus and overflow menus)."""
        chan = self._channel(channel)
        message = self.find_message(chan, message_ts)
        action = _menu_choice(message.blocks, action_id, option_text, f"message {message_ts}")
        return await self._message_action(chan, message, user, action)

    async def _message_action(
        self, chan: Channel, message: Message, user: str, action: dict[str, Any]
    ) -> BotResponse:
        """block_actions from an element of a stored message, as Slack sends it."""
        message_ts = message.ts
        url_id = self.new_response_url_id(chan.id, user, message_ts)
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": chan.id,
            "is_ephemeral": False,
        }
        if message.is_reply:
            container["thread_ts"] = message.thread_ts
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_obj(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "container": container,
            "trigger_id": self.issue_trigger_id(user, chan.id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": chan.id, "name": chan.name},
            "message": message.to_api(),
            "state": {"values": {}},
            "response_url": f"{self.root_url}/response/{url_id}",
            "actions": [action],
        }
        return await self.send_interaction(payload)

    async def click_home_button(self, user: str, action_id: str) -> BotResponse:
        """``user`` presses a button of their Home tab (the view the app published for them
        with views.publish): ``block_actions`` from a view, as Slack sends it
        (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload, whose
        "Properties" table marks what differs by source): a ``view`` container with the
        view's id and the ``view`` itself, no ``channel``, no ``message`` and no
        ``response_url`` (a message's alone). The first button with ``action_id``, in a
        block's ``elements`` or its ``accessory``."""
        view = self.home_views.get(user)
        if view is None:
            raise LookupError(f"no Home tab published for {user!r}")
        block_id, button = _find_element(view.get("blocks"), action_id)
        if button is None:
            raise LookupError(f"no element {action_id!r} on the Home tab of {user!r}")
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "text": button.get("text"),
            "action_ts": f"{time.time():.6f}",
        }
        if "value" in button:
            action["value"] = button["value"]
        return await self._home_action(user, view, action)

    async def choose_on_home(self, user: str, action_id: str, *, option_text: str) -> BotResponse:
        """``user`` picks the option shown as ``option_text`` in a ``static_select`` of their
        Home tab: block_actions from a view (as ``click_home_button``) whose action carries
        the ``selected_option`` as the element listed it (as ``choose_in_message``)."""
        view = self.home_views.get(user)
        if view is None:
            raise LookupError(f"no Home tab published for {user!r}")
        where = f"the Home tab of {user!r}"
        action = _menu_choice(view.get("blocks"), action_id, option_text, where)
        return await self._home_action(user, view, action)

    async def _home_action(
        self, user: str, view: dict[str, Any], action: dict[str, Any]
    ) -> BotResponse:
        """block_actions from an element of ``user``'s Home tab, as Slack sends it."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_obj(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": self.issue_trigger_id(user),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": public_view(view),
            "actions": [action],
        }
        return await self.send_interaction(payload)

    async def message_shortcut(
        self, channel: str, message_ts: str, callback_id: str, *, user: str
    ) -> BotResponse:
        """A person runs a message shortcut (the "..." menu of a message): `message_action`."""
        chan = self._channel(channel)
        message = chan.find(message_ts)
        if message is None:
            raise LookupError(f"no message {message_ts} in {chan.id}")
        url_id = self.new_response_url_id(chan.id, user)
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "token": VERIFICATION_TOKEN,
            "action_ts": f"{time.time():.6f}",
            "team": self._team(),
            "user": self._user_obj(user),
            "channel": {"id": chan.id, "name": chan.name},
            "is_enterprise_install": False,
            "enterprise": None,
            "message_ts": message_ts,
            "message": message.to_api(),
            "response_url": f"{self.root_url}/response/{url_id}",
            "trigger_id": self.issue_trigger_id(user, chan.id),
        }
        return await self.send_interaction(payload)


def _menu_choice(blocks: Any, action_id: str, option_text: str, where: str) -> dict[str, Any]:
    """The block_actions action of picking ``option_text`` in the menu ``action_id`` of
    ``blocks`` (a ``static_select`` or ``overflow``): its ``selected_option`` as the element
    listed it, and its placeholder."""
    block_id, element = _find_element(blocks, action_id)
    if element is None or element.get("type") not in ("static_select", "overflow"):
        raise LookupError(f"no menu {action_id!r} in {where}")
    option = next(
        (o for o in element.get("options") or [] if o["text"]["text"] == option_text), None
    )
    if option is None:
        raise LookupError(f"menu {action_id!r} offers no {option_text!r}")
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element["type"],
        "selected_option": option,
        "action_ts": f"{time.time():.6f}",
    }
    if element.get("placeholder"):
        action["placeholder"] = element["placeholder"]
    return action


def _find_element(blocks: list[Any] | None, action_id: str) -> tuple[str, dict[str, Any] | None]:
    """(block_id, element) of the interactive element with `action_id` in message blocks."""
    for index, block in enumerate(blocks or []):
        if not isinstance(block, dict):
            continue
        candidates = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                # Slack gives every block an id; fall back to a stable one when the bot set none.
                return block.get("block_id") or f"emulator-block-{index}", element
    return "", None
