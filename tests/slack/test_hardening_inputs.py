"""What comes from outside cannot fill the logs with secrets or turn into a 5xx.

Issue 16, findings 3, 4, 5 and 10, over real HTTP against the running bot: a request that
fails its signature is logged without its body; numbers that are not ASCII digits, or too
long, are refused with 401 or 400; alert bodies with dates at the calendar's edges or deeply
nested labels get a 2xx or 4xx; and Sign in with Slack at DEBUG leaves no credential in the
logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.basics.slack_ids import EscalationMessage
from bot.config import Secret, Settings
from emulator import SlackEmulator
from emulator.models import slack_signature_headers
from tests.conftest import ALICE, open_incident, running_warroom
from tests.flows.test_faults import bot_env
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert
from tests.helpers.processes import serve
from tests.helpers.web_view import browser, web_warroom

# Markers in request bodies: none of them may reach a log line.
LEGACY_TOKEN = "LegacyVerificationTokenMarker7f3a"
RESPONSE_URL = "https://hooks.slack.com/commands/T0TEAM/1/ResponseUrlMarker9c1d"
PRIVATE_TEXT = "private-text-marker-b4e2"
SUBMITTED = "submitted-secret-marker-5d0c"
MARKERS = (LEGACY_TOKEN, "ResponseUrlMarker9c1d", PRIVATE_TEXT, SUBMITTED)
SLACK_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9]")


class Everything(logging.Handler):
    """Every record any logger emits, formatted with its traceback: what a log file would get."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Everything]:
    """The root logger at DEBUG with a handler that keeps every line (caplog keeps records)."""
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def logged(handler: Everything, caplog: pytest.LogCaptureFixture) -> str:
    return handler.text() + "\n" + caplog.text


def command_body() -> str:
    return urllib.parse.urlencode(
        {
            "token": LEGACY_TOKEN,
            "team_id": "T0TEAM",
            "user_id": ALICE,
            "command": "/incident",
            "text": f"note {PRIVATE_TEXT}",
            "response_url": RESPONSE_URL,
            "trigger_id": "1.2.3",
        }
    )


# -- finding 3: bodies of requests that fail verification ----------------------------------------


async def test_a_request_failing_its_signature_is_answered_401_and_its_body_is_not_logged(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture, all_logs: Everything
) -> None:
    body = command_body()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with running_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        cases = {
            "a rotated secret": slack_signature_headers("an-old-secret", body),
            "a clock ten minutes off": slack_signature_headers(
                slack.signing_secret, body, int(time.time()) - 600
            ),
        }
        for why, signed in cases.items():
            url = f"{warroom.url}/slack/events"
            async with client.post(url, data=body, headers={**headers, **signed}) as answer:
                assert answer.status == 401, why
        # Signed, but nothing handles it: Bolt's "unhandled request" warning names its fields.
        dialog = json.dumps(
            {
                "type": "dialog_submission",
                "token": LEGACY_TOKEN,
                "callback_id": "nobody-listens",
                "submission": {"why": SUBMITTED},
                "response_url": RESPONSE_URL,
                "team": {"id": "T0TEAM"},
                "user": {"id": ALICE},
            }
        )
        form = urllib.parse.urlencode({"payload": dialog})
        signed = slack_signature_headers(slack.signing_secret, form)
        async with client.post(
            f"{warroom.url}/slack/events", data=form, headers={**headers, **signed}
        ) as answer:
            assert answer.status == 404
    text = logged(all_logs, caplog)
    assert "signature" in text.lower(), "the failure itself is still logged"
    for marker in MARKERS:
        assert marker not in text, f"{marker} is in the logs:\n{text[-3000:]}"


async def test_warroom_serve_logs_a_failed_signature_without_the_body(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    env = {**bot_env(slack, sqlite_url), "WARROOM_LOG_LEVEL": "DEBUG"}
    body = command_body()
    async with serve(env, log) as bot, aiohttp.ClientSession() as client:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **slack_signature_headers("an-old-secret", body),
        }
        async with client.post(bot.events_url, data=body, headers=headers) as answer:
            assert answer.status == 401
    text = log.read_text()
    assert "signature" in text.lower()
    for marker in MARKERS:
        assert marker not in text, f"{marker} is in warroom serve's stderr"


# -- finding 4: numbers that are not ASCII digits ------------------------------------------------

NOT_NUMBERS = ["²", "1" * 5_000, "١٢٣", "+1", "-1", " 1", "1 ", "0x10", ""]


