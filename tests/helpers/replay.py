"""Incidents replayed through Slack minute by minute, at their own times, in their own zone:
messages and reactions as people make them, commands, thread replies, and the bot's questions
answered by pressing their buttons, all over real HTTP through the emulator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dateutil import tz

from emulator import Channel
from emulator.models import BotResponse, Message
from tests.conftest import ALICE, Warroom
from tests.helpers.records import section

# A timeline line: its stamp, its kind, and what it says.
_LINE = re.compile(r"^- \*\*.*?\*\* _([^_]+)_(.*)$")


@dataclass
class Replay:
    """Plays an incident minute by minute in the incident's own zone."""

    warroom: Warroom
    zone: str
    day: datetime
    channel: Channel | None = None

    def at(self, clock_time: str) -> datetime:
        """``"12:05 PM"`` on the incident's day, in its zone, as UTC."""
        local = datetime.strptime(clock_time, "%I:%M %p").time()
        moment = datetime.combine(self.day.date(), local, tzinfo=tz.gettz(self.zone))
        return moment.astimezone(UTC)

    def ts(self, clock_time: str, seconds: int = 0) -> str:
        """The Slack ts of the message said at that time."""
        return f"{int(self.at(clock_time).timestamp()) + seconds}.000100"

    async def settle(self) -> None:
        await self.warroom.finish_background()
        await self.warroom.run_jobs()

    async def now(self, clock_time: str) -> None:
        self.warroom.clock.now = self.at(clock_time)
        await self.settle()

    async def say(
        self,
        clock_time: str,
        user: str,
        text: str,
        reaction: str | None = None,
        *,
        by: str = ALICE,
        thread: str | None = None,
    ) -> Message:
        """``user`` says ``text`` (in the thread of the message said at ``thread``); ``by``
        marks it with ``reaction``."""
        await self.now(clock_time)
        assert self.channel is not None
        seconds = 30 if thread == clock_time else 0  # a reply in the minute of its parent
        message = await self.warroom.slack.post_message(
            self.channel.id,
            text,
            user=user,
            ts=self.ts(clock_time, seconds),
            thread_ts=self.ts(thread) if thread else None,
        )
        if reaction:
            await self.warroom.slack.add_reaction(self.channel.id, message.ts, reaction, user=by)
        await self.settle()
        return message

    async def react(self, clock_time: str, said_at: str, reaction: str, *, by: str) -> None:
        """At ``clock_time``, ``by`` marks the message said at ``said_at``."""
        await self.now(clock_time)
        assert self.channel is not None
        await self.warroom.slack.add_reaction(self.channel.id, self.ts(said_at), reaction, user=by)
        await self.settle()

    async def run(self, clock_time: str, user: str, text: str) -> None:
        await self.now(clock_time)
        assert self.channel is not None
        await self.warroom.slack.send_command(text, user=user, channel=self.channel.id)
        await self.settle()

    async def press_acknowledge(self, clock_time: str, user: str) -> None:
        await self.now(clock_time)
        await self.run(clock_time, user, "ack")

    def question(self, said_at: str) -> Message:
        """The bot's question in the thread of the message said at ``said_at``."""
        assert self.channel is not None
        parent = self.warroom.slack.find_message(self.channel, self.ts(said_at))
        (asked,) = [reply for reply in parent.replies if reply.bot_id]
        return asked

    async def press(
        self,
        clock_time: str,
        message: Message,
        action_id: str,
        *,
        by: str,
        value: str | None = None,
        block_id: str | None = None,
    ) -> BotResponse:
        """At ``clock_time``, ``by`` presses a button of ``message``."""
        await self.now(clock_time)
        assert self.channel is not None
        response = await self.warroom.slack.click_button(
            self.channel.id, message.ts, action_id, user=by, value=value, block_id=block_id
        )
        await self.settle()
        return response

    async def find_channel(self) -> Channel:
        slack = self.warroom.slack
        self.channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None)
        )
        return self.channel

    def link(self, clock_time: str) -> str:
        """How the draft links a message said at that time."""
        assert self.channel is not None
        ts = f"{int(self.at(clock_time).timestamp())}000100"
        domain = self.warroom.slack.team_domain
        return f"[{clock_time}](https://{domain}.slack.com/archives/{self.channel.id}/p{ts})"

    def canvas(self) -> str:
        assert self.channel is not None
        (canvas,) = [
            c for c in self.warroom.slack.canvases.values() if c["channel_id"] == self.channel.id
        ]
        return str(canvas["markdown"])


@dataclass
class Checks:
    """What a replayed draft must say, each check named: all are tried, and the test fails
    naming every one that did not hold (so each can be seen failing on its own)."""

    failed: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def that(self, name: str, holds: bool, shown: str = "") -> None:
        self.names.append(name)
        if not holds:
            self.failed.append(f"{name}{': ' + shown[:2000] if shown else ''}")

    def contains(self, name: str, text: str, expected: str) -> None:
        self.that(name, expected in text, text)

    def done(self) -> None:
        assert not self.failed, "\n\n".join(self.failed)


def part(draft: str, heading: str) -> str:
    """The text under ``heading`` (``section``), empty when the draft has no such heading: a
    check of a section a draft lacks fails as a check, not as an error."""
    return section(draft, heading) if heading in draft else ""


def timeline_lines(timeline: str) -> list[str]:
    return [line for line in timeline.splitlines() if line.startswith("- **")]


def facts_on_two_lines(timeline: str) -> list[str]:
    """Lines of the timeline that say what another line says: the same words twice, or a
    milestone (resolved, impact ended) said on more than one line."""
    lines = timeline_lines(timeline)
    said = [_LINE.sub(r"\2", line) for line in lines]
    twice = [line for line, words in zip(lines, said, strict=True) if said.count(words) > 1]
    for kind in ("_resolved_", "_impact ended_"):
        marked = [line for line in lines if kind in line]
        if len(marked) > 1:
            twice += marked
    return twice


def label_dumps(draft: str, timeline: str) -> list[str]:
    """Alert labels or links in the timeline's lines, or said more than once in the draft."""
    dumps = [
        line
        for line in timeline_lines(timeline)
        if "Labels:" in line or "Links:" in line or "http://" in line.split(")**", 1)[-1]
    ]
    if draft.count("Labels:") > 1:
        dumps.append(f"Labels: said {draft.count('Labels:')} times")
    return dumps
