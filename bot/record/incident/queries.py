"""Finding incidents to review: filtered, paginated lists and one incident by reference."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, case, false, func, or_, true
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText
from bot.record.incident.search import holds_words
from bot.store.columns import among
from bot.store.models import (
    SEVERITIES,
    ChannelMessage,
    Incident,
    IncidentFieldValue,
    IncidentRole,
    TimelineEntry,
    TimelineKind,
)

REFERENCE = re.compile(r"^INC-([1-9][0-9]{0,8})$", re.IGNORECASE)
HISTORY_PAGE = 500


@dataclass(frozen=True)
class IncidentQuery:
    """Which incidents a list shows: the filters people choose, and the page."""

    team_id: str | None = None
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    # Declared at or after ``since`` and before ``until`` (UTC).
    since: datetime | None = None
    until: datetime | None = None
    # Incident types (any of them), and custom field values as stored (every pair must hold;
    # a multi-select holds when one of its options is the value).
    incident_types: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    # The postmortem's review states (bot/record/postmortem/review.py), any of them.
    reviews: tuple[str, ...] = ()
    # Words anywhere searched (bot/record/incident/search.py), or a reference
    # (``INC-123``).
    search: str = ""
    # The incidents the search's words were found in, looked up once (``words_looked_up``):
    # a list's several reads (open and resolved, each counted and paged) use them instead
    # of searching every title, timeline and follow-up again.
    found: tuple[int, ...] | None = None
    # Newest first (False), or the worst severity first, newest first within each: the list's
    # "Active now", one page of which never hides a SEV1 behind a flood of SEV3s.
    worst_first: bool = False
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class IncidentPage:
    incidents: Sequence[Incident]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


class IncidentSummary(NamedTuple):
    """The columns of an incident that counting it and deciding who sees it read, as plain
    values: the insights and the list's visibility go over every match (10,000 over a year),
    and building as many ORM objects took most of the insights page's time. A named tuple:
    a frozen dataclass set its twelve fields one ``object.__setattr__`` at a time, a good part
    of the insights page's CPU (bench/RESULTS.md)."""

    id: int
    team_id: str
    number: int
    severity: str
    is_private: bool
    channel_id: str | None
    started_at: datetime | None
    detected_at: datetime | None
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    ended_at: datetime | None
    resolved_at: datetime | None

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"


# An incident as the insights count it and visibility checks it: the ORM row or its summary.
Summarised = Incident | IncidentSummary

_INCIDENTS = Incident.__table__  # type: ignore[attr-defined]
_SUMMARIES = core_select(*(_INCIDENTS.c[name] for name in IncidentSummary._fields))


def parse_reference(reference: str) -> int | None:
    """``INC-7`` → 7; None for anything else."""
    match = REFERENCE.match(reference.strip())
    return int(match.group(1)) if match else None


