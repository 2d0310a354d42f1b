"""The emulator follows Slack's documented Web API semantics and sends events as Slack does.

Every test drives a started SlackEmulator over real HTTP: Web API calls with slack_sdk's
AsyncWebClient, events received by a tiny aiohttp server standing in for the bot. The rules
and their doc pages are cited in the emulator's docstrings (emulator/).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from emulator import Channel, Message, SlackEmulator
from emulator.models import new_ts
from tests.helpers.fake_bot import error_of, refused, serving

ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as slack:
        for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol"), (DAVE, "dave")):
            slack.add_user(user_id, name)
        slack.create_channel("general", creator=ALICE, members=[BOB, CAROL])
        slack.create_channel("secret", creator=ALICE, members=[BOB], is_private=True)
        yield slack


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)


class Recorder:
    """Stands in for the bot's /slack/events: keeps every event the emulator posts."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.events.append((await request.json())["event"])
        return web.Response(text="")

    def of(self, kind: str, subtype: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind and e.get("subtype") == subtype]


@pytest.fixture
async def recorder(emu: SlackEmulator) -> AsyncIterator[Recorder]:
    recorder = Recorder()
    async with serving(emu, recorder.handle):
        yield recorder


def channel_named(emu: SlackEmulator, name: str) -> Channel:
    channel = emu.channel_by_name(name)
    assert channel is not None
    return channel


