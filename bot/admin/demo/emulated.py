"""What ``warroom demo`` and ``warroom dev`` share: warroom's settings pointed at the Slack
emulator and the fake phones, and the app (bot/app.py's factory, as ``warroom serve`` builds
it) served beside them on 127.0.0.1.

The emulator (``emulator/``) is in the repository, not in the wheel: bot.cli says so when it
is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime

from aiohttp import web

from bot.app import create_app
from bot.config import Secret, Settings
from emulator import FakeNtfy, FakeTwilio, SlackEmulator


def phones_environ(ntfy: FakeNtfy, twilio: FakeTwilio) -> dict[str, str]:
    """The variables that send pushes to ``ntfy`` and SMS and calls to ``twilio``."""
    return {
        "WARROOM_NTFY_URL": ntfy.root,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM": twilio.numbers[0],
        "TWILIO_API_URL": twilio.root,
    }


def on_the_emulator(settings: Settings, slack: SlackEmulator) -> Settings:
    """``settings`` talking to ``slack`` (its tokens, its Web API), the web view without
    sign-in (it listens on 127.0.0.1 only)."""
    return settings.replace(
        web=settings.web.replace(auth="none"),
        slack=settings.slack.replace(
            bot_token=Secret(slack.bot_token),
            signing_secret=Secret(slack.signing_secret),
            api_url=slack.base_url,
        ),
    )


async def serve_beside(
    stack: AsyncExitStack,
    settings: Settings,
    slack: SlackEmulator,
    twilio: FakeTwilio,
    *,
    clock: Callable[[], datetime] | None = None,
    port: int = 0,
) -> tuple[web.Application, int]:
    """The app serving on 127.0.0.1 (``port``, 0: a free one; stopped with ``stack``), the
    emulator sending it Slack's requests and Twilio its callbacks, which Twilio sends to
    WARROOM_PUBLIC_URL: that address leads here. The app and its port."""
    app = create_app(settings) if clock is None else create_app(settings, clock=clock)
    runner = web.AppRunner(app)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    local = f"http://127.0.0.1:{port}"
    slack.events_url = f"{local}/slack/events"
    public = settings.web.public_url.rstrip("/") or local
    twilio.reach = (public, local)
    twilio.sms_webhook = f"{public}/twilio/sms"
    return runner.app, port
