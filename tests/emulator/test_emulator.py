"""Tests for the Slack emulator, driven by the real slack_sdk client and signed HTTP requests.

slack_sdk copies HTTP(S)_PROXY env vars into every client (NO_PROXY is ignored), so loopback
calls would go through a proxy: the autouse fixture below removes them for these tests.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from emulator import BotResponse, SlackEmulator, slack_signature_headers
from tests.helpers.fake_bot import error_of, refused, serving

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as slack:
        slack.add_user(ALICE, "alice", "Alice Adams", tz="Europe/Berlin")
        slack.add_user(BOB, "bob", "Bob Brown")
        slack.add_user(CAROL, "carol", "Carol Cruz")
        slack.create_channel("general", creator=ALICE, members=[BOB])
        yield slack


@pytest.fixture
def web_client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body, keep_blank_values=True))


@dataclass
class FakeBot:
    """A tiny HTTP bot: checks signatures like Bolt, records bodies, answers `reply`."""

    secret: str
    received: list[Received] = field(default_factory=list)
    reply: Callable[[Received], web.Response] = lambda _r: web.Response(text="")

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        valid = SignatureVerifier(self.secret).is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", "0"),
            signature=request.headers.get("X-Slack-Signature", ""),
        )
        if not valid:
            return web.json_response({"error": "invalid request"}, status=401)
        self.received.append(Received(dict(request.headers), body))
        return self.reply(self.received[-1])


@pytest.fixture
async def bot(emu: SlackEmulator) -> AsyncIterator[FakeBot]:
    fake = FakeBot(emu.signing_secret)
    async with serving(emu, fake.handle):
        yield fake


# -- signing ---------------------------------------------------------------------------------
def test_signature_matches_slack_test_vector() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        "-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        "00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d"
        "10d2c447fce8b6703c"
    )
    headers = slack_signature_headers("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


# -- Web API ---------------------------------------------------------------------------------
async def test_auth_test_and_auth_errors(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    me = await web_client.auth_test(team_id=emu.team_id)  # Bolt adds team_id; it is ignored
    assert (me["user_id"], me["bot_id"], me["team_id"]) == (
        emu.bot_user_id,
        emu.bot_id,
        emu.team_id,
    )
    assert "chat:write" in me.headers["x-oauth-scopes"]
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=emu.base_url)
    assert error_of(await refused(wrong.auth_test())) == "invalid_auth"
    anonymous = AsyncWebClient(base_url=emu.base_url)
    assert error_of(await refused(anonymous.auth_test())) == "not_authed"
    no_app = await refused(web_client.apps_connections_open(app_token=emu.bot_token))
    assert error_of(no_app) == "not_allowed_token_type"
    unknown = await refused(web_client.api_call("conversations.frobnicate"))
    assert error_of(unknown) == "unknown_method"
    assert [c.error for c in emu.calls_to("auth.test")] == [None, "invalid_auth", "not_authed"]


async def test_create_channel_names(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    created = await web_client.conversations_create(name="inc-42-db_down", is_private=True)
    channel = created["channel"]
    assert channel["name"] == "inc-42-db_down" and channel["is_private"] is True
    assert channel["creator"] == emu.bot_user_id and channel["is_member"] is True
    assert emu.channels[channel["id"]].members == {emu.bot_user_id}
    for name, code in [
        ("inc-42-db_down", "name_taken"),
        ("Inc-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
    ]:
        assert error_of(await refused(web_client.conversations_create(name=name))) == code


async def test_invite_and_topic(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    cid = (await web_client.conversations_create(name="inc-1"))["channel"]["id"]
    await web_client.conversations_invite(channel=cid, users=[ALICE, BOB])
    assert emu.channels[cid].members == {emu.bot_user_id, ALICE, BOB}
    invite = web_client.conversations_invite
    assert error_of(await refused(invite(channel=cid, users=ALICE))) == "already_in_channel"
    partly = await refused(invite(channel=cid, users=f"{ALICE},{CAROL}"))
    assert error_of(partly) == "already_in_channel"  # all or nothing: Carol is not invited
    assert CAROL not in emu.channels[cid].members
    await invite(channel=cid, users=CAROL)
    assert error_of(await refused(invite(channel=cid, users="U0NOBODY"))) == "user_not_found"
    self_invite = await refused(invite(channel=cid, users=emu.bot_user_id))
    assert error_of(self_invite) == "cant_invite_self"
    general = emu.channel_by_name("general")
    assert general is not None
    assert error_of(await refused(invite(channel=general.id, users=BOB))) == "not_in_channel"
    assert error_of(await refused(invite(channel="C0NOPE", users=BOB))) == "channel_not_found"

    topic = await web_client.conversations_setTopic(channel=cid, topic="SEV1: db down")
    assert topic["channel"]["topic"]["value"] == "SEV1: db down"
    too_long = await refused(web_client.conversations_setTopic(channel=cid, topic="x" * 251))
    assert error_of(too_long) == "too_long"
    info = await web_client.conversations_info(channel=cid)
    assert info["channel"]["num_members"] == 4
    await web_client.conversations_archive(channel=cid)
    assert error_of(await refused(invite(channel=cid, users=BOB))) == "is_archived"


async def test_post_history_and_replies(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    cid = (await web_client.conversations_create(name="inc-2"))["channel"]["id"]
    # Two bot posts and three of Alice's: the bot stays within its channel's posting burst.
    posted = [(await web_client.chat_postMessage(channel=cid, text=f"m{i}")) for i in range(2)]
    for i in range(2, 5):
        await emu.post_message(cid, f"m{i}", user=ALICE)
    parent_ts = posted[1]["ts"]
    assert posted[0]["message"]["bot_id"] == emu.bot_id
    reply = await web_client.chat_postMessage(channel=cid, text="r1", thread_ts=parent_ts)
    await emu.post_message(cid, "r2", user=ALICE, thread_ts=reply["ts"])  # re-parented
    old = await emu.post_message(cid, "an hour ago", user=ALICE, ts=f"{int(time.time()) - 3600}.1")

    texts: list[str] = []
    cursor = None
    while True:
        page = await web_client.conversations_history(channel=cid, limit=2, cursor=cursor)
        texts += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert texts == ["m4", "m3", "m2", "m1", "m0", "an hour ago"]  # newest first, no replies
    one = await web_client.conversations_history(
        channel=cid, latest=old.ts, inclusive=True, limit=1
    )
    assert one["messages"][0]["ts"] == old.ts
    parent = (
        await web_client.conversations_history(channel=cid, oldest=parent_ts, inclusive=True)
    )["messages"][-1]
    assert parent["reply_count"] == 2 and parent["thread_ts"] == parent_ts

    thread = await web_client.conversations_replies(channel=cid, ts=reply["ts"])
    assert [m["text"] for m in thread["messages"]] == ["m1", "r1", "r2"]
    first = await web_client.conversations_replies(channel=cid, ts=parent_ts, limit=2)
    assert first["has_more"] and len(first["messages"]) == 2
    missing = await refused(web_client.conversations_replies(channel=cid, ts="1.000001"))
    assert error_of(missing) == "thread_not_found"
    other = (await web_client.conversations_create(name="inc-2b"))["channel"]["id"]
    assert error_of(await refused(web_client.chat_postMessage(channel=other))) == "no_text"


async def test_post_rules_update_and_permalink(
    emu: SlackEmulator, web_client: AsyncWebClient
) -> None:
    general = emu.channel_by_name("general")
    assert general is not None
    outside = await refused(web_client.chat_postMessage(channel=general.id, text="hi"))
    assert error_of(outside) == "not_in_channel"
    cid = (await web_client.conversations_create(name="inc-3"))["channel"]["id"]
    ts = (await web_client.chat_postMessage(channel=cid, text="v1"))["ts"]
    updated = await web_client.chat_update(channel=cid, ts=ts, text="v2")
    assert updated["message"]["text"] == "v2" and "edited" in updated["message"]
    alice_msg = await emu.post_message(cid, "mine", user=ALICE)
    assert alice_msg.user == ALICE  # auto-joined the public channel
    not_ours = await refused(web_client.chat_update(channel=cid, ts=alice_msg.ts, text="x"))
    assert error_of(not_ours) == "cant_update_message"
    link = await web_client.chat_getPermalink(channel=cid, message_ts=ts)
    assert link["permalink"] == (
        f"https://warroom-demo.slack.com/archives/{cid}/p{ts.replace('.', '')}"
    )
    await web_client.pins_add(channel=cid, timestamp=ts)
    pinned = await refused(web_client.pins_add(channel=cid, timestamp=ts))
    assert error_of(pinned) == "already_pinned"
    await web_client.reactions_add(channel=cid, timestamp=ts, name="eyes")
    again = await refused(web_client.reactions_add(channel=cid, timestamp=ts, name="eyes"))
    assert error_of(again) == "already_reacted"
    await web_client.chat_postEphemeral(channel=cid, user=ALICE, text="psst")
    assert [e.text for e in emu.ephemeral_for(ALICE)] == ["psst"]
    outsider = await refused(web_client.chat_postEphemeral(channel=cid, user=CAROL, text="x"))
    assert error_of(outsider) == "user_not_in_channel"


async def test_users_and_groups(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    user = (await web_client.users_info(user=ALICE))["user"]
    assert (user["real_name"], user["tz"]) == ("Alice Adams", "Europe/Berlin")
    found = await web_client.users_lookupByEmail(email="alice@example.com")
    assert found["user"]["id"] == ALICE
    assert error_of(await refused(web_client.users_info(user="U0NOPE"))) == "user_not_found"
    emu.add_usergroup("S0ONCALL", "oncall", [ALICE, BOB])
    members = await web_client.usergroups_users_list(usergroup="S0ONCALL")
    assert members["users"] == [ALICE, BOB]
    nope = await refused(web_client.usergroups_users_list(usergroup="S0NOPE"))
    assert error_of(nope) == "no_such_subteam"


async def test_the_app_under_test_is_named_by_its_parameters() -> None:
    """The emulator plays any app: its name (on its posts, and as its bot user) and its ids
    are parameters; warroom's are only the defaults."""
    async with SlackEmulator(
        app_name="pager-bot", bot_user_id="U0PAGER", bot_id="B0PAGER"
    ) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        bot = (await client.users_info(user="U0PAGER"))["user"]
        assert (bot["name"], bot["is_bot"]) == ("pager-bot", True)
        cid = (await client.conversations_create(name="inc-1"))["channel"]["id"]
        posted = (await client.chat_postMessage(channel=cid, text="hello"))["message"]
        assert posted["bot_id"] == "B0PAGER"
        assert posted["bot_profile"]["name"] == "pager-bot"


