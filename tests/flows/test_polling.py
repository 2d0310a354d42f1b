"""The background pollers stop when asked, whatever wakes them at that moment."""

from __future__ import annotations

import asyncio

from bot.keys import job_runner_key
from emulator import SlackEmulator
from tests.conftest import running_warroom


def _waiting(task: asyncio.Task[None]) -> bool:
    """Whether the poller's task sits in its wait between rounds: what its loop awaits is the
    event's wait (or a wait_for of it), not a round."""
    awaited = task.get_coro().cr_await  # type: ignore[union-attr]
    return getattr(awaited, "__qualname__", "") in ("Event.wait", "wait_for")


async def test_the_job_runner_stops_when_woken_as_it_is_stopped(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """On Python 3.11 ``asyncio.wait_for`` swallowed a cancellation that came as the event
    it waited on was set: new work woken at shutdown kept the runner going, and the app's
    cleanup waited for ever."""
    async with running_warroom(slack, sqlite_url) as warroom:
        poller = warroom.app[job_runner_key]
        task = poller._task
        assert task is not None
        while not _waiting(task):  # let it finish its first round
            await asyncio.sleep(0.01)

        async def wake_and_stop() -> None:
            warroom.services.wake_jobs()  # new work, as the runner is told to stop
            await poller.stop()

        done, _ = await asyncio.wait({asyncio.ensure_future(wake_and_stop())}, timeout=30)
        assert done, "the job runner went on after it was stopped"
