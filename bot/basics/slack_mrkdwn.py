"""Slack's message formatting (mrkdwn) as HTML, shown as the Slack client shows it: the web
view's channel history and the status page.

The text is the record's (``SlackText``, still in Slack's encoding): ``slack_text.parse``
decodes it once into literal runs and constructs (links, mentions, channels, dates), and this
module reads the formatting Slack documents ("Formatting text for app surfaces", "Basic
formatting with mrkdwn", https://api.slack.com/reference/surfaces/formatting) in the literal
runs only: ``*bold*``, ``_italic_``, ``~strike~``, ```code``` and fenced blocks, ``>`` quotes,
lists as their lines as typed (mrkdwn has none), and ``:emoji_name:`` as the character.

It is read in two steps. ``read`` turns the text into a document (blocks of lines of inline
pieces: words, styled runs, code, constructs), whatever the output; each output then writes
that document. The HTML writer builds every piece through ``bot.basics.safe_html``, so the
words of a piece are escaped where they enter and nowhere else can text reach the page
unescaped: only the tags written here, a link only to an ``http``/``https`` address (never
``javascript:``, nor a ``mailto:`` label as typed), and a person named as the web view names
people (the record's names, else the label the mention carried, else "someone").
Constructs are set aside as placeholders while the formatting is read, so a label or a URL
is never taken for formatting, and a ``*`` inside a link never opens a bold run.

Emoji names are Slack's, which for nearly all are the names GitHub and the ``emoji`` package's
``alias`` language use (the package follows every Unicode emoji release); the few Slack names
that differ (``large_green_circle``, skin tones) are kept here. An unknown name, a workspace's
custom emoji, stays as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import emoji
from markupsafe import Markup

from bot.basics import safe_html
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
    (re.compile(rf"(?<![\w{m}])\{m}(?![\s{m}])([^{m}\n]*?[^\s{m}])\{m}(?![\w{m}])"), style)
    for m, style in (("*", "bold"), ("_", "italic"), ("~", "strike"))
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


# -- the document: what the text says, read once, whatever the output ---------------------------
@dataclass(frozen=True, slots=True)
class Words:
    """Characters as typed (emoji names already their characters)."""

    text: str


@dataclass(frozen=True, slots=True)
class Styled:
    """``*bold*``, ``_italic_`` or ``~strike~`` around what they hold."""

    style: str  # bold, italic, strike
    pieces: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    """A code span or block: its characters, constructs in it as words (never formatted)."""

    parts: tuple[str | Run, ...]


@dataclass(frozen=True, slots=True)
class Construct:
    """A link, a mention, a channel, a date: ``slack_text``'s run."""

    run: Run


