"""The postmortem draft's page, cut where its written sections stand, so each section's form
sits where its gap is in the draft, and a checklist at the top says what is left to write.

The draft is rendered for the page with a token unique to the request around each written
section (``Draft.places``, paragraphs of their own); this module cuts the draft's HTML at
those marks. A mark that did not land in a paragraph of its own (an operator's template that
calls a section inside a list item) is dropped, and that section's form goes after the draft
instead: the draft always reads whole. The gaps the record fills (the impact, the cause: set
in Slack) get an anchor each, so the checklist can link to them too.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass

from markupsafe import Markup

from bot.record.postmortem.draft import Draft
from bot.record.postmortem.parts import Slot

# The draft's own headings go one level down: the page's title is its only h1.
_HEADING = re.compile(r"<(/?)h([1-5])>")
_TABLE = re.compile(r"<table>(.*?)</table>", re.DOTALL)
_HEAD_CELL = re.compile(r"<th[^>]*>(.*?)</th>", re.DOTALL)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<td(?=[ >])")
_TAG = re.compile(r"<[^>]+>")


def new_places_token() -> str:
    """A token no text of the record can hold: marks for one rendering of the draft."""
    return "WARROOMPLACE" + secrets.token_hex(8)


@dataclass(frozen=True)
class SectionPlace:
    """A written section where the draft shows it: its HTML as the draft reads now."""

    slot: Slot
    html: Markup
    gap: bool  # the draft shows "To be written" for it
    written: bool  # a person wrote it (or accepted a suggestion)
    suggested: bool  # the model's suggestion waits for someone to accept it

    @property
    def to_write(self) -> bool:
        """Left to write: a gap, or a suggestion nobody has accepted yet."""
        return not self.written and (self.gap or self.suggested)

    @property
    def listed(self) -> bool:
        """On the checklist: what is left to write, and what has been written."""
        return self.written or self.to_write


@dataclass(frozen=True)
class RecordGap:
    """A gap the record fills (set from Slack), not a section written here."""

    anchor: str
    html: Markup  # what the draft asks for, as it says it


@dataclass(frozen=True)
class PlacedDraft:
    """The draft's HTML in pieces: text, and the written sections between."""

    parts: tuple[Markup | SectionPlace, ...]
    unplaced: tuple[SectionPlace, ...]  # sections the draft shows nowhere (lessons, unwritten)
    record_gaps: tuple[RecordGap, ...]

    @property
    def sections(self) -> tuple[SectionPlace, ...]:
        placed = tuple(part for part in self.parts if isinstance(part, SectionPlace))
        return placed + self.unplaced

    @property
    def checklist(self) -> tuple[SectionPlace, ...]:
        return tuple(section for section in self.sections if section.listed)

    @property
    def left(self) -> int:
        """Gaps left: sections to write, and the record's."""
        return sum(section.to_write for section in self.sections) + len(self.record_gaps)


def place_sections(draft: Draft, draft_html: str, token: str) -> PlacedDraft:
    """Cut the draft's HTML (rendered with ``token`` as ``Draft.places``) at its sections."""
    text = _stacked(_HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", draft_html))
    mark = re.compile(rf"<p>{re.escape(token)}-(start|end)-(\d+)</p>\n?")
    gap_mark = draft.language.gap_mark.lstrip("_").strip()
    pieces = mark.split(text)
    # split() gives text, edge, number, text, edge, number, ..., text.
    parts: list[Markup | SectionPlace] = []
    placed: set[int] = set()
    pending = _clean(pieces[0], token)
    index = 1
    while index < len(pieces):
        edge, number = pieces[index], int(pieces[index + 1])
        inner = pieces[index + 2]
        closes = index + 3 < len(pieces) and pieces[index + 3 : index + 5] == ["end", str(number)]
        if edge == "start" and closes and number < len(draft.slots) and number not in placed:
            parts.append(Markup(pending))
            parts.append(_section(draft, draft.slots[number], inner, token, gap_mark))
            placed.add(number)
            pending = _clean(pieces[index + 5], token)
            index += 6
        else:  # a mark out of place: keep the text, drop the mark
            pending += _clean(inner, token)
            index += 3
    parts.append(Markup(pending))
    unplaced = tuple(
        _section(draft, slot, "", token, gap_mark)
        for number, slot in enumerate(draft.slots)
        if number not in placed
    )
    return _with_record_gaps(parts, unplaced, gap_mark)


def _stacked(draft_html: str) -> str:
    """Each of the draft's tables as the page's phone layout reads it (``table.stack``): a
    card per row, each cell under its column's name, so a phone never scrolls sideways."""

    def table(match: re.Match[str]) -> str:
        inner = match[1]
        head, _, body = inner.partition("</thead>")
        # The names are the draft's HTML already (escaped as text is): tags out, nothing more.
        names = [_TAG.sub("", name).replace('"', "&quot;") for name in _HEAD_CELL.findall(head)]
        if not any(names):  # a table of names and values (the details): two columns fit
            return match[0]

        def row(found: re.Match[str]) -> str:
            cells = iter(names)
            return (
                "<tr>"
                + _CELL.sub(lambda _: f'<td data-label="{next(cells, "")}"', found[1])
                + "</tr>"
            )

        return f'<table class="stack">{head}</thead>{_ROW.sub(row, body)}</table>'

    return _TABLE.sub(table, draft_html) if "<table>" in draft_html else draft_html


def _section(draft: Draft, slot: Slot, inner: str, token: str, gap_mark: str) -> SectionPlace:
    return SectionPlace(
        slot=slot,
        html=Markup(_clean(inner, token)),
        gap=f"<em>{html.escape(gap_mark, quote=False)}" in inner,
        written=slot.key in draft.written,
        suggested=draft.suggested(slot.key) is not None,
    )


def _clean(fragment: str, token: str) -> str:
    """A fragment without any mark left in it (one that landed inside other text)."""
    if token not in fragment:  # nearly always: a search far cheaper than the pattern's
        return fragment
    return re.sub(rf"{re.escape(token)}-(?:start|end)-\d+", "", fragment)


def _with_record_gaps(
    parts: list[Markup | SectionPlace], unplaced: tuple[SectionPlace, ...], gap_mark: str
) -> PlacedDraft:
    """Give each of the record's gaps (outside the written sections) an anchor."""
    found: list[RecordGap] = []
    gap = re.compile(rf"<em>({re.escape(html.escape(gap_mark, quote=False))}.*?)</em>", re.DOTALL)

    def anchored(match: re.Match[str]) -> str:
        anchor = f"gap-{len(found) + 1}"
        asked = match[1].removeprefix(html.escape(gap_mark, quote=False)).strip()
        found.append(RecordGap(anchor, Markup(asked)))
        return f'<em class="gap" id="{anchor}">{match[1]}</em>'

    anchored_parts = tuple(
        part if isinstance(part, SectionPlace) else Markup(gap.sub(anchored, part))
        for part in parts
    )
    return PlacedDraft(anchored_parts, unplaced, tuple(found))
