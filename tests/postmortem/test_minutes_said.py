"""A draft's dates and times, written once per day and per time of day (``MinutesSaid``),
say what writing each minute from its own local time says: in every zone, across clock
changes, in zones whose offsets are not whole hours, and in a language whose formats mix
the date and the time."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.basics.render import builtin_templates_dir
from bot.record.postmortem.draft_format import _zone
from bot.record.postmortem.language import Language, MinutesSaid
from tests.helpers.tzif import transitions

ENGLISH = Language.load(builtin_templates_dir() / "postmortem" / "en")
FRENCH = Language.load(builtin_templates_dir() / "postmortem" / "fr")
# A language whose date names the hour and whose time names the day: nothing can be shared.
MIXED = dataclasses.replace(
    ENGLISH, date_format="{day} {month} {year} ({hour}h {zone})", time_format="{day}/{minute}"
)
# A language that names the zone in both: a day and a time are shared within one zone name.
ZONED = dataclasses.replace(
    ENGLISH,
    date_format="{month} {day}, {year} {zone}",
    time_format="{hour12}:{minute} {ampm} {zone}",
)
ZONES = sorted(available_timezones())
FIRST_MINUTE = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp()) // 60
LAST_MINUTE = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp()) // 60


def said_alone(language: Language, zone: tzinfo | None, minute: int) -> tuple[str, str]:
    """Each minute from its own local time, nothing shared."""
    local = datetime.fromtimestamp(minute * 60, UTC).astimezone(zone)
    fields = language.fields(local)
    return language.date_format.format(**fields), language.time_format.format(**fields)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from([ENGLISH, FRENCH, MIXED, ZONED]),
    st.lists(st.integers(FIRST_MINUTE, LAST_MINUTE), min_size=1, max_size=40),
)
def test_any_minute_in_any_zone(zone_name: str, language: Language, minutes: list[int]) -> None:
    zone = ZoneInfo(zone_name)
    said = MinutesSaid(language, zone)
    # Nearby minutes too, so days and times are reused from one minute to another.
    for minute in sorted({m + step for m in minutes for step in (0, 1, 59, 60 * 24)}):
        assert said(minute) == said_alone(language, zone, minute)


@pytest.mark.parametrize(
    ("zone_name", "day"),
    [
        ("America/New_York", datetime(2026, 3, 8)),  # spring forward at 2:00
        ("America/New_York", datetime(2026, 11, 1)),  # fall back: 1:00 to 1:59 twice
        ("Australia/Lord_Howe", datetime(2026, 4, 5)),  # a half-hour clock change
        ("Asia/Kathmandu", datetime(1986, 1, 1)),  # +5:30 to +5:45 at midnight
        ("Europe/Amsterdam", datetime(1937, 7, 1)),  # +0:19:32 to +0:20
        ("Pacific/Apia", datetime(2011, 12, 29)),  # a day left out
    ],
)
@pytest.mark.parametrize(
    "language", [ENGLISH, FRENCH, MIXED, ZONED], ids=["en", "fr", "mixed", "zoned"]
)
def test_every_minute_around_a_clock_change(
    zone_name: str, day: datetime, language: Language
) -> None:
    zone = ZoneInfo(zone_name)
    said = MinutesSaid(language, zone)
    first = int((day.replace(tzinfo=UTC) - timedelta(days=1)).timestamp()) // 60
    for minute in range(first, first + 3 * 24 * 60):
        assert said(minute) == said_alone(language, zone, minute)


def test_no_iana_zone_changes_twice_within_an_hour() -> None:
    """What saying a zone's minutes an hour at a time rests on: an offset and a name the same
    at an hour's first and last minute hold for every minute between."""
    keys = sorted(available_timezones())
    if not keys:
        pytest.skip("no tz database on this machine: zoneinfo finds no zone at all")
    gap, key, at = min(
        (later[0] - earlier[0], key, earlier[0])
        for key in keys
        for earlier, later in itertools.pairwise(transitions(key))
    )
    assert gap > 3600, f"{key} changes twice within {gap} s from {datetime.fromtimestamp(at, UTC)}"


def test_a_zone_that_changes_twice_within_an_hour_is_said_minute_by_minute() -> None:
    """A POSIX TZ string (dateutil reads one; ``WARROOM_TIMEZONE`` may be one) whose summer
    time lasts half an hour within one UTC hour: every minute as its own local time says."""
    zone = _zone("AAA3BBB,M3.2.0/2:10,M3.2.0/3:40")  # BBB from 05:10 to 05:40 UTC
    said = MinutesSaid(ENGLISH, zone)
    first = int(datetime(2026, 3, 7, 5, tzinfo=UTC).timestamp()) // 60
    for minute in range(first, first + 2 * 24 * 60):
        assert said(minute) == said_alone(ENGLISH, zone, minute)
    assert said(first + 24 * 60 + 20) == ("March 8, 2026", "3:20 AM")  # 05:20 UTC, in BBB


def test_a_zone_nobody_knows_is_the_hosts() -> None:
    said = MinutesSaid(ENGLISH, None)
    minute = int(datetime(2026, 6, 1, 12, 30, tzinfo=UTC).timestamp()) // 60
    assert said(minute) == said_alone(ENGLISH, None, minute)


def test_the_day_and_the_time_come_from_the_zones_rules() -> None:
    """Fall back in New York: the same UTC hour apart reads 1:30 AM twice, once EDT, once EST,
    and the two read differently where the language names the zone."""
    said = MinutesSaid(MIXED, ZoneInfo("America/New_York"))
    first = int(datetime(2026, 11, 1, 5, 30, tzinfo=UTC).timestamp()) // 60
    assert said(first) == ("1 November 2026 (01h EDT)", "1/30")
    assert said(first + 60) == ("1 November 2026 (01h EST)", "1/30")
    english = MinutesSaid(ENGLISH, ZoneInfo("America/New_York"))
    assert english(first) == english(first + 60) == ("November 1, 2026", "1:30 AM")


def test_a_language_file_edited_while_running_is_read_again(tmp_path: Path) -> None:
    """Languages are kept between drafts, but an operator's edit shows in the next one."""
    own = tmp_path / "en"
    own.mkdir()
    english = (builtin_templates_dir() / "postmortem" / "en" / "language.yaml").read_text()
    (own / "language.yaml").write_text(english)
    assert Language.load(own).time_format == ENGLISH.time_format
    assert Language.load(own) is Language.load(own)  # kept, not parsed again
    (own / "language.yaml").write_text(
        english.replace(ENGLISH.time_format, "{hour}.{minute}"), encoding="utf-8"
    )
    assert Language.load(own).time_format == "{hour}.{minute}"