async def test_views_open_trigger_rules(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": "Declare"},
        "blocks": [],
        "private_metadata": "C123",
    }
    trigger = emu.issue_trigger_id(ALICE, "C123")
    opened = await web_client.views_open(trigger_id=trigger, view=view)
    view_id = opened["view"]["id"]
    assert opened["view"]["callback_id"] == "declare" and view_id.startswith("V")
    assert emu.views[view_id]["trigger_user"] == ALICE
    again = await refused(web_client.views_open(trigger_id=trigger, view=view))
    assert error_of(again) == "exchanged_trigger_id"
    bogus = await refused(web_client.views_open(trigger_id="1.2.abc", view=view))
    assert error_of(bogus) == "invalid_trigger_id"
    emu.trigger_ttl = 0.05
    stale = emu.issue_trigger_id(ALICE)
    await asyncio.sleep(0.1)
    expired = await refused(web_client.views_open(trigger_id=stale, view=json.dumps(view)))
    assert error_of(expired) == "expired_trigger_id"
    updated = await web_client.views_update(
        view_id=view_id,
        view={**view, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "done"}}]},
    )
    assert updated["view"]["id"] == view_id and emu.views[view_id]["blocks"]


# -- failure injection -----------------------------------------------------------------------
async def test_injected_429_and_errors(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    emu.fail("chat.postMessage", status=429, retry_after=3)
    cid = (await web_client.conversations_create(name="inc-4"))["channel"]["id"]
    limited = await refused(web_client.chat_postMessage(channel=cid, text="x"))
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "3"
    assert error_of(limited) == "ratelimited"
    await web_client.chat_postMessage(channel=cid, text="x")  # only one call was injected
    assert [c.status for c in emu.calls_to("chat.postMessage")] == [429, 200]

    emu.fail("users.info", status=503, times=2)
    for _ in range(2):
        failed = await refused(web_client.users_info(user=ALICE))
        assert failed.response.status_code == 503 and error_of(failed) == "internal_error"
    emu.fail_with_error("users.info", "user_not_visible")
    hidden = await refused(web_client.users_info(user=ALICE))
    assert (hidden.response.status_code, error_of(hidden)) == (200, "user_not_visible")
    assert (await web_client.users_info(user=ALICE))["ok"]


async def test_rate_limit_retry_handler_recovers(emu: SlackEmulator) -> None:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    emu.fail("auth.test", status=429, retry_after=0)  # 0 s keeps the test fast
    assert (await client.auth_test())["ok"]
    assert [c.status for c in emu.calls_to("auth.test")] == [429, 200]


async def test_delay_does_not_block_loop(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    emu.delay("users.info", 2.0)
    started = time.monotonic()
    slow = asyncio.ensure_future(web_client.users_info(user=ALICE))
    await asyncio.sleep(0)  # users.info is on its way first
    await web_client.auth_test()
    assert not slow.done(), "auth.test was answered while users.info was sleeping"
    await slow
    assert time.monotonic() - started >= 2.0


async def test_rate_limits(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    emu.rate_limits["users.info"] = 2
    await web_client.users_info(user=ALICE)
    await web_client.users_info(user=BOB)
    limited = await refused(web_client.users_info(user=ALICE))
    assert limited.response.status_code == 429
    assert 1 <= int(limited.response.headers["Retry-After"]) <= 60


# -- files and response_url ------------------------------------------------------------------
async def test_files_upload_v2(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    cid = (await web_client.conversations_create(name="inc-5"))["channel"]["id"]
    done = await web_client.files_upload_v2(
        channel=cid,
        content="# Postmortem\n",
        filename="postmortem.md",
        title="Postmortem",
        initial_comment="Draft attached",
    )
    file_id = done["file"]["id"]
    assert emu.files[file_id]["content"] == b"# Postmortem\n"
    message = emu.channels[cid].messages[-1]
    assert message.text == "Draft attached" and message.files
    assert message.files[0]["title"] == "Postmortem"


async def test_response_url(emu: SlackEmulator, bot: FakeBot) -> None:
    general = emu.channel_by_name("general")
    assert general is not None
    await emu.send_command("status", user=ALICE, channel="general")
    response_url = bot.received[0].form()["response_url"]
    assert response_url.startswith(emu.root_url + "/response/")
    async with aiohttp.ClientSession(trust_env=False) as session:
        async with session.post(response_url, json={"text": "later"}) as resp:
            assert resp.status == 200
        async with session.post(
            response_url, json={"text": "all", "response_type": "in_channel"}
        ) as resp:
            assert resp.status == 200
        async with session.post(emu.root_url + "/response/nope", json={}) as resp:
            assert resp.status == 404
    assert [(e.text, e.via) for e in emu.ephemeral_for(ALICE)] == [("later", "response_url")]
    assert general.messages[-1].text == "all"
    assert general.messages[-1].bot_id == emu.bot_id


# -- the platform side -----------------------------------------------------------------------
async def test_send_command_form_and_ack(emu: SlackEmulator, bot: FakeBot) -> None:
    bot.reply = lambda _r: web.Response(text="Declaring…")
    response = await emu.send_command("declare db is down", user=ALICE, channel="general")
    assert (response.status, response.text) == (200, "Declaring…")
    sent = bot.received[0]
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "command=%2Fincident" in sent.body and "text=declare+db+is+down" in sent.body
    form = sent.form()
    general = emu.channel_by_name("general")
    assert general is not None
    assert list(form) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert form["channel_id"] == general.id and form["user_name"] == "alice"
    assert form["is_enterprise_install"] == "false" and form["trigger_id"] in emu.triggers
    assert [(e.text, e.via) for e in emu.ephemeral_for(ALICE)] == [("Declaring…", "ack")]

    bot.reply = lambda _r: web.json_response({"text": "Declared", "response_type": "in_channel"})
    await emu.send_command("declare", user=ALICE, channel=general.id)
    assert general.messages[-1].text == "Declared"


async def test_payload_word_in_command_is_sent_as_is(emu: SlackEmulator, bot: FakeBot) -> None:
    await emu.send_command("payload service down", user=BOB, channel="general")
    assert "text=payload+service+down" in bot.received[0].body
    assert "payload=" not in bot.received[0].body


async def test_bad_signature_and_stale_timestamp(emu: SlackEmulator, bot: FakeBot) -> None:
    wrong = await emu.send_command(
        "status", user=ALICE, channel="general", signing_secret="not-the-secret"
    )
    stale = await emu.send_command(
        "status", user=ALICE, channel="general", timestamp=int(time.time()) - 400
    )
    assert (wrong.status, stale.status) == (401, 401)
    assert bot.received == []


async def test_send_event_envelope_and_retry(emu: SlackEmulator, bot: FakeBot) -> None:
    event = {"type": "app_mention", "user": ALICE, "text": "hi", "ts": "1.000001", "channel": "C1"}
    await emu.send_event(event, event_id="Ev123", retry_num=1, retry_reason="http_timeout")
    sent = bot.received[0]
    body = json.loads(sent.body)
    assert body["type"] == "event_callback" and body["event_id"] == "Ev123"
    assert body["event"]["text"] == "hi" and body["api_app_id"] == emu.app_id
    assert body["authorizations"][0]["user_id"] == emu.bot_user_id
    assert sent.headers["X-Slack-Retry-Num"] == "1"
    assert sent.headers["X-Slack-Retry-Reason"] == "http_timeout"
    await emu.send_event(event)
    second = json.loads(bot.received[1].body)
    assert second["event_id"].startswith("Ev")
    assert "X-Slack-Retry-Num" not in bot.received[1].headers


async def test_send_interaction_form(emu: SlackEmulator, bot: FakeBot) -> None:
    payload = {"type": "block_actions", "actions": [{"action_id": "ack", "value": "a&b=c"}]}
    await emu.send_interaction(payload)
    sent = bot.received[0]
    assert sent.body.startswith("payload=")
    assert json.loads(sent.form()["payload"]) == payload


async def test_post_message_delivers_only_to_member_bot(
    emu: SlackEmulator, bot: FakeBot, web_client: AsyncWebClient
) -> None:
    await emu.post_message("general", "nobody hears this bot", user=ALICE)
    assert bot.received == [] and emu.deliveries == []
    cid = (await web_client.conversations_create(name="inc-6"))["channel"]["id"]
    await emu.drain()
    await web_client.conversations_invite(channel=cid, users=ALICE)
    parent = await emu.post_message(cid, "seeing 500s", user=ALICE)
    await emu.post_message(cid, "me too", user=ALICE, thread_ts=parent.ts)
    events = [json.loads(r.body)["event"] for r in bot.received]
    events = [e for e in events if e["type"] == "message" and "subtype" not in e]
    assert events[0]["channel_type"] == "channel" and events[0]["client_msg_id"]
    assert events[0]["user"] == ALICE and events[0]["text"] == "seeing 500s"
    assert events[1]["thread_ts"] == parent.ts and events[1]["parent_user_id"] == ALICE
    assert {resp.status for _, resp in emu.deliveries} == {200}


async def test_bot_posts_are_delivered_back(
    emu: SlackEmulator, bot: FakeBot, web_client: AsyncWebClient
) -> None:
    cid = (await web_client.conversations_create(name="inc-7", is_private=True))["channel"]["id"]
    await web_client.chat_postMessage(channel=cid, text="Incident declared")
    await emu.drain()
    event = json.loads(bot.received[-1].body)["event"]
    assert (event["bot_id"], event["user"], event["channel_type"]) == (
        emu.bot_id,
        emu.bot_user_id,
        "group",
    )


async def test_click_button_and_submit_view(
    emu: SlackEmulator, bot: FakeBot, web_client: AsyncWebClient
) -> None:
    cid = (await web_client.conversations_create(name="inc-8"))["channel"]["id"]
    await web_client.conversations_invite(channel=cid, users=ALICE)
    blocks = [
        {
            "type": "actions",
            "block_id": "card",
            "elements": [
                {
                    "type": "button",
                    "action_id": "resolve",
                    "value": "INC-8",
                    "text": {"type": "plain_text", "text": "Resolve"},
                }
            ],
        }
    ]
    ts = (await web_client.chat_postMessage(channel=cid, text="card", blocks=blocks))["ts"]
    await emu.drain()
    bot.received.clear()
    await emu.click_button(cid, ts, "resolve", user=ALICE)
    clicked = json.loads(bot.received[0].form()["payload"])
    assert clicked["type"] == "block_actions" and clicked["container"]["message_ts"] == ts
    assert clicked["actions"][0] | {"action_ts": None} == {
        "action_id": "resolve",
        "block_id": "card",
        "type": "button",
        "value": "INC-8",
        "text": {"type": "plain_text", "text": "Resolve"},
        "action_ts": None,
    }
    with pytest.raises(LookupError):
        await emu.click_button(cid, ts, "missing", user=ALICE)

    view = {
        "type": "modal",
        "callback_id": "resolve_modal",
        "private_metadata": "INC-8",
        "title": {"type": "plain_text", "text": "Resolve"},
        "blocks": [],
    }
    opened = await web_client.views_open(trigger_id=clicked["trigger_id"], view=view)
    values = {"summary": {"text": {"type": "plain_text_input", "value": "fixed"}}}
    await emu.submit_view(opened["view"]["id"], values, user=ALICE)
    submitted = json.loads(bot.received[-1].form()["payload"])
    assert submitted["type"] == "view_submission"
    assert submitted["view"]["callback_id"] == "resolve_modal"
    assert submitted["view"]["private_metadata"] == "INC-8"
    assert submitted["view"]["state"]["values"] == values
    assert submitted["trigger_id"] in emu.triggers and "trigger_user" not in submitted["view"]


async def test_edit_delete_and_reactions(
    emu: SlackEmulator, bot: FakeBot, web_client: AsyncWebClient
) -> None:
    cid = (await web_client.conversations_create(name="inc-9"))["channel"]["id"]
    await web_client.conversations_invite(channel=cid, users=[ALICE, BOB])
    await emu.drain()
    bot.received.clear()  # the joins (see test_emulator_semantics.py)
    message = await emu.post_message(cid, "tpyo", user=ALICE)
    changed = await emu.edit_message(cid, message.ts, "typo", user=ALICE)
    reacted = await emu.add_reaction(cid, message.ts, "eyes", user=BOB)
    await emu.remove_reaction(cid, message.ts, "eyes", user=BOB)
    await emu.delete_message(cid, message.ts)
    assert isinstance(changed, BotResponse) and isinstance(reacted, BotResponse)
    events = [json.loads(r.body)["event"] for r in bot.received]
    assert [e.get("subtype") or e["type"] for e in events] == [
        "message",
        "message_changed",
        "reaction_added",
        "reaction_removed",
        "message_deleted",
    ]
    assert events[1]["message"]["text"] == "typo"
    assert events[1]["previous_message"]["text"] == "tpyo"
    assert events[2]["item"] == {"type": "message", "channel": cid, "ts": message.ts}
    assert events[2]["item_user"] == ALICE and events[2]["user"] == BOB
    assert events[4]["deleted_ts"] == message.ts and emu.channels[cid].find(message.ts) is None


async def test_transcript_and_wait_for(emu: SlackEmulator, web_client: AsyncWebClient) -> None:
    cid = (await web_client.conversations_create(name="inc-10"))["channel"]["id"]
    await web_client.conversations_setTopic(channel=cid, topic="SEV2")
    parent = await emu.post_message(cid, "db is slow", user=ALICE, ts="1700000000.000100")
    await emu.post_message(cid, "looking", user=BOB, thread_ts=parent.ts, ts="1700000060.000100")
    await web_client.chat_postMessage(channel=cid, text="Incident declared")
    lines = emu.transcript(cid).splitlines()
    assert lines[0] == "#inc-10 | topic: SEV2"
    assert lines[1] == "[22:13:20] Alice Adams: db is slow"
    assert lines[2] == "    [22:14:20] Bob Brown: looking"
    assert lines[3].endswith("] warroom: Incident declared")
    assert emu.transcript(cid, tz="Europe/Berlin").splitlines()[1].startswith("[23:13:20]")

    assert await emu.wait_for(lambda: emu.calls_to("conversations.create")) != []
    with pytest.raises(TimeoutError, match=r"Recent API calls: .*chat\.postMessage"):
        await emu.wait_for(lambda: emu.calls_to("pins.add"), timeout=0.05)


async def test_socket_mode_with_bolt(emu: SlackEmulator) -> None:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    app = AsyncApp(client=client, signing_secret=emu.signing_secret)

    @app.command("/incident")
    async def pong(ack: Any) -> None:
        await ack("pong")

    handler = AsyncSocketModeHandler(app, app_token=emu.app_token, web_client=client)
    await handler.connect_async()
    try:
        emu.transport = "socket"
        await emu.wait_for(emu.socket_connected, timeout=2)
        response = await emu.send_command("ping", user=ALICE, channel="general")
        assert (response.status, response.json()) == (200, {"text": "pong"})
        assert [(e.text, e.via) for e in emu.ephemeral_for(ALICE)] == [("pong", "ack")]
    finally:
        await handler.close_async()


async def test_bolt_http_app_round_trip(emu: SlackEmulator) -> None:
    """A real Bolt AsyncApp behind aiohttp: command, respond, Web API calls and message events."""
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)
    app = AsyncApp(client=client, signing_secret=emu.signing_secret)
    seen: list[dict[str, Any]] = []

    @app.command("/incident")
    async def declare(ack: Any, respond: Any, client: AsyncWebClient, command: Any) -> None:
        await ack("on it")
        created = await client.conversations_create(name="inc-bolt")
        channel_id = created["channel"]["id"]
        await client.conversations_invite(channel=channel_id, users=command["user_id"])
        await client.chat_postMessage(channel=channel_id, text="declared")
        await respond("done")

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async with serving(emu, events):
        ack = await emu.send_command("declare", user=ALICE, channel="general")
        assert (ack.status, ack.text) == (200, "on it")
        await emu.wait_for(lambda: any(e.text == "done" for e in emu.ephemeral_for(ALICE)))
        await emu.drain()
        # The bot's own post came back as an event and Bolt dropped it; Alice's invitation
        # came as a channel_join message (not dropped: she is not the bot).
        assert [(e.get("subtype"), e.get("user")) for e in seen] == [("channel_join", ALICE)]
        seen.clear()
        await emu.post_message("inc-bolt", "I can help", user=ALICE)
        await emu.wait_for(lambda: seen)
        assert seen[0]["text"] == "I can help"
        assert emu.calls_to("auth.test")[0].args.get("team_id") == emu.team_id
