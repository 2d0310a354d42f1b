"""How a postmortem draft says things in its incident's language and zone: moments (each
minute worked out once a draft), durations, values escaped once, and every line's parts as
Markdown (``DraftFormat.marked_lines``). ``Draft`` (bot.record.postmortem.draft) is one, by
way of the rows of its long sections (bot.record.postmortem.draft_rows).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz
from dateutil.relativedelta import relativedelta

from bot.basics.markdown_text import (
    formatted_item_text_each,
    markdown_escape,
    markdown_escape_each,
)
from bot.record.postmortem.language import Language, MinutesSaid
from bot.record.postmortem.parts import (
    EscalationLine,
    Line,
    MarkedLines,
    Metric,
    MisleadingPath,
)
from bot.store.models import Incident

# Spans shorter than the shortest month are days, hours and minutes whatever the dates.
_MONTH_AT_LEAST = timedelta(days=28)


class DraftFormat:
    """The formatting of a draft's language and zone, over the draft's own fields (declared
    here, given by ``Draft``, a dataclass): its incident, its language, its lines, and the
    caches that make a long draft's moments and lines said once."""

    incident: Incident
    language: Language
    timeline: list[Line]
    impacts: list[Line]
    causes: list[Line]
    misleading: list[MisleadingPath]
    mitigations: list[Line]
    escalations: list[EscalationLine]
    updates: list[Line]
    triggers: list[Line]
    _moments: dict[int, tuple[str, str]]
    _marked: MarkedLines | None
    _marked_row: dict[int, int]
    _timeline_marked: MarkedLines | None
    _escapes: dict[str, str]
    _durations: dict[timedelta, str]
    _zone: tzinfo | None
    _minutes_said: MinutesSaid | None

    @property
    def zone(self) -> str:
        return self.incident.timezone

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self._local_zone())

    def _local_zone(self) -> tzinfo | None:
        if self._zone is None:
            self._zone = _zone(self.incident.timezone)
        return self._zone

    def time(self, moment: datetime) -> str:
        """``3:00 PM`` in the incident's zone."""
        return self._said(moment)[1]

    def date(self, moment: datetime) -> str:
        """``June 8, 2023`` in the incident's zone."""
        return self._said(moment)[0]

    def dated(self, lines: Sequence[Line]) -> list[tuple[str, str, Line]]:
        """Each line with its date and time: one call for a whole section, not two a line."""
        return [(*self._said(line.at), line) for line in lines]

    def _said(self, moment: datetime) -> tuple[str, str]:
        """The date and the time of ``moment``, worked out once per draft and minute: a long
        timeline has several lines a minute and shows each moment several times (its line, a
        misleading path, an escalation). Zones are whole minutes from UTC, so the minute in
        UTC decides the minute shown, kept by its number (hashing an aware datetime costs more
        than the rest of a cached answer)."""
        return self._said_minute(int(moment.timestamp()) // 60)

    def _said_minute(self, minute: int) -> tuple[str, str]:
        said = self._moments.get(minute)
        if said is None:
            if self._minutes_said is None:
                self._minutes_said = MinutesSaid(self.language, self._local_zone())
            said = self._moments[minute] = self._minutes_said(minute)
        return said

    def _escaped(self, text: str) -> str:
        """``markdown_escape`` of a value a draft repeats (a date, a time, a name), once."""
        escaped = self._escapes.get(text)
        if escaped is None:
            escaped = self._escapes[text] = markdown_escape(text)
        return escaped

    def marked_lines(self, lines: Sequence[Line]) -> MarkedLines:
        """The lines' parts as Markdown. Every line of the draft is marked once, the first
        time any is asked for; a section takes its lines' rows from there."""
        if self._marked is None:
            every = {id(line): line for line in self.timeline}
            # The timeline's lines are the first rows, when no line is in it twice: the
            # timeline, most of a draft, takes its rows as they are.
            timeline_first = len(every) == len(self.timeline)
            every |= {id(line): line for line in self._sections()}
            self._marked = self._mark(list(every.values()))
            self._marked_row = {key: row for row, key in enumerate(every)}
            if timeline_first:
                self._timeline_marked = MarkedLines(
                    *(column[: len(self.timeline)] for column in self._marked)
                )
        if lines is self.timeline and self._timeline_marked is not None:
            return self._timeline_marked
        try:
            rows = [self._marked_row[id(line)] for line in lines]
        except KeyError:  # not one of the draft's lines
            return self._mark(list(lines))
        return MarkedLines(*([column[row] for row in rows] for column in self._marked))

    def _sections(self) -> Iterator[Line]:
        """The lines of the sections after the timeline."""
        for section in (self.impacts, self.causes, self.mitigations, self.updates, self.triggers):
            yield from section
        for path in self.misleading:
            yield from path.lines
        for escalation in self.escalations:
            if escalation.joined is not None:
                yield escalation.joined

    def _mark(self, lines: list[Line]) -> MarkedLines:
        days, clocks = self._minutes([line.at for line in lines])
        links = markdown_escape_each([line.link or "" for line in lines])
        escaped = self._escaped
        return MarkedLines(
            days,
            [
                f"[{clock}]({link})" if link else clock
                for clock, link in zip(clocks, links, strict=True)
            ],
            [escaped(line.author) if line.author else "" for line in lines],
            formatted_item_text_each(
                [line.text for line in lines],
                own_italics=self.language.gap_mark.lstrip("_").strip(),
            ),
        )

    def _minutes(self, moments: list[datetime]) -> tuple[list[str], list[str]]:
        """The date and the time of each moment, escaped. Moments mostly come in time order:
        each is compared with the minute of the moment before (by its number: a datetime's
        ``replace`` costs several times ``timestamp``)."""
        days, clocks = [], []
        shown = None
        day = clock = ""
        for moment in moments:
            minute = int(moment.timestamp()) // 60
            if minute != shown:
                shown = minute
                said_day, said_clock = self._said_minute(minute)
                day, clock = self._escaped(said_day), self._escaped(said_clock)
            days.append(day)
            clocks.append(clock)
        return days, clocks

    def abbreviation(self, moment: datetime) -> str:
        """``EAT``: the zone's abbreviation at that moment."""
        return self.local(moment).tzname() or self.incident.timezone

    def moment(self, moment: datetime) -> str:
        """``June 8, 2023, 3:00 PM UTC``."""
        return f"{self.date(moment)}, {self.time(moment)} {self.abbreviation(moment)}"

    def same_day(self, first: datetime, second: datetime) -> bool:
        return self.local(first).date() == self.local(second).date()

    def duration(self, start: datetime | None, end: datetime | None) -> str | None:
        """``1 hour 45 minutes``; None when a side is missing or it ends before it starts."""
        if start is None or end is None or end < start:
            return None
        span = end - start
        if span >= _MONTH_AT_LEAST:  # months and years depend on the calendar, not the span
            return self.language.words(relativedelta(end, start))
        words = self._durations.get(span)
        if words is None:
            words = self._durations[span] = self.language.words(relativedelta(end, start))
        return words

    def between(self, metric: Metric) -> str | None:
        return self.duration(metric.start.at, metric.end.at) if metric.known else None


def zone_named(name: str) -> tzinfo | None:
    """The zone of that name, as a draft reads its incident's (the record's checks too)."""
    return _zone(name)


def _zone(name: str) -> tzinfo | None:
    """The zone of that name: the standard library's (its conversions are C, a tenth of
    dateutil's time for the thousands of moments of a long draft), else dateutil's, which
    knows the same names from the same files and is what checked the name when it was set."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return tz.gettz(name)
