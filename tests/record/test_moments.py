"""Typed times and zones: bot.record.moments and the message that explains a refusal."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from dateutil import tz

from bot.basics.errors import BotError
from bot.basics.render import Renderer
from bot.record.moments import (
    ABBREVIATIONS,
    AMBIGUOUS_ABBREVIATIONS,
    MomentRefused,
    parse_moment,
    resolve_zone,
    zone_abbreviation,
)

LA = "America/Los_Angeles"
NAIROBI = "Africa/Nairobi"
KOLKATA = "Asia/Kolkata"
# 10:00 PST, 21:00 EAT and 23:30 IST on 7 November 2023.
NOW = datetime(2023, 11, 7, 18, 0, tzinfo=UTC)
# 15:00 PST, so that 10:30 PST has already happened.
LATE = datetime(2023, 11, 7, 23, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def refusal(text: str, zone: str = "UTC", now: datetime = NOW) -> MomentRefused:
    with pytest.raises(MomentRefused) as caught:
        parse_moment(text, zone=zone, now=now)
    return caught.value


def render(error: MomentRefused) -> str:
    return Renderer().render(error.template, **error.context)


BARE_TIMES = [
    ("10:30", NAIROBI, NOW, utc(2023, 11, 7, 7, 30)),
    ("10:30am", NAIROBI, NOW, utc(2023, 11, 7, 7, 30)),
    ("2:05 PM", NAIROBI, NOW, utc(2023, 11, 7, 11, 5)),
    ("14:05", KOLKATA, NOW, utc(2023, 11, 7, 8, 35)),
    ("14:05", "UTC", NOW, utc(2023, 11, 7, 14, 5)),
    ("9:15", LA, NOW, utc(2023, 11, 7, 17, 15)),
    ("10:30:15", "UTC", NOW, utc(2023, 11, 7, 10, 30, 15)),
    ("  10:30\t", "UTC", NOW, utc(2023, 11, 7, 10, 30)),
    # "Today" is the incident zone's: still 7 November in Los Angeles at 02:00 UTC on the 8th...
    ("10:30", LA, utc(2023, 11, 8, 2, 0), utc(2023, 11, 7, 18, 30)),
    # ...and already 7 November in Kolkata while it is 6 November 18:45 in UTC.
    ("00:15", KOLKATA, NOW, utc(2023, 11, 6, 18, 45)),
    # One minute of clock skew is allowed.
    ("18:01", "UTC", NOW, utc(2023, 11, 7, 18, 1)),
]

DAY_WORDS = [
    ("yesterday 14:05", LA, utc(2023, 11, 6, 22, 5)),
    ("YESTERDAY 14:05", "UTC", utc(2023, 11, 6, 14, 5)),
    ("yesterday at 14:05", NAIROBI, utc(2023, 11, 6, 11, 5)),
    ("Yesterday At 2:05 pm", KOLKATA, utc(2023, 11, 6, 8, 35)),
    ("14:05 yesterday", "UTC", utc(2023, 11, 6, 14, 5)),
    ("today 09:00", KOLKATA, utc(2023, 11, 7, 3, 30)),
    ("Today at 09:00", LA, utc(2023, 11, 7, 17, 0)),
]

ZONED = [
    ("10:30am PST", "UTC", LATE, utc(2023, 11, 7, 18, 30)),
    ("10:30am PST", NAIROBI, LATE, utc(2023, 11, 7, 18, 30)),
    ("10:30 pst", "UTC", LATE, utc(2023, 11, 7, 18, 30)),
    ("12:00 EAT", "UTC", NOW, utc(2023, 11, 7, 9, 0)),
    ("12:00 EAT", LA, NOW, utc(2023, 11, 7, 9, 0)),
    ("3:00 PM UTC", LA, NOW, utc(2023, 11, 7, 15, 0)),
    ("2023-11-07 16:45 UTC", LA, NOW, utc(2023, 11, 7, 16, 45)),
    ("2023-06-08 15:00 Z", NAIROBI, NOW, utc(2023, 6, 8, 15, 0)),
    ("2023-11-07T16:45:00+03:00", "UTC", NOW, utc(2023, 11, 7, 13, 45)),
    ("16:45 +02:00", NAIROBI, NOW, utc(2023, 11, 7, 14, 45)),
    ("2023-11-07 16:45 Europe/Paris", "UTC", NOW, utc(2023, 11, 7, 15, 45)),
    ("2023-11-07 16:45 europe/paris", LA, NOW, utc(2023, 11, 7, 15, 45)),
    ("2023-07-01 16:45 Europe/Paris", "UTC", NOW, utc(2023, 7, 1, 14, 45)),
    ("November 7, 2023 8:45 AM PST", NAIROBI, NOW, utc(2023, 11, 7, 16, 45)),
    ("June 8 2023 3pm", LA, NOW, utc(2023, 6, 8, 22, 0)),
    ("June 8 2023 3pm", KOLKATA, NOW, utc(2023, 6, 8, 9, 30)),
    ("June 8 3pm", "UTC", NOW, utc(2023, 6, 8, 15, 0)),
    ("Tue, 07 Nov 2023 16:45:00 GMT", KOLKATA, NOW, utc(2023, 11, 7, 16, 45)),
    # People mean UTC+3 as three hours ahead, not the POSIX reading dateutil would make.
    ("10:30 UTC+3", "UTC", NOW, utc(2023, 11, 7, 7, 30)),
    ("10:30 GMT-03:00", "UTC", NOW, utc(2023, 11, 7, 13, 30)),
    # An abbreviation is a fixed offset: PST in July is still UTC-8.
    ("2023-07-04 10:30 PST", LA, NOW, utc(2023, 7, 4, 18, 30)),
    ("2023-07-04 10:30 PDT", LA, NOW, utc(2023, 7, 4, 17, 30)),
    ("2023-07-04 10:30", LA, NOW, utc(2023, 7, 4, 17, 30)),
    # An abbreviation that is ambiguous elsewhere is understood in its own zone.
    ("10:30 IST", KOLKATA, NOW, utc(2023, 11, 7, 5, 0)),
    ("10:30 CST", "America/Chicago", NOW, utc(2023, 11, 7, 16, 30)),
    # (it is already 8 November in Shanghai)
    ("yesterday 10:30 CST", "Asia/Shanghai", NOW, utc(2023, 11, 7, 2, 30)),
    ("2023-07-01 10:30 BST", "Europe/London", NOW, utc(2023, 7, 1, 9, 30)),
    # The abbreviation or offset says which of the two 01:30 of a night the clocks go back.
    ("2023-11-05 01:30 PDT", LA, NOW, utc(2023, 11, 5, 8, 30)),
    ("2023-11-05 01:30 PST", LA, NOW, utc(2023, 11, 5, 9, 30)),
    ("2023-11-05 01:30 -08:00", LA, NOW, utc(2023, 11, 5, 9, 30)),
]

DATES = [
    # Day first or month first only one way: 13 cannot be a month.
    ("13/04/2023", "UTC", utc(2023, 4, 13, 0, 0)),
    ("13/04/2023 10:00", NAIROBI, utc(2023, 4, 13, 7, 0)),
    # Year first is always year-month-day.
    ("2023-03-04", "UTC", utc(2023, 3, 4, 0, 0)),
    ("2023-03-04 10:00", "UTC", utc(2023, 3, 4, 10, 0)),
    ("2023/03/04 10:00", KOLKATA, utc(2023, 3, 4, 4, 30)),
]


@pytest.mark.parametrize(("text", "zone", "now", "expected"), BARE_TIMES)
def test_a_bare_time_is_today_in_the_incident_zone(
    text: str, zone: str, now: datetime, expected: datetime
) -> None:
    assert parse_moment(text, zone=zone, now=now) == expected


@pytest.mark.parametrize(("text", "zone", "expected"), DAY_WORDS)
def test_yesterday_and_today(text: str, zone: str, expected: datetime) -> None:
    assert parse_moment(text, zone=zone, now=NOW) == expected


@pytest.mark.parametrize(("text", "zone", "now", "expected"), ZONED)
def test_zones_offsets_and_dates(text: str, zone: str, now: datetime, expected: datetime) -> None:
    assert parse_moment(text, zone=zone, now=now) == expected


@pytest.mark.parametrize(("text", "zone", "expected"), DATES)
def test_dates_that_read_only_one_way(text: str, zone: str, expected: datetime) -> None:
    assert parse_moment(text, zone=zone, now=NOW) == expected


def test_the_result_is_in_utc() -> None:
    moment = parse_moment("16:45 +02:00", zone=NAIROBI, now=NOW)
    assert moment.tzinfo is UTC


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_moment("10:30", zone="UTC", now=datetime(2023, 11, 7, 18, 0))


@pytest.mark.parametrize("abbreviation", ["CST", "IST", "BST", "AST", "CDT", "ADT"])
def test_ambiguous_abbreviations_are_refused(abbreviation: str) -> None:
    error = refusal(f"10:30 {abbreviation}", zone=LA)
    assert error.reason == "ambiguous_zone"
    assert error.context["text"] == f"10:30 {abbreviation}"
    assert error.context["abbreviation"] == abbreviation
    assert error.context["candidates"] == list(AMBIGUOUS_ABBREVIATIONS[abbreviation])
    assert all(isinstance(candidate, str) for candidate in error.context["candidates"])


def test_ist_outside_india_is_ambiguous() -> None:
    error = refusal("10:30 IST", zone=NAIROBI)
    assert error.reason == "ambiguous_zone"
    assert "Asia/Kolkata" in error.context["candidates"]


@pytest.mark.parametrize(("text", "abbreviation"), [("10:30 FOO", "FOO"), ("9:00 XYZT", "XYZT")])
def test_unknown_abbreviations_are_refused(text: str, abbreviation: str) -> None:
    error = refusal(text)
    assert error.reason == "unknown_zone"
    assert error.context["abbreviation"] == abbreviation


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("03/04/2024", ["2024-03-04", "2024-04-03"]),
        ("4/3 10:00", ["2023-04-03", "2023-03-04"]),
        ("05.06.2023 10:00", ["2023-05-06", "2023-06-05"]),
    ],
)
def test_day_and_month_that_could_be_swapped_are_refused(text: str, readings: list[str]) -> None:
    error = refusal(text)
    assert error.reason == "ambiguous_date"
    assert error.context["readings"] == readings


@pytest.mark.parametrize(
    ("text", "zone"),
    [("2023-11-05 01:30", LA), ("2023-11-05 01:30 America/Los_Angeles", "UTC")],
)
def test_a_wall_time_that_happens_twice_is_refused(text: str, zone: str) -> None:
    error = refusal(text, zone=zone)
    assert error.reason == "ambiguous_local_time"
    assert error.context["zone"] == LA
    assert error.context["choices"] == ["2023-11-05 01:30 -07:00", "2023-11-05 01:30 -08:00"]


def test_the_choices_offered_for_a_double_time_are_accepted() -> None:
    choices = refusal("2023-11-05 01:30", zone=LA).context["choices"]
    assert [parse_moment(choice, zone=LA, now=NOW) for choice in choices] == [
        utc(2023, 11, 5, 8, 30),
        utc(2023, 11, 5, 9, 30),
    ]


def test_a_wall_time_that_never_happens_is_refused() -> None:
    error = refusal("2023-03-12 02:30", zone=LA)
    assert error.reason == "nonexistent_local_time"
    assert error.context["zone"] == LA
    assert error.context["suggestion"] == "2023-03-12 03:30"


@pytest.mark.parametrize(
    ("text", "zone", "parsed"),
    [
        ("10:30", LA, utc(2023, 11, 7, 18, 30)),
        ("18:02", "UTC", utc(2023, 11, 7, 18, 2)),
        ("10:30am PST", NAIROBI, utc(2023, 11, 7, 18, 30)),
        ("today 23:45", KOLKATA, utc(2023, 11, 7, 18, 15)),
        ("2023-12-25 10:00", "UTC", utc(2023, 12, 25, 10, 0)),
    ],
)
def test_a_time_in_the_future_is_refused(text: str, zone: str, parsed: datetime) -> None:
    error = refusal(text, zone=zone)
    assert error.reason == "future"
    assert error.context["parsed"] == parsed
    assert error.context["parsed"].tzinfo is UTC
    assert error.context["zone"] == zone


def test_a_future_bare_time_suggests_the_day_before() -> None:
    error = refusal("10:30", zone=LA)
    assert error.context["suggestions"] == ["yesterday 10:30", "2023-11-06 10:30"]
    assert [parse_moment(s, zone=LA, now=NOW) for s in error.context["suggestions"]] == [
        utc(2023, 11, 6, 18, 30),
        utc(2023, 11, 6, 18, 30),
    ]
    assert refusal("2023-12-25 10:00").context["suggestions"] == []


UNPARSEABLE = [
    "",
    "   ",
    "banana",
    "25:99",
    "10:30 banana",
    "today is the day",
    "yesterday",
    "10",
    "Monday 10:30",
    "June 2023 10:30",
    "Feb 29 10:00",
    "yesterday 2023-11-01 10:00",
    "10:30 PST-8",
    "10:30 +99:99",
    "10:30 +99999999999:00",
    "2023-11-07 16:45 +02:00 Europe/Paris",
    "10:30 Mars/Olympus",
    "0001-01-01 00:00 +05:00",
    "9999-12-31 23:59 -05:00",
    "99999999999999999999",
    "1" * 100,
    "10:30" + " " * 96,
    "x" * 1000,
    "🔥🔥",
    "10:30 🔥",
    "１０時",
    "\x00",
    "10:30\x00",
    "10:30\x1b[0m",
    "ß\u0660\u200b",
]


@pytest.mark.parametrize("text", UNPARSEABLE)
def test_unparseable_input_is_refused(text: str) -> None:
    error = refusal(text)
    assert error.reason == "unparseable"
    assert error.context["text"] == text


def test_nothing_but_a_refusal_escapes_on_arbitrary_input() -> None:
    pieces = [
        *("10", ":", "30", "am", "PM", " ", "yesterday", "today", "at", "2023", "-", "/", "11"),
        *("07", "T", "+", "03:00", "Z", "UTC", "GMT+", "PST", "CST", "FOO", "Europe/Paris"),
        *("0001", "9999", "31", "99999999999", "June", "Monday", ",", ".", "🔥", "\x00", "ß"),
    ]
    zones = ["UTC", LA, NAIROBI, KOLKATA, "Pacific/Kiritimati", "Etc/GMT+12"]
    rng = random.Random(20231107)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        try:
            moment = parse_moment(text, zone=rng.choice(zones), now=NOW)
        except MomentRefused:
            continue
        assert moment.tzinfo is UTC
        assert moment <= utc(2023, 11, 7, 18, 1)


def test_a_refusal_is_a_bot_error_with_its_own_template() -> None:
    error = refusal("banana")
    assert isinstance(error, BotError)
    assert error.template == "messages/time_refused.j2"
    assert str(error) == "unparseable: 'banana'"


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Africa/Nairobi", NAIROBI),
        ("europe/paris", "Europe/Paris"),
        ("  AMERICA/LOS_ANGELES ", LA),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("EAT", NAIROBI),
        ("eat", NAIROBI),
        ("PST", LA),
        ("PDT", LA),
        ("CET", "Europe/Paris"),
        ("AEST", "Australia/Sydney"),
        ("Asia/Kolkata", KOLKATA),
    ],
)
def test_resolve_zone(text: str, zone: str) -> None:
    assert resolve_zone(text) == zone


@pytest.mark.parametrize("abbreviation", sorted(AMBIGUOUS_ABBREVIATIONS))
def test_resolve_zone_refuses_ambiguous_abbreviations(abbreviation: str) -> None:
    with pytest.raises(MomentRefused) as caught:
        resolve_zone(abbreviation.lower())
    assert caught.value.reason == "ambiguous_zone"
    assert caught.value.context["abbreviation"] == abbreviation
    assert caught.value.context["candidates"] == list(AMBIGUOUS_ABBREVIATIONS[abbreviation])


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("Mars/Olympus", {}),
        ("", {}),
        ("../../etc/passwd", {}),
        ("localtime", {}),
        ("FOO", {"abbreviation": "FOO"}),
    ],
)
def test_resolve_zone_refuses_unknown_zones(text: str, details: dict[str, Any]) -> None:
    with pytest.raises(MomentRefused) as caught:
        resolve_zone(text)
    assert caught.value.reason == "unknown_zone"
    assert caught.value.context == {
        "message": "",
        "reason": "unknown_zone",
        "text": text,
        **details,
    }


@pytest.mark.parametrize(
    ("zone", "at", "abbreviation"),
    [
        (NAIROBI, NOW, "EAT"),
        (LA, NOW, "PST"),
        (LA, utc(2023, 7, 1, 12, 0), "PDT"),
        (LA, datetime(2023, 7, 1, 12, 0), "PDT"),  # naive: UTC
        (KOLKATA, NOW, "IST"),
        ("UTC", NOW, "UTC"),
        ("Europe/Paris", utc(2023, 7, 1, 12, 0), "CEST"),
    ],
)
def test_zone_abbreviation(zone: str, at: datetime, abbreviation: str) -> None:
    assert zone_abbreviation(zone, at) == abbreviation


@pytest.mark.parametrize("abbreviation", sorted(ABBREVIATIONS))
def test_each_abbreviation_is_its_zones_name_for_that_offset(abbreviation: str) -> None:
    zone, offset = ABBREVIATIONS[abbreviation]
    if zone == "UTC":
        assert offset.total_seconds() == 0
        return
    probes = [utc(2023, month, 1, 12, 0).astimezone(tz.gettz(zone)) for month in (1, 7)]
    assert (abbreviation, offset) in [(probe.tzname(), probe.utcoffset()) for probe in probes]


def test_the_message_for_an_unparseable_time() -> None:
    text = render(refusal("banana"))
    assert "could not read `banana` as a time" in text
    assert "`yesterday 14:05`" in text


def test_the_message_for_an_empty_time() -> None:
    assert render(refusal("  ")).startswith(":warning: Say when. Try `14:05`")


def test_the_message_for_a_long_time_is_shortened() -> None:
    assert len(render(refusal("x" * 1000))) < 300


def test_the_message_escapes_what_was_typed() -> None:
    text = render(refusal("<!channel> `10:30`"))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; '10:30'" in text


def test_the_message_for_a_future_bare_time() -> None:
    text = render(refusal("10:30", zone=LA))
    assert "`10:30` would be in the future (2023-11-07 10:30 PST)" in text
    assert "`yesterday 10:30`" in text
    assert "`2023-11-06 10:30`" in text


def test_the_message_for_a_future_date() -> None:
    text = render(refusal("2023-12-25 10:00"))
    assert "would be in the future (2023-12-25 10:00 UTC)" in text
    assert "Check the date" in text
    assert "yesterday" not in text


def test_the_message_for_an_ambiguous_date() -> None:
    text = render(refusal("03/04/2024"))
    assert "could be 2024-03-04 or 2024-04-03" in text
    assert "`2024-03-04`" in text


def test_the_message_for_an_ambiguous_abbreviation() -> None:
    text = render(refusal("10:30 CST"))
    assert "`CST` is used by more than one time zone" in text
    assert "America/Chicago, Asia/Shanghai, America/Havana" in text


def test_the_message_for_an_unknown_abbreviation() -> None:
    text = render(refusal("10:30 FOO"))
    assert "`FOO` is not a time zone I know" in text
    assert "`Africa/Nairobi`" in text


def test_the_message_for_a_double_time() -> None:
    text = render(refusal("2023-11-05 01:30", zone=LA))
    assert "happens twice in America/Los_Angeles" in text
    assert "`2023-11-05 01:30 -07:00`" in text
    assert "`2023-11-05 01:30 -08:00`" in text


def test_the_message_for_a_missing_time() -> None:
    text = render(refusal("2023-03-12 02:30", zone=LA))
    assert "never happens in America/Los_Angeles" in text
    assert "`2023-03-12 03:30`" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mars/Olympus", "`Mars/Olympus` is not a time zone I know"),
        ("IST", "`IST` is used by more than one time zone"),
    ],
)
def test_the_message_for_a_zone_setting(text: str, expected: str) -> None:
    with pytest.raises(MomentRefused) as caught:
        resolve_zone(text)
    assert expected in render(caught.value)
