"""A Markdown document as GitHub (and Slack's canvases, and the web view) reads it, checked
for what breaks a postmortem draft silently: parsed with cmarkgfm (cmark-gfm, GitHub's own
parser, with the table extension), each block mapped back to its source lines.

``gfm_problems`` says, in words, each place where:

- a table row has more or fewer cells than its header (GFM pads or drops cells without a
  word, so the rendered table hides it: the source row is counted);
- lines that begin with ``|`` are not a table but a paragraph of pipes (a header or its
  delimiter row that is not one, e.g. a header cell whose ``|`` was escaped);
- a table's header or delimiter row holds an escaped pipe (``\\|``);
- a heading's text appears twice;
- a suggestion's Accept prompt stands over nothing to accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.render import Renderer
from bot.record.incident.incident_types import NO_TYPES, IncidentTypes
from bot.record.incident.incidents import get_by_channel
from bot.record.postmortem.written import read_record, write_in_thread
from bot.store.db import session_scope

# The words that ask a person to accept a suggestion, in each language of the drafts.
ACCEPT_PROMPTS = ("accept or edit it", "acceptez-le ou modifiez-le")
# A pipe that separates cells: not escaped by a backslash.
_CELL_PIPE = re.compile(r"(?<!\\)\|")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass
class _Block:
    tag: str
    line: int  # its first source line, from 1
    last: int
    text: list[str] = field(default_factory=list)
    children: int = 0  # blocks directly inside it (a blockquote's paragraphs, lists)


@dataclass
class _Table:
    header: int  # the header row's source line
    rows: list[int] = field(default_factory=list)  # each body row's source line


class _Reader(HTMLParser):
    """Headings, paragraphs, tables and block quotes of cmark-gfm's HTML, with their source
    lines (``data-sourcepos``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[_Block] = []
        self.paragraphs: list[_Block] = []
        self.quotes: list[_Block] = []
        self.tables: list[_Table] = []
        self._open: list[_Block] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        position = dict(attrs).get("data-sourcepos")
        if tag == "thead":
            self._in_head = True
        if position is None:
            return
        start, end = position.split("-")
        block = _Block(tag, int(start.split(":")[0]), int(end.split(":")[0]))
        quote = next((b for b in reversed(self._open) if b.tag == "blockquote"), None)
        if quote is not None and self._open[-1] is quote:
            quote.children += 1
        if tag == "table":
            self.tables.append(_Table(header=block.line))
        elif tag == "tr" and not self._in_head:
            self.tables[-1].rows.append(block.line)
        elif tag in _HEADINGS:
            self.headings.append(block)
        elif tag == "p":
            self.paragraphs.append(block)
        elif tag == "blockquote":
            self.quotes.append(block)
        if tag not in ("td", "th", "tr", "table", "li"):
            self._open.append(block)

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        if self._open and self._open[-1].tag == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for block in self._open:
            block.text.append(data)


def _cells(row: str) -> int:
    """How many cells a table row's source line has (GFM: a leading and a trailing pipe are
    edges, not separators; an escaped pipe is text)."""
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return len(_CELL_PIPE.split(row))


def gfm_problems(markdown: str) -> list[str]:
    """What a reader of the rendered document would see broken, each in words with its line."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        markdown, options=Options.CMARK_OPT_SOURCEPOS, extensions=["table"]
    )
    reader = _Reader()
    reader.feed(html)
    reader.close()
    lines = markdown.split("\n")
    problems: list[str] = []
    for table in reader.tables:
        header = lines[table.header - 1]
        wanted = _cells(header)
        for line in (table.header, table.header + 1):
            if "\\|" in lines[line - 1]:
                problems.append(f"line {line}: an escaped pipe in a table's header: {header!r}")
        for row in table.rows:
            found = _cells(lines[row - 1])
            if found != wanted:
                problems.append(
                    f"line {row}: {found} cells under a header of {wanted}: {lines[row - 1]!r}"
                )
    for paragraph in reader.paragraphs:
        first = lines[paragraph.line - 1].lstrip("> ").lstrip()
        if first.startswith("|"):
            problems.append(
                f"line {paragraph.line}: a table shown as a paragraph of pipes: {first!r}"
            )
    seen: dict[str, int] = {}
    for heading in reader.headings:
        text = " ".join("".join(heading.text).split())
        if text.casefold() in seen:
            problems.append(
                f"line {heading.line}: the heading {text!r} again (first at line"
                f" {seen[text.casefold()]})"
            )
        seen.setdefault(text.casefold(), heading.line)
    for quote in reader.quotes:
        text = " ".join("".join(quote.text).split())
        if any(prompt in text for prompt in ACCEPT_PROMPTS) and quote.children < 2:
            problems.append(f"line {quote.line}: an Accept prompt over nothing to accept")
    return problems


def assert_reads_well(markdown: str, name: str = "the draft") -> None:
    """Fail naming every problem ``gfm_problems`` finds in ``markdown``."""
    problems = gfm_problems(markdown)
    assert not problems, f"{name} does not render as written:\n" + "\n".join(problems)


async def every_draft_reads_well(
    engine: AsyncEngine,
    renderer: Renderer,
    channel_id: str,
    *,
    now: datetime,
    types: IncidentTypes = NO_TYPES,
) -> int:
    """The draft of the incident fought in that channel, in every style of every language,
    each ``assert_reads_well``; how many were checked."""
    async with session_scope(engine) as session:
        incident = await get_by_channel(session, channel_id)
    assert incident is not None and incident.id is not None
    _, record, names = await read_record(engine, incident.id, types)
    checked = 0
    for language, styles in renderer.postmortem_choices().items():
        for style in styles:
            written = await write_in_thread(
                renderer, record, names, language=language, style=style, now=now
            )
            name = f"{incident.reference}'s draft in {style} ({language})"
            assert_reads_well(written.markdown, name)
            checked += 1
    return checked
