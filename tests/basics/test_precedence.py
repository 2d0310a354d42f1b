"""Pages first: other work waits at its next step while a page's is in flight, never longer
than the hold, and work that answers Slack or is a page's never waits."""

from __future__ import annotations

import asyncio
import contextvars

from bot.basics import precedence


async def test_other_work_waits_for_the_page_in_flight_and_goes_on_when_it_ends() -> None:
    order: list[str] = []
    page_may_end = asyncio.Event()

    async def page() -> None:
        with precedence.urgent():
            await page_may_end.wait()
            order.append("page written")

    async def other() -> None:
        await precedence.after_pages()
        order.append("other work")

    paging = asyncio.create_task(page())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(other())
    await asyncio.sleep(0.05)
    assert order == []  # held while the page is in flight
    page_may_end.set()
    await asyncio.gather(paging, waiting)
    assert order == ["page written", "other work"]


async def test_a_wait_is_never_longer_than_the_hold() -> None:
    loop = asyncio.get_running_loop()
    with precedence.urgent():
        started = loop.time()
        # Another task's step (its own context: a task made here would inherit the page's).
        await asyncio.create_task(precedence.after_pages(), context=contextvars.Context())
        held = loop.time() - started
    assert precedence.LONGEST_HOLD_SECONDS * 0.9 <= held < precedence.LONGEST_HOLD_SECONDS + 1


async def test_a_page_and_work_that_answers_slack_never_wait() -> None:
    loop = asyncio.get_running_loop()

    async def answering_slack() -> float:
        with precedence.exempt():
            started = loop.time()
            await precedence.after_pages()
            return loop.time() - started

    with precedence.urgent():
        started = loop.time()
        await precedence.after_pages()  # the page's own step
        assert loop.time() - started < 0.05
        assert await asyncio.create_task(answering_slack()) < 0.05


async def test_nothing_waits_once_no_page_is_in_flight() -> None:
    with precedence.urgent():
        pass
    loop = asyncio.get_running_loop()
    started = loop.time()
    await precedence.after_pages()
    assert loop.time() - started < 0.05
