"""What comes from outside the web view cannot fill the logs with secrets or turn into a 5xx,
over real HTTP against the running bot: page
numbers that are not ASCII digits or too long answer 400, Sign in with Slack at DEBUG leaves no
credential in the logs, and odd cookies, form fields, sign-in states and Linear timestamps get a
4xx, never a 500."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import urllib.parse

import aiohttp
import pytest

from bot.config import Settings
from emulator import SlackEmulator
from tests.conftest import ALICE, running_warroom
from tests.helpers.incidents import open_incident
from tests.helpers.inputs import NOT_NUMBERS
from tests.helpers.logs import Everything, logged
from tests.helpers.web_view import browser, web_warroom

SLACK_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9]")


async def test_page_numbers_that_are_not_ascii_digits_or_too_large_answer_400(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_warroom(slack, sqlite_url, web__auth="none") as warroom:
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


# -- cookies, form fields, the sign-in state, vendor timestamps ------------
LINEAR_SECRET = "linear-webhook-secret-0123456789"


async def test_odd_cookies_form_fields_state_and_linear_timestamps_get_a_4xx_not_a_500(
    slack: SlackEmulator, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    trackers = Settings.from_env({"WARROOM_LINEAR_WEBHOOK_SECRET": LINEAR_SECRET}).trackers
    async with running_warroom(slack, sqlite_url, web__auth="none", trackers=trackers) as warroom:
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
