"""Group commit for Slack events: one writer per process applies many events per transaction.

Every Events API delivery (HTTP and Socket Mode alike) is handed to the process's one
``IngestWriter`` (a ``GroupCommit``, bot/flows/group_commit.py) with a future, and its listener
waits on that future; Bolt answers Slack only after the listener returns
(``process_before_response``), so nothing is answered 2xx before the transaction holding it
has committed. A batch is applied in one transaction:

- the incident of each channel, from memory. A channel's incident never changes once set
  (``channel_id`` is unique and written once), so a positive answer is kept for good; "not an
  incident channel" is never kept (an incident may open there any moment, on any replica), so
  the unknown channels of a batch are asked of the database in one ``SELECT ... IN``;
- messages and reactions (the bulk of the traffic, including the reactions that put a message
  in the timeline) with a few statements for the whole batch, handed to the driver as they are
  (bot/record/incident/event_batch.py, bot/store/direct.py): one SELECT for the reacted messages (a
  reaction on one the record lacks raises ``MessageNotStored``: its listener claims it with a
  job that fetches the message from Slack, through ``apply``), the event-id claims (``INSERT
  ... ON CONFLICT DO NOTHING RETURNING event_id``: only what comes back is new), the rows of
  the new ones and their timeline entries (``ON CONFLICT DO NOTHING`` on their unique keys).
  A batch of nothing else, in channels already known, is a transaction without an ORM
  session: on SQLite, BEGIN, those statements and COMMIT are one hop to SQLite's thread;
- edits, deletions and the rest through the record's own functions, each with its claim
  inside a SAVEPOINT of its own, so one that fails is rolled back alone and answered 5xx while
  the others commit.

Exactly once stays the database's job: an event id delivered twice in one batch is applied once
(deduped here), and one claimed by an earlier batch or another replica is left alone by the
conflict clause. If the batch cannot commit, its events are tried again one per transaction;
one that still fails raises to its listener (a 5xx: Slack redelivers it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.group_commit import BatchOutcome, GroupCommit, Pending, WriterClosed, database_gone
from bot.record.incident.event_batch import BatchKept, PlainEvent, keep_plain_events
from bot.record.incident.incidents import incident_ids_by_channel
from bot.record.incident.messages import SaidMessage
from bot.record.incident.reactions import SeenReaction
from bot.services import Services
from bot.store.db import session_scope
from bot.store.direct import KeptConnection, run_plan
from bot.store.models import Incident, TimelineKind
from bot.store.processed_events import claim_event

# How long the writer waits for more events before it writes (GroupCommit's ``linger``):
# a batch's fixed cost (its BEGIN, COMMIT and statements, and their hand-offs to the
# database) is shared by its events, so larger batches cost less CPU an event. Long enough for
# the senders answered by the last batch to send again (batches grow with it under load),
# short enough not to leave the core idle: a longer linger held larger batches but left part
# of the core unused, so fewer events were answered a second at the same CPU per event. An
# event alone is answered a little later than it could be (asyncio's timer rounds its wait up
# to whole milliseconds, and under load fires only once the loop has served what came
# meanwhile), far inside Slack's 3 seconds. The figures behind each of these: bench/RESULTS.md,
# "Figures behind the code's choices".
LINGER_SECONDS = 0.002

# Work on one event inside the batch's transaction: the session and the channel's incident.
Work = Callable[[AsyncSession, Incident], Awaitable[Any]]
__all__ = ["IngestWriter", "MessageNotStored", "WriterClosed"]


class MessageNotStored(Exception):
    """A reaction on a message the record does not have (yet): fetch it, then ``apply``."""


@dataclass(eq=False)
class _Pending(Pending):
    """One event waiting for its batch: what to apply."""

    event_id: str
    channel: str
    said: SaidMessage | None = None
    reaction: SeenReaction | None = None
    # The timeline entry the reaction makes of its message, if any.
    kind: TimelineKind | None = None
    work: Work | None = None

    def __str__(self) -> str:
        return f"Slack event {self.event_id}"


class IngestWriter(GroupCommit[_Pending]):
    """The process's one writer of Slack events (see the module's docstring)."""

    items = "Slack events"
    answers_slack = True

    def __init__(self, services: Services, **batching: Any) -> None:
        super().__init__(**{"linger": LINGER_SECONDS, **batching})
        self.services = services
        self._incidents: dict[str, int] = {}
        # Where the usual batch is written: on PostgreSQL one connection, kept.
        self._connection = KeptConnection(services.engine)

    async def stop(self) -> None:
        """Write what is queued, then give the kept connection back."""
        await super().stop()
        await self._connection.close()

    async def said(self, event_id: str, said: SaidMessage) -> None:
        """Keep a message said in ``said.channel`` (nothing if it is no incident's channel)."""
        await self._submit(_Pending(event_id, said.channel, said=said))

    async def react(
        self, event_id: str, reaction: SeenReaction, kind: TimelineKind | None = None
    ) -> bool:
        """Keep a reaction, and put its message in the timeline as ``kind`` if given: True
        when that made a new entry. ``MessageNotStored`` if the message is not in the record
        (and nothing was kept)."""
        return bool(
            await self._submit(_Pending(event_id, reaction.channel, reaction=reaction, kind=kind))
        )

    async def apply(self, event_id: str, channel: str, work: Work) -> Any:
        """Claim ``event_id`` and run ``work`` in a batch; its result once committed.

        None when the channel is no incident's or the event was applied already (``work``
        itself should return something else). An exception ``work`` raises is raised here,
        after the rest of the batch committed without it.
        """
        return await self._submit(_Pending(event_id, channel, work=work))

    async def _transaction(self, batch: list[_Pending]) -> BatchOutcome:
        """Apply ``batch`` in one transaction and commit; what each event's future gets."""
        outcome = BatchOutcome()
        unique = _dedupe(batch, outcome)
        if all(p.work is None and p.channel in self._incidents for p in unique):
            # The usual batch: messages and reactions in known incident channels, no session.
            # Each answered None once committed, unless ``_kept`` says otherwise.
            outcome.results.update((p, None) for p in unique)
            events, now = self._plain_events(unique), self.services.clock()
            kept = await self._connection.run_transaction(lambda: keep_plain_events(events, now))
            self._kept(unique, kept, outcome)
            return outcome
        async with session_scope(self.services.engine) as session:
            incidents = await self._incidents_of(session, {p.channel for p in unique})
            # Answered as soon as the batch commits: messages, reactions (unless ``_kept``
            # says otherwise), and what is no incident's.
            outcome.results.update(
                (p, None) for p in unique if p.work is None or p.channel not in incidents
            )
            # In the order the events came: the plain ones between two others together.
            plain: list[_Pending] = []
            for pending in (p for p in unique if p.channel in incidents):
                if pending.work is None:
                    plain.append(pending)
                    continue
                await self._keep_plain(session, plain, outcome)
                plain = []
                await self._apply_one(session, pending, incidents[pending.channel], outcome)
            await self._keep_plain(session, plain, outcome)
            await session.commit()
        return outcome

    async def _incidents_of(self, session: AsyncSession, channels: set[str]) -> dict[str, int]:
        unknown = channels - self._incidents.keys()
        if unknown:
            self._incidents.update(await incident_ids_by_channel(session, unknown))
        return {channel: self._incidents[channel] for channel in channels & self._incidents.keys()}

    async def _keep_plain(
        self, session: AsyncSession, plain: list[_Pending], outcome: BatchOutcome
    ) -> None:
        """Claims, rows and timeline entries of messages and reactions: a few statements for
        them all (bot/record/incident/event_batch.py)."""
        if not plain:
            return
        connection = await session.connection()
        plan = keep_plain_events(self._plain_events(plain), self.services.clock())
        kept = await run_plan(connection, plan)
        if kept.mitigated:
            # An incident the session holds may have been mitigated by the batch.
            session.expire_all()
        self._kept(plain, kept, outcome)

    def _plain_events(self, plain: list[_Pending]) -> list[PlainEvent]:
        return [
            PlainEvent(p.event_id, self._incidents[p.channel], p.said, p.reaction, p.kind)
            for p in plain
        ]

    @staticmethod
    def _kept(plain: list[_Pending], kept: BatchKept, outcome: BatchOutcome) -> None:
        """What each event's future gets of what its batch kept."""
        for pending in plain:
            if pending.event_id in kept.unknown_message:
                del outcome.results[pending]
                outcome.errors[pending] = MessageNotStored()
            elif pending.event_id in kept.new_entries:
                outcome.results[pending] = kept.new_entries[pending.event_id]

    async def _apply_one(
        self, session: AsyncSession, pending: _Pending, incident_id: int, outcome: BatchOutcome
    ) -> None:
        """One edit, deletion or reaction, with its claim, in a savepoint of its own."""
        assert pending.work is not None
        try:
            # From the session's identity map after the first: one SELECT per batch, and
            # fresh after a savepoint rolled back (an expired row is read again).
            incident = await session.get(Incident, incident_id)
            assert incident is not None
            async with session.begin_nested():
                if not await claim_event(session, pending.event_id):
                    outcome.results[pending] = None
                    return
                outcome.results[pending] = await pending.work(session, incident)
        except Exception as error:
            if database_gone(error):
                raise  # the whole batch fails; nothing in it can commit
            outcome.errors[pending] = error


def _dedupe(batch: list[_Pending], outcome: BatchOutcome) -> list[_Pending]:
    """The first delivery of each event id; later copies are answered as a retry would be."""
    seen: set[str] = set()
    unique: list[_Pending] = []
    for pending in batch:
        if pending.event_id in seen:
            outcome.results[pending] = None
        else:
            seen.add(pending.event_id)
            unique.append(pending)
    return unique
