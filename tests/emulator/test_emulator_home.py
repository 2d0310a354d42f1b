"""The App Home in the emulator: views.publish as strict as its documentation
(emulator/api_home.py) and app_home_opened sent only where Slack sends it (emulator/app_home.py).

Driven with the real slack_sdk client over HTTP, as the bot calls Slack; the events reach a
stand-in for the bot's /slack/events that keeps what it was sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.manifest import APP_HOME, BOT_EVENTS, build_manifest
from emulator import SlackEmulator
from emulator.state import WARROOM_APP_HOME, WARROOM_BOT_EVENTS
from tests.helpers.fake_bot import error_of, refused, serving

ALICE, BOB = "U0ALICE", "U0BOB"


def home(*blocks: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "home", "blocks": list(blocks), **fields}


def section(text: str = "hello") -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as slack:
        slack.add_user(ALICE, "alice", "Alice Adams")
        slack.add_user(BOB, "bob", "Bob Okafor")
        yield slack


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)


@pytest.fixture
async def received(emu: SlackEmulator) -> AsyncIterator[list[dict[str, Any]]]:
    """The envelopes the emulator sends the app, as a stand-in for it answers them 200."""
    kept: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        kept.append(json.loads(await request.text()))
        return web.Response()

    async with serving(emu, handle):
        yield kept


def test_the_emulator_plays_warroom_s_app_home_and_events() -> None:
    assert WARROOM_APP_HOME == APP_HOME
    assert list(WARROOM_BOT_EVENTS) == BOT_EVENTS
    manifest = build_manifest(None)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


async def test_publish_keeps_one_home_per_person(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    first = await client.views_publish(user_id=ALICE, view=home(section("one")))
    view = first["view"]
    assert (view["type"], view["blocks"], view["team_id"]) == (
        "home",
        [section("one")],
        emu.team_id,
    )
    assert "title" not in view and view["hash"]
    # Published again: the same view, a new hash; another person has a Home of their own.
    second = await client.views_publish(user_id=ALICE, view=json.dumps(home(section("two"))))
    assert second["view"]["id"] == view["id"] and second["view"]["hash"] != view["hash"]
    await client.views_publish(user_id=BOB, view=home(section("bob's")))
    assert emu.home_lines(ALICE) == ["two"]
    assert emu.home_lines(BOB) == ["bob's"]
    assert emu.home_view(BOB)["id"] != view["id"]  # type: ignore[index]


async def test_publish_requires_a_person_of_the_workspace(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    emu.add_user("U0GONE", "gone", "Gone Away").deleted = True
    for user in ("U0NOBODY", "U0GONE", emu.bot_user_id, ""):
        error = await refused(client.views_publish(user_id=user, view=home(section())))
        assert error_of(error) == "invalid_arguments"
        assert error.response["response_metadata"]["messages"] == ["invalid `user_id`"]
    assert emu.home_views == {}


async def test_publish_takes_a_home_view_within_its_limits(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    cases: list[tuple[Any, str]] = [
        (
            home(*[section()] * 101),
            "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]",
        ),
        (
            {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
            "[ERROR] must be one of: home [json-pointer:/view/type]",
        ),
        (home(section("x" * 3001)), "[ERROR] must be less than 3001 characters"),
        (
            home(section(), title={"type": "plain_text", "text": "x"}),
            "invalid additional property: title",
        ),
        (
            home({"type": "input", "label": {"type": "plain_text", "text": "x"}}),
            "missing required field: element",
        ),
        (home(section(), private_metadata="x" * 3001), "[json-pointer:/view/private_metadata]"),
    ]
    for view, problem in cases:
        error = await refused(client.views_publish(user_id=ALICE, view=view))
        assert error_of(error) == "invalid_arguments"
        messages = error.response["response_metadata"]["messages"]
        assert any(problem in message for message in messages), (problem, messages)
    missing = await refused(client.api_call("views.publish", json={"user_id": ALICE}))
    assert error_of(missing) == "invalid_arguments"
    assert emu.home_views == {}
    # At the limits, the view is taken (100 sections of 3,000 characters would be over 250 kB).
    await client.views_publish(user_id=ALICE, view=home(section("x" * 3000)))
    await client.views_publish(user_id=ALICE, view=home(*[section("x" * 2000)] * 100))
    assert len(emu.home_lines(ALICE)) == 100


async def test_publish_refuses_a_view_over_250_kb(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    # 100 sections of fields: 10 fields of 2,000 characters each are 2 MB, each block valid.
    fields = [{"type": "mrkdwn", "text": "x" * 2000}] * 10
    big = home(*[{"type": "section", "fields": fields}] * 100)
    error = await refused(client.views_publish(user_id=ALICE, view=big))
    assert error_of(error) == "view_too_large"
    assert emu.home_views == {}


async def test_publish_with_a_hash_refuses_a_home_that_changed(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    # No Home yet: there is no stored value for a hash to match.
    error = await refused(client.views_publish(user_id=ALICE, view=home(), hash="1.abc"))
    assert error_of(error) == "hash_conflict"
    seen = (await client.views_publish(user_id=ALICE, view=home(section("one"))))["view"]["hash"]
    await client.views_publish(user_id=ALICE, view=home(section("two")), hash=seen)
    stale = await refused(client.views_publish(user_id=ALICE, view=home(section("3")), hash=seen))
    assert error_of(stale) == "hash_conflict"
    assert emu.home_lines(ALICE) == ["two"]


async def test_publish_refuses_an_external_id_another_view_has(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    await client.views_publish(user_id=ALICE, view=home(external_id="home-1"))
    await client.views_publish(user_id=ALICE, view=home(section(), external_id="home-1"))
    error = await refused(client.views_publish(user_id=BOB, view=home(external_id="home-1")))
    assert error_of(error) == "duplicate_external_id"


async def test_publish_needs_the_home_tab_enabled(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    manifest = build_manifest(None)
    manifest["features"]["app_home"]["home_tab_enabled"] = False
    emu.play_manifest(manifest)
    error = await refused(client.views_publish(user_id=ALICE, view=home()))
    assert error_of(error) == "not_enabled"


async def test_opening_the_app_home_sends_app_home_opened(
    emu: SlackEmulator, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    answer = await emu.open_app_home(ALICE)
    assert answer is not None and answer.status == 200
    (first,) = received
    event = first["event"]
    assert first["type"] == "event_callback" and first["event_id"]
    assert (event["type"], event["user"], event["tab"]) == ("app_home_opened", ALICE, "home")
    assert event["channel"].startswith("D") and emu.channels[event["channel"]].is_im
    assert "view" not in event  # nothing published yet
    published = (await client.views_publish(user_id=ALICE, view=home(section())))["view"]
    await emu.open_app_home(ALICE)
    assert received[1]["event"]["view"] == published  # its current state, hash included
    await emu.open_app_home(ALICE, tab="messages")
    assert received[2]["event"]["tab"] == "messages" and "view" not in received[2]["event"]
    assert received[1]["event_id"] != first["event_id"]


async def test_app_home_opened_reaches_only_an_app_that_has_the_tab_and_the_event(
    emu: SlackEmulator, received: list[dict[str, Any]]
) -> None:
    manifest = build_manifest(None)
    manifest["features"]["app_home"] = {"home_tab_enabled": True}
    emu.play_manifest(manifest)
    assert await emu.open_app_home(ALICE, tab="messages") is None  # no Messages tab
    assert await emu.open_app_home(ALICE) is not None
    manifest["settings"]["event_subscriptions"]["bot_events"].remove("app_home_opened")
    emu.play_manifest(manifest)
    assert await emu.open_app_home(ALICE) is None  # not subscribed
    assert len(received) == 1
    with pytest.raises(LookupError):
        await emu.open_app_home("U0NOBODY")
    with pytest.raises(ValueError, match="tabs"):
        await emu.open_app_home(ALICE, tab="about")


async def test_a_button_pressed_on_a_home_tab_sends_block_actions_from_the_view(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    kept: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        kept.append(json.loads(str((await request.post())["payload"])))
        return web.Response()

    button = {"type": "button", "action_id": "go", "value": "v1"}
    button["text"] = {"type": "plain_text", "text": "Go"}
    shown = home(section(), {**section("press"), "accessory": button})
    published = (await client.views_publish(user_id=ALICE, view=shown))["view"]
    with pytest.raises(LookupError):
        await emu.click_home_button(BOB, "go")  # Bob has no Home published
    async with serving(emu, handle):
        answer = await emu.click_home_button(ALICE, "go")
    assert answer.status == 200
    (payload,) = kept
    assert payload["type"] == "block_actions" and payload["user"]["id"] == ALICE
    assert payload["container"] == {"type": "view", "view_id": published["id"]}
    assert payload["view"]["id"] == published["id"] and payload["view"]["type"] == "home"
    (action,) = payload["actions"]
    assert (action["action_id"], action["value"], action["type"]) == ("go", "v1", "button")
    # A view's press has no message, no channel and no response_url: a message's alone.
    assert not {"message", "channel", "response_url"} & set(payload)
