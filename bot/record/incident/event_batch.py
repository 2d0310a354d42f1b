"""A batch of plain Slack events kept in a few statements: messages said, reactions added,
and the timeline entries those reactions make of their messages.

The bulk of an incident channel's traffic, applied by the Slack event writer
(bot/flows/ingestion.py) many at a time. ``keep_plain_events`` is the batch's plan, carried
out by ``bot.store.direct`` (``run_plan`` in the writer's transaction, or ``run_transaction``
as one of its own), a statement for the batch at each step, whatever its size:

1. the stored messages among those reacted to: a reaction on a message the record lacks keeps
   nothing and is said back (its listener has the message fetched from Slack);
2. the claims of the event ids (``ON CONFLICT DO NOTHING RETURNING``: only what comes back is
   new, so an event delivered again, or applied by another replica, changes nothing);
3. the rows of the new messages and reactions (``ON CONFLICT DO NOTHING`` on their unique
   keys: a message stored already, by an earlier event or another replica, stays as it is);
4. the timeline entries of the new reactions that map to a kind (``RETURNING`` the new ones),
   and each incident's moment of mitigation, set by its first mitigation.

Steps 2 to 4 are one statement on PostgreSQL (``_KeepClaimed``), atomic by itself, so the
batch's write is one round trip; on SQLite they are the statements one after another.

Each step is what the record's one-at-a-time functions do (``record_message``,
``add_reaction``, ``promote``), for many events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from bot.basics.timestamps import ts_to_datetime
from bot.record.incident.messages import SaidMessage, thread_of
from bot.record.incident.reactions import SeenReaction
from bot.store.columns import utc_from_database
from bot.store.direct import Call, InsertRows, Plan, Row, SelectIn, SetWhereNull, quoted
from bot.store.models import (
    SYSTEM_SUBTYPES,
    ChannelMessage,
    Incident,
    ProcessedEvent,
    Reaction,
    TimelineEntry,
    TimelineKind,
)


@dataclass(frozen=True)
class PlainEvent:
    """A message said or a reaction added in an incident's channel, in plain values."""

    event_id: str
    incident_id: int
    said: SaidMessage | None = None
    reaction: SeenReaction | None = None
    # The timeline entry a reaction makes of its message, if its name maps to one.
    kind: TimelineKind | None = None


@dataclass
class BatchKept:
    """What a batch kept, by event id."""

    # Reactions on messages the record lacks: nothing of them was kept or claimed.
    unknown_message: set[str] = field(default_factory=set)
    # New reactions that map to a kind: whether each made a new timeline entry (of two that
    # make the same entry, the first did).
    new_entries: dict[str, bool] = field(default_factory=dict)
    # Whether an incident's moment of mitigation was set.
    mitigated: bool = False


@dataclass(frozen=True)
class _Kept:
    """What a reaction's entry needs of its message."""

    text: str
    # Its author: the person, or another app's name for that app's post.
    author: str | None
    occurred_at: datetime
    # Something someone said and still there: a join or a deleted message is no moment.
    promotable: bool


_MESSAGES = ChannelMessage.__table__  # type: ignore[attr-defined]
_KEPT = SelectIn(
    _MESSAGES,
    ("channel", "ts", "text", "user", "bot_name", "occurred_at", "subtype", "deleted_at"),
    where=("channel", "ts"),
)
_CLAIMS = InsertRows(
    ProcessedEvent.__table__,  # type: ignore[attr-defined]
    ("event_id", "received_at"),
    returning=("event_id",),
)
_NEW_MESSAGES = InsertRows(
    _MESSAGES,
    (
        "incident_id",
        "channel",
        "ts",
        "thread_ts",
        "user",
        "bot_id",
        "bot_name",
        "subtype",
        "text",
        "occurred_at",
        "recorded_at",
    ),
)
_NEW_REACTIONS = InsertRows(
    Reaction.__table__,  # type: ignore[attr-defined]
    ("incident_id", "channel", "ts", "name", "user", "added_at"),
)
_NEW_ENTRIES = InsertRows(
    TimelineEntry.__table__,  # type: ignore[attr-defined]
    (
        "incident_id",
        "kind",
        "text",
        "author",
        "occurred_at",
        "slack_channel",
        "slack_ts",
        "recorded_at",
    ),
    returning=("slack_channel", "slack_ts", "kind"),
)
_FIRST_MITIGATION = SetWhereNull(
    Incident.__table__,  # type: ignore[attr-defined]
    key="id",
    column="mitigated_at",
)


