"""``warroom demo``: a whole incident, played against the built-in Slack emulator on loopback.

The bot runs exactly as in production (same application factory, real HTTP, real request
signatures); only Slack is emulated. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from bot.db import session_scope
from bot.emulator import SlackEmulator
from bot.flows import postmortem_markdown
from bot.incidents import get_by_channel
from bot.keys import services_key
from bot.models import Incident

# The people of the scripted incident.
CAST = {
    "U0ALICE": ("alice", "Alice Moreau"),
    "U0BOB": ("bob", "Bob Okafor"),
    "U0CAROL": ("carol", "Carol Tanaka"),
}
ALICE, BOB, CAROL = CAST
# (minutes after the declaration, who, what they say, the reaction that marks it, or None)
SCRIPT = [
    (2, BOB, "Seeing a spike in 500s on /checkout, roughly 20% of requests.", "pushpin"),
    (9, ALICE, "Slow queries on the orders database? Checking the DB logs.", "mag"),
    (21, ALICE, "Database is healthy, that was a dead end.", "x"),
    (38, CAROL, "Payment gateway release at 11:55 changed card type validation.", "bulb"),
    (52, ALICE, "Rolling back the payment gateway release.", "white_check_mark"),
    (71, BOB, "Error rate is back to baseline, checkout works again.", None),
    (80, CAROL, "Follow-up: add an integration test for every supported card type.", "memo"),
]
RESOLVED_AFTER_MINUTES = 95


class ScriptedClock:
    """The bot's clock during the demo: the incident is replayed as if it began 2 hours ago."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
        self.now = self.start

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: int) -> datetime:
        self.now = self.start + timedelta(minutes=minutes)
        return self.now


def slack_ts(moment: datetime) -> str:
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


async def run_demo(environ: Mapping[str, str], *, output: str | None = None) -> int:
    """Play the scripted incident, print the channel, write the postmortem draft."""
    # The transcript is the demo's output; request and migration logs would drown it.
    for noisy in ("aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="warroom-demo-")))
        slack = await stack.enter_async_context(SlackEmulator())
        for user_id, (name, real_name) in CAST.items():
            slack.add_user(user_id, name, real_name, tz=environ.get("WARROOM_TIMEZONE", "UTC"))
        general = slack.create_channel("general", creator=ALICE, members=CAST)
        settings = _demo_settings(environ, slack, workdir)
        clock = ScriptedClock()
        runner = web.AppRunner(create_app(settings, clock=clock))
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        slack.events_url = f"http://127.0.0.1:{port}/slack/events"
        print(f"warroom is serving on http://127.0.0.1:{port}, Slack emulator on {slack.root_url}")

        channel_id = await _declare(slack, general.id)
        for minutes, user, text, reaction in SCRIPT:
            said_at = slack_ts(clock.at(minutes))
            said = await slack.post_message(channel_id, text, user=user, ts=said_at)
            if reaction:
                await slack.add_reaction(channel_id, said.ts, reaction, user=ALICE)
        clock.at(RESOLVED_AFTER_MINUTES)
        await _resolve(slack, channel_id)
        await slack.drain()

        print("\n" + slack.transcript(channel_id, tz=settings.timezone))
        print("\nWhat Alice saw privately:")
        for message in slack.ephemeral_for(ALICE):
            print(f"  {message.text}")
        path = await _write_postmortem(runner.app, channel_id, output)
        print(f"\nPostmortem draft written to {path}")
    return 0


def _demo_settings(environ: Mapping[str, str], slack: SlackEmulator, workdir: Path) -> Settings:
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'warroom.db'}"
    base = Settings.from_env({**environ, "DATABASE_URL": database_url})
    return base.replace(
        slack_bot_token=slack.bot_token,
        slack_signing_secret=slack.signing_secret,
        slack_api_url=slack.base_url,
    )


async def _declare(slack: SlackEmulator, from_channel: str) -> str:
    print("\nalice types: /incident start sev2 Checkout page returns 500s")
    await slack.send_command(
        "start sev2 Checkout page returns 500s", user=ALICE, channel=from_channel
    )
    channel = await slack.wait_for(
        lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None),
        timeout=15,
    )
    await slack.wait_for(lambda: any(m.bot_id for m in channel.messages), timeout=15)
    return str(channel.id)


async def _resolve(slack: SlackEmulator, channel_id: str) -> None:
    print("alice types: /incident resolve Rolled back the payment gateway release")
    await slack.send_command(
        "resolve Rolled back the payment gateway release", user=ALICE, channel=channel_id
    )
    channel = slack.channels[channel_id]
    await slack.wait_for(
        lambda: any("Postmortem draft" in m.text for m in channel.messages), timeout=15
    )


async def _write_postmortem(app: web.Application, channel_id: str, output: str | None) -> Path:
    services = app[services_key]
    async with session_scope(services.engine) as session:
        incident: Incident | None = await get_by_channel(session, channel_id)
    assert incident is not None and incident.id is not None
    markdown = await postmortem_markdown(services, incident.id)
    path = Path(output or f"warroom-demo-postmortem-{incident.reference}.md").resolve()
    path.write_text(markdown + "\n", encoding="utf-8")
    return path
