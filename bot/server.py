"""``warroom serve``: run the application until SIGTERM or SIGINT, then shut down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.app import create_app
from bot.basics.logs import PathOnlyAccessLogger
from bot.config import Settings
from bot.keys import bolt_key, settings_key

log = logging.getLogger(__name__)
# In-flight requests get this long to finish after SIGTERM; aiohttp then waits as long again
# before it cancels what is left: 7 s at most, within the 7 s that background work gets from
# the same moment (BACKGROUND_GRACE_SECONDS), so the process exits within 10 s.
# (Slack waits only 3 s for an answer anyway, then delivers again.)
SHUTDOWN_GRACE_SECONDS = 3.5


LOOPBACK = "127.0.0.1"
_LOOPBACK_NAMES = {LOOPBACK, "::1", "localhost"}


def listen_address(settings: Settings, host: str) -> str:
    """Where to listen: with sign-in off the web view shows every incident to anyone who can
    reach it, so then only this machine may."""
    if settings.web_auth == "none" and host not in _LOOPBACK_NAMES:
        log.warning(
            "WARROOM_WEB_AUTH=none: listening on %s only, not %s (sign-in is off)", LOOPBACK, host
        )
        return LOOPBACK
    return host


async def serve(settings: Settings, *, host: str, port: int, socket_mode: bool) -> None:
    """Serve HTTP (Slack endpoint and /healthz) and, in Socket Mode, the Slack socket too."""
    host = listen_address(settings, host)
    runner = web.AppRunner(
        create_app(settings),
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        access_log_class=PathOnlyAccessLogger,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    socket_handler = None
    if socket_mode:
        socket_handler = await connect_socket_mode(runner.app)
        log.info("connected to Slack over Socket Mode; /healthz on http://%s:%s", host, port)
    else:
        log.info("listening on http://%s:%s (Slack endpoint: /slack/events)", host, port)
    try:
        await until_stopped()
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()
        await runner.cleanup()
        log.info("stopped")


async def connect_socket_mode(app: web.Application) -> AsyncSocketModeHandler:
    """Receive Slack over Socket Mode with the same Bolt app (and listeners) as HTTP mode."""
    bolt = app[bolt_key]
    handler = AsyncSocketModeHandler(
        bolt, app_token=str(app[settings_key].slack_app_token), web_client=bolt.client
    )
    await handler.connect_async()
    return handler


async def until_stopped() -> None:
    """Wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