def keep_plain_events(events: Sequence[PlainEvent], now: datetime) -> Plan[BatchKept]:
    """The plan that keeps ``events`` (distinct event ids, in the order they came)."""
    kept_batch = BatchKept()
    kept = yield from _reacted_messages(events)
    for event in events:
        if event.reaction and (event.reaction.channel, event.reaction.ts) not in kept:
            kept_batch.unknown_message.add(event.event_id)
    known = [event for event in events if event.event_id not in kept_batch.unknown_message]
    reactions = [(event, event.reaction) for event in known if event.reaction]
    wanted = [
        (event, reaction, message)
        for event, reaction in reactions
        if event.kind and (message := kept[reaction.channel, reaction.ts]).promotable
    ]
    returned = yield (
        _KEEP_CLAIMED,
        _ClaimedRows(
            claims=[(event.event_id, now) for event in known],
            messages=[
                (e.event_id, *_message_row(e.incident_id, e.said, now)) for e in known if e.said
            ],
            reactions=[(e.event_id, e.incident_id, *_reaction_values(r)) for e, r in reactions],
            entries=[(e.event_id, *_entry_row(e, r, m, now)) for e, r, m in wanted],
        ),
    )
    new_ids = {row[1] for row in returned if row[0] == _CLAIMED}
    made = {tuple(row[1:]) for row in returned if row[0] == _ENTRY}
    for event, reaction in reactions:
        if event.kind and event.event_id in new_ids:
            entry = (reaction.channel, reaction.ts, event.kind.value)
            kept_batch.new_entries[event.event_id] = entry in made
            made.discard(entry)  # two reactions making one entry: the first made it
    kept_batch.mitigated = any(
        event.kind == TimelineKind.MITIGATION and kept_batch.new_entries.get(event.event_id)
        for event, _reaction, _message in wanted
    )
    return kept_batch


# What ``_KEEP_CLAIMED`` returns: rows tagged by what they are.
_CLAIMED = "claimed"  # (_CLAIMED, event id, None, None): a claim that was new
_ENTRY = "entry"  # (_ENTRY, channel, ts, kind): a new timeline entry


@dataclass(frozen=True)
class _ClaimedRows:
    """A batch's rows, each after the id of the event it belongs to (not a column): written
    only if that event's claim is new. ``entries`` in the order their events came."""

    claims: list[Row]
    messages: list[Row]
    reactions: list[Row]
    entries: list[Row]


class _KeepClaimed:
    """The claims of a batch's events, then the rows of those claimed, then the moment each
    incident was mitigated, set by its first new mitigation entry in the batch's order.

    On PostgreSQL one statement (data-modifying ``WITH`` clauses, each sub-statement seeing
    what the ones before it returned), so that the batch's write is one round trip and, being
    atomic alone, needs no transaction block around it (``run_transaction``'s ``one_write``).
    On SQLite, which has no such clauses, the same statements one after another in the plan's
    one hop. Both return ``_CLAIMED`` and ``_ENTRY`` rows.
    """

    def calls(self, dialect: str, rows: _ClaimedRows) -> list[Call] | Plan[list[Row]]:
        if dialect != "postgresql":
            return _one_by_one(rows)
        if not rows.claims:  # every event a reaction on a message the record lacks
            return []
        parameters: list[Any] = _CLAIMS.postgresql_arrays(rows.claims)
        for statement, given in (
            (_NEW_MESSAGES, rows.messages),
            (_NEW_REACTIONS, rows.reactions),
            (_NEW_ENTRIES, rows.entries),
        ):
            parameters.append([row[0] for row in given])
            parameters += statement.postgresql_arrays([row[1:] for row in given])
        parameters.append(TimelineKind.MITIGATION.value)
        return [Call(_keep_claimed_sql(), parameters)]


_KEEP_CLAIMED = _KeepClaimed()


def _one_by_one(rows: _ClaimedRows) -> Plan[list[Row]]:
    """``_KeepClaimed`` as one statement after another."""
    claimed = yield _CLAIMS, rows.claims
    new_ids = {event_id for (event_id,) in claimed}
    yield _NEW_MESSAGES, [row[1:] for row in rows.messages if row[0] in new_ids]
    yield _NEW_REACTIONS, [row[1:] for row in rows.reactions if row[0] in new_ids]
    entries = [row[1:] for row in rows.entries if row[0] in new_ids]
    made = yield _NEW_ENTRIES, entries
    new_entries = {tuple(row) for row in made}
    first: dict[int, datetime] = {}
    for incident_id, kind, _text, _author, occurred_at, channel, ts, _now in entries:
        if kind == TimelineKind.MITIGATION.value and (channel, ts, kind) in new_entries:
            first.setdefault(incident_id, occurred_at)
    if first:
        yield _FIRST_MITIGATION, list(first.items())
    return [(_CLAIMED, event_id, None, None) for (event_id,) in claimed] + [
        (_ENTRY, *row) for row in made
    ]


