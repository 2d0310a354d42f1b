"""Slack's failures leave the outgoing client as the five failures of ours, over real HTTP.

The client (``bot.clients.slack.web_api``) talks to the emulator on 127.0.0.1; each test makes Slack
answer one way and checks what the flows above would see: the kind, Slack's code, the method.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bench.harness import free_port
from bot.clients.slack.errors import (
    SlackFailure,
    SlackGone,
    SlackNotAllowed,
    SlackRateLimited,
    SlackRefused,
    SlackTokenRevoked,
    SlackUnavailable,
)
from bot.clients.slack.web_api import OAuthApp, SlackWorkspace
from bot.clients.slack.web_client import build_web_client
from bot.config import Settings
from emulator import SlackEmulator
from tests.conftest import ALICE


def workspace(slack: SlackEmulator, http: aiohttp.ClientSession, **settings: str) -> SlackWorkspace:
    config = (
        Settings()
        .changed(
            slack__bot_token=slack.bot_token,
            slack__signing_secret=slack.signing_secret,
            slack__api_url=slack.base_url,
        )
        .changed(**settings)
    )
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
    error = await failure(workspace(slack, http, slack__bot_token="xoxb-wrong").team_id())
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
    config = Settings().changed(
        slack__bot_token="xoxb-1", slack__api_url=f"http://127.0.0.1:{port}/api/"
    )
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


async def test_a_form_changed_or_closed_meanwhile_is_refused_as_ours(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    """views.update with a stale hash (``hash_conflict``) or on a closed form (``not_found``)."""
    client = workspace(slack, http)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Declare"}, "blocks": []}
    opened = await client.client.views_open(trigger_id=slack.issue_trigger_id(ALICE), view=modal)
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    await client.update_view(view_id, modal, first_hash)
    error = await failure(client.update_view(view_id, modal, first_hash))
    assert isinstance(error, SlackRefused) and error.code == "hash_conflict"
    slack.close_view(view_id)
    error = await failure(client.update_view(view_id, modal))
    assert (error.code, error.method) == ("not_found", "views.update")


def _arguments(method: Callable[..., Any], channel: str, response_url: str) -> dict[str, Any]:
    """Plausible arguments for each parameter of a client method, by its name: a method
    with a parameter of a new name fails here until the table says what to give it."""
    table: dict[str, Any] = {
        "channel_id": channel,
        "candidate_names": ["inc-walk"],
        "title": "Walk",
        "link": "https://example.com/",
        "topic": "walk",
        "text": "walk",
        "ts": "1700000000.000100",
        "name": "eyes",
        "markdown": "# walk",
        "canvas_id": "F0WALK0001",
        "user_id": ALICE,
        "user_ids": [ALICE],
        "group_id": "S0WALK0001",
        "handle": "walkers",
        "trigger_id": "1.2.walk",
        "view_id": "V0WALK0001",
        "view": {"type": "modal", "title": {"type": "plain_text", "text": "W"}, "blocks": []},
        "response_url": response_url,
        "app": OAuthApp("1.2", "secret"),
        "code": "walk-code",
        "redirect_uri": "https://warroom.example/login/slack",
        "filename": "walk.md",
        "content": "walk",
        "comment": "walk",
        "email": "walk@example.com",
    }
    parameters = inspect.signature(method).parameters.values()
    return {
        p.name: table[p.name]
        for p in parameters
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.default is p.empty
    }


def _client_methods() -> list[str]:
    """Every public coroutine of the client: a method added later is walked too."""
    return [
        name
        for name, member in inspect.getmembers(SlackWorkspace, inspect.iscoroutinefunction)
        if not name.startswith("_")
    ]


async def _outcome(call: Awaitable[object]) -> BaseException | None:
    try:
        await call
    except Exception as error:  # what reached the caller, whatever it is
        return error
    return None


async def test_every_call_of_the_client_fails_as_ours_when_slack_refuses(
    slack: SlackEmulator, http: aiohttp.ClientSession
) -> None:
    """With a token Slack refuses (``invalid_auth``), each method either copes (answers) or
    raises one of our failures: never slack_sdk's own error, which a flow's ``except
    SlackFailure`` would not see."""
    assert len(_client_methods()) > 30
    escaped = {}
    for name in _client_methods():
        client = workspace(slack, http, slack__bot_token="xoxb-wrong")
        method = getattr(client, name)
        outcome = await _outcome(
            method(**_arguments(method, general(slack), f"{slack.root_url}/response/none"))
        )
        if outcome is not None and not isinstance(outcome, SlackFailure):
            escaped[name] = repr(outcome)
    assert escaped == {}


async def test_every_call_of_the_client_is_unavailable_when_slack_does_not_answer(
    http: aiohttp.ClientSession,
) -> None:
    """Nothing listens where Slack should be: each method raises ``SlackUnavailable`` (the
    client is built without the retry handlers, whose waits say nothing of the mapping)."""
    root = f"http://127.0.0.1:{free_port()}"
    escaped = {}
    for name in _client_methods():
        web_client = AsyncWebClient(
            token="xoxb-1", base_url=f"{root}/api/", session=http, retry_handlers=[]
        )
        client = SlackWorkspace(web_client, http, more=str)
        method = getattr(client, name)
        outcome = await _outcome(method(**_arguments(method, "C0WALK0001", f"{root}/response/1")))
        if not isinstance(outcome, SlackUnavailable):
            escaped[name] = repr(outcome)
    assert escaped == {}
