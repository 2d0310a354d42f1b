"""What the property tests share: a bridge from hypothesis' worker thread to the test's event
loop, the checks every property makes (no traceback shown, no error logged), the strategies of
odd words, values and bodies, and Slack's signature over raw bytes."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from commands.table import SUBCOMMANDS
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom

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


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback never goes through a proxy from the environment
    return session


# Marked text in every place a request carries it: none of it may reach a log line.
MARKER = "Mk7q-secret-marker"

# Numbers in the shapes str.isdigit() and int() accept and people do not type.
NUMBER_LIKE = st.sampled_from(
    ["²", "١٢٣", "1" * 5_000, "99999999999999999999", "0", "-1", "+1", " 1", "1_0", "1e3", "٣"]
)
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


FORM = "application/x-www-form-urlencoded"
