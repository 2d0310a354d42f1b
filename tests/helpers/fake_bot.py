"""A stand-in for the bot's /slack/events on 127.0.0.1, for tests of the emulator alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError

from emulator import SlackEmulator


@asynccontextmanager
async def serving(
    emu: SlackEmulator, handle: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> AsyncIterator[None]:
    """Serve ``handle`` as the emulator's events URL until the block ends."""
    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    emu.events_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        yield
    finally:
        await emu.drain()
        await runner.cleanup()


async def refused(call: Awaitable[Any]) -> SlackApiError:
    """The error a Web API call that must fail raised."""
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


def error_of(exc: SlackApiError) -> str:
    return str(exc.response["error"])
