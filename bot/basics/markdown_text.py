"""Markdown, as warroom writes it for postmortem documents and reads it for the web view:
people's text escaped so it shows as itself (``markdown_escape``), a person's section as
paragraphs (``prose``), list items, Slack's formatting said in Markdown (``mrkdwn_markdown``),
and Markdown made HTML (``markdown_to_html``). The renderer's Markdown filters call these."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cmarkgfm
from markupsafe import Markup

from bot.basics.slack_mrkdwn import Block as MrkdwnBlock
from bot.basics.slack_mrkdwn import Code, Inline, Styled, Words
from bot.basics.slack_mrkdwn import read as read_mrkdwn
from bot.basics.slack_text import (
    Link,
    SlackText,
    construct_words,
    hides_address,
    normalize_newlines,
)

# Markdown's inline syntax, each backslashed where a value holds it; the backslash first, so
# the backslashes the others gain are not escaped again.
_MARKDOWN_SYNTAX = "\\`*_[]()#!|~"


# Between the values of one ``markdown_escape_each``: U+0000, which no escaped value holds
# (CommonMark shows it as U+FFFD, so that is what the escaping writes for it).
_SEPARATOR = "\x00"


# The start of a line (a value's first, or one after a line break) that escaping changes:
# indentation, or what makes a list item, a setext underline, a thematic break or a table's
# delimiter row once the inline syntax is escaped: `-`, `+` or `=` first, `:` before a `-`
# (`:-` and `-:` under a line make it a table of one column, `|` or not: a soak run found
# it), or a number and `.` (`)` is escaped inline).
# The break before it is part of the match (a lookbehind tried at every character costs far
# more), and the values are escaped with a separator before the first. A value's first line
# and a line after a break are two patterns, each beginning with its one character: searched
# for at C speed, where a class of two is tried at every character (the figures:
# bench/RESULTS.md, "Figures behind the code's choices").
_LINE_STARTS = tuple(
    re.compile(
        rf"(?P<break>{line_break})(?=[ \t=+\-\d:])(?P<indent>[ \t]*)"
        r"(?P<marker>[-+](?=[-+: \t\n\x00]|\Z)|:(?=-)|=|\d{1,9}(?=\.(?:[ \t\n\x00]|\Z)))?"
    )
    for line_break in (r"\x00", r"\n")
)


# Whatever markdown_escape may change: a value with none of it is returned as it is. (A
# first line's indentation changes only from four columns, a time like `16:45` not at all.)
_NEEDS_ESCAPING = re.compile(
    r"[\\`*_\[\]()#!|~&<>\n\r\x00]|^(?:[ \t]{4}|[ \t]*(?:[=\t]|[-+](?=[-+: \t]|$)|:-|\d{1,9}\.))"
)


# Four columns of indentation make a code block.
_CODE_INDENT = 4


# Shown as the space it stands for, but not indentation to Markdown (CommonMark counts only
# spaces and tabs), so an indented line stays a line of text.
_NBSP = "\u00a0"


def markdown_escape(value: object) -> str:
    """Text shown as itself in Markdown: ``& < >`` as entities, other syntax backslashed, and
    the start of each line escaped (list markers, setext underlines, indentation), so a
    message cannot add images, links, headings, lists, quotes, code blocks, emphasis or table
    cells to a document. Every person's text in a Markdown document comes through here."""
    text = str(value)
    if _NEEDS_ESCAPING.search(text) is None:
        return text  # most values (dates, times, names, plain words): nothing to escape
    return markdown_escape_each((text,))[0]


def markdown_escape_each(values: Sequence[object]) -> list[str]:
    """``markdown_escape`` of each value, in a few passes over them all: a long draft escapes
    10,000 texts and as many links, where a call per value cost more than the escaping."""
    if not values:
        return []
    return _escaped_together(values).split(_SEPARATOR)[1:]


def _escaped_together(values: Sequence[object]) -> str:
    """The values escaped, each after a ``_SEPARATOR``."""
    joined = _SEPARATOR + _SEPARATOR.join(map(str, values))
    if joined.count(_SEPARATOR) != len(values):  # a value holds U+0000 itself
        joined = _SEPARATOR + _SEPARATOR.join(
            str(value).replace(_SEPARATOR, "\ufffd") for value in values
        )
    text = _backslashed(normalize_newlines(joined))
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for line_start in _LINE_STARTS:
        text = line_start.sub(_escape_line_start, text)
    return text


