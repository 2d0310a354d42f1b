"""A page of a long incident's timeline and the facts around it, read without the rest.

The incident's web page shows its summary, milestones, escalations and tasks, and 500 lines
of the curated timeline at a time. Reading and arranging all of a 10,000-entry timeline for
that took nearly all of the page's time; here every entry's id, kind and moment are read to
find where the page falls (the curated order, ``curated_timeline``, is decided by moment and
kind alone), then only the page's entries and those the summary shows are read in full.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.render import Renderer
from bot.record.incident import timeline
from bot.record.incident.findings import line_ref, removed_lines
from bot.record.incident.incident_types import NO_TYPES, IncidentTypes
from bot.record.people import known_names
from bot.record.postmortem.draft import Draft
from bot.record.postmortem.figures import FIGURE_KINDS, milestone_times
from bot.record.postmortem.language import Language
from bot.record.postmortem.parts import Line
from bot.record.postmortem.semantics import followed_first
from bot.record.postmortem.sources import load_record, milestone_changes
from bot.record.postmortem.writing import build_draft, curated_timeline
from bot.record.postmortem.written import chosen_template, template_directory
from bot.store.change_stamps import Family, change_stamps
from bot.store.db import session_scope
from bot.store.models import Incident, Milestone, TimelineKind

# The entries the page's summary shows besides its page of the timeline: impact, root cause
# findings, the trigger, follow-ups (its tasks), the messages marked recovered (when the
# mitigation worked, a proposed impact end); of the stakeholder updates only the latest (its
# header shows it) and of the fixes only the first (the mitigation's start, which the
# milestones are read from): a long war room posts thousands of each, which the page had
# read and written out to show one. tests/incident/test_timeline_page.py renders the page both
# ways, so a template that starts showing another kind, or more of one, fails there until
# it is named here.
SUMMARY_KINDS = frozenset(
    {
        TimelineKind.IMPACT.value,
        TimelineKind.ROOT_CAUSE.value,
        TimelineKind.TRIGGER.value,
        TimelineKind.FOLLOW_UP.value,
        TimelineKind.RECOVERED.value,
    }
)
_LATEST_UPDATE = TimelineKind.UPDATE.value
_FIRST_MITIGATION = TimelineKind.MITIGATION.value
# Of the figures' other kinds, the first is all they read (acknowledged: the first answer);
# the alerts' lines only place their resolution, whose moment the record keeps apart.
_FIRST_OF = tuple(
    sorted(FIGURE_KINDS - SUMMARY_KINDS - {_FIRST_MITIGATION, TimelineKind.ALERT.value})
)
# A milestone set by hand is a line of the curated timeline of its own (``curated_timeline``).
_HAND_SET = frozenset(f"milestone_{milestone.value}" for milestone in Milestone)


@dataclass(frozen=True)
class TimelinePage:
    """The incident's facts (``draft``: all but its timeline) and one page of its timeline."""

    draft: Draft
    lines: list[Line]
    total: int  # lines shown of the whole curated timeline (the kinds asked for)
    # How many lines of each kind the whole curated timeline has, shown or not.
    kinds: Counter[str] = field(default_factory=Counter)


