"""Property-based robustness: whatever Slack or a monitoring system sends, the answer is clear.

Arbitrary Unicode, huge strings, missing and wrong-typed fields, bodies that are not JSON or
not even UTF-8: the bot answers 2xx or 4xx, never 5xx, never a traceback, keeps serving, and
keeps every alert payload it accepted.

Each test starts ONE real bot (aiohttp on 127.0.0.1, the Slack emulator; SQLite, and
PostgreSQL when configured) and runs hypothesis in a worker thread: every example goes over
real HTTP, signed with the emulator's own helpers, while the test's event loop serves it and
the bot's background work and due jobs run. Seeds are fixed (one per property) and hypothesis
keeps no example database, so CI runs the same examples every time and writes nothing here.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import re
import socket
import time
import traceback
import urllib.parse
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
import requests
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.basics.languages import preferred_language
from bot.basics.numbers import TOKEN_MAX_CHARS, bounded_json_number, parse_token
from bot.basics.render import _one_blank_line, markdown_escape, markdown_escape_each
from bot.config import Secret, Settings
from bot.store.columns import in_utc, utc_from_database
from bot.store.db import session_scope
from bot.store.models import AlertPayload, ChannelMessage
from commands.table import SUBCOMMANDS
from emulator import SlackEmulator
from emulator.models import slack_signature_headers
from tests.alerts import TOKEN, alert, alertmanager, payload
from tests.conftest import ALICE, BOB, CAROL, Warroom, open_incident, running_warroom
from tests.oncall.samples import two_schedules
from tests.web_view import web_settings

T = TypeVar("T")
PEOPLE = (ALICE, BOB, CAROL)
# What a Python failure looks like when it leaks into an answer or a message.
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+"
    r"|\b(?:[A-Z][a-z0-9]+)+(?:Error|Exception)\b"
)
# The Slack endpoint's body limit in the events property: small, so 413 is cheap to reach.
EVENTS_MAX_BODY = 64 * 1024
ALERTS_MAX_BODY = 128 * 1024
# json.dumps of this string is swapped for a 5,000-digit number, which no Python int can print.
HUGE_INT = "\x00huge-int\x00"


def examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        database=None,  # no .hypothesis directory in the repo; @seed makes runs repeatable
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


class LoopBridge:
    """Run coroutines on the test's event loop from hypothesis' worker thread."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)


async def settle(warroom: Warroom, timeout: float = 20.0) -> None:
    """Wait until the bot's background work, its due jobs (the outbox, pages) and the
    emulator's deliveries are all done."""
    deadline = time.monotonic() + timeout
    background = warroom.services.background
    while time.monotonic() < deadline:
        await warroom.slack.drain()
        if background.running == 0:
            await warroom.run_jobs()
            if background.running == 0:
                return
        await asyncio.sleep(0.005)
    raise TimeoutError(f"{background.running} background tasks still running")


def assert_no_traceback(text: str, where: str) -> None:
    match = TRACEBACK.search(text)
    assert match is None, f"{where} shows a Python failure ({match.group(0)!r}): {text[:500]!r}"


def assert_clean_logs(caplog: pytest.LogCaptureFixture) -> None:
    """No ERROR record and no traceback in the bot's log for any of the inputs."""
    bad = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info is not None
    ]
    kinds: dict[tuple[str, str], logging.LogRecord] = {}
    for record in bad:
        error = record.exc_info[1] if record.exc_info else None
        kinds.setdefault((record.name, repr(error)[:80]), record)
    assert not bad, f"{len(bad)} bad log records; one of each kind:\n\n" + "\n\n".join(
        f"{r.levelname} {r.name}: {r.getMessage()}\n"
        + "".join(traceback.format_exception(*r.exc_info) if r.exc_info else [])[-1500:]
        for r in kinds.values()
    )


def shown(slack: SlackEmulator) -> list[str]:
    """Everything the bot has shown anyone: channel messages, ephemerals, modals, topics."""
    texts: list[str] = []
    for channel in slack.channels.values():
        texts.append(f"topic {channel.id}: {channel.topic}")
        for message in channel.messages:
            for reply in [message, *message.replies]:
                texts.append(f"{channel.id} {reply.ts}: {reply.text} {json.dumps(reply.blocks)}")
    for ephemeral in slack.ephemeral:
        texts.append(f"{ephemeral.via}: {ephemeral.text} {json.dumps(ephemeral.blocks)}")
    for view_id, view in slack.views.items():
        texts.append(f"view {view_id}: {json.dumps(view, default=str)}")
    return texts


# -- strategies shared by the properties --------------------------------------------------------

