"""When a stakeholder update is overdue, by severity and status (WARROOM_UPDATE_INTERVALS, issue
71 item 7): a SEV1 is reminded in Slack after its own interval and flagged "update overdue" on
the web list at the same moment; a SEV4 being monitored is never reminded nor flagged; a bad
value is refused at start, naming what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.config.reading import ConfigError
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, Clock, Warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import browser, sign_in, web_warroom
from tests.web.test_worklists import card_of

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def reminders(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if m.text.startswith(":hourglass:")]


async def list_page(warroom: Warroom) -> str:
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/") as answer:
            return await answer.text()


async def test_each_severity_and_status_has_its_own_interval(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    intervals = Settings.from_env({"WARROOM_UPDATE_INTERVALS": "SEV1=10m,SEV3=2h"})
    async with web_warroom(
        slack,
        sqlite_url,
        Clock(NOW),
        incidents__update_intervals=intervals.incidents.update_intervals,
    ) as warroom:
        sev1 = await open_incident(warroom, "Payments down")
        await command(warroom, sev1, "sev 1")
        sev3 = await open_incident(warroom, "Search is slow")
        sev4 = await open_incident(warroom, "Typo on the pricing page")
        await command(warroom, sev4, "sev 4")
        await command(warroom, sev4, "status monitoring")

        await warroom.advance(minutes=9)
        assert reminders(sev1) == []
        assert "update overdue" not in card_of(await list_page(warroom), "Payments down")
        await warroom.advance(minutes=2)
        [reminded] = reminders(sev1)
        assert "(reminders every 10m)" in reminded
        page = await list_page(warroom)
        assert "update overdue" in card_of(page, "Payments down")
        assert "one is due every 10m at SEV1 while investigating" in page
        assert "update overdue" not in card_of(page, "Search is slow")

        # Three hours on: the SEV3 is overdue (2 h), the SEV4 being monitored never is.
        await warroom.advance(hours=3)
        page = await list_page(warroom)
        assert reminders(sev3) and "update overdue" in card_of(page, "Search is slow")
        assert reminders(sev4) == []
        assert "update overdue" not in card_of(page, "Typo on the pricing page")

        # Back to investigating, the SEV4 goes by WARROOM_UPDATE_REMINDER (30 minutes) again,
        # reminded within that much of the change.
        await command(warroom, sev4, "status investigating")
        assert "update overdue" in card_of(await list_page(warroom), "Typo on the pricing page")
        await warroom.advance(minutes=11)
        assert len(reminders(sev4)) == 1


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("SEV9=30m", "WARROOM_UPDATE_INTERVALS: 'SEV9': name a severity, one of SEV1, SEV2"),
        ("SEV1=soon", "WARROOM_UPDATE_INTERVALS: SEV1=soon: give a duration (`30m`, `2h`) or"),
        ("SEV2/fixed=1h", "'SEV2/fixed': after the severity, a status of an open incident"),
        ("SEV2/resolved=1h", "one of investigating, identified, monitoring"),
        ("SEV1 30m", "expected SEVn=30m or SEVn/status=off, got 'SEV1 30m'"),
    ],
)
def test_a_bad_interval_is_refused_at_start(value: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_UPDATE_INTERVALS": value})
    assert said in str(refused.value)


def test_the_default_and_what_an_operator_adds() -> None:
    default = Settings.from_env({}).incidents
    assert default.update_interval("SEV1", "investigating") == timedelta(minutes=30)
    assert default.update_interval("SEV4", "investigating") == timedelta(minutes=30)
    assert default.update_interval("SEV4", "monitoring") is None
    added = Settings.from_env(
        {"WARROOM_UPDATE_INTERVALS": "SEV1=15m,SEV2/monitoring=2h", "WARROOM_UPDATE_REMINDER": "1h"}
    ).incidents
    assert added.update_interval("SEV1", "monitoring") == timedelta(minutes=15)
    assert added.update_interval("SEV2", "monitoring") == timedelta(hours=2)
    assert added.update_interval("SEV2", "identified") == timedelta(hours=1)
    assert added.update_interval("SEV4", "monitoring") is None  # the default kept
