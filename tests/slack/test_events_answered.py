"""Every Slack request answered 2xx: each subscribed event type has a listener, and the
``app_rate_limited`` callback (no inner event) is counted, logged and answered."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.manifest import BOT_EVENTS
from emulator.models import new_ts
from tests.conftest import Warroom


def event_types() -> list[str]:
    """The event types the manifest subscribes to: ``message.channels`` is ``message``."""
    return sorted({name.split(".")[0] for name in BOT_EVENTS})


@pytest.mark.parametrize("event_type", event_types())
async def test_every_subscribed_event_type_is_answered_2xx(
    warroom: Warroom, event_type: str
) -> None:
    # The least an event of the type can be: a listener must take it, and one that cannot
    # read it answers 200 too (retrying would not make it readable).
    response = await warroom.slack.send_event({"type": event_type, "event_ts": new_ts()})
    assert 200 <= response.status < 300, (event_type, response.status, response.text)


async def test_app_rate_limited_is_answered_counted_and_logged(
    warroom: Warroom, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.slack.listeners"):
        response = await warroom.slack.send_app_rate_limited(minute=1_700_000_040)
    assert response.status == 200, response.text
    assert any("app_rate_limited" in r.getMessage() for r in caplog.records)
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/metrics") as scraped,
    ):
        text = await scraped.text()
    counted = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "warroom_slack_events_rate_limited_seconds_total"
    ]
    assert counted == [60.0]  # a minute held back