UNICODE = st.text(st.characters(codec="utf-8"), max_size=40)  # no lone surrogates
AWKWARD = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        f"<@{BOB}>",
        f"<@{BOB}|bob>",
        "<@U0NOBODY>",
        "<@W0X|>",
        "<#C0NOPE|general>",
        "<!subteam^S0TEAM|@oncall>",
        "<!subteam^>",
        "<https://example.com|a link>",
        "<mailto:x@example.com>",
        "&lt;&gt;&amp;",
        "<",
        ">",
        "|",
        "\u202e",  # right-to-left override
        "\u200b",  # zero-width space
        "\u200d",
        "\ufeff",
        "\u2066",
        "\x00",
        "\x07",
        "\x1b[31m",
        "\r\n",
        "\t",
        "\x85",
        "\u2028",
        "🔥",
        "👩\u200d👩\u200d👧\u200d👦",
        "🏳️\u200d🌈",
        "ﷺ",
        "𝕳𝖊𝖑𝖑𝖔",
        "שלום",
        "مرحبا",
        "Z̴̡̪a̶l̷g̸o̵",
        "sev1",
        "SEV9",
        "sev0",
        "--private",
        "--style",
        "sre",
        "--lang",
        "xx",
        "-1",
        "0",
        "99999999999999999999",
        "1e309",
        "nan",
        "10:00",
        "2026-02-30 25:61",
        "yesterday 23:59",
        "+99h",
        "@bob",
        "@",
        "comms",
        "scribe",
        "investigating",
        "monitoring",
        "resolved",
        "started",
        "detected",
        "mitigated",
        "Europe/Paris",
        "Mars/Olympus",
        "UTC",
        "payload",
        "payload=",
        "%00",
        "%",
        "+",
        "&",
        "=",
        "{{ 7*7 }}",
        "{% raw %}",
        "${x}",
        "%s",
        "{0}",
        "'; DROP TABLE incident; --",
        "\\",
        "`",
        "```",
        "*bold*",
    ]
)
WORD = st.one_of(AWKWARD, UNICODE, st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True))