def _claimed_rows(statement: InsertRows, first: int, extra: tuple[str, ...]) -> str:
    """The rows given for ``statement`` (its parameters from ``$first``, the event ids first)
    of the events claimed; ``extra`` names what ``WITH ORDINALITY`` adds, if anything."""
    casts = [f"${first}::VARCHAR[]", *statement.postgresql_casts(first + 1)]
    names = ", ".join(quoted(name) for name in ("event_id", *statement.columns, *extra))
    ordinality = " WITH ORDINALITY" if extra else ""
    return (
        f"SELECT * FROM unnest({', '.join(casts)}){ordinality} AS given({names})"
        f' WHERE "event_id" IN (SELECT "event_id" FROM claimed)'
    )


@cache
def _keep_claimed_sql() -> str:
    """``_KeepClaimed`` on PostgreSQL; its parameters as ``_KeepClaimed.calls`` lists them."""
    first = len(_CLAIMS.columns) + 1  # the claims' parameters come first
    sources = []
    for statement, extra in (
        (_NEW_MESSAGES, ()),
        (_NEW_REACTIONS, ()),
        (_NEW_ENTRIES, ("position",)),
    ):
        sources.append(_claimed_rows(statement, first, extra))
        first += 1 + len(statement.columns)  # the event ids, then a parameter a column
    messages, reactions, entries = sources
    claims = _CLAIMS.postgresql_sql()
    mitigation = f"${first}::VARCHAR"
    incident = quoted(_FIRST_MITIGATION.table.name)
    key, column = quoted(_FIRST_MITIGATION.key), quoted(_FIRST_MITIGATION.column)
    return f"""WITH claimed AS ({claims}),
messages AS ({_NEW_MESSAGES.postgresql_from(f"({messages}) AS given")}),
reactions AS ({_NEW_REACTIONS.postgresql_from(f"({reactions}) AS given")}),
given_entries AS ({entries}),
entries AS ({_NEW_ENTRIES.postgresql_from('given_entries ORDER BY "position"')}),
mitigated AS (
  UPDATE {incident} SET {column} = "first"."occurred_at"
  FROM (
    SELECT DISTINCT ON (given."incident_id") given."incident_id", given."occurred_at"
    FROM given_entries AS given JOIN entries USING ("slack_channel", "slack_ts", "kind")
    WHERE given."kind" = {mitigation}
    ORDER BY given."incident_id", given."position"
  ) AS "first"
  WHERE {incident}.{key} = "first"."incident_id" AND {incident}.{column} IS NULL
)
SELECT '{_CLAIMED}'::TEXT, "event_id"::TEXT, NULL::TEXT, NULL::TEXT FROM claimed
UNION ALL SELECT '{_ENTRY}', "slack_channel", "slack_ts", "kind" FROM entries"""


def _reacted_messages(events: Sequence[PlainEvent]) -> Plan[dict[tuple[str, str], _Kept]]:
    """The messages the batch's reactions are on that are stored or said in the batch."""
    reacted = {(e.reaction.channel, e.reaction.ts) for e in events if e.reaction}
    if not reacted:
        return {}
    # A message said in this batch counts: its row is written before the reactions'. The
    # stored row wins over the event: a delivery Slack retried may say what the message was
    # before an edit or a deletion.
    kept = {
        key: _said_as_kept(event.said)
        for event in events
        if event.said and (key := (event.said.channel, event.said.ts)) in reacted
    }
    channels, stamps = tuple({key[0] for key in reacted}), tuple({key[1] for key in reacted})
    rows = yield _KEPT, [channels, stamps]
    for channel, ts, text, user, bot_name, occurred_at, subtype, deleted_at in rows:
        if (channel, ts) in reacted:
            occurred = utc_from_database(occurred_at)
            assert occurred is not None
            promotable = subtype not in SYSTEM_SUBTYPES and deleted_at is None
            kept[channel, ts] = _Kept(text, user or bot_name, occurred, promotable)
    return kept


def _said_as_kept(said: SaidMessage) -> _Kept:
    """A message of the batch, as it will read once stored."""
    return _Kept(
        said.text,
        said.user or said.bot_name,
        ts_to_datetime(said.ts),
        said.subtype not in SYSTEM_SUBTYPES,
    )


def _message_row(incident_id: int, said: SaidMessage, now: datetime) -> Row:
    return (
        incident_id,
        said.channel,
        said.ts,
        thread_of(said),
        said.user,
        said.bot_id,
        said.bot_name,
        said.subtype,
        said.text,
        ts_to_datetime(said.ts),
        now,
    )


def _reaction_values(reaction: SeenReaction) -> Row:
    return (reaction.channel, reaction.ts, reaction.name, reaction.user, reaction.added_at)


def _entry_row(event: PlainEvent, reaction: SeenReaction, message: _Kept, now: datetime) -> Row:
    assert event.kind is not None
    return (
        event.incident_id,
        event.kind.value,
        message.text,
        message.author,
        message.occurred_at,
        reaction.channel,
        reaction.ts,
        now,
    )
