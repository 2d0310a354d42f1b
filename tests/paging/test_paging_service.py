"""Paging measured as a service: what /metrics counts of a page (delivery outcomes by
provider, time to first notification, time to acknowledge) and the insights' Paging panel,
read from the record. Over the wire: the fake Twilio and ntfy, Slack's emulator, signed in
to the web view as a person would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from tests.conftest import ALICE, CAROL, Clock, Warroom
from tests.helpers.incidents import command
from tests.helpers.metrics import scrape, value
from tests.helpers.web_view import browser, sign_in, web_settings, web_warroom
from tests.paging.scenario import NOW, declare_sev1, paging_settings, phone_environ
from tests.paging.test_phone import CONTACTS, PHONE, PUBLIC_URL


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, twilio: FakeTwilio
) -> AsyncIterator[dict[str, object]]:
    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    async with FakeNtfy() as ntfy:
        settings = paging_settings(tmp_path, CONTACTS, **phone_environ(twilio, ntfy, PUBLIC_URL))
        yield {
            "database_url": database_url,
            "clock": Clock(NOW),
            **web_settings(slack, **settings),
            "ready": ready,
        }


async def page_carol(warroom: Warroom, twilio: FakeTwilio) -> None:
    """Slack and push at once; the SMS at 2 minutes never arrives; the call at 5 minutes is
    answered and acknowledges."""
    await declare_sev1(warroom)
    await warroom.advance(minutes=2)
    (sms,) = twilio.messages
    assert await twilio.deliver(sms, "undelivered") == 200
    await warroom.advance(minutes=3)
    (call,) = twilio.phone(PHONE).calls
    assert await twilio.answer(call) == 200
    await twilio.press(call, "1")
    await warroom.run_jobs()


async def test_metrics_count_each_provider_s_outcome_and_the_times_to_notify_and_acknowledge(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    await page_carol(warroom, twilio)
    samples = await scrape(warroom)
    counted = "warroom_notifications_total"
    assert value(samples, counted, provider="ntfy", method="ntfy", outcome="sent") == 1
    assert value(samples, counted, provider="twilio", method="sms", outcome="undelivered") == 1
    assert value(samples, counted, provider="twilio", method="voice", outcome="answered") == 1
    assert value(samples, counted, provider="slack", method="slack", outcome="sent") == 1
    firsts = [
        v for name, labels, v in samples if name == "warroom_page_first_notification_seconds_count"
    ]
    assert sum(firsts) == 1  # one page, one first notification
    acknowledged = "warroom_page_acknowledgement_seconds"
    assert value(samples, f"{acknowledged}_count", via="voice") == 1
    assert value(samples, f"{acknowledged}_sum", via="voice") == 300


# Slack alone: push and phones need WARROOM_PUBLIC_URL, which signing in needs to lead here.
SLACK_ONLY = {
    "people": {
        CAROL: {
            "rules": [{"after": "0s", "notify": ["slack"]}, {"after": "10m", "notify": ["slack"]}]
        }
    }
}


async def test_the_insights_paging_panel_reads_the_record(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    settings = paging_settings(tmp_path, SLACK_ONLY)
    async with web_warroom(slack, database_url, Clock(NOW), **settings) as running:
        channel = await declare_sev1(running)
        await running.advance(minutes=3)
        await command(running, channel, "ack", user=CAROL)
        await running.run_jobs()
        async with browser() as session:
            await sign_in(session, running, ALICE)
            async with session.get(f"{running.url}/insights") as answer:
                assert answer.status == 200
                page = await answer.text()
    panel = page[page.index('id="paging"') : page.index("</section>", page.index('id="paging"'))]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel))
    assert "Pages 1 1" in text
    assert "First notification, median 0.0 s 0.0 s" in text
    assert "Delivered by slack 100.0% (1 of 1) 100.0% (1 of 1)" in text
    assert "Acknowledged 1 (1 by slack) 1 (1 by slack)" in text
    assert "Reached nobody 0 0" in text
    assert "No drill yet" in text