def repeated(piece: str, size: int) -> str:
    """``piece`` repeated to exactly ``size`` characters: huge strings, cheaply."""
    return (piece * (size // max(len(piece), 1) + 1))[:size]


HUGE_TEXT = st.builds(
    repeated, st.one_of(AWKWARD, st.text(min_size=1, max_size=12)), st.integers(1_000, 12_000)
)
ARGS = st.one_of(st.lists(WORD, max_size=8).map(" ".join), HUGE_TEXT)
NAMES = [sub.name for sub in SUBCOMMANDS]
SUBCOMMAND = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(str.upper),
    st.sampled_from(NAMES).map(lambda name: name[:-1]),
)
# Well-formed uses of each subcommand, to which odd words are then added.
PLAUSIBLE = st.sampled_from(
    [
        "start sev1 Checkout down",
        "start --private sev2 Card payments fail",
        "sev 2",
        "status monitoring",
        "lead @bob",
        "role comms @carol",
        "escalate @bob database is on fire",
        "escalate <!subteam^S0DBA|@dba>",
        "escalate dba",
        "ack",
        "update Rolled back; error rate falling",
        "note Deploy 142 went out at 11:55",
        "timeline",
        "impact EU customers cannot pay",
        "cause Expired TLS certificate",
        "action @bob Add cert expiry alert",
        "time started 10:00",
        "time detected yesterday 23:59",
        "time mitigated 2026-08-01 10:30",
        "timezone Europe/Paris",
        "postmortem --style sre --lang fr",
        "resolve Rolled back the gateway",
        "help",
    ]
)
SEPARATOR = st.sampled_from([" "] * 8 + ["  ", "\t", "\n", "\u00a0"])
PLAUSIBLE_AND_ODD = st.tuples(PLAUSIBLE, st.lists(WORD, max_size=3)).map(
    lambda drawn: " ".join([drawn[0], *drawn[1]])
)
# Weighted by hand (hypothesis' one_of does not weigh repeated branches).
COMMAND_TEXT = st.sampled_from(
    [PLAUSIBLE_AND_ODD] * 4
    + [st.tuples(PLAUSIBLE, HUGE_TEXT).map(" ".join)]
    + [st.tuples(SUBCOMMAND, SEPARATOR, ARGS).map("".join)] * 3
    + [
        UNICODE,
        ARGS,
        st.sampled_from(["", " ", "\n", "\u200b", "help", "timeline", "ack", "status"]),
        st.tuples(st.sampled_from(["", " ", "\u3000"]), SUBCOMMAND).map("".join),
    ]
).flatmap(lambda family: family)

# Values that replace a field: wrong types, odd strings, huge ones, plausible ones.
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    UNICODE,
    AWKWARD,
)
WRONG = st.one_of(
    SCALAR,
    HUGE_TEXT,
    st.just(HUGE_INT),
    st.lists(SCALAR, max_size=3),
    st.dictionaries(UNICODE, SCALAR, max_size=3),
    st.sampled_from(
        [
            "",
            "type",
            "event",
            "message",
            "ts",
            "1712345678.000100",
            "0001-01-01T00:00:00Z",
            "2026-08-01T10:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "2026-13-45T99:99:99Z",
            "event_callback",
            "url_verification",
            "firing",
            "resolved",
            "https://example.com/runbook",
            [],
            {},
            [{}],
            {"type": "message"},
        ]
    ).map(copy.deepcopy),  # a fresh list or dict each time: mutate() edits what it draws
)


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and index path inside a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def containers(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of every object inside a JSON document, the document included."""
    if isinstance(document, dict):
        yield prefix
        for key, value in document.items():
            yield from containers(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from containers(value, (*prefix, index))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def mutate(draw: Callable[..., Any], document: Any, known_keys: list[str]) -> Any:
    """Remove fields, replace them with wrong types, or add known keys with odd values."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["remove", "replace", "set"]))
        if action == "set" or not (every := list(paths(document))):
            objects = list(containers(document))
            if not objects:
                return document
            target = at(document, draw(st.sampled_from(objects)))
            target[draw(st.sampled_from(known_keys))] = draw(WRONG)
            continue
        path = draw(st.sampled_from(every))
        parent = at(document, path[:-1])
        if action == "remove":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(WRONG)
    return document


def dumps(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False)
    return text.replace(json.dumps(HUGE_INT, ensure_ascii=False), "9" * 5_000)


@st.composite
def malformed_body(draw: Callable[..., Any], valid: str) -> tuple[bytes, str]:
    """(body, content type) for a body no JSON reader can use as an object."""
    kind = draw(
        st.sampled_from(
            ["non-object", "invalid", "truncated", "non-utf8", "nested", "huge-int", "empty"]
        )
    )
    content_type = draw(
        st.sampled_from(
            ["application/json", "application/json", "text/plain", "application/octet-stream"]
        )
    )
    if kind == "non-object":
        value = draw(st.one_of(SCALAR, st.lists(SCALAR, max_size=3)))
        return json.dumps(value).encode(), content_type
    if kind == "invalid":
        return draw(UNICODE).encode(), content_type
    if kind == "truncated":
        cut = draw(st.integers(1, max(1, len(valid) - 1)))
        return valid[:cut].encode(), content_type
    if kind == "non-utf8":
        raw = valid.encode()
        where = draw(st.integers(0, len(raw)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80", b"\xfe"]))
        return raw[:where] + junk + raw[where:], content_type
    if kind == "nested":
        depth = draw(st.integers(1_000, 20_000))
        opener = draw(st.sampled_from(["[", '{"a":', '{"event":']))
        return (opener * depth).encode(), "application/json"
    if kind == "huge-int":
        return ('{"type": ' + "9" * draw(st.integers(4_301, 20_000)) + "}").encode(), content_type
    return b"", content_type


def sign_bytes(signing_secret: str, body: bytes) -> dict[str, str]:
    """Slack's v0 signature over raw bytes (the emulator's helper signs text)."""
    try:
        return slack_signature_headers(signing_secret, body.decode("utf-8"))
    except UnicodeDecodeError:
        stamp = str(int(time.time()))
        digest = hmac.new(
            signing_secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback never goes through a proxy from the environment
    return session


# -- 1. slash commands ---------------------------------------------------------------------------


async def test_any_incident_command_text_gets_a_clear_answer(
    warroom_any_db: Warroom, caplog: pytest.LogCaptureFixture
) -> None:
    """``/incident <anything>`` from #general or an incident channel: 200 with a usage or an
    answer (or an empty ack, then a reply, a modal or a message), never a traceback."""
    caplog.set_level(logging.WARNING)
    warroom = warroom_any_db
    slack = warroom.slack
    incident = await open_incident(warroom)
    general = slack.channel_by_name("general")
    assert general is not None
    await settle(warroom)
    bridge = LoopBridge()
    silent: list[str] = []

    async def snapshot() -> list[str]:
        await settle(warroom)
        return shown(slack)

    @seed(80_001)
    @examples(100)
    @example(text="", channel=general.id, user=ALICE)  # the declare modal
    @example(text="note a\x00b", channel=incident.id, user=BOB)  # NUL: PostgreSQL refused it
    @example(text="start " + "\u202e🔥" * 5_000, channel=general.id, user=BOB)
    @example(text="update <!channel> <@U0NOBODY> payload=", channel=incident.id, user=CAROL)
    @given(
        text=COMMAND_TEXT,
        channel=st.sampled_from([general.id, incident.id]),
        user=st.sampled_from(PEOPLE),
    )
    def command_property(text: str, channel: str, user: str) -> None:
        before = bridge.run(snapshot())
        response = bridge.run(slack.send_command(text, user=user, channel=channel))
        assert response.status == 200 or 400 <= response.status < 500, (
            f"/incident {text[:200]!r} answered {response.status}: {response.text[:300]}"
        )
        assert_no_traceback(response.text, f"the answer to /incident {text[:200]!r}")
        new = list((Counter(bridge.run(snapshot())) - Counter(before)).elements())
        for shown_text in new:
            assert_no_traceback(shown_text, f"what /incident {text[:200]!r} showed")
        if response.status == 200 and not response.text.strip() and not new:
            silent.append(text)

    await asyncio.to_thread(command_property)
    assert not silent, f"empty acknowledgement and no reply for: {silent[:5]!r}"
    assert_clean_logs(caplog)


# -- 2. Slack event payloads ----------------------------------------------------------------------

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
FORM = "application/x-www-form-urlencoded"


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
    async with running_warroom(slack, database_url, max_body_bytes=EVENTS_MAX_BODY) as warroom:
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
            headers = {"Content-Type": content_type, **sign_bytes(slack.signing_secret, body)}
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


# -- 3. alert payloads -----------------------------------------------------------------------------

ALERT_KEYS = [
    "status",
    "groupKey",
    "alerts",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "fingerprint",
    "generatorURL",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "truncatedAlerts",
    "externalURL",
    "receiver",
    "title",
    "message",
    "state",
    "values",
    "dedup_key",
    "severity",
    "source",
    "description",
    "links",
    "started_at",
    "ended_at",
    "summary",
    "alertname",
]
OFFSETS = [timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8), timedelta(hours=14)]
TIMES = st.one_of(
    st.sampled_from(
        ["2026-08-01T10:00:00Z", "2026-08-01T10:05:00.123456789+02:00", "0001-01-01T00:00:00Z"]
    ),
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone(offset) for offset in OFFSETS]),
    ).map(datetime.isoformat),
    UNICODE,
)
LABEL_TEXT = st.one_of(
    UNICODE.filter(bool), AWKWARD, st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True)
)


