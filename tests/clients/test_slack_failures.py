"""Slack's failures leave the outgoing client as the five failures of ours, over real HTTP.

The client (``bot.clients.slack``) talks to the emulator on 127.0.0.1; each test makes Slack
answer one way and checks what the flows above would see: the kind, Slack's code, the method.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bench.harness import free_port
from bot.clients.slack import SlackWorkspace, build_web_client
from bot.clients.slack_errors import (
    SlackFailure,
    SlackGone,
    SlackNotAllowed,
    SlackRateLimited,
    SlackRefused,
    SlackTokenRevoked,
    SlackUnavailable,
)
from bot.config import Settings
from emulator import SlackEmulator
from tests.conftest import ALICE


def workspace(slack: SlackEmulator, http: aiohttp.ClientSession, **settings: str) -> SlackWorkspace:
    config = Settings(
        slack_bot_token=slack.bot_token,
        slack_signing_secret=slack.signing_secret,
        slack_api_url=slack.base_url,
    ).replace(**settings)
    return SlackWorkspace(build_web_client(config, http), http, more=lambda n: f"…{n} more")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def general(slack: SlackEmulator, *, with_bot: bool = True) -> str:
    channel = slack.channel_by_name("general")
    assert channel is not None
    if with_bot:
        channel.members.add(slack.bot_user_id)
    return channel.id


async def failure(call: object) -> SlackFailure:
    with pytest.raises(SlackFailure) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_a_channel_the_bot_is_not_in_is_gone(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    error = await failure(workspace(slack, http).post(general(slack, with_bot=False), "hello"))
    assert isinstance(error, SlackGone)
    assert (error.code, error.method) == ("not_in_channel", "chat.postMessage")


async def test_a_missing_message_is_gone_and_a_deleted_canvas_too(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    error = await failure(workspace(slack, http).permalink(general(slack), "1.000001"))
    assert isinstance(error, SlackGone) and error.code == "message_not_found"
    error = await failure(workspace(slack, http).replace_canvas("F0NOPE", "# x"))
    assert isinstance(error, SlackGone) and error.code == "canvas_not_found"


async def test_a_revoked_token_is_not_allowed(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    error = await failure(workspace(slack, http, slack_bot_token="xoxb-wrong").team_id())
    assert isinstance(error, SlackNotAllowed) and error.code == "invalid_auth"


async def test_a_free_plan_canvas_refusal_is_not_allowed(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    slack.fail_with_error("conversations.canvases.create", "free_team_canvas_tab_already_exists")
    error = await failure(workspace(slack, http).create_channel_canvas(general(slack), "T", "# x"))
    assert isinstance(error, SlackNotAllowed)


async def test_too_many_calls_are_rate_limited_with_slacks_wait(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    # More 429s than the client's retry handler waits out: the last one reaches the caller.
    slack.fail("usergroups.list", status=429, retry_after=0, times=50)
    error = await failure(workspace(slack, http).find_usergroup("dba"))
    assert isinstance(error, SlackRateLimited)
    assert error.retry_after == 0 and error.method == "usergroups.list"


async def test_slack_failing_is_unavailable(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    slack.fail("usergroups.list", status=503, times=50)
    error = await failure(workspace(slack, http).find_usergroup("dba"))
    assert isinstance(error, SlackUnavailable) and error.code == "internal_error"
    slack.recover("usergroups.list")
    slack.fail_with_error("usergroups.list", "fatal_error")
    assert isinstance(await failure(workspace(slack, http).find_usergroup("dba")), SlackUnavailable)


async def test_no_answer_at_all_is_unavailable(http: aiohttp.ClientSession) -> None:
    port = free_port()
    config = Settings(slack_bot_token="xoxb-1", slack_api_url=f"http://127.0.0.1:{port}/api/")
    slack = SlackWorkspace(build_web_client(config, http), http, more=str)
    error = await failure(slack.team_id())
    assert isinstance(error, SlackUnavailable) and error.method == "team_id"


async def test_anything_else_refused_is_refused_for_good(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    bad = [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]
    error = await failure(workspace(slack, http).post(general(slack), "x", blocks=bad))
    assert isinstance(error, SlackRefused) and error.code == "invalid_blocks"


async def test_what_is_already_done_is_no_failure(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    client = workspace(slack, http)
    ts = await client.post(general(slack), "pin me")
    await client.pin(general(slack), ts)
    await client.pin(general(slack), ts)  # already_pinned
    invitation = await client.invite(general(slack), [ALICE])  # already_in_channel
    assert invitation.already_there == (ALICE,) and invitation.refused == ()


async def test_a_pin_a_workspace_restricts_is_not_allowed(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    slack.pinning_restricted = True
    client = workspace(slack, http)
    ts = await client.post(general(slack), "pin me")
    error = await failure(client.pin(general(slack), ts))
    assert isinstance(error, SlackNotAllowed) and not isinstance(error, SlackTokenRevoked)
    assert (error.code, error.method) == ("restricted_action", "pins.add")
