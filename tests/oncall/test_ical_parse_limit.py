"""An iCal layer's feed is read in a worker process with a time limit
(``WARROOM_ONCALL_ICAL_PARSE_SECONDS``), from a server on 127.0.0.1: a feed that takes longer
is refused, the layer keeps its last good copy and says why, and the next good feed is read
as ever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.record.oncall.schedules import load_schedules
from bot.store.db import session_scope
from bot.store.models import OncallIcalCopy
from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom
from tests.oncall.ical_source import OPSGENIE_STYLE, CalendarSource, calendar_source
from tests.oncall.test_ical_layers import LOCAL, NOW, schedule_file


@pytest.fixture
async def source() -> AsyncIterator[CalendarSource]:
    async with calendar_source() as running:
        yield running


def hourly_turns(count: int) -> bytes:
    """The export with ``count`` more one-hour events: a calendar that takes seconds to read."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:turn-{i}@oncall.example.com\r\nDTSTAMP:20260301T000000Z\r\n"
        f"DTSTART:{NOW + timedelta(hours=i):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{NOW + timedelta(hours=i + 1):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Alice Smith\r\nEND:VEVENT\r\n"
        for i in range(count)
    )
    return OPSGENIE_STYLE.replace("END:VCALENDAR\r\n", events + "END:VCALENDAR\r\n").encode()


async def _copy(warroom: Warroom) -> OncallIcalCopy:
    async with session_scope(warroom.engine) as session:
        return (await session.exec(select(OncallIcalCopy))).one()


async def test_a_feed_over_its_time_limit_is_refused_and_the_last_good_copy_kept(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path, source: CalendarSource
) -> None:
    clock = Clock(NOW)
    path = schedule_file(tmp_path, source.url)
    schedules = load_schedules(path, now=NOW)
    async with running_warroom(
        slack,
        sqlite_url,
        clock,
        oncall__schedules=schedules,
        oncall__ical_allowed_hosts=LOCAL,
        oncall__ical_parse_seconds=1.0,
    ) as warroom:
        await warroom.run_jobs()  # the refresh every start asks for
        good = await _copy(warroom)
        assert good.fetched_at == NOW and good.error is None

        source.body = hourly_turns(10_000)  # 1.6 MB: seconds of parsing, one given
        await warroom.advance(minutes=15)
        row = await _copy(warroom)
        assert (row.events, row.fetched_at) == (good.events, NOW)
        assert "not read within 1 s" in (row.error or ""), row.error

        # The worker that overran was replaced: the source's next answer is read as ever.
        source.body = OPSGENIE_STYLE.replace("Alice Smith", "Alice S.").encode()
        await warroom.advance(minutes=15)
        row = await _copy(warroom)
        assert row.error is None and row.events != good.events
        assert row.fetched_at == NOW + timedelta(minutes=30)
