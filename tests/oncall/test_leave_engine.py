"""Who is away, as the engine reads it (pure functions, no database): a rotation's turn of
someone away passes to the next member who is not, the rest of the turn and the handoffs stay;
a ``none`` member never takes one; everyone away leaves the layer empty (a lower layer shows,
else a gap); restrictions and overrides are laid on after; an iCal layer is its feed's. And
the schedule file's ``holidays`` read, every problem named."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.record.oncall.engine import Override, final_shifts
from bot.record.oncall.holidays import Away, event_days
from bot.record.oncall.leave import Skip, carrying, read_days, skipped_at, spans_of
from bot.record.oncall.schedules import Schedule, ScheduleError, parse_schedules
from bot.record.oncall.zones import instant_of

NOW = datetime(2026, 3, 1, tzinfo=UTC)
A, B, C, D = "U0A", "U0B", "U0C", "U0D"


def day(number: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, number, hour, tzinfo=UTC)


def schedule(*layers: dict[str, Any], **keys: Any) -> Schedule:
    """One schedule in UTC with ``layers`` (daily turns from 2 March unless said)."""
    base = {"name": "days", "start": "2026-03-02 00:00", "rotation": "daily"}
    body = {"timezone": "UTC", "layers": [{**base, **layer} for layer in layers], **keys}
    found = parse_schedules({"schedules": {"s": body}}, now=NOW).get("s")
    assert found is not None
    return found


def away(found: Schedule, *spans: tuple[str, datetime, datetime]) -> Schedule:
    return replace(
        found,
        away=tuple(
            Away(instant_of(start), instant_of(end), user, "leave") for user, start, end in spans
        ),
    )


def who(found: Schedule, start: datetime, end: datetime, overrides: Any = ()) -> list[Any]:
    return [
        (s.start.day, s.start.hour, s.users) for s in final_shifts(found, overrides, start, end)
    ]


def test_the_next_member_takes_the_part_of_the_turn_someone_is_away() -> None:
    rota = schedule({"members": [A, B, C]})
    # B has the 3rd; away from its noon to the 5th: C takes the afternoon, the handoffs stay.
    found = away(rota, (B, day(3, 12), day(5)))
    assert who(found, day(2), day(6)) == [
        (2, 0, (A,)),
        (3, 0, (B,)),
        (3, 12, (C,)),  # C's own turn, the 4th, follows: one stretch
        (5, 0, (A,)),
    ]


def test_someone_away_too_and_a_none_member_are_passed_over() -> None:
    rota = schedule({"members": [A, B, "none", C]})
    found = away(rota, (A, day(2), day(3)), (B, day(2), day(3)))
    # A's turn (the 2nd): B away, none is nobody, so C takes it.
    assert who(found, day(2), day(3)) == [(2, 0, (C,))]
    # none's turn (the 4th) stays a turn of nobody: nobody is skipped, so nobody takes it.
    assert who(away(rota, (C, day(4), day(5))), day(4), day(5)) == [(4, 0, ())]


def test_everyone_away_shows_the_layer_below_else_a_gap() -> None:
    below = {"name": "fallback", "rotation": "weekly", "members": [D]}
    rota = schedule(below, {"members": [A, B]})
    found = away(rota, (A, day(2), day(4)), (B, day(3), day(4)))
    # The 2nd is A's: B (away from the 3rd only) takes it; the 3rd is B's, and both are away:
    # D's layer shows; the 4th is A's again, back.
    assert who(found, day(2), day(5)) == [(2, 0, (B,)), (3, 0, (D,)), (4, 0, (A,))]
    alone = away(schedule({"members": [A, B]}), (A, day(2), day(4)), (B, day(3), day(4)))
    assert who(alone, day(2), day(5)) == [(2, 0, (B,)), (3, 0, ()), (4, 0, (A,))]


def test_restrictions_hold_for_whoever_takes_the_turn() -> None:
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    office = {
        "members": [A, B],
        "restrictions": [{"days": every_day, "from": "09:00", "to": "17:00"}],
    }
    found = away(schedule(office), (A, day(2), day(3)))
    assert who(found, day(2), day(3)) == [(2, 0, ()), (2, 9, (B,)), (2, 17, ())]


def test_an_override_wins_over_leave() -> None:
    found = away(schedule({"members": [A, B]}), (A, day(2), day(3)))
    mine = Override(None, "s", A, day(2, 10), day(2, 12), A, NOW)
    assert who(found, day(2), day(3), [mine]) == [
        (2, 0, (B,)),
        (2, 10, (A,)),
        (2, 12, (B,)),
    ]
    assert skipped_at(found, [mine], day(2, 11)) == []
    assert skipped_at(found, [mine], day(2, 13)) == [Skip("s", A, "leave", B)]


def test_a_holiday_for_everyone_empties_the_schedule_that_day() -> None:
    found = schedule({"members": [A, B]}, holidays={"dates": ["2026-03-03"]})
    assert found.holidays is not None and found.holidays.people == ()
    carried = carrying(found, [])  # the holidays as the engine is given them
    assert who(carried, day(2), day(5)) == [(2, 0, (A,)), (3, 0, ()), (4, 0, (A,))]
    assert skipped_at(carried, [], day(3, 6)) == [Skip("s", B, "holiday", None)]


def test_the_holidays_of_the_file_are_checked_every_problem_named() -> None:
    layer = {"name": "days", "start": "2026-03-02 00:00", "rotation": "daily", "members": [A]}
    bad = {
        "timezone": "UTC",
        "layers": [layer, {**layer, "name": "(holidays)"}],
        "holidays": {"dates": ["2026-02-30", "soon"], "people": ["alice"], "when": 1},
    }
    with pytest.raises(ScheduleError) as raised:
        parse_schedules({"schedules": {"s": bad}}, now=NOW)
    assert raised.value.problems == (
        "schedule 's': layer '(holidays)': name: (holidays) is the holiday calendar's",
        "schedule 's': holidays: when: unknown key (known: dates, ical_url, people)",
        "schedule 's': holidays: dates: '2026-02-30' is not a date like 2026-12-25",
        "schedule 's': holidays: dates: 'soon' is not a date like 2026-12-25",
        "schedule 's': holidays: people: expected a list of Slack user ids (U… or W…)",
    )
    with pytest.raises(ScheduleError, match="give dates, like"):
        no_days = {"timezone": "UTC", "layers": [layer], "holidays": {"people": [A]}}
        parse_schedules({"schedules": {"s": no_days}}, now=NOW)
    with pytest.raises(ScheduleError, match="holidays: ical_url: expected the feed's address"):
        bad_url = {"timezone": "UTC", "layers": [layer], "holidays": {"ical_url": "ftp://x"}}
        parse_schedules({"schedules": {"s": bad_url}}, now=NOW)


def test_days_are_read_as_people_type_them() -> None:
    assert read_days("2026-12-24..2026-12-27") == (date(2026, 12, 24), date(2026, 12, 27))
    assert read_days(" 2026-12-24 to 2026-12-27 ") == (date(2026, 12, 24), date(2026, 12, 27))
    assert read_days("2026-12-24") == (date(2026, 12, 24), date(2026, 12, 24))
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 4)]
    assert spans_of(days) == [(days[0], days[1]), (days[2], days[2])]
    # An event of part of a day takes the whole day, in the zone; an all-day one ends at the
    # midnight after its last day.
    noon = int(datetime(2026, 3, 1, 23, tzinfo=UTC).timestamp())
    assert event_days([(noon, noon + 3600)], "Europe/Paris") == [date(2026, 3, 2)]
    whole = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    assert event_days([(whole, whole + 2 * 86400)], "UTC") == [date(2026, 3, 1), date(2026, 3, 2)]