@st.composite
def alert_body(draw: Callable[..., Any]) -> tuple[str, dict[str, Any]]:
    """(source, document) in the shape each source really sends."""
    source = draw(st.sampled_from(["alertmanager", "grafana", "generic"]))
    if source == "generic":
        document: dict[str, Any] = {
            "title": draw(st.one_of(LABEL_TEXT, HUGE_TEXT)),
            "dedup_key": draw(LABEL_TEXT),
            "status": draw(st.sampled_from(["firing", "resolved"])),
            "severity": draw(st.sampled_from(["SEV1", "sev2", "critical", "SEV9", ""])),
            "source": draw(LABEL_TEXT),
            "description": draw(st.one_of(UNICODE, HUGE_TEXT)),
            "labels": draw(st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=3)),
            "links": [{"href": "https://example.com/dash", "text": draw(UNICODE)}],
            "started_at": draw(TIMES),
        }
        return source, document
    group = draw(LABEL_TEXT)
    alerts = [
        alert(draw(LABEL_TEXT), draw(LABEL_TEXT), draw(TIMES), ends_at=draw(TIMES))
        for _ in range(draw(st.integers(1, 3)))
    ]
    document = alertmanager(
        group, alerts, common=draw(st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=2))
    )
    if source == "grafana":
        grafana = payload("grafana_firing.json")
        document = {**grafana, **{k: v for k, v in document.items() if k in grafana}}
        document["title"], document["message"] = draw(UNICODE), draw(st.one_of(UNICODE, HUGE_TEXT))
    return source, document


@st.composite
def alert_request(draw: Callable[..., Any]) -> tuple[str, bytes]:
    """(source, body): valid shapes, mutated shapes, and bodies that are not usable at all."""
    source, document = draw(alert_body())
    family = draw(st.sampled_from(["valid"] * 2 + ["mutated"] * 4 + ["malformed", "big"]))
    if family == "valid":
        return source, dumps(document).encode()
    if family == "mutated":
        return source, dumps(mutate(draw, document, ALERT_KEYS)).encode()
    if family == "malformed":
        body, _content_type = draw(malformed_body(json.dumps(document)))
        return source, body
    return source, dumps({**document, "padding": "x" * (ALERTS_MAX_BODY + 10)}).encode()


