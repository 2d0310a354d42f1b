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


async def test_an_item_that_finds_the_writer_idle_waits_the_linger_for_others() -> None:
    """The senders a commit answers send again together: the first of them, written at once
    and alone, made every other batch a batch of one. It waits the linger for the others."""
    writer = SlowWriter(linger=60.0, max_batch=2)
    writer.start()
    try:
        alone = writer.submit("first")
        await asyncio.sleep(0.05)
        assert writer.batches == []  # still waiting for company
        other = writer.submit("50 ms later")
        # Two make a full batch: written then, not after the 60 s linger.
        answers = await asyncio.wait_for(asyncio.gather(alone, other), ANSWERED_WITHIN)
        assert answers == ["first", "50 ms later"]
        assert writer.batches == [["first", "50 ms later"]]
    finally:
        await writer.stop()


async def test_an_item_alone_is_written_once_the_linger_ends() -> None:
    writer = SlowWriter(linger=0.05)
    writer.start()
    try:
        started = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(writer.submit("alone"), ANSWERED_WITHIN) == "alone"
        assert asyncio.get_running_loop().time() - started >= 0.05
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
        firsts = [writer.submit(name) for name in ("first", "second", "third")]
        await writer.writing.wait()  # the first batch (full at once) is being written
        during = writer.submit("during")
        await asyncio.sleep(0.05)
        writer.hold.set()  # the first batch commits; "during" waited meanwhile
        await asyncio.wait_for(asyncio.gather(*firsts), ANSWERED_WITHIN)
        later = [writer.submit("after 50 ms")]
        await asyncio.sleep(0.05)
        later.append(writer.submit("after 100 ms"))
        # Three make a full batch: written then, not after the 60 s linger.
        answers = await asyncio.wait_for(asyncio.gather(during, *later), ANSWERED_WITHIN)
        assert answers == ["during", "after 50 ms", "after 100 ms"]
        assert writer.batches == [
            ["first", "second", "third"],
            ["during", "after 50 ms", "after 100 ms"],
        ]
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
