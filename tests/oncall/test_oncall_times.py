"""Times typed for on call are read forward (``bot.record.moments.parse_moment(after=...)``):
``Fri 18:00 to Mon 09:00`` means the coming Friday and the Monday after it, in the schedule's
zone, with ``/incident time``'s refusals. Wednesday 11 March 2026, 10:00 UTC (11:00 in Paris)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.basics.render import Renderer
from bot.record.moments import MomentRefused, parse_moment

NOW = datetime(2026, 3, 11, 10, tzinfo=UTC)
PARIS = "Europe/Paris"


def paris(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo(PARIS)).astimezone(UTC)


def ahead(text: str, after: datetime = NOW) -> datetime:
    return parse_moment(text, zone=PARIS, now=NOW, after=after)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fri 18:00", paris(13, 18)),
        ("friday at 6pm", paris(13, 18)),
        ("Wed 12:00", paris(11, 12)),  # later today
        ("Wed 09:00", paris(18, 9)),  # passed today: next week
        ("18:00", paris(11, 18)),
        ("09:00", paris(12, 9)),  # passed today: tomorrow
        ("tomorrow 09:00", paris(12, 9)),
        ("tomorrow", paris(12)),
        ("today", paris(11)),  # a day alone: that day, today included
        ("Wed", paris(11)),
        ("Mon", paris(16)),
        ("now", NOW),
        ("2026-03-06 18:00", paris(6, 18)),  # a date is that date, past or not
        ("Mon 09:00 UTC", datetime(2026, 3, 16, 9, tzinfo=UTC)),
    ],
)
def test_a_time_is_read_forward_from_now(text: str, expected: datetime) -> None:
    assert ahead(text) == expected


def test_an_end_is_read_forward_from_its_start() -> None:
    start = ahead("Fri 18:00")
    assert ahead("Mon 09:00", after=start) == paris(16, 9)
    assert ahead("09:00", after=start) == paris(14, 9)
    assert ahead("Fri 20:00", after=start) == paris(13, 20)
    assert ahead("Fri 18:00", after=start) == paris(20, 18)  # strictly after


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sun 29 Mar 02:30", "nonexistent_local_time"),
        ("2026-10-25 02:30", "ambiguous_local_time"),
        ("03/04/2026 10:00", "ambiguous_date"),
        ("Fri 2026-03-14", "weekday_mismatch"),
        ("Fri Sat 10:00", "unparseable"),
        ("yesterday Fri", "unparseable"),
        ("10:30 CST", "ambiguous_zone"),
        ("someday", "unparseable"),
    ],
)
def test_what_reads_two_ways_or_never_is_refused(text: str, reason: str) -> None:
    with pytest.raises(MomentRefused) as refused:
        ahead(text)
    assert refused.value.reason == reason
    Renderer().render(refused.value.template, **refused.value.context)  # it can be said


def test_incident_times_still_refuse_weekdays_and_bare_days_but_say_a_wrong_weekday() -> None:
    for text in ("Fri 18:00", "yesterday", "Fri"):
        with pytest.raises(MomentRefused, match="unparseable"):
            parse_moment(text, zone=PARIS, now=NOW)
    with pytest.raises(MomentRefused) as refused:
        parse_moment("Fri 2026-03-07 18:00", zone=PARIS, now=NOW)
    said = Renderer().render(refused.value.template, **refused.value.context)
    assert "2026-03-07 is a Saturday, not a Friday" in said
    assert parse_moment("Sat 2026-03-07 18:00", zone=PARIS, now=NOW) == paris(7, 18)
    assert parse_moment("now", zone=PARIS, now=NOW) == NOW
