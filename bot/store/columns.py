"""The column types the tables use, and reading their values without SQLAlchemy: moments
stored as UTC and read back aware (on SQLite too), people's words read back as ``SlackText``,
and the helpers that read thousands of rows at once as the driver hands them back, or ask
for them by thousands of ids at once (``among``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Text,
    TypeDecorator,
    bindparam,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import NullType
from sqlmodel import Column

from bot.basics.slack_text import SlackText


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware column that always hands back UTC (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        return None if value is None else in_utc(value)


# A naive UTC datetime made aware by arithmetic: ``datetime.replace(tzinfo=UTC)`` costs several
# times as much on CPython 3.11 (bench/RESULTS.md, "Figures behind the code's choices"), and
# every moment read from SQLite, thousands for a long timeline or a year of incidents, comes
# through here.
_NAIVE_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    """``value`` aware, in UTC; a naive value is taken to be UTC already."""
    return _UTC_EPOCH + (value - _NAIVE_EPOCH) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable)


def utc_from_database(value: datetime | str | None) -> datetime | None:
    """A ``UTCDateTime`` value as the driver hands it back when read without SQLAlchemy's
    type processing (``raw_column``): SQLite's text (``2025-03-27 15:42:00.000000``, UTC
    with no offset) or PostgreSQL's datetime; aware, in UTC, as the column type reads it."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) == _STORED_LENGTH:  # as stored, naive UTC: aware in one parse, half
            # the cost of parsing then adding (a long timeline reads 10,000). ``try``, not
            # ``suppress``: entering a context manager cost twice the parse.
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:  # 26 characters with an offset of their own
                pass
        value = datetime.fromisoformat(value)
    return in_utc(value)


# SQLite's text of a ``UTCDateTime``, always with its microseconds (SQLAlchemy's format).
_STORED_LENGTH = len("2025-03-27 15:42:00.000000")


def json_from_database(value: Any) -> Any:
    """A ``JSON`` value read without type processing: the text SQLite (and a driver with no
    JSON codec) hands back, parsed; a value the driver parsed already, as it is."""
    # A tuple, not ``str | bytes``: that union is built again on each of 10,000 calls.
    return json.loads(value) if isinstance(value, _JSON_TEXT) else value


_JSON_TEXT = (str, bytes)


def raw_column(column: Any) -> Any:
    """``column`` read as the driver hands it back, without SQLAlchemy's per-value type
    processing: for reading thousands of rows at once (a long incident's timeline), where
    those Python calls cost more than the query; convert with the functions above."""
    return type_coerce(column, NullType()).label(column.name)


class SlackTextType(TypeDecorator[str]):
    """A person's words in Slack's encoding (bot.basics.slack_text): read back as
    ``SlackText``, so every output knows to decode them rather than escape them again."""

    impl = Text
    cache_ok = True

    def process_result_value(
        self,
        value: str | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> str | None:
        return None if value is None else SlackText(value)


def slack_text_column(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(SlackTextType(), nullable=nullable, default="" if not nullable else None)


class KeepsSlackText:
    """A table whose ``SLACK_TEXT`` attributes hold Slack text whenever they are set, as when
    they are read back: the record's callers give text in Slack's encoding (text that arrives
    plain is encoded where it enters, bot.basics.slack_text)."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.SLACK_TEXT and isinstance(value, str):
            value = SlackText.of(value)
        super().__setattr__(name, value)


class _Among(ColumnElement[bool]):
    """An integer column among ids given as one bound parameter, however many: SQLite reads
    them from a JSON array (``json_each``), PostgreSQL from an ``integer[]`` (``= ANY``). A
    parameter each (``IN (?, ?, …)``) passes the drivers' 32,767 at a large workspace and
    was read in chunks of 500, a statement each (Insights over 4,000 incidents: 27)."""

    type = Boolean()
    # A condition as it stands: without this SQLite's WHERE reads it as a value compared
    # with 1 (``… IN (…) = 1``), which no index serves (a scan of every alert).
    _is_implicitly_boolean = True
    inherit_cache = False  # compiled with its column each time: nothing to cache

    def __init__(self, column: ColumnElement[Any], ids: Sequence[int]) -> None:
        self.column = column
        self.ids = [int(each) for each in ids]


@compiles(_Among, "sqlite")
def _among_sqlite(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(bindparam(None, json.dumps(element.ids), type_=Text()), **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"


@compiles(_Among, "postgresql")
def _among_postgresql(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(bindparam(None, element.ids, type_=ARRAY(Integer)), **kw)
    return f"{column} = ANY({ids})"


def among(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """SQL: ``column`` (an integer id) is one of ``ids``, bound as one parameter."""
    return _Among(column, ids)