# -- 1. conversations.invite -----------------------------------------------------------------
async def test_invite_is_all_or_nothing_unless_forced(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    cid = (await client.conversations_create(name="inc-1"))["channel"]["id"]
    members = emu.channels[cid].members
    await client.conversations_invite(channel=cid, users=ALICE)

    partly = await refused(client.conversations_invite(channel=cid, users=[ALICE, BOB]))
    assert partly.response.status_code == 200
    assert partly.response["error"] == "already_in_channel"
    assert partly.response["errors"] == [
        {"user": ALICE, "ok": False, "error": "already_in_channel"}
    ]
    assert BOB not in members  # nobody was invited

    unknown = await refused(client.conversations_invite(channel=cid, users=[BOB, "U0NOBODY"]))
    assert unknown.response["errors"] == [
        {"user": "U0NOBODY", "ok": False, "error": "user_not_found"}
    ]
    selfish = await refused(client.conversations_invite(channel=cid, users=[emu.bot_user_id]))
    assert error_of(selfish) == "cant_invite_self"
    assert BOB not in members

    forced = await refused(client.conversations_invite(channel=cid, users=[ALICE, BOB], force=True))
    assert forced.response["errors"] == [
        {"user": ALICE, "ok": False, "error": "already_in_channel"}
    ]
    assert BOB in members  # force: the valid ones are invited

    # A deactivated ("removed") user fails on its own: the others are invited anyway.
    emu.users[CAROL].deleted = True
    removed = await refused(client.conversations_invite(channel=cid, users=[CAROL, DAVE]))
    assert removed.response["error"] == "cant_invite"
    assert removed.response["errors"] == [{"user": CAROL, "ok": False, "error": "cant_invite"}]
    assert DAVE in members and CAROL not in members


# -- 2. membership ---------------------------------------------------------------------------
async def test_bot_acts_only_where_it_is_a_member(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    public, private = channel_named(emu, "general"), channel_named(emu, "secret")
    said = await emu.post_message(public.id, "hello", user=ALICE)
    hidden = await emu.post_message(private.id, "psst", user=BOB)
    expected = {
        # method: (error in a public channel, error in a private one)
        "conversations.history": ("not_in_channel", "channel_not_found"),
        "conversations.replies": ("channel_not_found", "channel_not_found"),
        "reactions.add": ("channel_not_found", "channel_not_found"),
        "reactions.remove": ("channel_not_found", "channel_not_found"),
        "pins.add": ("not_in_channel", "channel_not_found"),
        "pins.remove": ("channel_not_found", "channel_not_found"),
        "chat.postMessage": ("not_in_channel", "channel_not_found"),
        "conversations.setTopic": ("not_in_channel", "channel_not_found"),
    }
    for api_method, errors in expected.items():
        for channel, message, error in ((public, said, errors[0]), (private, hidden, errors[1])):
            args = {
                "channel": channel.id,
                "ts": message.ts,
                "timestamp": message.ts,
                "name": "eyes",
                "text": "hi",
                "topic": "t",
            }
            answer = await refused(client.api_call(api_method, params=args))
            assert (api_method, channel.name, error_of(answer)) == (
                api_method,
                channel.name,
                error,
            )
    assert not said.reactions and not public.pins and public.topic == ""


# -- 3. chat.getPermalink --------------------------------------------------------------------
async def test_permalink_only_for_conversations_the_bot_can_see(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    public, private = channel_named(emu, "general"), channel_named(emu, "secret")
    said = await emu.post_message(public.id, "hello", user=ALICE)
    hidden = await emu.post_message(private.id, "psst", user=BOB)
    # A DM between two people: the bot is not part of it.
    dm = Channel(
        id="D0ALICEBOB",
        name="alice-bob",
        is_private=True,
        creator=ALICE,
        created=0,
        members={ALICE, BOB},
        is_im=True,
    )
    emu.channels[dm.id] = dm
    whisper = emu.store_message(Message(ts=new_ts(), user=ALICE, text="hi", channel=dm.id))

    link = await client.chat_getPermalink(channel=public.id, message_ts=said.ts)
    assert link["permalink"].endswith(f"/archives/{public.id}/p{said.ts.replace('.', '')}")
    # A thread reply's link names its thread and channel (the method page's second example).
    reply = await emu.post_message(public.id, "same here", user=BOB, thread_ts=said.ts)
    link = await client.chat_getPermalink(channel=public.id, message_ts=reply.ts)
    assert link["permalink"] == (
        f"https://{emu.team_domain}.slack.com/archives/{public.id}/p{reply.ts.replace('.', '')}"
        f"?thread_ts={said.ts}&cid={public.id}"
    )
    for channel, message in ((private, hidden), (dm, whisper)):
        answer = await refused(client.chat_getPermalink(channel=channel.id, message_ts=message.ts))
        assert error_of(answer) == "channel_not_found"


# -- 4. conversations.canvases.create --------------------------------------------------------
async def test_channel_canvases_on_paid_and_free_plans(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    markdown = {"type": "markdown", "markdown": "# Postmortem"}
    paid = (await client.conversations_create(name="inc-paid"))["channel"]["id"]
    await client.conversations_canvases_create(channel_id=paid, document_content=markdown)
    create = client.conversations_canvases_create
    again = await refused(create(channel_id=paid, document_content=markdown))
    assert error_of(again) == "channel_canvas_already_exists"
    secret = channel_named(emu, "secret").id
    invisible = await refused(create(channel_id=secret, document_content=markdown))
    assert error_of(invisible) == "channel_not_found"

    emu.plan = "free"
    free = (await client.conversations_create(name="inc-free"))["channel"]["id"]
    first = await create(channel_id=free, document_content=markdown)
    assert emu.canvases[first["canvas_id"]]["channel_id"] == free
    second = await refused(create(channel_id=free, document_content=markdown))
    assert error_of(second) == "free_team_canvas_tab_already_exists"
    standalone = await refused(client.canvases_create(title="Notes", document_content=markdown))
    assert error_of(standalone) == "free_teams_cannot_create_non_tabbed_canvases"
    tabbed = await refused(client.canvases_create(title="Notes", channel_id=free))
    assert error_of(tabbed) == "canvas_creation_failed"  # one canvas per channel

    # Slack-side failures with no documented trigger are injected.
    other = (await client.conversations_create(name="inc-other"))["channel"]["id"]
    for code in ("canvas_tab_creation_failed", "channel_canvas_creation_failed"):
        emu.fail_with_error("conversations.canvases.create", code)
        failed = await refused(create(channel_id=other, document_content=markdown))
        assert error_of(failed) == code


# -- 5. chat.postMessage per-channel rate limit ---------------------------------------------
async def test_post_message_is_rate_limited_per_channel(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    busy = (await client.conversations_create(name="inc-busy"))["channel"]["id"]
    quiet = (await client.conversations_create(name="inc-quiet"))["channel"]["id"]
    for i in range(emu.post_burst):  # a short burst is allowed
        await client.chat_postMessage(channel=busy, text=f"burst {i}")
    limited = await refused(client.chat_postMessage(channel=busy, text="one too many"))
    assert limited.response.status_code == 429
    assert limited.response.data == {"ok": False, "error": "ratelimited"}
    retry_after = limited.response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    await client.chat_postMessage(channel=quiet, text="another channel is not limited")
    await asyncio.sleep(int(retry_after))  # Slack's rate: one message a second
    await client.chat_postMessage(channel=busy, text="after waiting")
    texts = [m.text for m in emu.channels[busy].messages]
    assert "one too many" not in texts and texts[-1] == "after waiting"
    assert [c.status for c in emu.calls_to("chat.postMessage")].count(429) == 1


# -- 6. events for topic, purpose, pins and joins --------------------------------------------
async def test_channel_changes_arrive_as_message_events(
    emu: SlackEmulator, client: AsyncWebClient, recorder: Recorder
) -> None:
    bot = emu.bot_user_id
    cid = (await client.conversations_create(name="inc-6"))["channel"]["id"]
    await client.conversations_invite(channel=cid, users=[ALICE, BOB])
    await client.conversations_setTopic(channel=cid, topic="SEV1: checkout down")
    await client.conversations_setPurpose(channel=cid, purpose="Incident 6")
    ts = (await client.chat_postMessage(channel=cid, text="Incident declared"))["ts"]
    await client.pins_add(channel=cid, timestamp=ts)
    await emu.post_message(cid, "joining to help", user=CAROL)  # posting joins a public channel
    await emu.drain()

    created, *invited, carol = recorder.of("member_joined_channel")
    assert created == {
        "type": "member_joined_channel",
        "user": bot,
        "channel": cid,
        "channel_type": "C",
        "team": emu.team_id,
        "event_ts": created["event_ts"],
    }
    assert sorted((e["user"], e["inviter"]) for e in invited) == [(ALICE, bot), (BOB, bot)]
    assert carol["user"] == CAROL and "inviter" not in carol

    joins = sorted(recorder.of("message", "channel_join"), key=lambda e: e["user"])
    assert [(e["user"], e.get("inviter"), e["text"]) for e in joins] == [
        (ALICE, bot, f"<@{ALICE}> has joined the channel"),
        (BOB, bot, f"<@{BOB}> has joined the channel"),
        (CAROL, None, f"<@{CAROL}> has joined the channel"),
    ]
    assert all(e["channel"] == cid and e["channel_type"] == "channel" for e in joins)

    (topic,) = recorder.of("message", "channel_topic")
    assert (topic["user"], topic["topic"], topic["text"], topic["channel"]) == (
        bot,
        "SEV1: checkout down",
        f"<@{bot}> set the channel topic: SEV1: checkout down",
        cid,
    )
    (purpose,) = recorder.of("message", "channel_purpose")
    assert (purpose["purpose"], purpose["text"]) == (
        "Incident 6",
        f"<@{bot}> set the channel purpose: Incident 6",
    )
    (pinned,) = recorder.of("message", "pinned_item")
    assert (pinned["user"], pinned["item_type"], pinned["item"]["ts"]) == (bot, "C", ts)
    changes = [*joins, topic, purpose, pinned]
    assert not any(e.get("hidden") for e in changes)  # visible messages, not bookkeeping
    assert all(e["ts"] == e["event_ts"] for e in changes)


async def test_no_channel_events_where_the_bot_is_not_a_member(
    emu: SlackEmulator, recorder: Recorder
) -> None:
    await emu.post_message("general", "hi", user=DAVE)  # Dave joins #general; the bot is not in it
    await emu.drain()
    assert recorder.events == []


# -- 7. deleting a thread parent -------------------------------------------------------------
async def test_deleted_thread_parent_becomes_a_tombstone(
    emu: SlackEmulator, client: AsyncWebClient, recorder: Recorder
) -> None:
    cid = (await client.conversations_create(name="inc-7"))["channel"]["id"]
    await client.conversations_invite(channel=cid, users=[ALICE, BOB])
    parent = await emu.post_message(cid, "db is down", user=ALICE)
    reply = await emu.post_message(cid, "looking", user=BOB, thread_ts=parent.ts)
    lonely = await emu.post_message(cid, "typo", user=ALICE)
    await emu.drain()
    recorder.events.clear()

    await emu.delete_message(cid, parent.ts)
    await emu.delete_message(cid, lonely.ts)
    changed, deleted = recorder.events
    assert (changed["subtype"], changed["hidden"]) == ("message_changed", True)
    assert changed["message"]["subtype"] == "tombstone"
    assert changed["message"]["text"] == "This message was deleted."
    assert changed["message"]["hidden"] is True
    assert (changed["message"]["ts"], changed["message"]["reply_count"]) == (parent.ts, 1)
    assert changed["previous_message"]["text"] == "db is down"
    assert (deleted["subtype"], deleted["deleted_ts"]) == ("message_deleted", lonely.ts)

    # The tombstone stays above its replies; the childless message is gone.
    thread = await client.conversations_replies(channel=cid, ts=parent.ts)
    assert [(m.get("subtype"), m["text"]) for m in thread["messages"]] == [
        ("tombstone", "This message was deleted."),
        (None, reply.text),
    ]
    assert emu.channels[cid].find(lonely.ts) is None


# -- 8. message_replied, hidden bookkeeping --------------------------------------------------
async def test_message_replied_arrives_without_its_subtype(
    emu: SlackEmulator, client: AsyncWebClient, recorder: Recorder
) -> None:
    cid = (await client.conversations_create(name="inc-8"))["channel"]["id"]
    await client.conversations_invite(channel=cid, users=[ALICE, BOB])
    parent = await emu.post_message(cid, "db is down", user=ALICE)
    reply = await emu.post_message(cid, "looking", user=BOB, thread_ts=parent.ts)
    await emu.edit_message(cid, reply.ts, "looking into it", user=BOB)
    await emu.drain()
    recorder.events.clear()

    await emu.send_message_replied(cid, parent.ts)  # as Slack's Events API sends it (bug)
    await emu.send_message_replied(cid, parent.ts, with_subtype=True)
    bare, documented = recorder.events
    assert "subtype" not in bare and documented["subtype"] == "message_replied"
    for event in (bare, documented):
        assert event["hidden"] is True and event["channel"] == cid
        assert event["message"]["ts"] == event["message"]["thread_ts"] == parent.ts
        assert event["message"]["reply_count"] == 1
        assert event["message"]["replies"] == [{"user": BOB, "ts": reply.ts}]
    with pytest.raises(ValueError, match="not a thread parent"):
        await emu.send_message_replied(cid, reply.ts)

    # The other bookkeeping events Slack marks hidden carry the flag too.
    await emu.edit_message(cid, parent.ts, "db is down (eu-west)", user=ALICE)
    await emu.delete_message(cid, reply.ts)
    edited, deleted = recorder.events[2:]
    assert (edited["subtype"], edited["hidden"]) == ("message_changed", True)
    assert (deleted["subtype"], deleted["hidden"]) == ("message_deleted", True)


async def test_a_disabled_usergroup_is_listed_only_when_asked_for(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    """usergroups.list "can optionally include disabled User Groups" (include_disabled); a
    disabled group's date_delete is non-zero, and usergroups.enable brings it back."""
    emu.add_usergroup("S0ONCALL", "payments-oncall", [ALICE])
    disabled = await client.usergroups_disable(usergroup="S0ONCALL")
    assert disabled["usergroup"]["date_delete"] > 0
    assert (await client.usergroups_list())["usergroups"] == []
    [listed] = (await client.usergroups_list(include_disabled=True))["usergroups"]
    assert listed["handle"] == "payments-oncall" and listed["date_delete"] > 0
    gone = await refused(client.usergroups_users_list(usergroup="S0ONCALL"))
    assert error_of(gone) == "no_such_subteam"
    members = await client.usergroups_users_list(usergroup="S0ONCALL", include_disabled=True)
    assert members["users"] == [ALICE]
    assert (await client.usergroups_enable(usergroup="S0ONCALL"))["usergroup"]["date_delete"] == 0
    assert [g["id"] for g in (await client.usergroups_list())["usergroups"]] == ["S0ONCALL"]


async def test_usergroups_users_update_replaces_members_and_refuses_as_slack_does(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    emu.add_usergroup("S0ONCALL", "payments-oncall", [ALICE])
    emu.add_user("U0GUEST", "guest").is_restricted = True
    emu.add_user("U0SCG", "single").is_ultra_restricted = True
    update = client.usergroups_users_update

    answer = await update(usergroup="S0ONCALL", users="U0BOB, U0CAROL", include_count=True)
    assert answer["usergroup"]["users"] == [BOB, CAROL] and answer["usergroup"]["user_count"] == 2
    assert (await client.usergroups_users_list(usergroup="S0ONCALL"))["users"] == [BOB, CAROL]
    await update(usergroup="S0ONCALL", users=[DAVE])  # slack_sdk joins a list with commas
    assert emu.usergroups["S0ONCALL"]["users"] == [DAVE]

    refusals = {
        "no_users_provided": update(usergroup="S0ONCALL", users=""),
        "invalid_users": update(usergroup="S0ONCALL", users="U0NOBODY"),
        "invalid_user": update(usergroup="S0ONCALL", users=f"{ALICE},{emu.bot_user_id}"),
        "single_channel_guests_cannot_be_added": update(usergroup="S0ONCALL", users="U0SCG"),
        "no_such_subteam": update(usergroup="S0NONE", users=ALICE),
    }
    for code, call in refusals.items():
        assert error_of(await refused(call)) == code
    assert error_of(await refused(update(usergroup="S0ONCALL", users="U0GUEST"))) == (
        "invalid_user"
    )
    assert emu.usergroups["S0ONCALL"]["users"] == [DAVE], "a refused call changes nothing"

    emu.scopes.discard("usergroups:write")
    missing = await refused(update(usergroup="S0ONCALL", users=ALICE))
    assert error_of(missing) == "missing_scope" and missing.response["needed"] == (
        "usergroups:write"
    )
    emu.scopes.add("usergroups:write")

    emu.plan = "free"  # user groups are a paid feature
    for call in (
        update(usergroup="S0ONCALL", users=ALICE),
        client.usergroups_list(),
        client.usergroups_users_list(usergroup="S0ONCALL"),
    ):
        assert error_of(await refused(call)) == "plan_upgrade_required"


async def test_bookmarks_add_refuses_a_title_or_link_longer_than_slack_takes(
    emu: SlackEmulator, client: AsyncWebClient
) -> None:
    """Title at most 256 characters, link at most 2,048 (bookmarks_add in api_misc.py says
    where these come from); the bookmark at the limits is taken."""
    channel = emu.create_channel("bookmarked", creator=ALICE, members=[emu.bot_user_id])
    link = "https://example.com/" + "a" * (2048 - 20)
    taken = await client.bookmarks_add(
        channel_id=channel.id, title="t" * 256, type="link", link=link
    )
    assert taken["bookmark"]["title"] == "t" * 256
    for title, link_ in (("t" * 257, "https://example.com/"), ("t", link + "a")):
        call = client.bookmarks_add(channel_id=channel.id, title=title, type="link", link=link_)
        assert error_of(await refused(call)) == "invalid_arguments"
    assert len(emu.bookmarks[channel.id]) == 1
