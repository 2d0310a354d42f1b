"""The channels the operator's files name, and whether warroom can post in each.

warroom posts only where the bot is a member: the app asks ``chat:write``, not
``chat:write.public`` (bot/slack/manifest.py), and ``chat.postMessage`` answers
``not_in_channel`` otherwise (https://docs.slack.dev/reference/methods/chat.postMessage).
A workflow posting in a channel the bot was never invited to would fail the first time it
runs, at 3 a.m.; so ``warroom serve`` says it in its log at start-up and ``warroom workflows
check`` says it and exits 1. Each problem names the channel and which setting names it.

Which channels: workflows' ``post`` actions, incident types' ``announce_channel``,
``WARROOM_ANNOUNCE_CHANNEL``, on-call schedules' ``channel`` (the gap posts) and alert routes
with ``action: post``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.clients.slack.errors import SlackFailure
from bot.clients.slack.web_api import SlackWorkspace
from bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NamedChannel:
    channel_id: str
    named_by: str  # "workflow exec-heads-up, action 2 (post)"


@dataclass(frozen=True)
class ChannelProblem:
    channel: NamedChannel
    reason: str

    def __str__(self) -> str:
        return f"{self.channel.named_by}: {self.reason}"


def named_channels(settings: Settings) -> list[NamedChannel]:
    """Every channel the settings name, with what names it, in the files' order."""
    named: list[NamedChannel] = []
    for workflow in settings.workflows.definitions.by_name.values():
        for step, action in enumerate(workflow.actions, 1):
            if action.verb == "post" and action.args.get("channel"):
                where = f"workflow {workflow.name}, action {step} (post)"
                named.append(NamedChannel(str(action.args["channel"]), where))
    for kind in settings.incidents.types.types.values():
        if kind.announce_channel:
            where = f"incident type {kind.name} (announce_channel)"
            named.append(NamedChannel(kind.announce_channel, where))
    if settings.incidents.announce_channel:
        named.append(NamedChannel(settings.incidents.announce_channel, "WARROOM_ANNOUNCE_CHANNEL"))
    for schedule in settings.oncall.schedules.by_name.values():
        if schedule.channel:
            where = f"on-call schedule {schedule.name} (channel)"
            named.append(NamedChannel(schedule.channel, where))
    for route in settings.alerting.routes.routes:
        if route.action == "post" and route.channel:
            named.append(NamedChannel(route.channel, f"alert route {route.name} (channel)"))
    return named


async def channel_problems(
    slack: SlackWorkspace, channels: Iterable[NamedChannel]
) -> tuple[list[ChannelProblem], dict[str, str]]:
    """The channels warroom cannot post in, each with why; and the names of those Slack
    showed (id to name). One ``conversations.info`` per channel, however often named."""
    problems: list[ChannelProblem] = []
    names: dict[str, str] = {}
    reasons: dict[str, str | None] = {}
    for channel in channels:
        if channel.channel_id not in reasons:
            reasons[channel.channel_id] = await _reason(slack, channel.channel_id, names)
        reason = reasons[channel.channel_id]
        if reason is not None:
            problems.append(ChannelProblem(channel, reason))
    return problems, names


async def _reason(slack: SlackWorkspace, channel_id: str, names: dict[str, str]) -> str | None:
    try:
        facts = await slack.channel_facts(channel_id)
    except SlackFailure as error:
        return f"channel {channel_id} could not be checked (Slack said {error.code})"
    if facts is None:
        return (
            f"channel {channel_id} is not found: no such channel, or a private one the bot "
            "is not in (invite the bot there)"
        )
    names[channel_id] = facts.name
    if facts.is_archived:
        return f"#{facts.name} ({channel_id}) is archived"
    if not facts.is_member:
        return f"the bot is not in #{facts.name} ({channel_id}): invite it there (/invite @bot)"
    return None


async def say_channel_problems(settings: Settings, slack: SlackWorkspace) -> None:
    """At start-up: each channel warroom cannot post in, one log line each."""
    channels = named_channels(settings)
    if not channels:
        return
    problems, _ = await channel_problems(slack, channels)
    for problem in problems:
        log.warning("channel check: %s", problem)