async def read_timeline_page(
    engine: AsyncEngine,
    renderer: Renderer,
    incident_id: int,
    *,
    start: int,
    size: int,
    language: str,
    style: str,
    now: datetime,
    types: IncidentTypes = NO_TYPES,
    hidden: Collection[str] = (),
    orders: CuratedOrders | None = None,
) -> TimelinePage:
    """Lines ``start`` to ``start + size`` (from 0) of the curated timeline, as ``read_draft``
    would arrange them, and the draft's facts; people by the names the record knows. Lines
    of the ``hidden`` kinds are left out (the page's filter), and counted. ``orders``: the
    curated orders kept while their incident is unchanged (the web view's), else read."""
    order = await orders.of(engine, incident_id) if orders is not None else None
    async with session_scope(engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(f"no incident with id {incident_id}")
        order = order or await curated_order(session, incident, incident_id)
        ordered = order.shown(hidden)
        page = ordered[start : start + size]
        on_page = _entries_on(page, order.partners)
        hand_set = {line.kind for line in page if isinstance(line, Line)}
        summary = _summary_ids(order.moments)
        entries = await _entries_read(session, incident_id, on_page | summary, order.removed)
        record = await load_record(session, incident, types, entries=entries)
        names = await known_names(session, record.user_ids())
    code, style = chosen_template(incident, language=language, style=style)
    spoken = Language.load(template_directory(renderer, code, style))

    def arrange(entries: list[timeline.EntryRow], known: Draft | None = None) -> Draft:
        part = replace(record, entries=entries)
        return build_draft(
            part, names, renderer=renderer, language=spoken, style=style, now=now, known=known
        )

    def build() -> TimelinePage:
        draft = arrange(
            [entry for entry in entries if entry.kind in SUMMARY_KINDS or entry.id in summary]
        )
        # The page's entries keep their order among themselves; of the milestones set by
        # hand, the page keeps those that stand on it; its milestones are the summary's.
        lines = arrange([entry for entry in entries if entry.id in on_page], draft).timeline
        return TimelinePage(draft, _shown(lines, hand_set, hidden), len(ordered), order.kinds)

    return await asyncio.to_thread(build)


@dataclass(frozen=True)
class CuratedOrder:
    """Where each line of an incident's curated timeline stands, read from the entries'
    moments and kinds alone (``curated_timeline``): the entry moments shown, the
    investigation entries each shown one says too (by its id), every line in order, how
    many lines of each kind there are, and the lines a person removed on the draft's page
    (they stay in the record, out of the page, as out of the draft: ``load_record``).
    Read-only once made: one is shared by every page that asks while it is current."""

    removed: frozenset[str]
    moments: list[timeline.EntryMoment]
    partners: dict[int, list[int]]
    ordered: list[timeline.EntryMoment | Line]
    kinds: Counter[str]

    def shown(self, hidden: Collection[str]) -> list[timeline.EntryMoment | Line]:
        """The lines in order, but those of the ``hidden`` kinds."""
        return (
            [line for line in self.ordered if line.kind not in hidden] if hidden else self.ordered
        )


async def curated_order(
    session: AsyncSession, incident: Incident, incident_id: int
) -> CuratedOrder:
    """The incident's curated order, read now."""
    removed = frozenset(await removed_lines(session, incident_id))
    milestones = milestone_times(
        incident, await milestone_changes(session, incident_id), lambda user: user
    )
    moments = [
        moment
        for moment in await timeline.entry_moments(session, incident_id)
        if f"timeline_entry:{moment.id}" not in removed
    ]
    # A message marked investigation, then otherwise, is one line (``one_line_each``):
    # the investigation's entry goes with the page of the line that says both.
    followed = followed_first([m.kind for m in moments], [m.ts for m in moments])
    partners: dict[int, list[int]] = {}
    for first, later in followed.items():
        partners.setdefault(moments[later].id, []).append(moments[first].id)
    shown = [moment for index, moment in enumerate(moments) if index not in followed]
    ordered = curated_timeline(shown, milestones)
    return CuratedOrder(removed, moments, partners, ordered, Counter(line.kind for line in ordered))


class CuratedOrders:
    """Incidents' curated orders, each kept while nothing it is made of has changed: the
    change stamps of the incidents' and the timelines' families (bot/store/change_stamps.py)
    are its key. A war room watched in many tabs changes, and each tab's refresh would read
    and order its 10,000 entries again; the first reads it, the others wait for that read
    and share it. Stamps are read before the order, so an order is never older than its
    key."""

    def __init__(self, kept: int = 8) -> None:
        self._most = kept
        self._kept: OrderedDict[tuple[int, int, int], CuratedOrder] = OrderedDict()
        self._reading: dict[tuple[int, int, int], asyncio.Lock] = {}

    async def of(self, engine: AsyncEngine, incident_id: int) -> CuratedOrder:
        """The incident's curated order as it stands (LookupError: no such incident)."""
        stamps = await change_stamps(engine)
        key = (incident_id, stamps[Family.INCIDENTS], stamps[Family.TIMELINE])
        reading = self._reading.setdefault(key, asyncio.Lock())
        try:
            async with reading:  # one read per key: those waiting then find it kept
                if key not in self._kept:
                    self._kept[key] = await self._read(engine, incident_id)
                    while len(self._kept) > self._most:
                        self._kept.popitem(last=False)
                self._kept.move_to_end(key)
                return self._kept[key]
        finally:
            self._reading.pop(key, None)

    @staticmethod
    async def _read(engine: AsyncEngine, incident_id: int) -> CuratedOrder:
        async with session_scope(engine) as session:
            incident = await session.get(Incident, incident_id)
            if incident is None:
                raise LookupError(f"no incident with id {incident_id}")
            return await curated_order(session, incident, incident_id)


async def _entries_read(
    session: AsyncSession, incident_id: int, ids: set[int], removed: Collection[str]
) -> list[timeline.EntryRow]:
    """The entries of those ids and the summary's kinds, but those removed on the draft's
    page."""
    rows = await timeline.entry_rows(session, incident_id, ids=ids, kinds=SUMMARY_KINDS)
    return [entry for entry in rows if line_ref(entry) not in removed]


def _shown(lines: list[Line], hand_set: set[str], hidden: Collection[str]) -> list[Line]:
    """The page's lines: of the milestones set by hand, those that stand on the page; no
    line of a hidden kind."""
    return [
        line
        for line in lines
        if (line.kind not in _HAND_SET or line.kind in hand_set) and line.kind not in hidden
    ]


def _entries_on(
    page: Sequence[timeline.EntryMoment | Line], partners: Mapping[int, list[int]]
) -> set[int]:
    """The ids of the entries a page shows: its entries', and those they say too."""
    on_page = {line.id for line in page if isinstance(line, timeline.EntryMoment)}
    return on_page | {first for line in list(on_page) for first in partners.get(line, ())}


def _summary_ids(moments: list[timeline.EntryMoment]) -> set[int]:
    """The latest stakeholder update's entry, the first fix's (``SUMMARY_KINDS``) and the
    first of each other kind the incident's figures are read from (``FIGURE_KINDS``: the
    first acknowledgement, the lead first taken), in the entries' order as ``read_draft``
    has them."""
    firsts = [
        next((m.id for m in moments if m.kind == kind), None)
        for kind in (_FIRST_MITIGATION, *_FIRST_OF)
    ]
    latest = next((m.id for m in reversed(moments) if m.kind == _LATEST_UPDATE), None)
    return {found for found in (*firsts, latest) if found is not None}