def _backslashed(text: str) -> str:
    """Each character of Markdown's inline syntax backslashed: one ``replace`` a character
    (a regular expression's substitution calls Python for each match, and code, paths and
    links in a long timeline's messages make a great many: bench/RESULTS.md, "Figures behind
    the code's choices")."""
    for character in _MARKDOWN_SYNTAX:
        if character in text:
            text = text.replace(character, "\\" + character)
    return text


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match.group("indent"), match.group("marker") or ""
    if marker:  # `1.` is escaped at its dot, `-`, `+`, `:` and `=` themselves
        marker = marker + "\\" if marker[0].isdigit() else "\\" + marker
    # A value's first line usually sits in the middle of a template's line, where spaces are
    # spaces; only there is enough of them to start a code block is it taken apart too.
    first = match.group("break") == _SEPARATOR
    width = len(indent.expandtabs(_CODE_INDENT))
    if indent and (not first or width >= _CODE_INDENT):
        indent = _NBSP * width
    return match.group("break") + indent + marker


def prose(value: object) -> Markup:
    """A section a person wrote in the web view, as text: through the same escaping as every
    message, so it cannot mention (``![](@U123)``), notify, link, show an image or add
    structure to the canvas, the Markdown or the page. Its paragraphs stay paragraphs and its
    lines stay lines (two trailing spaces: CommonMark's hard line break)."""
    lines = markdown_escape(value).split("\n")
    return Markup(
        "\n".join(
            line + "  " if line.strip() and i + 1 < len(lines) and lines[i + 1].strip() else line
            for i, line in enumerate(lines)
        )
    )


def one_blank_line(text: str) -> str:
    """Runs of blank lines made one. A 2.6 MB draft has a dozen, between its sections: each
    found with ``str.find`` and the text between them copied once, where a regular expression
    took far longer and ``str.replace`` copied the whole draft once for each length of run
    (bench/RESULTS.md, "Figures behind the code's choices")."""
    at = text.find("\n\n\n")
    if at < 0:
        return text
    kept: list[str] = []
    start = 0
    while at >= 0:
        end = at + 3
        while text.startswith("\n", end):
            end += 1
        kept.append(text[start : at + 2])
        start = end
        at = text.find("\n\n\n", start)
    kept.append(text[start:])
    return "".join(kept)


def markdown_item(value: object) -> Markup:
    """Text inside a Markdown list item, escaped as text, continuation lines indented so the
    item holds them."""
    return Markup(markdown_item_text(value))


def markdown_item_text(value: object) -> str:
    """``markdown_item`` as a plain string, for code that builds Markdown rows itself."""
    return markdown_escape(value).replace("\n", "\n  ")


def markdown_item_text_each(values: Sequence[object]) -> list[str]:
    """``markdown_item_text`` of each value, escaped together (``markdown_escape_each``)."""
    if not values:
        return []
    return _escaped_together(values).replace("\n", "\n  ").split(_SEPARATOR)[1:]


# What may make a line's words formatted as Slack shows them: a marker of bold, italics,
# strike or code, an emoji's name, a quote. Lines with none (most) are escaped together.
_MAY_FORMAT = re.compile(r"[*_~`]|:[a-z0-9_+'-]+:|^>", re.MULTILINE)


_MARKDOWN_STYLES = {"bold": "**", "italic": "*", "strike": "~~"}


_BACKTICKS = re.compile(r"`+")


def formatted_item_text_each(values: Sequence[str], *, own_italics: str = "") -> list[str]:
    """``markdown_item_text_each`` of words people wrote in Slack (plain text, as the draft's
    lines hold them: people by name, links with their address), their inline formatting as
    Markdown's (``mrkdwn_markdown``): ``*bold*`` as ``**bold**``, ``_italics_``, ``~strike~``
    as ``~~strike~~``, code, ``:fire:`` as 🔥; their lines' structure stays text.
    ``own_italics``: see ``mrkdwn_markdown``."""
    escaped = markdown_item_text_each(values)
    writer = _MarkdownWriter(None, own_italics)
    for index, value in enumerate(values):
        if _MAY_FORMAT.search(value):
            escaped[index] = writer.document(SlackText.from_plain(value)).replace("\n", "\n  ")
    return escaped