async def test_a_timestamp_that_is_not_ascii_digits_is_a_bad_signature(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    body = urllib.parse.urlencode({"command": "/incident", "text": "help", "user_id": ALICE})
    now = str(int(time.time()))
    # Arabic-Indic digits that int() reads as now: signed correctly, and still not a timestamp.
    indic_now = now.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    async with running_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        for timestamp in ["²", "1" * 5_000, "9" * 40, indic_now, f" {now}", f"+{now}"]:
            # Signed correctly over the timestamp given: only its form is wrong.
            digest = _sign(slack.signing_secret, timestamp, body)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": digest,
            }
            async with client.post(
                f"{warroom.url}/slack/events", data=body, headers=headers
            ) as answer:
                assert answer.status == 401, f"timestamp {timestamp[:20]!r}: {answer.status}"
        # Read while the server runs: what its shutdown logs is not about these requests.
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage()[:200] for r in errors]


def _sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return f"v0={digest.hexdigest()}"


async def test_page_numbers_that_are_not_ascii_digits_or_too_large_answer_400(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_warroom(slack, sqlite_url, web_auth="none") as warroom:
        await open_incident(warroom)
        asked = [
            (path, name, value)
            for path, names in {
                "/": ("page", "per_page"),
                "/api/incidents": ("page", "per_page"),
                "/incidents/INC-1/history": ("page",),
            }.items()
            for name in names
            for value in ["²", "99999999999999999999", "0", *NOT_NUMBERS]
            if value != ""
        ]
        async with aiohttp.ClientSession() as client:
            for path, name, value in asked:
                url = f"{warroom.url}{path}?{urllib.parse.urlencode({name: value})}"
                async with client.get(url) as answer:
                    text = await answer.text()
                    assert answer.status == 400, f"{path}?{name}={value[:20]!r}: {answer.status}"
                    assert name in text, f"the answer says which parameter: {text[:300]}"
            # The plain numbers still work, and an empty page is the first.
            for path in ("/", "/api/incidents", "/incidents/INC-1/history"):
                async with client.get(f"{warroom.url}{path}?page=1") as answer:
                    assert answer.status == 200, path
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage()[:200] for r in errors]


async def test_an_acknowledge_button_with_a_value_that_is_no_id_is_ignored(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        for value in ["²", "9" * 30, "1" * 5_000]:
            answer = await slack.send_interaction(
                {
                    "type": "block_actions",
                    "team": {"id": "T0TEAM"},
                    "user": {"id": ALICE},
                    "channel": {"id": channel.id},
                    "actions": [{"action_id": EscalationMessage.ACKNOWLEDGE.value, "value": value}],
                    "response_url": f"{slack.root_url}/response/none",
                    "trigger_id": "1.2.3",
                }
            )
            assert answer.status == 200, f"value {value[:20]!r}: {answer.status}"
        await slack.drain()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage()[:200] for r in errors]


# -- finding 5: alert bodies at the edges --------------------------------------------------------


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


async def test_alert_bodies_with_extreme_dates_or_deep_nesting_get_2xx_or_4xx(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    late = "9999-12-31T23:59:59-01:00"
    early = "0001-01-01T00:00:00+01:00"
    deep = alertmanager("Deep", [alert("Deep", "h1", "2026-08-01T10:00:00Z")])
    deep["alerts"][0]["labels"]["nested"] = nested(600)
    deep_extra = {**alertmanager("Deep", []), "extra": nested(600)}
    bodies: dict[str, object] = {
        "startsAt after year 9999 in UTC": alertmanager("Late", [alert("Late", "h1", late)]),
        "startsAt before year 1 in UTC": alertmanager("Early", [alert("Early", "h1", early)]),
        "endsAt after year 9999 in UTC": alertmanager(
            "Late", [alert("Late", "h1", "2026-08-01T10:00:00Z", ends_at=late)]
        ),
        "generic at year 9999": {
            "title": "Late",
            "dedup_key": "late",
            "started_at": late,
            "ended_at": late,
        },
        "labels nested 600 deep": deep,
        "a field nested 600 deep": deep_extra,
    }
    async with running_warroom(slack, sqlite_url, alert_token=Secret(TOKEN)) as warroom:
        for why, body in bodies.items():
            source = "generic" if why.startswith("generic") else "alertmanager"
            status, answer = await post_alert(warroom.url, source, json.dumps(body).encode())
            assert status in (202, 400), f"{why}: {status} {answer}"
            if status == 400:
                assert answer["problems"], f"{why}: the answer says what is wrong: {answer}"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage()[:200] for r in errors]


