"""Group commit's batching (bot/flows/group_commit.py): what a writer puts in one transaction.

The writer here is a GroupCommit like the process's two (Slack events, alert webhooks) whose
transaction keeps the batches it was given and, while a test holds it, does not end: a
database write that takes its time. What a request notices is when it is answered; what
the database notices is how many transactions the same items took.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.flows.group_commit import BatchOutcome, GroupCommit, Pending

ANSWERED_WITHIN = 10.0  # seconds: far below any linger these tests set, far above a busy write


@dataclass(eq=False)
class Item(Pending):
    name: str


class SlowWriter(GroupCommit[Item]):
    """Keeps each batch's item names; a batch's write lasts until ``hold`` is set."""

    items = "test items"

    def __init__(self, *, linger: float = 0.0, max_batch: int = 256) -> None:
        super().__init__(linger=linger, max_batch=max_batch)
        self.batches: list[list[str]] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.writing = asyncio.Event()

    async def _transaction(self, batch: list[Item]) -> BatchOutcome:
        self.batches.append([item.name for item in batch])
        self.writing.set()
        await self.hold.wait()
        return BatchOutcome(results={item: item.name for item in batch})

    def submit(self, name: str) -> asyncio.Task[str]:
        return asyncio.create_task(self._submit(Item(name)))


async def test_an_item_that_finds_the_writer_idle_is_written_at_once() -> None:
    writer = SlowWriter(linger=60.0)
    writer.start()
    try:
        assert await asyncio.wait_for(writer.submit("alone"), ANSWERED_WITHIN) == "alone"
        assert writer.batches == [["alone"]]
    finally:
        await writer.stop()


async def test_a_busy_writer_waits_for_more_and_writes_them_in_one_transaction() -> None:
    """Items that come while a batch is written, and the ones right after them, share the
    next transaction instead of one each."""
    writer = SlowWriter(linger=60.0, max_batch=3)
    writer.start()
    try:
        writer.hold.clear()
        first = writer.submit("first")
        await writer.writing.wait()  # the first batch is being written
        during = writer.submit("during")
        await asyncio.sleep(0.05)
        writer.hold.set()  # the first batch commits; "during" waited meanwhile
        assert await asyncio.wait_for(first, ANSWERED_WITHIN) == "first"
        later = [writer.submit("after 50 ms")]
        await asyncio.sleep(0.05)
        later.append(writer.submit("after 100 ms"))
        # Three make a full batch: written then, not after the 60 s linger.
        answers = await asyncio.wait_for(asyncio.gather(during, *later), ANSWERED_WITHIN)
        assert answers == ["during", "after 50 ms", "after 100 ms"]
        assert writer.batches == [["first"], ["during", "after 50 ms", "after 100 ms"]]
    finally:
        await writer.stop()


async def test_without_linger_a_busy_writer_writes_what_came_at_once() -> None:
    """The alert webhooks' writer: no linger, each batch is what waited."""
    writer = SlowWriter(max_batch=3)
    writer.start()
    try:
        writer.hold.clear()
        first = writer.submit("first")
        await writer.writing.wait()
        during = writer.submit("during")
        await asyncio.sleep(0.05)
        writer.hold.set()
        await asyncio.wait_for(asyncio.gather(first, during), ANSWERED_WITHIN)
        later = writer.submit("after")
        await asyncio.wait_for(later, ANSWERED_WITHIN)
        assert writer.batches == [["first"], ["during"], ["after"]]
    finally:
        await writer.stop()


async def test_an_item_whose_request_gave_up_is_written_all_the_same() -> None:
    """A client that left cancels its request's wait, not its part of the batch: the event is
    stored (Slack would deliver it again otherwise) and the others are answered."""
    writer = SlowWriter()
    writer.start()
    try:
        writer.hold.clear()
        first = writer.submit("first")
        await writer.writing.wait()
        gone, staying = writer.submit("gone"), writer.submit("staying")
        await asyncio.sleep(0)
        gone.cancel()
        writer.hold.set()
        assert await asyncio.wait_for(asyncio.gather(first, staying), ANSWERED_WITHIN) == [
            "first",
            "staying",
        ]
        assert gone.cancelled()
        assert writer.batches == [["first"], ["gone", "staying"]]
    finally:
        await writer.stop()
