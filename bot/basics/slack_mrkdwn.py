"""Slack's message formatting (mrkdwn) as HTML, shown as the Slack client shows it: the web
view's channel history.

The text is the record's (``SlackText``, still in Slack's encoding): ``slack_text.parse``
decodes it once into literal runs and constructs (links, mentions, channels, dates), and this
module reads the formatting Slack documents ("Formatting text for app surfaces", "Basic
formatting with mrkdwn", https://api.slack.com/reference/surfaces/formatting) in the literal
runs only: ``*bold*``, ``_italic_``, ``~strike~``, ```code``` and fenced blocks, ``>`` quotes,
lists as their lines as typed (mrkdwn has none), and ``:emoji_name:`` as the character.

Everything a person typed is escaped: only the tags written here reach the page, a link only
to an ``http``/``https`` address (never ``javascript:``), and a person is named as the web
view names people (the record's names, else the label the mention carried, else "someone").
Constructs are set aside as placeholders while the formatting is read, so a label or a URL
is never taken for formatting, and a ``*`` inside a link never opens a bold run.

Emoji names are Slack's, which for nearly all are the names GitHub and the ``emoji`` package's
``alias`` language use (the package follows every Unicode emoji release); the few Slack names
that differ (``large_green_circle``, skin tones) are kept here. An unknown name, a workspace's
custom emoji, stays as typed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

import emoji

from bot.basics.slack_text import (
    Broadcast,
    ChannelMention,
    GroupMention,
    Link,
    Literal,
    Run,
    UserMention,
    construct_words,
    parse,
)

# Slack's names where the emoji package's aliases differ.
_SLACK_EMOJI = {
    "large_green_circle": "\U0001f7e2",
    "large_blue_circle": "\U0001f535",
    "large_orange_circle": "\U0001f7e0",
    "large_yellow_circle": "\U0001f7e1",
    "large_purple_circle": "\U0001f7e3",
    "large_brown_circle": "\U0001f7e4",
    "skin-tone-2": "\U0001f3fb",
    "skin-tone-3": "\U0001f3fc",
    "skin-tone-4": "\U0001f3fd",
    "skin-tone-5": "\U0001f3fe",
    "skin-tone-6": "\U0001f3ff",
    "simple_smile": "\U0001f642",
}
_EMOJI_NAME = re.compile(r":([a-z0-9_+'-]{1,60}):")
# A construct or a code span set aside: NUL, its number, NUL (NUL is taken out of the text).
_HOLE = re.compile(r"\x00(\d+)\x00")
_FENCE = "```"
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Slack's inline formatting: the marker next to a word character is part of the word
# (snake_case_names stay as typed), and a run neither starts nor ends with a space.
_INLINE = tuple(
    (re.compile(rf"(?<![\w{m}])\{m}(?![\s{m}])([^{m}\n]*?[^\s{m}])\{m}(?![\w{m}])"), tag)
    for m, tag in (("*", "strong"), ("_", "em"), ("~", "del"))
)
_QUOTE = re.compile(r"^>[ \t]?(.*)$")


def emoji_character(name: str) -> str | None:
    """The character of a Slack emoji name (``rotating_light``); None for one unknown."""
    if name in _SLACK_EMOJI:
        return _SLACK_EMOJI[name]
    found = emoji.emojize(f":{name}:", language="alias")
    return None if found == f":{name}:" else found


def emojized(text: str) -> str:
    """Each ``:emoji_name:`` Slack knows as its character; an unknown name stays as typed."""
    return _EMOJI_NAME.sub(lambda m: emoji_character(m.group(1)) or m.group(0), text)


def mrkdwn_html(text: str, names: Mapping[str, str] | None = None, *, public: bool = False) -> str:
    """Slack-encoded text as HTML: formatting as Slack shows it, everything else escaped.
    ``public``: a page customers read, people and channels as ``to_public_plain`` shows
    them (a mention's own label, never the directory's name; no channel)."""
    holes: list[Callable[[bool], str]] = []

    def hole(render: Callable[[bool], str]) -> str:
        holes.append(render)
        return f"\x00{len(holes) - 1}\x00"

    plain = "".join(
        run.text.replace("\x00", "")
        if isinstance(run, Literal)
        else hole(_construct(run, names, public))
        for run in parse(text)
    )

    def restore(escaped: str, *, rich: bool) -> str:
        """Put back what was set aside (``rich`` false: in code, as plain words)."""
        return _HOLE.sub(lambda m: holes[int(m.group(1))](rich), escaped)

    def code(content: str) -> str:
        return html.escape(restore(content, rich=False), quote=False)

    def inline(line: str) -> str:
        line = _CODE_SPAN.sub(lambda m: hole(lambda _: f"<code>{code(m.group(1))}</code>"), line)
        escaped = html.escape(line, quote=False)
        escaped = emojized(escaped)
        for pattern, tag in _INLINE:
            escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
        return restore(escaped, rich=True)

    parts = plain.split(_FENCE)
    if len(parts) % 2 == 0:  # a fence never closed is the characters typed
        parts[-2:] = [parts[-2] + _FENCE + parts[-1]]
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<pre><code>{code(part.strip(chr(10)))}</code></pre>")
        elif part.strip("\n"):
            out.append(_blocks(part.strip("\n"), inline))
    return "".join(out)


def _blocks(text: str, inline: Callable[[str], str]) -> str:
    """Lines as Slack shows them: quotes, and lines of text kept as their breaks. A list is
    its lines as typed ("- one", "• two"): Slack's mrkdwn has no list syntax (a composer's
    bulleted list arrives as lines starting with "•")."""
    out: list[str] = []
    kind = ""
    items: list[str] = []

    def close() -> None:
        nonlocal kind, items
        if kind == "quote":
            out.append("<blockquote>" + "<br>".join(inline(i) for i in items) + "</blockquote>")
        elif kind == "p":
            out.append("<p>" + "<br>".join(inline(i) for i in items) + "</p>")
        kind, items = "", []

    for line in text.split("\n"):
        if quote := _QUOTE.match(line):
            wanted, item = "quote", quote.group(1)
        elif not line.strip():
            close()
            continue
        else:
            wanted, item = "p", line
        if wanted != kind:
            close()
            kind = wanted
        items.append(item)
    close()
    return "".join(out)


def _construct(run: Run, names: Mapping[str, str] | None, public: bool) -> Callable[[bool], str]:
    """How a construct is shown: ``rich`` in text, as plain words inside code."""
    words = construct_words(run, names, public=public)
    if isinstance(run, Link):
        safe = run.url.startswith(("http://", "https://"))

        def link(rich: bool) -> str:
            if not (rich and safe):
                return words
            return (
                f'<a href="{html.escape(run.url)}" rel="nofollow noopener noreferrer">'
                f"{html.escape(words, quote=False)}</a>"
            )

        return link
    escaped = html.escape(words, quote=False)
    is_mention = isinstance(run, UserMention | ChannelMention | GroupMention | Broadcast)

    def shown(rich: bool) -> str:
        if not rich or not words:
            return words
        return f'<span class="mention">{escaped}</span>' if is_mention else escaped

    return shown
