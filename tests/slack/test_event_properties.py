"""Property-based robustness of /slack/events: whatever Slack sends, the answer is clear.

Arbitrary Unicode, huge strings, missing and wrong-typed fields, bodies that are not JSON or
not even UTF-8: the bot answers 2xx or 4xx, never 5xx, never a traceback, and keeps serving
and recording. The other properties of what comes from outside are beside the code they
test: commands/test_command_properties.py, alerting/test_alert_properties.py,
web/test_request_properties.py.

Each test starts ONE real bot (aiohttp on 127.0.0.1, the Slack emulator; SQLite, and
PostgreSQL when configured) and runs hypothesis in a worker thread: every example goes over
real HTTP, signed with the emulator's own helpers, while the test's event loop serves it and
the bot's background work and due jobs run. Seeds are fixed (one per property) and hypothesis
keeps no example database, so CI runs the same examples every time and writes nothing here
(tests/helpers/properties.py holds what the properties share).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, seed
from hypothesis import strategies as st
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import ChannelMessage
from emulator import SlackEmulator
from tests.conftest import BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import open_incident
from tests.helpers.properties import (
    AWKWARD,
    COMMAND_TEXT,
    EVENTS_MAX_BODY,
    FORM,
    HUGE_TEXT,
    PEOPLE,
    SCALAR,
    UNICODE,
    WORD,
    WRONG,
    LoopBridge,
    assert_clean_logs,
    assert_no_traceback,
    dumps,
    examples,
    http_session,
    malformed_body,
    mutate,
    settle,
)
from tests.helpers.slack_requests import signed_headers

# -- Slack event payloads -------------------------------------------------------------------------

EVENT_KEYS = [
    "type",
    "subtype",
    "event",
    "channel",
    "user",
    "text",
    "ts",
    "event_ts",
    "thread_ts",
    "item",
    "reaction",
    "message",
    "previous_message",
    "edited",
    "deleted_ts",
    "hidden",
    "bot_id",
    "blocks",
    "files",
    "event_id",
    "authorizations",
    "team_id",
    "api_app_id",
    "token",
    "challenge",
    "enterprise",
    "is_enterprise_install",
]
EVENT_TYPES = [
    "message",
    "reaction_added",
    "reaction_removed",
    "member_joined_channel",
    "channel_archive",
    "group_archive",
    "app_mention",
    "team_join",
    "pin_added",
    "",
    "message.channels",
    "MESSAGE",
]
SUBTYPES = [
    None,
    "bot_message",
    "channel_join",
    "thread_broadcast",
    "file_share",
    "me_message",
    "message_replied",
    "message_changed",
    "message_deleted",
    "tombstone",
    "ekm_access_denied",
    "huddle_thread",
    "",
]
SLACK_TS = st.builds(
    lambda seconds, micros: f"{seconds}.{micros:06d}",
    st.integers(1_000_000_000, 2_000_000_000),
    st.integers(0, 999_999),
)
ODD_TS = st.one_of(
    SLACK_TS, st.sampled_from(["0.0", "1712345678", "1712345678.1", ".5", "-1.000001"])
)


@st.composite
def event(draw: Callable[..., Any], channel: str, anchor_ts: str) -> dict[str, Any]:
    """A real ``message`` / ``reaction_*`` / edit / deletion shape, in an incident channel."""
    shape = draw(st.sampled_from(["message", "reply", "edit", "delete", "reaction", "other"]))
    ts = draw(ODD_TS)
    user = draw(st.sampled_from([*PEOPLE, "U0WARROOM", "U0STRANGER"]))
    text = draw(st.one_of(UNICODE, WORD, HUGE_TEXT))
    channel = draw(st.sampled_from([channel, channel, "C0ELSEWHERE", "D0DIRECT"]))
    base: dict[str, Any] = {"channel": channel, "event_ts": ts, "channel_type": "channel"}
    if shape in ("message", "reply"):
        body = {"type": "message", "user": user, "text": text, "ts": ts, **base}
        body["client_msg_id"] = "8f0c3a4e-0000-4000-8000-000000000000"
        if shape == "reply":
            body["thread_ts"] = draw(st.sampled_from([anchor_ts, ts]))
        if subtype := draw(st.sampled_from(SUBTYPES)):
            body["subtype"] = subtype
        return body
    if shape == "edit":
        message = {"type": "message", "user": user, "text": text, "ts": anchor_ts}
        message["edited"] = {"user": user, "ts": ts}
        previous = {"type": "message", "user": user, "text": "before", "ts": anchor_ts}
        return {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "ts": ts,
            "message": message,
            "previous_message": previous,
            **base,
        }
    if shape == "delete":
        deleted = draw(st.sampled_from([ts, draw(SLACK_TS)]))
        return {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "ts": ts,
            "deleted_ts": deleted,
            "previous_message": {"type": "message", "user": user, "text": text, "ts": deleted},
            **base,
        }
    if shape == "reaction":
        name = draw(
            st.one_of(
                st.sampled_from(["pushpin", "bulb", "x", "mag", "memo", "white_check_mark"]),
                st.sampled_from(["bulb::skin-tone-3", "+1", "ballot_box_with_check"]),
                UNICODE,
            )
        )
        item_ts = draw(st.sampled_from([anchor_ts, ts]))
        item_type = draw(st.sampled_from(["message", "message", "file", "file_comment"]))
        return {
            "type": draw(st.sampled_from(["reaction_added", "reaction_removed"])),
            "user": user,
            "reaction": name,
            "item": {"type": item_type, "channel": channel, "ts": item_ts},
            "item_user": BOB,
            "event_ts": ts,
        }
    return {"type": draw(st.sampled_from(EVENT_TYPES)), "user": user, **base}


COMMAND_FIELDS = [
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


def slash_command_form(
    draw: Callable[..., Any], emulator: SlackEmulator, channel: str, response_url: str
) -> bytes:
    """``/incident`` as Slack posts it, then fields removed or given odd values."""
    fields = {
        "token": "emulator-verification-token",
        "team_id": emulator.team_id,
        "team_domain": emulator.team_domain,
        "channel_id": channel,
        "channel_name": "inc-1-checkout-down",
        "user_id": draw(st.sampled_from(PEOPLE)),
        "user_name": "someone",
        "command": "/incident",
        "text": draw(COMMAND_TEXT),
        "api_app_id": emulator.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"1.{int(time.time())}.{'0' * 32}",  # unknown to Slack: views.open fails
    }
    for key in draw(st.lists(st.sampled_from(COMMAND_FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            del fields[key]
        else:  # form values are strings; Slack's ids and URLs are short ones
            fields[key] = draw(st.one_of(UNICODE, AWKWARD, st.just("")))
    return urllib.parse.urlencode(fields).encode()


@st.composite
def slack_request(
    draw: Callable[..., Any],
    emulator: SlackEmulator,
    channel: str,
    anchor_ts: str,
    response_url: str,
) -> tuple[bytes, str]:
    """(body, content type) of a signed request to /slack/events: mostly mutated events."""
    family = draw(
        st.sampled_from(
            ["event"] * 6
            + ["no-event", "url_verification", "malformed", "command", "form", "oversized"]
        )
    )
    envelope = emulator.event_envelope(draw(event(channel, anchor_ts)))
    if family == "event":
        mutated = mutate(draw, envelope, EVENT_KEYS)
        return dumps(mutated).encode(), "application/json"
    if family == "no-event":
        envelope.pop("event")
        return dumps(mutate(draw, envelope, EVENT_KEYS)).encode(), "application/json"
    if family == "url_verification":
        challenge = {"token": "emulator-verification-token", "type": "url_verification"}
        challenge["challenge"] = draw(st.one_of(UNICODE, WRONG))
        return dumps(mutate(draw, challenge, EVENT_KEYS)).encode(), "application/json"
    if family == "malformed":
        return draw(malformed_body(json.dumps(envelope)))
    if family == "command":
        return slash_command_form(draw, emulator, channel, response_url), FORM
    if family == "form":
        # Interactivity shapes that are not JSON, and forms of anything at all.
        fields = draw(
            st.one_of(
                st.builds(lambda p: {"payload": p}, st.one_of(UNICODE, st.just("[1, 2]"))),
                st.builds(
                    lambda p: {"payload": json.dumps(p)}, st.one_of(SCALAR, st.lists(SCALAR))
                ),
                st.dictionaries(UNICODE, UNICODE, max_size=4),
            )
        )
        return urllib.parse.urlencode(fields).encode(), FORM
    return dumps({**envelope, "padding": "x" * (EVENTS_MAX_BODY + 10)}).encode(), "application/json"


async def stored_message(warroom: Warroom, channel: str, ts: str) -> ChannelMessage | None:
    async with session_scope(warroom.engine) as session:
        query = select(ChannelMessage).where(
            ChannelMessage.channel == channel, ChannelMessage.ts == ts
        )
        return (await session.exec(query)).first()


async def test_any_slack_event_payload_is_answered_without_a_5xx(
    slack: SlackEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Signed event_callback bodies with fields removed or of the wrong type, unknown types,
    no event, url_verification variants, slash-command forms missing fields, bodies that are
    not JSON, not objects or not UTF-8: 2xx or 4xx, never 5xx; a normal event still lands."""
    caplog.set_level(logging.WARNING)
    async with running_warroom(
        slack, database_url, runtime__max_body_bytes=EVENTS_MAX_BODY
    ) as warroom:
        incident = await open_incident(warroom)
        anchor = await slack.post_message(incident.id, "the message people react to", user=BOB)
        response_url = f"{slack.root_url}/response/{slack.new_response_url_id(incident.id, BOB)}"
        await settle(warroom)
        url = f"{warroom.url}/slack/events"
        client = http_session()
        bridge = LoopBridge()

        # A reaction promotes a message Slack no longer has: the receipt finds nothing.
        gone = f"{int(time.time()) - 60}.000001"
        said = {"type": "message", "channel": incident.id, "user": BOB, "text": "x", "ts": gone}
        assert (await slack.send_event(said)).status == 200
        item = {"type": "message", "channel": incident.id, "ts": gone}
        reaction = {"type": "reaction_added", "user": CAROL, "reaction": "bulb", "item": item}
        assert (await slack.send_event(reaction)).status == 200
        await settle(warroom)

        def envelope(event: Any, **changes: Any) -> tuple[bytes, str]:
            document = {**slack.event_envelope({}), "event": event, **changes}
            return dumps(document).encode(), "application/json"

        message = {"type": "message", "channel": incident.id, "user": BOB, "ts": gone}
        edit = {**message, "subtype": "message_changed"}
        # Each of these answered 500 (or logged a traceback) before it was fixed.
        regressions = [
            (b'{"type": "event_callback", "event": \xff}', "application/json"),
            (b'{"type": ', "application/json"),
            (b"null", "application/json"),
            (b"[1, 2]", "application/json"),
            (b"[" * 5_000, "application/json"),
            (('{"type": ' + "9" * 5_000 + "}").encode(), "application/json"),
            envelope(None),
            envelope("type"),
            envelope(message, authorizations=[1]),
            envelope({**edit, "message": 1}),
            envelope({**edit, "message": {"ts": anchor.ts, "edited": ["x"], "user": {"id": 1}}}),
            envelope({**message, "subtype": ["message_replied"]}),
            envelope({**message, "subtype": "message_deleted", "previous_message": ["x"]}),
            envelope({"type": "reaction_added", "user": CAROL, "reaction": "x", "item": "x"}),
            envelope({**message, "ts": "1712345678.000100", "text": "nul \x00 here"}),
            (b"payload=not+json", FORM),
            (b"payload=%5B1%5D", FORM),
            # /incident with no text and a trigger_id Slack does not know: views.open fails.
            (
                urllib.parse.urlencode(
                    {"command": "/incident", "text": "", "user_id": BOB, "channel_id": incident.id}
                    | {"response_url": response_url, "trigger_id": "1.2.3"}
                ).encode(),
                FORM,
            ),
            # A response_url that is no URL: the reply cannot be sent.
            (
                urllib.parse.urlencode(
                    {"command": "/incident", "text": "", "user_id": BOB, "channel_id": incident.id}
                    | {"response_url": "\\", "trigger_id": "1.2.3"}
                ).encode(),
                FORM,
            ),
        ]

        @seed(80_002)
        @examples(150)
        @given(request=slack_request(slack, incident.id, anchor.ts, response_url))
        def event_property(request: tuple[bytes, str]) -> None:
            body, content_type = request
            headers = {"Content-Type": content_type, **signed_headers(slack.signing_secret, body)}
            answer = client.post(url, data=body, headers=headers, timeout=30)
            shown_body = body[:300]
            assert 200 <= answer.status_code < 300 or 400 <= answer.status_code < 500, (
                f"answered {answer.status_code} {answer.text[:300]!r} to {shown_body!r}"
            )
            assert_no_traceback(answer.text, f"the answer to {shown_body!r}")
            bridge.run(settle(warroom))

        for regression in regressions:
            event_property = example(request=regression)(event_property)
        await asyncio.to_thread(event_property)
        client.close()

        # Still serving: a normal message afterwards is answered 200 and stored.
        said = await slack.post_message(incident.id, "still recording after all that", user=BOB)
        delivered = [r for e, r in slack.deliveries if e.get("ts") == said.ts]
        assert [r.status for r in delivered] == [200]
        kept = await stored_message(warroom, incident.id, said.ts)
        assert kept is not None and kept.text == "still recording after all that"
    assert_clean_logs(caplog)
