"""Slash commands reach the app only when its manifest declares them, each as Slack sends it:
the form body, with its text escaped when the command's ``should_escape`` is set.

A stand-in for the bot (tests.helpers.fake_bot) receives what the emulator posts over HTTP.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.slack.manifest import SLASH_COMMANDS, build_manifest
from emulator import SlackEmulator, UndeclaredCommand
from emulator.state import WARROOM_SLASH_COMMANDS
from tests.helpers.fake_bot import serving

ALICE, BOB = "U0ALICE", "U0BOB"


class Commands:
    """Stands in for the bot's request URL: keeps every slash command's form fields."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(dict(urllib.parse.parse_qsl(await request.text())))
        return web.Response(text="")


@pytest.fixture
async def emu() -> AsyncIterator[tuple[SlackEmulator, Commands, str]]:
    async with SlackEmulator() as slack:
        slack.add_user(ALICE, "alice")
        slack.add_user(BOB, "bob")
        general = slack.create_channel("general", creator=ALICE, members=[BOB])
        commands = Commands()
        async with serving(slack, commands.handle):
            yield slack, commands, general.id


def test_the_emulator_plays_the_commands_warroom_declares() -> None:
    declared = [(c["command"], c["should_escape"]) for c in SLASH_COMMANDS]
    assert list(WARROOM_SLASH_COMMANDS) == declared
    assert [c["command"] for c in declared_in(build_manifest(None))] == [
        "/incident",
        "/oncall",
        "/alerts",
    ]


def declared_in(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return list(manifest["features"]["slash_commands"])


async def test_oncall_is_delivered_as_slack_sends_it(
    emu: tuple[SlackEmulator, Commands, str],
) -> None:
    slack, commands, general = emu
    slack.play_manifest(build_manifest("https://warroom.example.com"))
    await slack.send_command(
        "override @bob payments Fri 18:00 to Mon 09:00",
        user=ALICE,
        channel=general,
        command="/oncall",
    )
    [fields] = commands.received
    assert fields["command"] == "/oncall" and fields["user_id"] == ALICE
    # should_escape: the mention arrives as Slack encodes it, with the name.
    assert fields["text"] == "override <@U0BOB|bob> payments Fri 18:00 to Mon 09:00"
    assert fields["response_url"].startswith(slack.root_url + "/response/")


async def test_a_command_the_manifest_does_not_declare_is_never_delivered(
    emu: tuple[SlackEmulator, Commands, str],
) -> None:
    slack, commands, general = emu
    manifest = build_manifest(None)
    manifest["features"]["slash_commands"] = [
        c for c in declared_in(manifest) if c["command"] != "/oncall"
    ]
    slack.play_manifest(manifest)
    with pytest.raises(UndeclaredCommand, match="/oncall is not a slash command of this app"):
        await slack.send_command("", user=ALICE, channel=general, command="/oncall")
    with pytest.raises(UndeclaredCommand):
        await slack.send_command("help", user=ALICE, channel=general, command="/deploy")
    await slack.send_command("help", user=ALICE, channel=general)  # /incident still is
    assert [fields["command"] for fields in commands.received] == ["/incident"]


async def test_without_should_escape_the_text_arrives_as_typed(
    emu: tuple[SlackEmulator, Commands, str],
) -> None:
    slack, commands, general = emu
    manifest = build_manifest(None)
    for command in declared_in(manifest):
        command.pop("should_escape")  # off unless set (the manifest reference)
    slack.play_manifest(manifest)
    await slack.send_command(
        "swap @bob payments Fri", user=ALICE, channel=general, command="/oncall"
    )
    assert commands.received[0]["text"] == "swap @bob payments Fri"
