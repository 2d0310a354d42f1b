"""What comes from outside on /slack/events cannot fill the logs with secrets or turn into a 5xx.

Issue 16, findings 3 and 4, over real HTTP against the running bot: a request that fails its
signature is logged without its body; a timestamp that is not ASCII digits is a bad signature;
a button whose value is no id is ignored. The web view's side is tests/web/test_hardening_inputs.py,
the alerts' tests/alerting/test_alert_hardening.py.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from pathlib import Path

import aiohttp
import pytest

from bot.basics.slack_ids import EscalationMessage
from emulator import SlackEmulator
from emulator.models import slack_signature_headers
from tests.conftest import ALICE, running_warroom
from tests.helpers.incidents import open_incident, settle
from tests.helpers.logs import Everything, logged
from tests.helpers.processes import bot_env, serve
from tests.helpers.slack_requests import signed_headers, v0_signature

# Markers in request bodies: none of them may reach a log line.
LEGACY_TOKEN = "LegacyVerificationTokenMarker7f3a"
RESPONSE_URL = "https://hooks.slack.com/commands/T0TEAM/1/ResponseUrlMarker9c1d"
PRIVATE_TEXT = "private-text-marker-b4e2"
SUBMITTED = "submitted-secret-marker-5d0c"
MARKERS = (LEGACY_TOKEN, "ResponseUrlMarker9c1d", PRIVATE_TEXT, SUBMITTED)


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
            digest = v0_signature(slack.signing_secret, timestamp, body)
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


# -- Slack's window ----------------------------------------------------


@pytest.mark.parametrize("skew", [-301, -30 * 24 * 3600, 301])
async def test_a_request_signed_outside_slack_s_five_minutes_is_refused_401(
    slack: SlackEmulator, sqlite_url: str, skew: int
) -> None:
    """Slack ("Verifying requests from Slack"): a timestamp more than five minutes from now
    may be a replay and is refused. A command and an event, signed correctly at that time
    and sent by the emulator over HTTP, are refused 401 and change nothing; the same command
    signed now opens the incident."""
    async with running_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        at = int(time.time()) + skew
        stale = await slack.send_command(
            "start Stale checkout", user=ALICE, channel="general", timestamp=at
        )
        assert stale.status == 401
        general = slack.channel_by_name("general")
        assert general is not None
        event = {
            "type": "event_callback",
            "team_id": slack.team_id,
            "api_app_id": slack.app_id,
            "event_id": "EvSTALE1",
            "event_time": at,
            "event": {
                "type": "message",
                "user": ALICE,
                "text": "stale words",
                "ts": f"{at}.000100",
                "channel": general.id,
            },
        }
        body = json.dumps(event)
        headers = {
            "Content-Type": "application/json",
            **signed_headers(slack.signing_secret, body, str(at)),
        }
        async with client.post(f"{warroom.url}/slack/events", data=body, headers=headers) as answer:
            assert answer.status == 401
        assert not [c for c in slack.channels.values() if c.name.startswith("inc-")]
        fresh = await slack.send_command("start Fresh checkout", user=ALICE, channel="general")
        assert fresh.status == 200
        await settle(warroom)
        assert [c.name for c in slack.channels.values() if c.name.startswith("inc-")] != []


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
