"""Search by words: incidents whose title, first report, timeline (updates among it) or
follow-ups hold every word typed, in any order and any case, each word also as the start of a
longer one ("fail" finds "failures"); and, for a page of results, where the words were found.

The words are indexed by the database (migration 0077_search_words): SQLite's FTS5 and
PostgreSQL's full-text search, with punctuation separating words on both, so the two find the
same incidents. A word is what ``WORD`` matches in what was typed: letters and digits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ColumnElement, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ActionItem, Incident, TimelineEntry, TimelineKind

WORD = re.compile(r"[^\W_]+")
# Words past these are not searched for (a title is a line; more words narrow nothing).
MAX_WORDS = 8


class Place(StrEnum):
    """Where in an incident words were found, as the list says it."""

    TITLE = "title"
    UPDATES = "updates"
    TIMELINE = "timeline"
    FOLLOW_UPS = "follow-ups"


@dataclass(frozen=True)
class _Source:
    """A table searched: its FTS5 table on SQLite and its columns (the migration's SOURCES)."""

    table: str
    words: str
    columns: tuple[str, ...]


INCIDENTS = _Source("incident", "incident_words", ("title", "description"))
TIMELINE = _Source("timeline_entry", "timeline_entry_words", ("text",))
FOLLOW_UPS = _Source("action_item", "action_item_words", ("text",))
SOURCES = (INCIDENTS, TIMELINE, FOLLOW_UPS)

# Character for character the migration's index expression (PostgreSQL uses an expression's
# index only for that expression).
_PG_WORDS = (
    "to_tsvector('simple'::regconfig, regexp_replace({text}, '[[:punct:][:space:]]+', ' ', 'g'))"
)


def search_words(typed: str) -> tuple[str, ...]:
    """The words searched for in what was typed: lower case, each once, at most MAX_WORDS."""
    seen = dict.fromkeys(word.casefold() for word in WORD.findall(typed))
    return tuple(seen)[:MAX_WORDS]


def _query(dialect: str, words: Sequence[str]) -> str:
    """Any of ``words``, each also as a word's start, in the database's query language."""
    if dialect == "sqlite":
        return " OR ".join(f'"{word}"*' for word in words)
    return " | ".join(f"{word}:*" for word in words)


def _holding(source: _Source, table: str, dialect: str, query: str) -> str:
    """SQL true for the rows of ``table`` (``source``'s table or its alias) holding the words
    of ``query`` (a bound parameter), a line removed on the draft's page left out."""
    if dialect == "sqlite":
        words = source.words
        return f"{table}.id IN (SELECT rowid FROM {words} WHERE {words} MATCH {query})" + (
            _kept(source, table)
        )
    text = " || ' ' || ".join(f"coalesce({table}.{column}, '')" for column in source.columns)
    return f"{_PG_WORDS.format(text=text)} @@ to_tsquery('simple'::regconfig, {query})" + (
        _kept(source, table)
    )


def _kept(source: _Source, table: str) -> str:
    """SQL (`` AND …``): the row of ``table`` is no line a person removed on the draft's page
    (a ``line_change`` with no words after, ``bot/record/incident/findings.py``); nothing for the
    incidents' own titles. Read through ``ix_line_change_line`` (incident, line)."""
    if source is INCIDENTS:
        return ""
    return (
        " AND NOT EXISTS (SELECT 1 FROM line_change WHERE line_change.incident_id ="
        f" {table}.incident_id AND line_change.line = '{source.table}:' || {table}.id"
        " AND line_change.text IS NULL)"
    )


class _RowsWith(ColumnElement[bool]):
    """The rows of one source table (in the statement's FROM) holding any of the words."""

    type = Boolean()
    inherit_cache = False  # compiled with its words each time: nothing to cache

    def __init__(self, source: _Source, words: Sequence[str]) -> None:
        self.source = source
        self.words = tuple(words)


class _HoldsWords(ColumnElement[bool]):
    """The incidents holding every word, each in any source: for each word the union of each
    source's matches, so every source is read through its index (an ``OR`` of them made
    PostgreSQL read every incident's title)."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(words)


def _bound(compiler: SQLCompiler, value: str, **kw: Any) -> str:
    return str(compiler.process(literal(value), **kw))


@compiles(_RowsWith, "sqlite")
@compiles(_RowsWith, "postgresql")
def _rows_with(element: _RowsWith, compiler: SQLCompiler, **kw: Any) -> str:
    dialect = compiler.dialect.name
    query = _bound(compiler, _query(dialect, element.words), **kw)
    return _holding(element.source, element.source.table, dialect, query)


@compiles(_HoldsWords, "sqlite")
@compiles(_HoldsWords, "postgresql")
def _holds_words(element: _HoldsWords, compiler: SQLCompiler, **kw: Any) -> str:
    dialect = compiler.dialect.name
    unions = [_word_union(word, dialect, compiler, **kw) for word in element.words]
    if dialect == "sqlite":  # no parentheses around a compound's members in SQLite
        return " AND ".join(f"incident.id IN ({union})" for union in unions)
    # One INTERSECT of the words' unions: PostgreSQL cannot estimate a prefix's matches, and
    # with one IN a word it joined them in nested loops (bench.web_pages, searched by words).
    return "incident.id IN (" + " INTERSECT ".join(f"({union})" for union in unions) + ")"


def _word_union(word: str, dialect: str, compiler: SQLCompiler, **kw: Any) -> str:
    """The ids of the incidents holding ``word`` in any source, a ``UNION ALL`` (the IN or
    INTERSECT around it keeps each id once; UNION built a second b-tree of the same ids for
    each word, a fifth of the list's CPU when searched by three common words)."""
    selects = []
    for source in SOURCES:
        query = _bound(compiler, _query(dialect, [word]), **kw)
        if dialect == "sqlite":
            # Read from the FTS5 table, joined to its rows: a third less than each row's id
            # looked up IN the matches (bench.web_pages, the list searched by words).
            words = source.words
            if source is INCIDENTS:
                selects.append(f"SELECT rowid FROM {words} WHERE {words} MATCH {query}")
            else:
                table = source.table
                selects.append(
                    f"SELECT {table}.incident_id FROM {words} JOIN {table}"
                    f" ON {table}.id = {words}.rowid WHERE {words} MATCH {query}"
                    + _kept(source, table)
                )
        elif source is INCIDENTS:
            where = _holding(source, "searched", dialect, query)
            selects.append(f"SELECT searched.id FROM incident AS searched WHERE {where}")
        else:
            where = _holding(source, source.table, dialect, query)
            selects.append(f"SELECT {source.table}.incident_id FROM {source.table} WHERE {where}")
    return " UNION ALL ".join(selects)


def holds_words(typed: str) -> ColumnElement[bool]:
    """Incidents holding every word of ``typed`` somewhere searched (none typed: none)."""
    words = search_words(typed)
    if not words:
        return literal(False)
    return _HoldsWords(words)


async def found_in(
    session: AsyncSession, incident_ids: Collection[int], typed: str
) -> dict[int, list[Place]]:
    """Where any word of ``typed`` is in each of ``incident_ids`` (a page of results), in the
    order of ``Place``."""
    words = search_words(typed)
    ids = list(incident_ids)
    places: dict[int, set[Place]] = defaultdict(set)
    if not words or not ids:
        return {}
    titled = await session.exec(
        select(Incident.id).where(col(Incident.id).in_(ids), _RowsWith(INCIDENTS, words))
    )
    for incident_id in titled.all():
        if incident_id is not None:
            places[incident_id].add(Place.TITLE)
    for incident_id, kind in await _timeline_kinds(session, ids, words):
        places[incident_id].add(Place.UPDATES if kind == TimelineKind.UPDATE else Place.TIMELINE)
    for incident_id in await _followed_up(session, ids, words):
        places[incident_id].add(Place.FOLLOW_UPS)
    return {i: [p for p in Place if p in found] for i, found in places.items()}


async def _timeline_kinds(
    session: AsyncSession, ids: list[int], words: Sequence[str]
) -> list[tuple[int, str]]:
    rows = await session.exec(
        select(TimelineEntry.incident_id, TimelineEntry.kind)
        .where(
            col(TimelineEntry.incident_id).in_(ids),
            _RowsWith(TIMELINE, words),
        )
        .distinct()
    )
    return list(rows.all())


async def _followed_up(session: AsyncSession, ids: list[int], words: Sequence[str]) -> list[int]:
    rows = await session.exec(
        select(ActionItem.incident_id)
        .where(col(ActionItem.incident_id).in_(ids), _RowsWith(FOLLOW_UPS, words))
        .distinct()
    )
    return list(rows.all())
