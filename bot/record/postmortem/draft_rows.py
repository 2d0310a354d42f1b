"""The Markdown rows of a postmortem draft's long sections: the timeline under a heading per
day, the misleading paths, the impacts, causes and mitigations, the status updates. The
template gives each row's shape as format strings (its own text, not escaped, like the rest
of the template) and the draft fills them with values escaped once: 10,000 lines through
Jinja2's per-value finalize and escape took most of a draft's time.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from operator import itemgetter

from markupsafe import Markup

from bot.basics.markdown_text import markdown_escape, markdown_item, markdown_item_text_each
from bot.record.postmortem.draft_format import DraftFormat
from bot.record.postmortem.language import Words
from bot.record.postmortem.parts import (
    ALSO_ENDED,
    ALSO_ENDED_PROPOSED,
    ALSO_MILESTONE,
    ALSO_PAGED,
    ALSO_SAID,
    ALSO_SET,
    Line,
    MarkedLines,
    MilestoneTime,
    MisleadingRow,
    RowLine,
    RowPerson,
    Stated,
)
from bot.store.models import Milestone

# Text escaped already, as Markup: str's own constructor, in C (Markup() checks each value
# in Python: a fifth of the misleading paths' time in a long draft).
_escaped_already: Callable[[str], Markup] = partial(str.__new__, Markup)


class DraftRows(DraftFormat):
    """The rows of the long sections, each filled from the lines marked once
    (``DraftFormat.marked_lines``)."""

    milestones: dict[str, MilestoneTime]

    # The long sections of a Markdown draft, a row per line. The template gives each row's
    # shape as format strings (its own text, not escaped, like the rest of the template) and
    # the draft fills them with values escaped once: 10,000 lines through Jinja2's per-value
    # finalize and escape took most of a draft's time.
    def timeline_rows(
        self,
        kinds: Mapping[str, str],
        set_by_kinds: Collection[str],
        *,
        day: str,
        row: str,
        text: str,
        author: str,
        set_by: str,
        also: Mapping[str, str] | None = None,
        sources: Mapping[str, str] | None = None,
        paged_person: str = "{person} ({methods})",
        methods: Mapping[str, str] | None = None,
    ) -> Markup:
        """The timeline under a heading per day: ``row`` gets ``stamp``, ``kind``, ``text``
        (``text`` around the line's text, if any) and ``author`` (``author``, or ``set_by`` for
        a milestone set by hand, around the person's name, if any). What else a line stands
        for (``Line.also``) follows the row, each in its shape in ``also`` by its key: ``by``
        (who set the milestone), ``source`` (where a proposed impact end is read from, in
        the words of ``sources``), ``milestone`` (the name, from ``kinds``, of a milestone
        set on a line of another kind), ``at`` (the line's time), ``people`` (whom an
        escalation paged: each ``paged_person``, its ``person`` and ``methods``, named by
        ``methods``) and ``said`` (the words of the key event that announced it)."""
        day, row, text, author, set_by, paged_person = map(
            str, (day, row, text, author, set_by, paged_person)
        )
        also = {key: str(shape) for key, shape in (also or {}).items()}
        fill = _shape("row", row, "stamp", "kind", "text", "author")
        _check_shapes({"day": day, "text": text, "author": author, "set_by": set_by}, "")
        _check_shapes(dict(also), "by", "source", "milestone", "at", "people", "said")
        _check_shapes({"paged_person": paged_person}, "person", "methods")
        lines = self.timeline
        kind_names, shapes = _kind_shapes(lines, kinds, set_by_kinds, author, set_by)
        marked = self.marked_lines(lines)
        filled = map(
            fill,
            marked.stamps,
            [kind_names[line.kind] for line in lines],
            [text.format(said) if said else "" for said in marked.texts],
            [
                shapes[line.kind].format(name) if name else ""
                for line, name in zip(lines, marked.authors, strict=True)
            ],
        )
        if also:
            words = _AlsoWords(also, sources or {}, kinds, paged_person, methods or {})
            said = [self._also(line, words) if line.also else "" for line in lines]
            filled = map(str.__add__, filled, said)
        return Markup("\n".join(_under_days(day, marked.days, filled)))

    def _also(self, line: Line, words: _AlsoWords) -> str:
        """What else ``line`` stands for, in the template's shapes."""
        said = []
        for mark in line.also:
            shape = words.shapes.get(_ALSO_SHAPE.get(mark, mark))
            if shape is None:
                continue
            milestone = _milestone_named(mark, line.kind)
            time = self.milestones.get(milestone) if milestone else None
            by = self._escaped(time.set_by) if time and time.set_by else ""
            source = words.sources.get(time.source or "", "") if time else ""
            said.append(
                shape.format(
                    by=by,
                    source=source,
                    milestone=markdown_escape(words.kinds.get(mark, "")),
                    at=self._escaped(self.time(line.at)),
                    people=self._paged(line, words) if mark == ALSO_PAGED else "",
                    said=markdown_item(line.said) if mark == ALSO_SAID else "",
                )
            )
        return "".join(said)

    def _paged(self, line: Line, words: _AlsoWords) -> str:
        """Whom an escalation's line paged, and by what, in the template's words."""
        return "; ".join(
            words.paged_person.format(
                person=self._escaped(person),
                methods=", ".join(
                    markdown_escape(words.methods.get(method, method)) for method in methods
                ),
            )
            for person, methods in line.paged
        )

    def misleading_rows(self) -> list[MisleadingRow]:
        """The misleading paths as rows (``MisleadingRow``), each part escaped once: the idea,
        the message that ruled it out if the record says, how long after, and what a person
        said ruled it out (``MisleadingPath.stated``: theirs, never a message's)."""
        paths = self.misleading
        marked = self.marked_lines([path.line for path in paths])
        ends = [path.ruled_out for path in paths if path.ruled_out is not None]
        ending = iter(zip(*self.marked_lines(ends)[1:], strict=True))
        rows = []
        for path, stamp, author, text in zip(paths, *marked[1:], strict=True):
            ruled_out = None
            if path.ruled_out is not None:
                ruled_out = RowLine(*map(_escaped_already, next(ending)))
            end = path.ruled_out.at if path.ruled_out is not None else None
            person = path.stated
            if person is not None and ruled_out is None:
                end = person.at
            rows.append(
                MisleadingRow(
                    idea=RowLine(*map(_escaped_already, (stamp, author, text))),
                    ruled_out=ruled_out,
                    duration=self.duration(path.line.at, end),
                    person=self._row_person(person) if person is not None else None,
                )
            )
        return rows

    def misleading_list(self) -> Markup:
        """The misleading paths' rows (``misleading_rows``) in the catalog's words
        (``misleading``: the idea, then what ruled it out, what a person said of it, or the
        gap asking for it), filled here rather than row by row in Jinja2: a long incident has
        thousands, and their macros and messages doubled a 10,000-entry draft's time."""
        words = _MisleadingWords.of(self.language.catalog)
        return Markup(
            "\n".join(
                words.row.format(
                    text=path.idea.text,
                    source=words.source(path.idea),
                    end=self._misleading_end(path, words),
                )
                for path in self.misleading_rows()
            )
        )

    def _misleading_end(self, path: MisleadingRow, words: _MisleadingWords) -> str:
        """What ruled an idea out, in the catalog's words: the message (and what a person said
        of it), a person's own words, or the gap asking for it."""
        person = path.person
        where = ""
        if person is not None:
            where = words.on_page if person.where == "page" else words.in_slack
        if path.ruled_out is not None:
            said = words.ruled_out.format(
                source=words.source(path.ruled_out),
                text=path.ruled_out.text,
                duration=markdown_escape(path.duration or ""),
            )
            if person is not None and person.text:
                said += words.said.format(by=person.by, where=where, text=person.text)
            elif person is not None:
                said += words.chosen.format(by=person.by, where=where)
            return said
        if person is None:
            return words.unknown
        length = (
            words.took.format(duration=markdown_escape(path.duration))
            if path.duration
            else words.no_time
        )
        return words.stated.format(
            at=words.at.format(at=person.time) if person.time else "",
            by=person.by,
            where=where,
            text=person.text,
            duration=length,
        )

    def _row_person(self, person: Stated) -> RowPerson:
        return RowPerson(
            by=_escaped_already(self._escaped(person.by or "")),
            where=person.where,
            text=_escaped_already(markdown_item_text_each([person.text])[0]),
            time=_escaped_already(self._escaped(self.time(person.at)) if person.at else ""),
        )

    def rows(self, lines: Sequence[Line], *, row: str, by: str) -> Markup:
        """A section's lines (the impacts, the causes, the mitigations), a row each: ``row``
        gets ``source`` (the linked time, then ``by`` around the person's name, if any),
        ``text``, and apart: ``stamp`` (the linked time), ``zone`` (its abbreviation in the
        incident's zone) and ``by`` (``by`` around the person's name, if any)."""
        row, by = str(row), str(by)
        fill = _shape("row", row, "source", "text", "stamp", "zone", "by")
        _check_shapes({"by": by}, "")
        for line in lines:
            if not isinstance(line, Line):  # a template hands in the draft's own lines only
                raise TypeError(f"not a line of the draft: {type(line).__name__}")
        marked = self.marked_lines(lines)
        zones = [markdown_escape(self.abbreviation(line.at)) for line in lines]
        names = [by.format(name) if name else "" for name in marked.authors]
        return Markup(
            "\n".join(map(fill, _sources(marked, by), marked.texts, marked.stamps, zones, names))
        )

    def update_rows(self, *, row: str, nobody: str) -> Markup:
        """The status updates: ``row`` gets ``stamp``, ``author`` (``nobody`` if unknown) and
        ``text``."""
        fill = _shape("row", row, "stamp", "author", "text")
        marked = self.marked_lines(self.updates)
        nobody = markdown_escape(str(nobody))
        authors = [name or nobody for name in marked.authors]
        return Markup("\n".join(map(fill, marked.stamps, authors, marked.texts)))


@dataclass(frozen=True)
class _MisleadingWords:
    """The catalog's words for the misleading paths (``misleading``), as format strings read
    once a draft (``Draft.misleading_list``), the two gaps already filled."""

    row: str
    ruled_out: str
    said: str
    chosen: str
    stated: str
    at: str
    took: str
    unknown: str  # with its gap: what ruled the idea out
    no_time: str  # the gap: how long after the idea
    on_page: str
    in_slack: str
    source_by: str

    @classmethod
    def of(cls, words: Words) -> _MisleadingWords:
        said = words.subgroup("misleading")
        gap = words.shape("gap")
        shapes = {
            key: said.shape(key)
            for key in ("row", "ruled_out", "said", "chosen", "stated", "at", "took")
        }
        return cls(
            **shapes,
            unknown=said.shape("unknown").format(gap=gap.format(what=said.shape("what_ruled_out"))),
            no_time=gap.format(what=said.shape("no_time")),
            on_page=words.shape("on_page"),
            in_slack=words.shape("in_slack"),
            source_by=words.shape("source_by"),
        )

    def source(self, line: RowLine) -> str:
        """Where a row's line comes from: its linked time, then who said it (as strings:
        Markup's + would escape the name, escaped already, once more)."""
        if not line.author:
            return str(line.stamp)
        return str(line.stamp) + self.source_by.format(author=line.author)


@dataclass(frozen=True)
class _AlsoWords:
    """The template's words for what else a line stands for (``Draft.timeline_rows``)."""

    shapes: Mapping[str, str]
    sources: Mapping[str, str]
    kinds: Mapping[str, str]
    paged_person: str
    methods: Mapping[str, str]


# The shape a mark is said in, when it is not the mark itself.
_ALSO_SHAPE = {f"{ALSO_MILESTONE}{milestone.value}": "milestone" for milestone in Milestone}


def _milestone_named(mark: str, kind: str) -> str | None:
    """The milestone a mark on a line of ``kind`` is about, if any."""
    if mark == ALSO_SET:
        return _milestone_of(kind)
    if mark in (ALSO_ENDED, ALSO_ENDED_PROPOSED):
        return Milestone.ENDED.value
    if mark.startswith(ALSO_MILESTONE):
        return mark.removeprefix(ALSO_MILESTONE)
    return None


def _milestone_of(kind: str) -> str | None:
    """The milestone a line of this kind stands for when one is set by hand to its moment."""
    return _KIND_MILESTONES.get(kind)


_KIND_MILESTONES = {
    "detection": Milestone.DETECTED.value,
    "declared": Milestone.DECLARED.value,
    "acknowledged": Milestone.ACKNOWLEDGED.value,
    "mitigation": Milestone.MITIGATED.value,
    "recovered": Milestone.ENDED.value,
    "resolved": Milestone.RESOLVED.value,
}


def _kind_shapes(
    lines: Sequence[Line],
    kinds: Mapping[str, str],
    set_by_kinds: Collection[str],
    author: str,
    set_by: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """Each kind's name escaped and its author's shape, chosen once, not once a line (the
    template's list of kinds is scanned by ``in``)."""
    kind_names = {
        kind: markdown_escape(kinds.get(kind, kind)) for kind in {line.kind for line in lines}
    }
    shapes = {kind: set_by if kind in set_by_kinds else author for kind in kind_names}
    return kind_names, shapes


def _under_days(day: str, days: Sequence[str], filled: Iterable[str]) -> list[str]:
    """The rows under a heading per day (``day`` around the date), a blank line between."""
    rows: list[str] = []
    for shown, day_rows in groupby(zip(days, filled, strict=True), key=itemgetter(0)):
        rows += [*([""] if rows else []), day.format(shown), ""]
        rows += [filled_row for _, filled_row in day_rows]
    return rows


def _sources(marked: MarkedLines, by: str) -> list[str]:
    """Where each line comes from: its linked time, then ``by`` around the person's name."""
    return [
        stamp + (by.format(name) if name else "")
        for stamp, name in zip(marked.stamps, marked.authors, strict=True)
    ]


def _shape(name: str, shape: str, *fields: str) -> Callable[..., str]:
    """A row's shape as a function of its fields, given in that order (a positional
    ``str.format``: mapped over columns, no Python call per row)."""
    _check_shapes({name: shape}, *fields)
    positional = "".join(
        literal.replace("{", "{{").replace("}", "}}")
        + ("" if field is None else f"{{{fields.index(field)}}}")
        for literal, field, _, _ in string.Formatter().parse(shape)
    )
    return positional.format


def _check_shapes(shapes: Mapping[str, str], *fields: str) -> None:
    """A row's shape may name only the fields it is given (``""``: one ``{}``): no attribute,
    index or conversion, which an operator's template in the sandbox must not reach through
    ``str.format``."""
    for name, shape in shapes.items():
        for _, field_name, spec, conversion in string.Formatter().parse(shape):
            if field_name is not None and (field_name not in fields or spec or conversion):
                raise ValueError(f"the {name} shape {shape!r} may name only {fields}")