async def test_any_alert_payload_is_answered_clearly_and_every_accepted_one_is_kept(
    slack: SlackEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Alertmanager, Grafana and generic bodies, valid and mutated, and unusable ones: 202 and
    stored (then applied), or 400/413 with a JSON error; never a 5xx, never dropped."""
    caplog.set_level(logging.WARNING)
    accepted: dict[int, str] = {}
    async with running_warroom(
        slack, database_url, alert_token=Secret(TOKEN), alert_max_body_bytes=ALERTS_MAX_BODY
    ) as warroom:
        client = http_session()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Alertmanager/0.28.1",
            "Authorization": f"Bearer {TOKEN}",
        }

        # Each of these answered 5xx (or left its payload failed) before it was fixed.
        nul_group = alertmanager("\x00", [alert("Nul", "h\x00", "2026-08-01T10:00:00Z")])
        nul_twins = alertmanager(
            "Twins",
            [alert("X", "h\x00", "2026-08-01T10:00:00Z"), alert("X", "h", "2026-08-01T10:00:00Z")],
        )

        @seed(80_003)
        @examples(150)
        @example(request=("alertmanager", ('{"version": ' + "9" * 5_000 + "}").encode()))
        @example(request=("generic", b"[" * 5_000))
        @example(request=("alertmanager", dumps(nul_group).encode()))
        @example(request=("alertmanager", dumps(nul_twins).encode()))
        @given(request=alert_request())
        def alert_property(request: tuple[str, bytes]) -> None:
            source, body = request
            answer = client.post(
                f"{warroom.url}/alerts/{source}", data=body, headers=headers, timeout=30
            )
            where = f"/alerts/{source} with {body[:300]!r}"
            assert answer.status_code in (202, 400, 413), (
                f"{where} answered {answer.status_code}: {answer.text[:300]}"
            )
            assert_no_traceback(answer.text, f"the answer to {where}")
            reply = answer.json()
            if answer.status_code == 202:
                assert reply["status"] == "accepted" and isinstance(reply["id"], int), reply
                accepted[reply["id"]] = body.decode("utf-8")
            else:
                assert isinstance(reply.get("error"), str) and reply["error"], reply
                problems = reply.get("problems", [])
                assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)

        await asyncio.to_thread(alert_property)
        client.close()

        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(AlertPayload))).all()
        kept = {row.id: row.body for row in rows}
        assert kept == accepted, "every accepted payload is stored, byte for byte, and no other"
        assert len(accepted) >= 20, "enough payloads were usable to exercise the intake"

        # ... and applied: the jobs that process them leave none failed or behind.
        await settle(warroom)
        await warroom.run_jobs()
        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(AlertPayload))).all()
        states = Counter((row.state, row.error) for row in rows)
        assert states == Counter({("processed", None): len(accepted)}), states
    assert_clean_logs(caplog)


# -- 4. everything else a request carries: query strings, headers, dates, what is logged --------

# Marked text in every place a request carries it: none of it may reach a log line.
MARKER = "Mk7q-secret-marker"
# Every route of the web view and API, with an incident that exists (INC-1), and the rest.
GET_ROUTES = [
    "/",
    "/incidents/INC-1",
    "/incidents/INC-1/history",
    "/incidents/INC-1/postmortem.md",
    "/incidents/INC-99999",
    "/insights",
    "/follow-ups",
    "/follow-ups?mine=1",
    "/oncall",
    "/oncall/payments",
    "/oncall/support",
    "/oncall/nope",
    "/api/oncall",
    "/api/oncall/payments",
    "/api/oncall/nope",
    "/api/incidents",
    "/api/incidents/INC-1",
    "/api/incidents/INC-1/postmortem",
    "/api/openapi.json",
    "/login",
    "/auth/slack",
    "/auth/slack/callback",
    "/healthz",
    "/metrics",
    "/oncall/people/U0ALICE.ics",
    "/oncall/payments-primary.ics",
]
# The query parameters those routes read (bot/web/filters.py, pages.py, auth.py, reading.py,
# oncall_feeds.py, oncall_pages.py, oncall_api.py).
QUERY_NAMES = [
    "page",
    "per_page",
    "status",
    "severity",
    "from",
    "to",
    "team",
    "saved",
    "next",
    "failed",
    "state",
    "code",
    "error",
    "token",
    "tz",
    "added",
    "cancelled",
]
# Numbers in the shapes str.isdigit() and int() accept and people do not type.
NUMBER_LIKE = st.sampled_from(
    ["²", "١٢٣", "1" * 5_000, "99999999999999999999", "0", "-1", "+1", " 1", "1_0", "1e3", "٣"]
)
QUERY_VALUE = st.one_of(
    NUMBER_LIKE,
    UNICODE,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(str),
    st.just(MARKER),
)
HEADER_NAMES = [
    "X-Slack-Request-Timestamp",
    "X-Slack-Signature",
    "X-Slack-Retry-Num",
    "X-Slack-Retry-Reason",
    "Authorization",
    "Content-Length",
    "Content-Type",
    "Host",
    "Cookie",
]
# Header values as bytes on the wire: text in UTF-8, or any bytes but the line breaks that
# would end the header (those are HTTP framing, not a value).
HEADER_VALUE = st.one_of(
    NUMBER_LIKE.map(str.encode),
    UNICODE.map(str.encode),
    st.binary(max_size=40),
    st.just(f"Bearer {MARKER}".encode()),
    st.just(f"v0={MARKER}".encode()),
    st.just(f"warroom_session={MARKER}".encode()),
).map(lambda value: value.replace(b"\r", b"").replace(b"\n", b"").strip())


def raw_request(
    url: str, method: str, path: str, headers: list[tuple[str, bytes]], body: bytes
) -> int:
    """The status of one HTTP/1.1 request written byte for byte (requests would fix up
    Content-Length and Host, and refuse some values); 0 if the server closed without one."""
    parsed = urllib.parse.urlsplit(url)
    names = {name.lower() for name, _ in headers}
    lines = [f"{method} {path} HTTP/1.1".encode()]
    if "host" not in names:
        lines.append(f"Host: {parsed.netloc}".encode())
    if "content-length" not in names:
        lines.append(f"Content-Length: {len(body)}".encode())
    lines += [name.encode() + b": " + value for name, value in headers]
    lines.append(b"Connection: close")
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as connection:
        connection.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        # A Content-Length longer than the body: the end of our side is the end of the body.
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) >= 2 and status_line[1].isdigit() else 0


def extreme_time() -> st.SearchStrategy[str]:
    """RFC 3339 times at the calendar's ends, with any offset and any fraction of a second."""
    offset = st.one_of(
        st.just("Z"),
        st.builds(
            lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
            st.sampled_from("+-"),
            st.integers(0, 23),
            st.integers(0, 59),
        ),
    )
    fraction = st.one_of(
        st.just(""), st.text("0123456789", min_size=1, max_size=30).map(".".__add__)
    )
    year = st.one_of(st.sampled_from([1, 2, 1970, 9998, 9999]), st.integers(1, 9999))
    return st.builds(
        lambda y, mo, d, h, mi, s, frac, off: (
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{off}"
        ),
        year,
        st.sampled_from([1, 12]),
        st.sampled_from([1, 28, 31]),
        st.sampled_from([0, 23]),
        st.sampled_from([0, 59]),
        st.sampled_from([0, 59]),
        fraction,
        offset,
    )


def nested_value(depth: int) -> Any:
    value: Any = MARKER
    for level in range(depth):
        value = {"x": value} if level % 2 else [value]
    return value


@st.composite
def extreme_alert(draw: Callable[..., Any]) -> tuple[str, bytes]:
    """An Alertmanager or generic body with times at the calendar's ends and deep nesting."""
    starts, ends = (
        draw(extreme_time()),
        draw(st.one_of(st.just("0001-01-01T00:00:00Z"), extreme_time())),
    )
    depth = draw(st.sampled_from([0, 1, 50, 600, 900]))
    where = draw(st.sampled_from(["labels", "annotations", "extra"]))
    if draw(st.booleans()):
        one = alert("Edge", "h1", starts, ends_at=ends)
        document = alertmanager("Edge", [one])
        if depth:
            target = one if where != "extra" else document
            target.setdefault(where, {})["deep"] = nested_value(depth)
        document["secret"] = MARKER
        return "alertmanager", dumps(document).encode()
    generic: dict[str, Any] = {
        "title": "Edge",
        "dedup_key": "edge",
        "started_at": starts,
        "ended_at": ends,
        "secret": MARKER,
    }
    if depth:
        generic["labels" if where == "labels" else "extra"] = {"deep": nested_value(depth)}
    return "generic", dumps(generic).encode()


async def test_query_strings_headers_and_extreme_alerts_never_5xx_nor_reach_the_logs(
    slack: SlackEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Any query parameter on any page or API route, any value of any header the server
    reads, alert times at the calendar's ends and bodies nested deep: never a 5xx. Run at
    DEBUG, every library's included: the marked text those requests carry (a token, a
    signature, a cookie, alert bodies, a body that fails its signature) reaches no log line."""
    caplog.set_level(logging.DEBUG)
    everything = AllLines()
    logging.getLogger().addHandler(everything)
    try:
        async with running_warroom(
            slack,
            database_url,
            web_auth="none",
            api_token=Secret("property-api-token-0123456789"),
            alert_token=Secret(TOKEN),
            alert_max_body_bytes=ALERTS_MAX_BODY,
            oncall_schedules=two_schedules(),
        ) as warroom:
            await open_incident(warroom)
            await settle(warroom)
            await asyncio.to_thread(_outside_properties, warroom)
            await settle(warroom)
    finally:
        logging.getLogger().removeHandler(everything)
    assert_clean_logs(caplog)
    client_lines = re.compile(r"^.*urllib3\.connectionpool.*$", re.MULTILINE)
    logged = everything.text() + client_lines.sub("", caplog.text)
    assert "Invalid request signature" in logged, "the refused requests are still logged"
    assert MARKER not in logged, (
        "marked request content is in the logs: "
        + logged[max(0, logged.find(MARKER) - 600) : logged.find(MARKER) + 100]
    )


class AllLines(logging.Handler):
    """Every record, formatted with its traceback, as a log file would get it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        # urllib3 is the test's own client, which logs the URLs it asks for.
        if not record.name.startswith("urllib3"):
            self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


def _outside_properties(warroom: Warroom) -> None:
    client = http_session()
    slack = warroom.slack
    # One request that fails its signature for sure, with a body full of marked secrets.
    form = {"token": MARKER, "text": MARKER, "response_url": f"https://hooks.slack.com/{MARKER}"}
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": FORM, **sign_bytes("a-rotated-secret", body)}
    refused = client.post(f"{warroom.url}/slack/events", data=body, headers=headers, timeout=30)
    assert refused.status_code == 401

    @seed(80_004)
    @examples(60)
    @given(
        path=st.sampled_from(GET_ROUTES),
        query=st.lists(
            st.tuples(st.one_of(st.sampled_from(QUERY_NAMES), UNICODE), QUERY_VALUE), max_size=3
        ),
    )
    def query_property(path: str, query: list[tuple[str, str]]) -> None:
        answer = client.get(f"{warroom.url}{path}", params=query, timeout=30, allow_redirects=False)
        assert answer.status_code < 500, f"{path}?{query!r:.300} answered {answer.status_code}"
        assert_no_traceback(answer.text, f"the answer to {path}")

    @seed(80_005)
    @examples(60)
    @given(
        target=st.sampled_from(["events", "alerts", "api", "page"]),
        name=st.sampled_from(HEADER_NAMES),
        value=HEADER_VALUE,
        twice=st.booleans(),
    )
    def header_property(target: str, name: str, value: bytes, twice: bool) -> None:
        body = b""
        headers: list[tuple[str, bytes]] = []
        if target == "events":
            form = {"command": "/incident", "text": f"help {MARKER}", "token": MARKER}
            body = urllib.parse.urlencode(form).encode()
            signed = sign_bytes(slack.signing_secret, body)
            headers = [(key, item.encode()) for key, item in signed.items()]
            headers.append(("Content-Type", FORM.encode()))
            method, path = "POST", "/slack/events"
        elif target == "alerts":
            one = alert("Header", "h1", "2026-08-01T10:00:00Z")
            body = dumps({**alertmanager("Header", [one]), "secret": MARKER}).encode()
            headers = [("Authorization", f"Bearer {TOKEN}".encode())]
            method, path = "POST", "/alerts/alertmanager"
        else:
            method, path = "GET", "/api/incidents" if target == "api" else "/incidents/INC-1"
        if not twice:  # the header replaced, else sent a second time after the good one
            headers = [(key, item) for key, item in headers if key.lower() != name.lower()]
        headers.append((name, value))
        status = raw_request(warroom.url, method, path, headers, body)
        assert status < 500, f"{method} {path} with {name}: {value[:60]!r} answered {status}"

    @seed(80_006)
    @examples(60)
    @example(
        request=(
            "alertmanager",
            dumps(alertmanager("L", [alert("L", "h", "9999-12-31T23:59:59-01:00")])).encode(),
        )
    )
    @given(request=extreme_alert())
    def alert_property(request: tuple[str, bytes]) -> None:
        source, body = request
        answer = client.post(
            f"{warroom.url}/alerts/{source}",
            data=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code in (202, 400, 413), (
            f"{body[:200]!r} answered {answer.status_code}: {answer.text[:300]}"
        )
        if answer.status_code == 400:
            assert answer.json()["problems"], answer.text[:300]

    try:
        query_property()
        header_property()
        alert_property()
    finally:
        client.close()


# -- 5. cookies, form fields, the sign-in state, vendor timestamps (issue 24, item 15) ---------
LINEAR_SECRET = "property-linear-webhook-secret-0123"
# Text in the places tokens of ours come back: the shapes of a real one, and anything else.
TOKEN_LIKE = st.one_of(
    UNICODE,
    NUMBER_LIKE,
    st.text("abcXYZ019-_.~", max_size=60),
    st.builds("{}.{}".format, UNICODE, UNICODE),
    st.sampled_from(
        [".", "..", "a.b", "e30.x", "\u00e9t\u00e9.\u00e9", "\u0661" * 43, "x" * 5_000]
    ),
    st.just(MARKER),
)
# webhookTimestamp as JSON writes it: numbers of any size and shape, and what is no number.
JSON_NUMBER = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.text("0123456789", min_size=1, max_size=5_000),
    st.floats().map(lambda number: json.dumps(number)),
    st.sampled_from(["1e400", "-1e400", "1E-400", "0.5", "true", "null", '"1700000000000"', "[]"]),
)


def sign_in_with(client: requests.Session, warroom: Warroom, user: str) -> None:
    """Sign in with Slack through the emulator, from the worker thread (requests)."""
    answer = client.get(f"{warroom.url}/auth/slack?next=/", allow_redirects=False, timeout=30)
    authorize = answer.headers["Location"] + "&" + urllib.parse.urlencode({"login_hint": user})
    answer = client.get(authorize, allow_redirects=False, timeout=30)
    answer = client.get(answer.headers["Location"], allow_redirects=False, timeout=30)
    assert answer.status_code == 303, answer.text[:300]


async def test_cookies_form_fields_sign_in_states_and_vendor_timestamps_never_5xx(
    slack: SlackEmulator, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever comes back where a token of ours should (the session and sign-in cookies, the
    CSRF field, the OAuth state), whatever a form's text, and whatever number a validly
    signed Linear delivery gives as its webhookTimestamp: a 2xx, 3xx or 4xx, no ERROR."""
    caplog.set_level(logging.INFO)
    trackers = Settings.from_env({"WARROOM_LINEAR_WEBHOOK_SECRET": LINEAR_SECRET}).trackers
    async with running_warroom(
        slack, database_url, trackers=trackers, **web_settings(slack)
    ) as warroom:
        await open_incident(warroom)
        await settle(warroom)
        await asyncio.to_thread(_token_properties, warroom)
        await settle(warroom)
    assert_clean_logs(caplog)


def _token_properties(warroom: Warroom) -> None:
    client, alice = http_session(), http_session()
    sign_in_with(alice, warroom, ALICE)

    @seed(80_007)
    @examples(40)
    @example(path="/", name="warroom_session", value="\u00e9t\u00e9.\u00e9t\u00e9".encode())
    @given(
        path=st.sampled_from(["/", "/incidents/INC-1", "/api/incidents", "/auth/slack/callback"]),
        name=st.sampled_from(["warroom_session", "warroom_sign_in"]),
        value=st.one_of(TOKEN_LIKE.map(str.encode), st.binary(max_size=40)),
    )
    def cookie_property(path: str, name: str, value: bytes) -> None:
        cookie = name.encode() + b"=" + value.replace(b"\r", b"").replace(b"\n", b"")
        answer = client.get(
            f"{warroom.url}{path}?state=s&code=c",
            headers={"Cookie": cookie.strip()},  # bytes go on the wire as they are
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code < 500, (
            f"{path} with {cookie[:80]!r} answered {answer.status_code}"
        )

    @seed(80_008)
    @examples(40)
    @example(path="/logout", csrf="\u00e9t\u00e9", body="", raw=None)
    @given(
        path=st.sampled_from(["/logout", "/incidents/INC-1/postmortem/sections/fix"]),
        csrf=TOKEN_LIKE,
        body=st.one_of(UNICODE, st.just("over the limit")),
        raw=st.one_of(st.none(), st.binary(max_size=60)),
    )
    def form_property(path: str, csrf: str, body: str, raw: bytes | None) -> None:
        body = "x" * 30_000 if body == "over the limit" else body  # a short repr when it fails
        data = raw if raw is not None else urllib.parse.urlencode({"csrf": csrf, "body": body})
        answer = alice.post(
            f"{warroom.url}{path}",
            data=data,
            headers={"Content-Type": FORM},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code < 500, f"{path} with {data!r:.200} answered {answer.status_code}"
        assert_no_traceback(answer.text, f"the answer to {path}")

    @seed(80_009)
    @examples(40)
    @example(state="\u00e9t\u00e9", code="c")
    @given(state=TOKEN_LIKE, code=TOKEN_LIKE)
    def state_property(state: str, code: str) -> None:
        client.get(f"{warroom.url}/auth/slack?next=/", allow_redirects=False, timeout=30)
        answer = client.get(
            f"{warroom.url}/auth/slack/callback",
            params={"state": state, "code": code},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code < 500, f"state {state!r:.100} answered {answer.status_code}"

    @seed(80_010)
    @examples(40)
    @example(timestamp="9" * 400)
    @given(timestamp=JSON_NUMBER)
    def linear_property(timestamp: str) -> None:
        body = (
            '{"type": "Issue", "action": "update", "data": {"id": "x"}, '
            f'"webhookTimestamp": {timestamp}}}'
        ).encode()
        signature = hmac.new(LINEAR_SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = client.post(
            f"{warroom.url}/trackers/linear",
            data=body,
            headers={"Linear-Signature": signature, "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code in (400, 401), f"{timestamp[:60]} answered {answer.status_code}"

    try:
        cookie_property()
        form_property()
        state_property()
        linear_property()
    finally:
        client.close()
        alice.close()


def json_or_none(text: str) -> object:
    """What json.loads reads of ``text`` (0123 and 5,000 digits it refuses: None then)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


@given(st.one_of(st.text(max_size=60), TOKEN_LIKE, st.none(), st.integers(), st.binary(max_size=8)))
def test_a_token_from_outside_is_ours_in_shape_or_nothing(text: object) -> None:
    token = parse_token(text)
    if token is not None:
        assert token == text and token.isascii() and 0 < len(token) <= TOKEN_MAX_CHARS
        hmac.compare_digest(token, "x")  # never raises on what it lets through


@given(
    st.one_of(
        st.integers(min_value=-(10**400), max_value=10**400),
        st.floats(),
        st.booleans(),
        st.text(max_size=5),
        st.none(),
        st.builds(json_or_none, JSON_NUMBER),
    )
)
def test_a_number_from_json_is_in_its_range_or_nothing(value: object) -> None:
    number = bounded_json_number(value, 0, 10**14)
    if number is not None:
        assert type(number) is int and 0 <= number <= 10**14
        assert not isinstance(value, bool | str)


# What markdown_escape does to a line, written the slow way, line by line, as the reference.
_SYNTAX = re.compile(r"[\\`*_\[\]()#!|~]")
_MARKER = re.compile(r"^(?:[-+](?=[-+ \t]|$)|=|\d{1,9}(?=\.(?:[ \t]|$)))")


def _escaped_line(line: str, *, first: bool) -> str:
    indent = re.match(r"[ \t]*", line).group(0)  # type: ignore[union-attr]
    rest = _SYNTAX.sub(r"\\\g<0>", line[len(indent) :])
    rest = rest.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    rest = _MARKER.sub(lambda m: m[0] + "\\" if m[0][0].isdigit() else "\\" + m[0], rest)
    width = len(indent.expandtabs(4))
    if indent and (not first or width >= 4):
        indent = "\u00a0" * width
    return indent + rest


def _escaped_by_line(text: str) -> str:
    text = text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return "\n".join(_escaped_line(line, first=i == 0) for i, line in enumerate(lines))


MARKDOWN_TEXT = st.text(
    alphabet=st.sampled_from(list("ab 1.\t-+=#*_[]()!|~&<>\\`\n\r9é\x00٣")), max_size=12
)


@given(MARKDOWN_TEXT)
def test_markdown_escape_answers_what_escaping_line_by_line_would(text: str) -> None:
    """The fast path (a value with nothing to escape is returned as it is) and the passes
    over the whole value answer exactly what escaping each line by itself would."""
    assert markdown_escape(text) == _escaped_by_line(text)


@given(st.lists(MARKDOWN_TEXT, max_size=8))
def test_markdown_escape_each_escapes_each_value_as_markdown_escape_does(texts: list[str]) -> None:
    """Escaping a draft's texts together changes nothing about any one of them: a line start,
    an indentation or a marker never leaks from one value to the next."""
    assert markdown_escape_each(texts) == [markdown_escape(text) for text in texts]


ACCEPT_LANGUAGE = st.lists(
    st.one_of(
        st.sampled_from(["fr", "fr-CH", "en", "en-GB", "it", "*", "de;q=0", "fr;q=0.5"]),
        st.builds(
            "{};q={}".format,
            st.sampled_from(["fr", "en", "it", "pt-BR"]),
            st.sampled_from(["1", "0.9", "0", "0.000", "1.5", "x", ""]),
        ),
        st.text(max_size=12),
    ),
    max_size=40,
).map(",".join)


@given(ACCEPT_LANGUAGE)
@example("fr-CH, fr;q=0.9, en;q=0.8")
@example("en;q=0.2, fr;q=0.3")
def test_accept_language_picks_an_offered_language_or_none(header: str) -> None:
    """Any header a browser (or anyone) sends: an offered language, the best-weighted one
    the header names, or None; never an exception."""
    chosen = preferred_language(header, ["en", "fr"])
    assert chosen in (None, "en", "fr")
    if header == "fr-CH, fr;q=0.9, en;q=0.8":
        assert chosen == "fr"
    if header == "en;q=0.2, fr;q=0.3":
        assert chosen == "fr"
    if chosen is not None:
        assert chosen in header.lower()


@given(st.datetimes())
def test_a_moment_read_from_the_database_is_the_same_moment_in_utc(moment: datetime) -> None:
    """The arithmetic that makes a naive UTC datetime aware (``in_utc``) keeps every field."""
    aware = in_utc(moment)
    assert aware == moment.replace(tzinfo=UTC) and aware.tzinfo is UTC
    assert aware.replace(tzinfo=None) == moment


@given(
    st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31)),  # a UTC moment for every offset
    st.sampled_from([None, UTC, timezone(timedelta(hours=-5, minutes=-30))]),
)
def test_a_moment_read_raw_from_the_database_is_the_same_moment_in_utc(
    moment: datetime, zone: timezone | None
) -> None:
    """``utc_from_database`` of what SQLite hands back (text, as ``UTCDateTime`` stores it:
    naive UTC; or with an offset) and of what PostgreSQL does (a datetime) is the moment in UTC."""
    expected = moment.replace(tzinfo=zone or UTC)
    for raw in (moment.replace(tzinfo=zone).isoformat(" "), moment.replace(tzinfo=zone)):
        read = utc_from_database(raw)
        assert read == expected and read.tzinfo is UTC


@given(st.dates(date(2, 1, 1), date(9998, 12, 31)))
def test_a_day_read_raw_from_the_database_is_its_midnight_in_utc(day: date) -> None:
    """Text of a day alone, which ``fromisoformat`` would read as a naive moment if given
    the UTC offset the stored form is read with: midnight UTC, aware, as before."""
    read = utc_from_database(day.isoformat())
    assert read == datetime(day.year, day.month, day.day, tzinfo=UTC) and read.tzinfo is UTC


@given(st.text(alphabet=st.sampled_from(list("ab \n")), max_size=40))
def test_a_draft_keeps_one_blank_line_wherever_its_parts_left_more(text: str) -> None:
    """Runs of blank lines become one blank line, and nothing else changes: what collapsing
    them one length at a time until none is left would give."""
    expected = text
    while "\n\n\n" in expected:
        expected = expected.replace("\n\n\n", "\n\n")
    assert _one_blank_line(text) == expected
