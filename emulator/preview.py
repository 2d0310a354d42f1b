"""A channel's messages laid out as the Slack client shows them (``GET /preview/<channel>``):
the emulator's preview, said so on the page, for people and for the manual's pictures; Slack
itself draws them, never this.

What it draws, each from Slack's documentation:

- blocks ``section`` (text, ``fields``, an ``accessory``), ``context``, ``actions``,
  ``header``, ``divider`` and ``image``
  (https://docs.slack.dev/reference/block-kit/blocks); a block of another type is shown as
  "not previewed", never dropped silently;
- elements ``button`` (its ``style``, primary green or danger red), ``static_select`` (its
  ``initial_option`` else its placeholder, and the menu's arrow), ``overflow`` (the three-dot
  menu; on a preview that acts, its options listed under it, each pressable) and ``image`` (https://docs.slack.dev/reference/block-kit/block-elements);
- a message without blocks by its ``text``;
- mrkdwn (https://docs.slack.dev/messaging/formatting-message-text): ``*bold*``,
  ``_italic_``, ``~strike~``, ``` `code` ```, code blocks between triple backticks, ``>``
  quotes at the start of a line, ``<url|label>`` and ``<url>`` links, ``<@U…>`` people,
  ``<#C…>`` channels, ``<!subteam^S…>`` groups, ``<!here>`` and the like, ``<!date^…|fallback>``
  by its fallback, ``&amp; &lt; &gt;`` decoded; an emoji by its ``:code:`` in a small grey
  box (Slack draws its image; the emulator has none, and a machine's fonts may lack the
  character, so the code is shown rather than a blank glyph).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.composer import Workspace
from emulator.models import Channel, Message

_CONSTRUCT = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"`([^`\n]+)`")
# Markup a word boundary opens and closes, its text neither starting nor ending with a space.
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])"), "del"),
)
_EMOJI = re.compile(r"(?<![\w:]):([a-z][a-z0-9_+\-]*):(?!\w)")
# A construct or a code span stands in the text as this mark and its number while the styles
# are applied, so nothing inside it is styled.
_HELD = "\ue000{}\ue001"
_HELD_BACK = re.compile("\ue000(\\d+)\ue001")


@dataclass(frozen=True)
class Acting:
    """What makes a preview a place to act (``warroom dev``): the workspace's people to act
    as, the one chosen, what that person saw privately in the channel (a command's answer, an
    ephemeral message), and a word on the last thing done."""

    people: Mapping[str, str]  # user id -> name, in the order offered
    user: str
    private: list[Message] = field(default_factory=list)
    note: str = ""


def page(channel: Channel, workspace: Workspace, acting: Acting | None = None) -> str:
    """The preview page of ``channel``: its top-level messages, oldest first. Their times are
    left out: a message's ``ts`` is the emulator's clock, not the bot's (a test's or the
    demo's), so a time shown beside the message's own words would contradict them.

    With ``acting``, the page is one form posted back to itself: a composer (a person of the
    workspace, a message, a slash command or ``+:emoji:``, which reacts to the last message as
    in Slack's composer) and the messages' buttons, each a submit button naming its message
    and element (``press``)."""
    names = {user.id: user.real_name or user.name for user in workspace.users}
    shown = [m for m in channel.messages if not m.hidden and not m.is_reply]
    pressable = acting is not None
    body = "\n".join(_message(m, workspace, names, pressable) for m in shown) or (
        '<p class="empty">No messages yet.</p>'
    )
    title = f"#{channel.name}"
    if acting is not None:
        body = _composer(acting) + body + _private(acting, workspace, names)
        body = f'<form method="post" action="/preview/{html.escape(channel.id)}">{body}</form>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} (Slack emulator preview)</title>
<style>{_CSS}</style></head>
<body>
<p class="banner" role="note"><strong>Preview by warroom's Slack emulator</strong>: the
messages' Block Kit laid out as the Slack client shows them. This is not Slack.</p>
<main><h1>{html.escape(title)}</h1>
{body}
</main></body></html>"""


def _composer(acting: Acting) -> str:
    """Who acts, and what they type: the form's first submit button, so Enter sends it."""
    options = "".join(
        f'<option value="{html.escape(uid)}"{" selected" if uid == acting.user else ""}>'
        f"{html.escape(name)}</option>"
        for uid, name in acting.people.items()
    )
    note = f'<p class="note" role="status">{html.escape(acting.note)}</p>' if acting.note else ""
    return f"""<div class="composer"><label>As <select name="user">{options}</select></label>
<input name="text" aria-label="Message, /command or +:emoji:" size="60"
 placeholder="A message, /incident start …, /oncall, /alerts, or +:eyes: to react">
<button type="submit" name="send" value="1" class="button primary">Send</button>
<a href="/">All channels and phones</a></div>{note}"""


def _private(acting: Acting, workspace: Workspace, names: dict[str, str]) -> str:
    """What the acting person alone saw in this channel, newest last."""
    if not acting.private:
        return ""
    shown = "\n".join(_message(m, workspace, names) for m in acting.private)
    return f'<section class="private"><h2>Only visible to you</h2>{shown}</section>'


def index(channels: Iterable[Channel], phones: Mapping[str, list[str]]) -> str:
    """The emulator's front page (``GET /``): its channels, each linked to its preview, and
    what the fake phones received (``phones``: a phone's name -> its lines, oldest first)."""
    shown = [c for c in channels if not c.is_archived]
    links = "".join(
        f'<li><a href="/preview/{html.escape(c.id)}">#{html.escape(c.name)}</a></li>'
        for c in shown
        if not c.is_im
    )
    # The app's direct messages (a page's Slack DM), each by the person's id.
    direct = "".join(
        f'<li><a href="/preview/{html.escape(c.id)}">{html.escape(c.name)}</a></li>'
        for c in shown
        if c.is_im
    )
    dms = f"<h2>The app's direct messages</h2><ul>{direct}</ul>" if direct else ""
    return _shell(
        "Slack emulator",
        f"<h1>Channels</h1><ul>{links}</ul>{dms}{_phones(phones)}",
    )


def phones_page(phones: Mapping[str, list[str]]) -> str:
    """``GET /phones``: what each fake phone received."""
    return _shell("Phones", _phones(phones))


def _phones(phones: Mapping[str, list[str]]) -> str:
    sections = "".join(
        f"<h2>{html.escape(name)}</h2><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        + "</ul>"
        for name, lines in phones.items()
    )
    return f'<section id="phones"><h1>Phones</h1>{sections or "<p>No phone yet.</p>"}</section>'


def _shell(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} (warroom's Slack emulator)</title>
<style>{_CSS}</style></head>
<body>
<p class="banner" role="note"><strong>warroom's Slack emulator</strong>: a fake Slack and fake
phones on this machine. This is not Slack.</p>
<main>{body}</main></body></html>"""


def _message(
    message: Message, workspace: Workspace, names: dict[str, str], pressable: bool = False
) -> str:
    who = message.app_name or names.get(message.user or "", message.user or "someone")
    badge = '<span class="app">APP</span>' if message.bot_id else ""
    if message.blocks:
        content = "\n".join(
            _block(block, workspace, _Press(message.ts, index) if pressable else None)
            for index, block in enumerate(message.blocks)
        )
    else:
        content = f'<div class="text">{mrkdwn(message.text, workspace)}</div>'
    edited = ' <span class="muted">(edited)</span>' if message.edited else ""
    reactions = "".join(
        f'<span class="reaction"><span class="emoji">:{html.escape(name)}:</span>'
        f" {len(users)}</span>"
        for name, users in message.reactions.items()
    )
    return f"""<article class="message" aria-label="Message from {html.escape(who)}">
<div class="avatar" aria-hidden="true">{html.escape(who[:1].upper())}</div>
<div class="body"><p class="who"><strong>{html.escape(who)}</strong> {badge}
{edited}</p>
{content}
{f'<div class="reactions">{reactions}</div>' if reactions else ""}
</div></article>"""


@dataclass(frozen=True)
class _Press:
    """Where a block sits (its message's ``ts``, its place in the blocks): a button there
    submits ``press=<ts> <block> <element>``, an overflow menu's option
    ``press=<ts> <block> <element> <option>``, read back by ``pressed``."""

    ts: str
    block: int

    def value(self, element: int) -> str:
        return f"{self.ts} {self.block} {element}"


def pressed(value: str) -> tuple[str, int, int, int | None] | None:
    """A ``press`` value as (message ts, block index, element index, option index or None);
    None if malformed."""
    parts = value.split()
    if len(parts) not in (3, 4) or not all(part.isdigit() for part in parts[1:]):
        return None
    option = int(parts[3]) if len(parts) == 4 else None
    return parts[0], int(parts[1]), int(parts[2]), option


def _block(block: dict[str, Any], workspace: Workspace, press: _Press | None = None) -> str:
    kind = block.get("type")
    if kind == "section":
        parts = []
        if text := block.get("text"):
            parts.append(f'<div class="text">{_text(text, workspace)}</div>')
        if fields := block.get("fields"):
            cells = "".join(f"<div>{_text(f, workspace)}</div>" for f in fields)
            parts.append(f'<div class="fields">{cells}</div>')
        accessory = block.get("accessory")
        at = press.value(0) if press else None  # a section has one element, its accessory
        side = f'<div class="accessory">{_element(accessory, at)}</div>' if accessory else ""
        return f'<div class="block section"><div>{"".join(parts)}</div>{side}</div>'
    if kind == "context":
        items = " ".join(_context_item(e, workspace) for e in block.get("elements", []))
        return f'<div class="block context">{items}</div>'
    if kind == "actions":
        elements = "".join(
            _element(e, press.value(i) if press else None)
            for i, e in enumerate(block.get("elements", []))
        )
        return f'<div class="block actions">{elements}</div>'
    if kind == "header":
        return f'<h2 class="block header">{_text(block.get("text", {}), workspace)}</h2>'
    if kind == "divider":
        return '<hr class="block">'
    if kind == "image":
        return f'<div class="block">{_image(block)}</div>'
    return f'<div class="block unknown">(a {html.escape(str(kind))} block, not previewed)</div>'


def _context_item(element: dict[str, Any], workspace: Workspace) -> str:
    if element.get("type") == "image":
        return _image(element)
    return f"<span>{_text(element, workspace)}</span>"


def _image(element: dict[str, Any]) -> str:
    alt = html.escape(str(element.get("alt_text", "")))
    return f'<img src="{html.escape(str(element.get("image_url", "")))}" alt="{alt}">'


def _element(element: dict[str, Any], press: str | None = None) -> str:
    kind = element.get("type")
    if kind == "button":
        style = element.get("style", "")
        label = _plain(element.get("text", {}))
        if press is not None:  # a submit button of the page's form (``Acting``)
            return (
                f'<button type="submit" name="press" value="{html.escape(press)}"'
                f' class="button {html.escape(style)}">{label}</button>'
            )
        return f'<button type="button" class="button {html.escape(style)}">{label}</button>'
    if kind == "static_select":
        chosen = element.get("initial_option") or {}
        shown = _plain(chosen.get("text") or element.get("placeholder") or {})
        arrow = '<span aria-hidden="true">▾</span>'
        return f'<button type="button" class="button select">{shown} {arrow}</button>'
    if kind == "overflow":
        return _overflow(element, press)
    if kind == "image":
        return _image(element)
    return f'<span class="unknown">(a {html.escape(str(kind))} element, not previewed)</span>'


def _overflow(element: dict[str, Any], press: str | None) -> str:
    """The three-dot menu; on a preview that acts, a disclosure of its options, each a submit
    button of the page's form (the client opens the menu on a click, then an option sends)."""
    dots = '<button type="button" class="button overflow" aria-label="More actions">⋯</button>'
    if press is None:
        return dots
    options = "".join(
        f'<button type="submit" name="press" value="{html.escape(f"{press} {index}")}"'
        f' class="button option">{_plain(option.get("text", {}))}</button>'
        for index, option in enumerate(element.get("options") or [])
    )
    return (
        '<details class="overflow"><summary class="button overflow" aria-label="More actions">'
        f'⋯</summary><div class="menu" role="menu">{options}</div></details>'
    )


def _plain(text: dict[str, Any]) -> str:
    """A plain_text object: its text as is, emoji codes shown (its ``emoji`` default)."""
    return _emoji(html.escape(str(text.get("text", ""))))


def _text(text: dict[str, Any], workspace: Workspace) -> str:
    if text.get("type") == "mrkdwn":
        return mrkdwn(str(text.get("text", "")), workspace)
    return _plain(text)


def mrkdwn(text: str, workspace: Workspace) -> str:
    """Slack-encoded mrkdwn as HTML: code blocks, then quoted lines, then each line's spans."""
    out: list[str] = []
    for number, piece in enumerate(text.split("```")):
        if number % 2:  # between triple backticks: kept as typed, no formatting
            out.append(f"<pre>{html.escape(_decoded(piece.strip(chr(10))))}</pre>")
        else:
            out.append(_lines(piece, workspace))
    return "".join(out)


def _lines(text: str, workspace: Workspace) -> str:
    """Lines, those starting with ``>`` (``&gt;`` as Slack encodes it) made one quote."""
    html_lines: list[str] = []
    quote: list[str] = []

    def end_quote() -> None:
        if quote:
            html_lines.append(f"<blockquote>{'<br>'.join(quote)}</blockquote>")
            quote.clear()

    for line in text.split("\n"):
        for mark in ("&gt;", ">"):
            if line.startswith(mark):
                quote.append(_spans(line[len(mark) :].lstrip(" "), workspace))
                break
        else:
            end_quote()
            html_lines.append(_spans(line, workspace) + "<br>")
    end_quote()
    joined = "".join(html_lines)
    return joined.removesuffix("<br>")


def _spans(line: str, workspace: Workspace) -> str:
    held: list[str] = []

    def hold(markup: str) -> str:
        held.append(markup)
        return _HELD.format(len(held) - 1)

    line = _CONSTRUCT.sub(lambda m: hold(_construct(m[1], workspace)), line)
    line = _CODE.sub(lambda m: hold(f"<code>{html.escape(_decoded(m[1]))}</code>"), line)
    shown = html.escape(_decoded(line), quote=False)
    for pattern, tag in _STYLES:
        shown = pattern.sub(rf"<{tag}>\1</{tag}>", shown)
    shown = _emoji(shown)
    for _ in range(2):  # a construct's label may hold another mark only once
        shown = _HELD_BACK.sub(lambda m: held[int(m[1])], shown)
    return shown


def _construct(inner: str, workspace: Workspace) -> str:
    """``<…>``: a person, a channel, a group, a broadcast, a date or a link."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = next((u for u in workspace.users if u.id == target[1:]), None)
        name = label or (user.real_name or user.name if user else target[1:])
        return f'<span class="mention">@{html.escape(_decoded(name))}</span>'
    if target.startswith("#"):
        channel = next((c for c in workspace.channels if c.id == target[1:]), None)
        name = label or (channel.name if channel else target[1:])
        return f'<span class="mention">#{html.escape(_decoded(name))}</span>'
    if target.startswith("!subteam^"):
        handle = _group_handle(workspace.usergroups, target.removeprefix("!subteam^"))
        return f'<span class="mention">@{html.escape(label.lstrip("@") or handle)}</span>'
    if target.startswith("!date^"):
        return html.escape(_decoded(label))
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(target[1:])}</span>'
    shown = html.escape(_decoded(label or target))
    return f'<a href="{html.escape(_decoded(target))}">{shown}</a>'


def _group_handle(groups: Iterable[dict[str, Any]], group_id: str) -> str:
    return next((str(g.get("handle", "")) for g in groups if g.get("id") == group_id), group_id)


def _decoded(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emoji(shown: str) -> str:
    return _EMOJI.sub(lambda m: f'<span class="emoji">{m[0]}</span>', shown)


_CSS = """
body { margin: 0; font: 15px/1.47 -apple-system, "Segoe UI", Lato, "Helvetica Neue", Arial,
  sans-serif; color: #1d1c1d; background: #fff; }
.banner { margin: 0; padding: 8px 20px; background: #fff4d6; border-bottom: 1px solid #e8c96a;
  font-size: 13px; }
main { max-width: 1000px; padding: 8px 20px 24px; }
h1 { font-size: 18px; margin: 8px 0 12px; }
.message { display: flex; gap: 8px; padding: 8px 0; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #4a154b;
  color: #fff; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.body { min-width: 0; flex: 1; }
.who { margin: 0; }
.app { font-size: 10px; font-weight: 700; color: #5e5d60; background: #e8e8e8; padding: 1px 3px;
  border-radius: 2px; vertical-align: 1px; }
.muted, .context { color: #595859; }
.block { margin: 4px 0; }
.section { display: flex; gap: 12px; justify-content: space-between; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 4px; }
.context { font-size: 12px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.context img { width: 16px; height: 16px; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 8px; }
.button { font: 700 13px/1 inherit; font-family: inherit; min-height: 28px; padding: 0 12px;
  border: 1px solid #bbbabb; border-radius: 4px; background: #fff; color: #1d1c1d; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.button.select { font-weight: 400; min-width: 120px; text-align: left; }
details.overflow { position: relative; }
summary.overflow { list-style: none; display: inline-flex; align-items: center; cursor: pointer; }
.menu { position: absolute; z-index: 1; display: flex; flex-direction: column; gap: 4px;
  padding: 4px; background: #fff; border: 1px solid #ddd; border-radius: 6px; }
.button.option { font-weight: 400; text-align: left; white-space: nowrap; }
.mention { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
a { color: #1264a3; text-decoration: none; }
code { font: 12px Monaco, Menlo, Consolas, monospace; color: #c01343; background: #f6f6f6;
  border: 1px solid #ddd; border-radius: 3px; padding: 1px 3px; }
pre { font: 12px Monaco, Menlo, Consolas, monospace; background: #f8f8f8; border: 1px solid #ddd;
  border-radius: 4px; padding: 8px; white-space: pre-wrap; }
blockquote { margin: 4px 0; padding-left: 12px; border-left: 4px solid #ddd; }
.unknown { color: #595859; font-style: italic; }
.composer { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0 16px; }
.note { color: #595859; }
.private { border-top: 1px solid #ddd; margin-top: 16px; }
.private h2 { font-size: 14px; color: #595859; }
.reactions { margin-top: 4px; }
.reaction { border: 1px solid #ddd; border-radius: 12px; padding: 0 6px; font-size: 12px; }
.emoji { font-size: 11px; color: #595859; background: #f2f2f2; border-radius: 3px;
  padding: 0 3px; vertical-align: 1px; }
"""