def _filters(query: IncidentQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.team_id is not None:
        conditions.append(col(Incident.team_id) == query.team_id)
    if query.statuses:
        conditions.append(col(Incident.status).in_(query.statuses))
    if query.severities:
        conditions.append(col(Incident.severity).in_(query.severities))
    if query.since is not None:
        conditions.append(col(Incident.declared_at) >= query.since)
    if query.until is not None:
        conditions.append(col(Incident.declared_at) < query.until)
    if query.incident_types:
        conditions.append(col(Incident.incident_type).in_(query.incident_types))
    if query.reviews:
        conditions.append(col(Incident.postmortem_review).in_(query.reviews))
    if query.found is not None:
        conditions.append(among(col(Incident.id), query.found))
    elif query.search:
        conditions.append(_searched(query.search))
    for name, value in query.fields:
        conditions.append(
            col(Incident.id).in_(
                select(IncidentFieldValue.incident_id).where(
                    IncidentFieldValue.field == name, IncidentFieldValue.value == value
                )
            )
        )
    return conditions


def _order(query: IncidentQuery) -> list[ColumnElement[Any]]:
    newest: list[ColumnElement[Any]] = [col(Incident.declared_at).desc(), col(Incident.id).desc()]
    if not query.worst_first:
        return newest
    rank = case({name: n for n, name in enumerate(SEVERITIES)}, value=col(Incident.severity))
    return [rank, *newest]


def _searched(words: str) -> ColumnElement[bool]:
    """``INC-123``: that incident; anything else: incidents holding every word, in any order
    and any case, in their title, first report, timeline or follow-ups (search)."""
    number = parse_reference(words)
    if number is not None:
        return col(Incident.number) == number
    return holds_words(words)


async def words_looked_up(session: AsyncSession, query: IncidentQuery) -> IncidentQuery:
    """The query with the incidents its search's words are in (``found``), for a page that
    reads it several times; a query without words (or a reference, ``INC-123``) as it is."""
    if not query.search or parse_reference(query.search) is not None:
        return query
    conditions = [holds_words(query.search)]
    if query.team_id is not None:
        conditions.append(col(Incident.team_id) == query.team_id)
    found = (await session.exec(select(Incident.id).where(*conditions))).all()
    return replace(query, found=tuple(sorted(i for i in found if i is not None)))


async def matches(
    session: AsyncSession, query: IncidentQuery, *, private_only: bool
) -> list[IncidentSummary]:
    """The incidents the filters match, newest first (the private ones only, if asked)."""
    conditions = _filters(query)
    if private_only:
        conditions.append(col(Incident.is_private) == true())
    statement = _SUMMARIES.where(*conditions).order_by(*_order(query))
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return list(map(IncidentSummary._make, rows))


async def held_by(session: AsyncSession, user_id: str, incident_ids: Collection[int]) -> set[int]:
    """The incidents among ``incident_ids`` that ``user_id`` declared, leads or holds a role in."""
    ids = list(incident_ids)
    if not ids:
        return set()
    rows = await session.exec(
        select(Incident.id).where(
            col(Incident.id).in_(ids),
            or_(
                col(Incident.declared_by) == user_id,
                col(Incident.commander) == user_id,
                col(Incident.id).in_(
                    select(IncidentRole.incident_id).where(IncidentRole.user_id == user_id)
                ),
            ),
        )
    )
    return {row for row in rows.all() if row is not None}


async def latest_team(session: AsyncSession) -> str | None:
    """The workspace of the latest incident: the bot's own, known without asking Slack."""
    rows = await session.exec(
        select(Incident.team_id).order_by(col(Incident.declared_at).desc()).limit(1)
    )
    return rows.first()


async def find_incidents(
    session: AsyncSession,
    query: IncidentQuery,
    *,
    private_ids: Collection[int] | None,
    public_too: bool = True,
) -> IncidentPage:
    """One page of incidents, newest first. ``private_ids``: the private incidents the viewer
    may see (None: all of them); without ``public_too`` (a guest), ``private_ids`` are the
    only incidents shown, public or not."""
    conditions = _filters(query)
    if private_ids is not None:
        visible = col(Incident.id).in_(list(private_ids)) if private_ids else false()
        conditions.append(
            or_(col(Incident.is_private) == false(), visible) if public_too else visible
        )
    where = and_(true(), *conditions)
    total = (await session.exec(select(func.count()).select_from(Incident).where(where))).one()
    rows = await session.exec(
        select(Incident)
        .where(where)
        .order_by(*_order(query))
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    )
    return IncidentPage(rows.all(), int(total), query.page, query.per_page)


async def incident_by_number(session: AsyncSession, team_id: str, number: int) -> Incident | None:
    rows = await session.exec(
        select(Incident).where(Incident.team_id == team_id, Incident.number == number)
    )
    return rows.first()


async def channel_history(
    session: AsyncSession, incident_id: int, *, page: int = 1
) -> tuple[Sequence[ChannelMessage], bool]:
    """The channel's messages in the order they were said, and whether more follow."""
    rows = await session.exec(
        select(ChannelMessage)
        .where(ChannelMessage.incident_id == incident_id)
        .order_by(col(ChannelMessage.occurred_at), col(ChannelMessage.id))
        .offset((page - 1) * HISTORY_PAGE)
        .limit(HISTORY_PAGE + 1)
    )
    messages = rows.all()
    return messages[:HISTORY_PAGE], len(messages) > HISTORY_PAGE


class LatestUpdate(NamedTuple):
    """An incident's latest stakeholder update: when, and its first line as typed."""

    at: datetime
    first_line: str


async def latest_updates(
    session: AsyncSession, incident_ids: Collection[int]
) -> dict[int, LatestUpdate]:
    """Each incident's latest stakeholder update (``/incident update``), for those that had
    one: a page of the list's worth, in one query (the newest of each, by a window)."""
    if not incident_ids:
        return {}
    newest = (
        func.row_number()
        .over(
            partition_by=col(TimelineEntry.incident_id),
            order_by=(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc()),
        )
        .label("newest")
    )
    ranked = (
        select(
            col(TimelineEntry.incident_id),
            col(TimelineEntry.occurred_at),
            col(TimelineEntry.text),
            newest,
        )
        .where(
            col(TimelineEntry.incident_id).in_(list(incident_ids)),
            col(TimelineEntry.kind) == TimelineKind.UPDATE.value,
        )
        .subquery()
    )
    rows = await session.exec(
        select(ranked.c.incident_id, ranked.c.occurred_at, ranked.c.text).where(
            ranked.c.newest == 1
        )
    )
    return {incident_id: LatestUpdate(at, first_line(text)) for incident_id, at, text in rows.all()}


def first_line(text: str) -> SlackText:
    """The first line that says something (an update may open with a blank line), still in
    Slack's encoding, so a page decodes it as it does the whole."""
    return SlackText(next((line.strip() for line in text.splitlines() if line.strip()), ""))
