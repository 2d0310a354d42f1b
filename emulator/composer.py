"""What Slack makes of what a person types: the text an app receives, encoded as Slack sends it.

Tests and the demo type text the way a person does (``Payments & checkout, see
https://status.example.com (ask @bob)``); this is where the emulator turns it into what Slack
delivers, so the bot meets Slack's encoding and not the test's:

- ``& < >`` become ``&amp; &lt; &gt;``, and people, channels, user groups, broadcasts and
  links become constructs between ``<`` and ``>`` ("Formatting text for app surfaces",
  sections "Escaping text" and "Advanced formatting",
  https://api.slack.com/reference/surfaces/formatting#escaping,
  https://api.slack.com/reference/surfaces/formatting#advanced);
- message events carry that text always, with the same words as ``rich_text`` blocks
  (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block/): mentions of people
  as ``<@U…>``;
- slash commands carry it only when the command's "Escape channels, users, and links sent
  to your app" setting (the manifest's ``should_escape``) is on, mentions of people then with
  their name (``<@U…|bob>``); with it off, the text arrives as typed
  (https://api.slack.com/interactivity/slash-commands, "Escaping" and the payload's ``text``);
- a modal's ``plain_text_input`` value is what the person typed, never encoded
  (https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element/).

A ``@name`` that names nobody, or a ``#name`` that names no channel, stays text, as in the
Slack client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from emulator.models import Channel, User

_ENCODE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# A URL the client links: http(s) up to whitespace, without the punctuation that ends a
# sentence after it; a `|` ends it too (inside a link it separates the address from a label).
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>|]+[^\s<>|.,;:!?)\]'\"])"
    r"|(?<![\w@])@(?P<at>[A-Za-z0-9][\w.\-]*[\w])"
    r"|(?<![\w#&])#(?P<channel>[a-z0-9][a-z0-9_\-]*)"
)
BROADCASTS = ("here", "channel", "everyone")


@dataclass(frozen=True)
class Workspace:
    """Who and what a person's ``@name`` and ``#name`` can name."""

    users: Iterable[User]
    usergroups: Iterable[dict[str, Any]]
    channels: Iterable[Channel]

    def user(self, name: str) -> User | None:
        lowered = name.lower()
        return next(
            (u for u in self.users if lowered in (u.name.lower(), u.real_name.lower())), None
        )

    def usergroup(self, handle: str) -> dict[str, Any] | None:
        return next((g for g in self.usergroups if g.get("handle") == handle), None)

    def channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)


@dataclass(frozen=True)
class Composed:
    """A typed message as Slack delivers it: its ``text`` and its ``rich_text`` block."""

    text: str
    blocks: list[dict[str, Any]]


def compose(typed: str, workspace: Workspace, *, labelled_users: bool = False) -> Composed:
    """``typed`` as a message event (``labelled_users``: as an escaped slash command)."""
    text: list[str] = []
    elements: list[dict[str, Any]] = []
    last = 0
    for match in _TOKEN.finditer(typed):
        construct = _construct(match, workspace, labelled_users=labelled_users)
        if construct is None:
            continue
        _literal(typed[last : match.start()], text, elements)
        text.append(construct[0])
        elements.append(construct[1])
        last = match.end()
    _literal(typed[last:], text, elements)
    block = {
        "type": "rich_text",
        "block_id": "typed",
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }
    return Composed("".join(text), [block])


def _literal(piece: str, text: list[str], elements: list[dict[str, Any]]) -> None:
    if piece:
        text.append(piece.translate(_ENCODE))
        elements.append({"type": "text", "text": piece})


_Construct = tuple[str, dict[str, Any]]


def _construct(
    match: re.Match[str], workspace: Workspace, *, labelled_users: bool
) -> _Construct | None:
    if url := match.group("url"):
        return f"<{url.translate(_ENCODE)}>", {"type": "link", "url": url}
    if name := match.group("at"):
        return _at(name, workspace, labelled_users=labelled_users)
    channel = workspace.channel(match.group("channel"))
    if channel is None:
        return None
    return f"<#{channel.id}|{channel.name}>", {"type": "channel", "channel_id": channel.id}


def _at(name: str, workspace: Workspace, *, labelled_users: bool) -> _Construct | None:
    if name in BROADCASTS:
        return f"<!{name}>", {"type": "broadcast", "range": name}
    if user := workspace.user(name):
        label = f"|{user.name}" if labelled_users else ""
        return f"<@{user.id}{label}>", {"type": "user", "user_id": user.id}
    if group := workspace.usergroup(name):
        construct = f"<!subteam^{group['id']}|@{group['handle']}>"
        return construct, {"type": "usergroup", "usergroup_id": group["id"]}
    return None


_CONSTRUCT = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHARS = {"amp": "&", "lt": "<", "gt": ">"}


def displayed(text: str, workspace: Workspace) -> str:
    """What the Slack client shows of a message's text: entities decoded, people, channels and
    groups by name, links by their label or address, broadcasts as ``@here``, dates by their
    fallback ("Formatting text for app surfaces", https://api.slack.com/reference/surfaces/formatting)."""
    users = {user.id: user.real_name for user in workspace.users}
    channels = {channel.id: channel.name for channel in workspace.channels}
    groups: dict[str, str] = {
        group["id"]: group.get("handle", "") for group in workspace.usergroups
    }

    def construct(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + users.get(target[1:], label or target[1:])
        if target.startswith("#"):
            return "#" + channels.get(target[1:], label or target[1:])
        if target.startswith("!subteam^"):
            return "@" + groups.get(target.removeprefix("!subteam^"), label.lstrip("@"))
        if target.startswith("!date^"):
            return label
        if target.startswith("!"):
            return "@" + target[1:]
        return label or target

    shown = _CONSTRUCT.sub(construct, text)
    return _ENTITY.sub(lambda m: _ENTITY_CHARS[m.group(1)], shown)