# -- finding 10: Sign in with Slack at DEBUG -----------------------------------------------------


async def test_sign_in_with_slack_at_debug_leaves_no_credential_in_the_logs(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture, all_logs: Everything
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        url = f"{warroom.url}/auth/slack?next=/"
        async with session.get(url, allow_redirects=False) as answer:
            authorize = answer.headers["Location"]
        hinted = f"{authorize}&{urllib.parse.urlencode({'login_hint': ALICE})}"
        async with session.get(hinted, allow_redirects=False) as answer:
            callback = answer.headers["Location"]
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
        async with session.get(callback, allow_redirects=False) as answer:
            assert answer.status == 303, await answer.text()
        async with session.get(f"{warroom.url}/") as answer:
            assert answer.status == 200
    text = logged(all_logs, caplog)
    assert "openid.connect.token" in text, "slack_sdk's debug lines are still there"
    secrets = {
        "the authorization code": code,
        "the client secret": slack.oidc_client_secret,
        "the email": "alice@example.com",
        "an id_token (a JWT)": "eyJ",
    }
    for what, secret in secrets.items():
        assert secret not in text, f"{what} is in the logs"
    assert not SLACK_TOKEN.search(text), "a Slack token is in the logs"


# -- issue 24, item 15: cookies, form fields, the sign-in state, vendor timestamps ------------
LINEAR_SECRET = "linear-webhook-secret-0123456789"


async def test_odd_cookies_form_fields_state_and_linear_timestamps_get_a_4xx_not_a_500(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    trackers = Settings.from_env({"WARROOM_LINEAR_WEBHOOK_SECRET": LINEAR_SECRET}).trackers
    async with running_warroom(slack, sqlite_url, web_auth="none", trackers=trackers) as warroom:
        async with aiohttp.ClientSession() as client:
            odd = {"Cookie": "warroom_session=\u00e9t\u00e9.\u00e9t\u00e9"}
            async with client.get(f"{warroom.url}/", headers=odd) as answer:
                assert answer.status == 200, "no sign-in needed: an odd cookie is no session"
        async with browser() as local:
            async with local.get(f"{warroom.url}/") as answer:
                assert answer.status == 200
            for token in ("\u00e9t\u00e9", "\u0661" * 43, "x" * 100_000):
                async with local.post(f"{warroom.url}/logout", data={"csrf": token}) as answer:
                    assert answer.status == 403, token[:10]
        for stamp in ("9" * 400, "1" + "0" * 400 + ".5", "-" + "9" * 400, "1e400"):
            status = await _linear_delivery(warroom.url, stamp)
            assert status == 401, (stamp[:10], status)
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        async with session.get(f"{warroom.url}/auth/slack?next=/", allow_redirects=False):
            pass  # the sign-in cookie: a sign-in under way in this browser
        for state in ("\u00e9t\u00e9", "\u0661" * 32, "s" * 100_000):
            callback = f"{warroom.url}/auth/slack/callback?" + urllib.parse.urlencode(
                {"state": state, "code": "c"}
            )
            async with session.get(callback, allow_redirects=False) as answer:
                assert answer.status in (303, 400), (state[:10], answer.status)
                if answer.status == 303:
                    assert answer.headers["Location"] == "/login?failed=expired"
        # With the right state, a code that is no token of Slack's is not sent to Slack.
        async with session.get(f"{warroom.url}/auth/slack?next=/", allow_redirects=False) as answer:
            state = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)
        query = urllib.parse.urlencode({"state": state["state"][0], "code": "\u00e9" * 40})
        url = f"{warroom.url}/auth/slack/callback?{query}"
        async with session.get(url, allow_redirects=False) as answer:
            assert answer.headers["Location"] == "/login?failed=denied"
        assert slack.calls_to("openid.connect.token") == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage()[:200] for r in errors]


async def _linear_delivery(url: str, timestamp: str) -> int:
    """A validly signed Linear "Issue update" whose webhookTimestamp is the JSON number given."""
    body = (
        '{"type": "Issue", "action": "update", "data": {"id": "x"}, '
        f'"webhookTimestamp": {timestamp}}}'
    ).encode()
    signature = hmac.new(LINEAR_SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{url}/trackers/linear", data=body, headers={"Linear-Signature": signature}
        ) as answer,
    ):
        return answer.status