Inline = Words | Styled | Code | Construct


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (``p``) or a quote (``quote``): lines of pieces; or ``pre``, a fenced code
    block, whose one line is its Code."""

    kind: str
    lines: tuple[tuple[Inline, ...], ...]


@lru_cache(maxsize=2048)
def read(text: str) -> tuple[Block, ...]:
    """Slack-encoded text as its document."""
    holes: list[Run] = []

    def hole(run: Run) -> str:
        holes.append(run)
        return f"\x00{len(holes) - 1}\x00"

    plain = "".join(
        run.text.replace("\x00", "") if isinstance(run, Literal) else hole(run)
        for run in parse(text)
    )
    parts = plain.split(_FENCE)
    if len(parts) % 2 == 0:  # a fence never closed is the characters typed
        parts[-2:] = [parts[-2] + _FENCE + parts[-1]]
    blocks: list[Block] = []
    for index, part in enumerate(parts):
        if index % 2:
            blocks.append(Block("pre", ((_code(part.strip("\n"), holes),),)))
        elif part.strip("\n"):
            blocks.extend(_blocks(part.strip("\n"), holes))
    return tuple(blocks)


def _blocks(text: str, holes: list[Run]) -> list[Block]:
    """Lines as Slack shows them: quotes, and lines of text kept as their breaks. A list is
    its lines as typed ("- one", "• two"): Slack's mrkdwn has no list syntax (a composer's
    bulleted list arrives as lines starting with "•")."""
    out: list[Block] = []
    kind = ""
    items: list[str] = []

    def close() -> None:
        nonlocal kind, items
        if items:
            out.append(Block(kind, tuple(_line(item, holes) for item in items)))
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
    return out


def _line(line: str, holes: list[Run]) -> tuple[Inline, ...]:
    """One line's pieces: code spans first (nothing is formatted in them), then emoji, then
    bold, italic and strike."""
    spans: list[Code] = []

    def span(match: re.Match[str]) -> str:
        spans.append(_code(match.group(1), holes))
        return f"\x00{len(holes) + len(spans) - 1}\x00"

    line = emojized(_CODE_SPAN.sub(span, line))
    set_aside: list[Inline] = [Construct(run) for run in holes]
    set_aside.extend(spans)
    return _styled(line, set_aside)


def _styled(text: str, set_aside: list[Inline]) -> tuple[Inline, ...]:
    """Formatting runs, the leftmost first, each read again inside (``*_both_*``)."""
    pieces: list[Inline] = []
    position = 0
    # Each marker's next run, searched again only once passed: a line of many runs is read
    # in one pass per marker, not one per run.
    found = {style: pattern.search(text) for pattern, style in _INLINE}
    while True:
        for pattern, style in _INLINE:
            passed = found[style]
            if passed is not None and passed.start() < position:
                found[style] = pattern.search(text, position)
        ahead = [(m, style) for style, m in found.items() if m is not None]
        if not ahead:
            break
        match, style = min(ahead, key=lambda pair: pair[0].start())
        pieces.extend(_unstyled(text[position : match.start()], set_aside))
        pieces.append(Styled(style, _styled(match.group(1), set_aside)))
        position = match.end()
    pieces.extend(_unstyled(text[position:], set_aside))
    return tuple(pieces)


def _unstyled(text: str, set_aside: list[Inline]) -> list[Inline]:
    """Words, and what was set aside in them put back."""
    pieces: list[Inline] = []
    for index, part in enumerate(_HOLE.split(text)):
        if index % 2:
            pieces.append(set_aside[int(part)])
        elif part:
            pieces.append(Words(part))
    return pieces


def _code(text: str, holes: list[Run]) -> Code:
    parts = _HOLE.split(text)
    return Code(tuple(holes[int(part)] if index % 2 else part for index, part in enumerate(parts)))


# -- HTML: built from escaped pieces only ---------------------------------------------------
_TAGS = {"bold": "strong", "italic": "em", "strike": "del"}
_MENTIONS = (UserMention, ChannelMention, GroupMention, Broadcast)


def mrkdwn_html(
    text: str, names: Mapping[str, str] | None = None, *, public: bool = False
) -> Markup:
    """Slack-encoded text as HTML: formatting as Slack shows it, everything else escaped.
    ``public``: a page customers read, people and channels as ``to_public_plain`` shows
    them (a mention's own label, never the directory's name; no channel)."""
    writer = _HtmlWriter(names, public)
    return safe_html.join(writer.block(block) for block in read(text))


@dataclass(frozen=True, slots=True)
class _HtmlWriter:
    names: Mapping[str, str] | None
    public: bool

    def block(self, block: Block) -> Markup:
        if block.kind == "pre":
            return safe_html.element("pre", self.lines(block.lines))
        tag = "blockquote" if block.kind == "quote" else "p"
        return safe_html.element(tag, self.lines(block.lines))

    def lines(self, lines: tuple[tuple[Inline, ...], ...]) -> Markup:
        return safe_html.join((self.pieces(line) for line in lines), safe_html.BREAK)

    def pieces(self, pieces: tuple[Inline, ...]) -> Markup:
        return safe_html.join(self.piece(piece) for piece in pieces)

    def piece(self, piece: Inline) -> Markup:
        if isinstance(piece, Words):
            return safe_html.text(piece.text)
        if isinstance(piece, Styled):
            return safe_html.element(_TAGS[piece.style], self.pieces(piece.pieces))
        if isinstance(piece, Code):
            return safe_html.element("code", safe_html.text(self.code_words(piece)))
        return self.construct(piece.run)

    def code_words(self, code: Code) -> str:
        return "".join(
            part if isinstance(part, str) else construct_words(part, self.names, public=self.public)
            for part in code.parts
        )

    def construct(self, run: Run) -> Markup:
        words = construct_words(run, self.names, public=self.public)
        if isinstance(run, Link):
            return safe_html.anchor(run.url, words)
        if isinstance(run, _MENTIONS) and words:
            return safe_html.element("span", safe_html.text(words), class_="mention")
        return safe_html.text(words)
