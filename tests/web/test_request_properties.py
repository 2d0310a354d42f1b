"""Properties of everything else a request carries (query strings, headers, extreme dates and
nesting in alerts, cookies, form fields, the sign-in state, vendor timestamps): never a 5xx, and no
marked text in a log line. How the property tests run: tests/helpers/properties.py."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import socket
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
import requests
from hypothesis import example, given, seed
from hypothesis import strategies as st

from bot.config import Secret, Settings
from emulator import SlackEmulator
from tests.conftest import ALICE, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager
from tests.helpers.incidents import open_incident
from tests.helpers.logs import Everything
from tests.helpers.properties import (
    ALERTS_MAX_BODY,
    FORM,
    JSON_NUMBER,
    MARKER,
    NUMBER_LIKE,
    TOKEN_LIKE,
    UNICODE,
    assert_clean_logs,
    assert_no_traceback,
    dumps,
    examples,
    http_session,
    settle,
)
from tests.helpers.slack_requests import signed_headers
from tests.helpers.web_view import web_settings
from tests.oncall.samples import two_schedules

# -- everything else a request carries: query strings, headers, dates, what is logged -----------

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
    "/changes",
    "/api/changes",
    "/login",
    "/auth/slack",
    "/auth/slack/callback",
    "/healthz",
    "/livez",
    "/readyz",
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
    "service",
    "since",
]
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
    # urllib3 is the test's own client, which logs the URLs it asks for.
    everything = Everything(ignore=("urllib3",))
    logging.getLogger().addHandler(everything)
    try:
        async with running_warroom(
            slack,
            database_url,
            web__auth="none",
            web__api_token=Secret("property-api-token-0123456789"),
            alerting__token=Secret(TOKEN),
            alerting__max_body_bytes=ALERTS_MAX_BODY,
            oncall__schedules=two_schedules(),
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


def _outside_properties(warroom: Warroom) -> None:
    client = http_session()
    slack = warroom.slack
    # One request that fails its signature for sure, with a body full of marked secrets.
    form = {"token": MARKER, "text": MARKER, "response_url": f"https://hooks.slack.com/{MARKER}"}
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": FORM, **signed_headers("a-rotated-secret", body)}
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
            signed = signed_headers(slack.signing_secret, body)
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


# -- cookies, form fields, the sign-in state, vendor timestamps ------------
LINEAR_SECRET = "property-linear-webhook-secret-0123"


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