def mrkdwn_markdown(
    text: str, names: Mapping[str, str] | None = None, *, own_italics: str = ""
) -> str:
    """Slack-encoded text as Markdown, from the document ``bot.basics.slack_mrkdwn.read``
    makes of it (the one reading of Slack's formatting, which the web pages write as HTML).

    Inline formatting is Markdown's: bold, italics, strike, code, emoji as characters, people
    by name, a link as its words (with its address when its label hides it). The lines'
    structure stays text, because in Markdown a line's structure is the document's: a quote's
    ``>`` is the character (``&gt;``), a code block is each of its lines as code, and every
    line starts escaped as ``markdown_escape`` starts a value (``#``, ``-``, ``1.``, ``===``,
    indentation), so a message never makes a heading, a quote, a list, a code block or a rule
    in the draft, its canvas or its page. Every word goes through ``markdown_escape``: the only
    syntax here is what this writes around escaped words.

    ``own_italics``: words the document itself writes in italics to mean something (the
    draft's "To be written:", which its page lists as a gap): a person's italics that start
    with them keep their ``_`` as characters, so a message never reads as the document's own."""
    return _MarkdownWriter(names, own_italics).document(text)


# A quote's line in Markdown: Slack's ``>`` as the character it is, never Markdown's quote.
_QUOTED = markdown_escape("> ")


_SLACK_MARKERS = {"bold": "*", "italic": "_", "strike": "~"}


@dataclass(frozen=True, slots=True)
class _MarkdownWriter:
    """The Markdown of ``read_mrkdwn``'s document (``mrkdwn_markdown``)."""

    names: Mapping[str, str] | None
    own_italics: str

    def document(self, text: str) -> str:
        return "\n\n".join(map(self.block, read_mrkdwn(text)))

    def block(self, block: MrkdwnBlock) -> str:
        if block.kind == "pre":  # each line as code: a fence would be the draft's structure
            (code,) = block.lines[0]
            assert isinstance(code, Code)
            return "\n".join(map(_code_span, self.code_words(code).split("\n")))
        lead = _QUOTED if block.kind == "quote" else ""
        return "\n".join(lead + self.pieces(line) for line in block.lines)

    def pieces(self, pieces: Sequence[Inline]) -> str:
        return "".join(map(self.piece, pieces))

    def piece(self, piece: Inline) -> str:
        if isinstance(piece, Words):
            return markdown_escape(piece.text)
        if isinstance(piece, Styled):
            marker = _MARKDOWN_STYLES[piece.style]
            if self.is_own(piece):  # as typed, its markers escaped
                marker = markdown_escape(_SLACK_MARKERS[piece.style])
            return f"{marker}{self.pieces(piece.pieces)}{marker}"
        if isinstance(piece, Code):
            content = self.code_words(piece).replace("\n", " ")
            return _code_span(content) or content  # a span of blanks: its blanks
        run = piece.run  # a link with its address when its label hides it, as to_readable
        if isinstance(run, Link) and hides_address(run):
            return markdown_escape(f"{run.label} ({run.url})")
        return markdown_escape(construct_words(run, self.names))

    def is_own(self, styled: Styled) -> bool:
        """Whether these italics would read as the document's own (``own_italics``)."""
        if styled.style != "italic" or not self.own_italics:
            return False
        first = styled.pieces[0] if styled.pieces else None
        return isinstance(first, Words) and first.text.startswith(self.own_italics)

    def code_words(self, code: Code) -> str:
        """A code span's characters, as typed (Markdown reads nothing in code), on one line
        per line; a construct in it as its words."""
        return "".join(
            part if isinstance(part, str) else construct_words(part, self.names)
            for part in code.parts
        )


def _code_span(content: str) -> str:
    """Characters as one Markdown code span (nothing read in it), on one line; a line of
    blanks as nothing. Its backticks outnumber any run inside, and the span closes on its own
    line, so it can never open a fenced block."""
    if not content.strip():
        return ""
    ticks = "`" * (1 + max(map(len, _BACKTICKS.findall(content)), default=0))
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


def markdown_to_html(markdown: str) -> Markup:
    """A Markdown document as HTML: CommonMark with GitHub's tables, by cmark-gfm (C; a
    10,000-entry draft in about 0.1 s, where markdown-it-py took 3.3 s). Raw HTML in the
    Markdown is never kept: cmark-gfm leaves it out unless told it is safe (we never do)."""
    return Markup(
        cmarkgfm.markdown_to_html_with_extensions(markdown, extensions=["table", "strikethrough"])
    )
