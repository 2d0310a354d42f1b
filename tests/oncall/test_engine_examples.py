"""The engine's rules as readable examples (the property tests check them at random)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.record.oncall.calendar import person_entries, schedule_entries
from bot.record.oncall.engine import (
    Override,
    Shift,
    displaced,
    final_shifts,
    gaps,
    layer_shifts,
    next_shift,
    on_call_at,
    on_call_stretches,
    stretch_of,
)
from bot.record.oncall.schedules import Schedule, parse_schedules

ALICE, BOB, CAROL, DAVE, ERIN = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"
WEEKDAYS_9_TO_6 = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}


def schedule(zone: str, *layers: dict[str, Any]) -> Schedule:
    """One schedule, read from the same mapping a schedule file holds."""
    named = [{"name": f"layer-{n}", **layer} for n, layer in enumerate(layers)]
    document = {"schedules": {"payments-primary": {"timezone": zone, "layers": named}}}
    found = parse_schedules(document, now=datetime(2026, 1, 1, tzinfo=UTC)).get("payments-primary")
    assert found is not None
    return found


def local(zone: str, text: str) -> datetime:
    """A wall-clock time in ``zone`` (one that happens once) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def hours(shift: Shift) -> float:
    return (shift.end - shift.start) / timedelta(hours=1)


def read(zone: str, moment: datetime) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%a %Y-%m-%d %H:%M %Z}"


PARIS = "Europe/Paris"
ISSUE_EXAMPLE = (
    {"start": "2026-03-02 09:00", "rotation": "weekly", "members": [ALICE, BOB, CAROL]},
    {
        "start": "2026-03-02 09:00",
        "rotation": "daily",
        "members": [DAVE, ERIN],
        "restrictions": [WEEKDAYS_9_TO_6],
    },
)


def test_a_weekly_shift_that_holds_a_clock_change_lasts_167_or_169_hours() -> None:
    weekly = schedule(PARIS, ISSUE_EXAMPLE[0])
    spring = layer_shifts(
        weekly, weekly.layers[0], local(PARIS, "2026-03-24 00:00"), local(PARIS, "2026-04-02")
    )
    autumn = layer_shifts(
        weekly, weekly.layers[0], local(PARIS, "2026-10-20 00:00"), local(PARIS, "2026-10-29")
    )
    held_spring, held_autumn = spring[0], autumn[0]  # cut at the window's start
    assert read(PARIS, held_spring.end) == "Mon 2026-03-30 09:00 CEST"
    assert hours(Shift(local(PARIS, "2026-03-23 09:00"), held_spring.end, ())) == 167
    assert read(PARIS, held_autumn.end) == "Mon 2026-10-26 09:00 CET"
    assert hours(Shift(local(PARIS, "2026-10-19 09:00"), held_autumn.end, ())) == 169


def test_a_handoff_at_a_time_the_clocks_skip_happens_when_they_jump() -> None:
    # 2026-03-29 in Paris: 02:00 CET is followed by 03:00 CEST; 02:30 never happens.
    daily = schedule(
        PARIS, {"start": "2026-03-20 02:30", "rotation": "daily", "members": [ALICE, BOB]}
    )
    shifts = final_shifts(
        daily, [], local(PARIS, "2026-03-28 02:30"), local(PARIS, "2026-03-30 02:30")
    )
    assert [(read(PARIS, s.start), hours(s), s.user) for s in shifts] == [
        ("Sat 2026-03-28 02:30 CET", 23.5, ALICE),
        ("Sun 2026-03-29 03:00 CEST", 23.5, BOB),  # the moment the clocks jump past 02:30
    ]


def test_a_handoff_at_a_time_that_happens_twice_takes_the_first() -> None:
    # 2026-11-01 in New York: 01:00 to 02:00 EDT, then 01:00 to 02:00 again, EST.
    zone = "America/New_York"
    daily = schedule(
        zone, {"start": "2026-10-20 01:30", "rotation": "daily", "members": [ALICE, BOB]}
    )
    shifts = final_shifts(
        daily, [], local(zone, "2026-10-31 12:00"), local(zone, "2026-11-02 12:00")
    )
    assert [(read(zone, s.start), hours(s), s.user) for s in shifts[1:]] == [
        ("Sun 2026-11-01 01:30 EDT", 25.0, ALICE),  # the first 01:30; it holds the repeat
        ("Mon 2026-11-02 01:30 EST", 10.5, BOB),  # cut at the window's end
    ]


def test_a_handoff_at_midnight_that_santiago_skips_happens_at_one() -> None:
    # 2026-09-06 in Santiago: the clocks go from 24:00 straight to 01:00.
    zone = "America/Santiago"
    daily = schedule(
        zone, {"start": "2026-09-01 00:00", "rotation": "daily", "members": [ALICE, BOB]}
    )
    shift = on_call_at(daily, [], local(zone, "2026-09-06 12:00"))
    assert read(zone, shift.start) == "Sun 2026-09-06 01:00 -03"
    assert read(zone, shift.end) == "Mon 2026-09-07 00:00 -03"


def test_hour_rotations_that_divide_a_day_hand_over_on_the_wall_clock() -> None:
    # GoAlert's way: a 12h turn from 08:00 hands over at 08:00 and 20:00 local, all year.
    twelve = schedule(
        PARIS, {"start": "2026-03-28 08:00", "rotation": "12h", "members": [ALICE, BOB]}
    )
    shifts = final_shifts(
        twelve, [], local(PARIS, "2026-03-28 08:00"), local(PARIS, "2026-03-30 12:00")
    )
    assert [(read(PARIS, s.start), s.user) for s in shifts] == [
        ("Sat 2026-03-28 08:00 CET", ALICE),
        ("Sat 2026-03-28 20:00 CET", BOB),
        ("Sun 2026-03-29 08:00 CEST", ALICE),  # eleven real hours: the clocks went forward
        ("Sun 2026-03-29 20:00 CEST", BOB),
        ("Mon 2026-03-30 08:00 CEST", ALICE),
    ]
    assert [hours(s) for s in shifts[:-1]] == [12.0, 11.0, 12.0, 12.0]
    autumn = final_shifts(
        twelve, [], local(PARIS, "2026-10-24 20:00"), local(PARIS, "2026-10-25 20:00")
    )
    assert [(read(PARIS, s.start), hours(s)) for s in autumn] == [
        ("Sat 2026-10-24 20:00 CEST", 13.0),  # the clocks went back: an hour longer
        ("Sun 2026-10-25 08:00 CET", 12.0),
    ]


def test_an_hourly_turn_the_clocks_skip_is_skipped() -> None:
    # 2026-03-29 in Paris: 02:00 CET is followed by 03:00 CEST; the 02:00 turn never happens.
    hourly = schedule(
        PARIS, {"start": "2026-03-29 00:00", "rotation": "1h", "members": [ALICE, BOB, CAROL]}
    )
    shifts = final_shifts(
        hourly, [], local(PARIS, "2026-03-29 01:00"), local(PARIS, "2026-03-29 05:00")
    )
    assert [(read(PARIS, s.start), s.user) for s in shifts] == [
        ("Sun 2026-03-29 01:00 CET", BOB),
        ("Sun 2026-03-29 03:00 CEST", ALICE),  # 03:00's turn; 02:00's (Carol's) was skipped
        ("Sun 2026-03-29 04:00 CEST", BOB),
    ]


def test_other_hour_rotations_are_elapsed_time_and_drift_on_the_wall_clock() -> None:
    five = schedule(PARIS, {"start": "2026-03-28 09:00", "rotation": "5h", "members": [ALICE, BOB]})
    shifts = final_shifts(
        five, [], local(PARIS, "2026-03-29 00:00"), local(PARIS, "2026-03-29 12:00")
    )
    assert [read(PARIS, s.start) for s in shifts] == [
        "Sun 2026-03-29 00:00 CET",  # 09:00, 14:00, 19:00 on Saturday, then midnight
        "Sun 2026-03-29 06:00 CEST",  # five real hours later: the clocks went forward
        "Sun 2026-03-29 11:00 CEST",
    ]
    assert {hours(s) for s in shifts[:-1]} == {5.0}


def test_a_restricted_layer_wins_inside_its_windows_and_the_weekly_one_elsewhere() -> None:
    paris = schedule(PARIS, *ISSUE_EXAMPLE)
    monday = final_shifts(
        paris, [], local(PARIS, "2026-03-09 00:00"), local(PARIS, "2026-03-10 00:00")
    )
    assert [(read(PARIS, s.start), s.user) for s in monday] == [
        ("Mon 2026-03-09 00:00 CET", ALICE),  # the first week's turn, until 09:00
        ("Mon 2026-03-09 09:00 CET", ERIN),  # the day layer, in its window
        ("Mon 2026-03-09 18:00 CET", BOB),  # the second week's turn began at 09:00
    ]
    weekend = final_shifts(
        paris, [], local(PARIS, "2026-03-14 00:00"), local(PARIS, "2026-03-16 00:00")
    )
    assert [s.user for s in weekend] == [BOB]


def test_an_override_beats_every_layer_and_says_whom_it_displaced() -> None:
    paris = schedule(PARIS, *ISSUE_EXAMPLE)
    made = datetime(2026, 3, 1, tzinfo=UTC)
    weekend = Override(
        1,
        paris.name,
        CAROL,
        local(PARIS, "2026-03-13 12:00"),
        local(PARIS, "2026-03-16 12:00"),
        ALICE,
        made,
    )
    assert [(read(PARIS, s.start), s.user) for s in displaced(paris, [], weekend)] == [
        ("Fri 2026-03-13 12:00 CET", ERIN),
        ("Fri 2026-03-13 18:00 CET", BOB),
        ("Mon 2026-03-16 09:00 CET", DAVE),
    ]
    # A newer override on top wins where they overlap, and it displaced Carol's.
    friday_night = Override(
        2,
        paris.name,
        DAVE,
        local(PARIS, "2026-03-13 20:00"),
        local(PARIS, "2026-03-14 08:00"),
        BOB,
        made + timedelta(hours=1),
    )
    both = [weekend, friday_night]
    shifts = final_shifts(
        paris, both, local(PARIS, "2026-03-13 12:00"), local(PARIS, "2026-03-16 12:00")
    )
    assert [(read(PARIS, s.start), s.user) for s in shifts] == [
        ("Fri 2026-03-13 12:00 CET", CAROL),
        ("Fri 2026-03-13 20:00 CET", DAVE),
        ("Sat 2026-03-14 08:00 CET", CAROL),
    ]
    assert [s.user for s in displaced(paris, both, friday_night)] == [CAROL]
    assert [s.user for s in displaced(paris, both, weekend)] == [ERIN, BOB, DAVE]


def test_nobody_on_call_outside_every_layer_is_a_gap() -> None:
    office = schedule(
        PARIS,
        {
            "start": "2026-03-02 09:00",
            "rotation": "daily",
            "members": [DAVE],
            "restrictions": [WEEKDAYS_9_TO_6],
        },
    )
    weekend = on_call_at(office, [], local(PARIS, "2026-03-14 12:00"))
    assert weekend.user is None
    assert (read(PARIS, weekend.start), read(PARIS, weekend.end)) == (
        "Fri 2026-03-13 18:00 CET",
        "Mon 2026-03-16 09:00 CET",
    )
    found = gaps(office, [], local(PARIS, "2026-03-13 00:00"), local(PARIS, "2026-03-17 00:00"))
    assert [(read(PARIS, g.start), read(PARIS, g.end)) for g in found] == [
        ("Fri 2026-03-13 00:00 CET", "Fri 2026-03-13 09:00 CET"),
        ("Fri 2026-03-13 18:00 CET", "Mon 2026-03-16 09:00 CET"),
        ("Mon 2026-03-16 18:00 CET", "Tue 2026-03-17 00:00 CET"),
    ]


def test_on_call_at_gives_the_whole_stretch_even_when_it_is_long() -> None:
    alone = schedule(PARIS, {"start": "2026-01-05 09:00", "rotation": "weekly", "members": [ALICE]})
    stretch = on_call_at(alone, [], local(PARIS, "2026-03-10 12:00"))
    assert (stretch.user, read(PARIS, stretch.start)) == (ALICE, "Mon 2026-01-05 09:00 CET")
    # Nobody else is ever on call: the end is as far as it looks, a year ahead.
    assert stretch.end - local(PARIS, "2026-03-10 12:00") >= timedelta(days=365)


def test_next_shift_is_the_next_handoff_or_a_persons_next_turn() -> None:
    paris = schedule(PARIS, *ISSUE_EXAMPLE)
    saturday = local(PARIS, "2026-03-14 12:00")
    following = next_shift(paris, [], saturday)
    assert following is not None
    assert (read(PARIS, following.start), following.user) == ("Mon 2026-03-16 09:00 CET", DAVE)
    carol = next_shift(paris, [], saturday, user=CAROL)
    assert carol is not None and read(PARIS, carol.start) == "Mon 2026-03-16 18:00 CET"


# -- overlap: all ---------------------------------------------------------------------------
PRIMARY_AND_SHADOW = (
    {"start": "2026-03-02 09:00", "rotation": "weekly", "members": [ALICE, BOB]},
    {"start": "2026-03-02 09:00", "rotation": "daily", "members": [CAROL, DAVE]},
)


def cumulative(zone: str, *layers: dict[str, Any]) -> Schedule:
    """A schedule whose active layers all put their person on call (Opsgenie's way)."""
    named = [{"name": f"layer-{n}", **layer} for n, layer in enumerate(layers)]
    body = {"timezone": zone, "overlap": "all", "layers": named}
    document = {"schedules": {"payments-primary": body}}
    found = parse_schedules(document, now=datetime(2026, 1, 1, tzinfo=UTC)).get("payments-primary")
    assert found is not None
    return found


def test_with_overlap_all_the_primary_and_the_shadow_are_both_on_call() -> None:
    last = schedule(PARIS, *PRIMARY_AND_SHADOW)
    both = cumulative(PARIS, *PRIMARY_AND_SHADOW)
    tuesday = local(PARIS, "2026-03-10 12:00")
    assert on_call_at(last, [], tuesday).users == (CAROL,)  # a later layer wins
    shift = on_call_at(both, [], tuesday)
    assert shift.users == (BOB, CAROL)
    assert (read(PARIS, shift.start), read(PARIS, shift.end)) == (
        "Tue 2026-03-10 09:00 CET",  # the shadow handed over: another pair since
        "Wed 2026-03-11 09:00 CET",
    )
    # Each of them is on call for their own stretch: Bob the week, Carol the day.
    bob, carol = (stretch_of(both, [], user, tuesday) for user in (BOB, CAROL))
    assert bob is not None and carol is not None
    assert (read(PARIS, bob.start), read(PARIS, bob.end)) == (
        "Mon 2026-03-09 09:00 CET",
        "Mon 2026-03-16 09:00 CET",
    )
    assert (read(PARIS, carol.start), read(PARIS, carol.end)) == (
        "Tue 2026-03-10 09:00 CET",
        "Wed 2026-03-11 09:00 CET",
    )
    assert [s.users for s in on_call_stretches(both, [], tuesday)] == [(BOB,), (CAROL,)]
    assert stretch_of(both, [], ALICE, tuesday) is None


def test_with_overlap_all_a_person_in_two_layers_is_on_call_once() -> None:
    both = cumulative(
        PARIS,
        {"start": "2026-03-02 09:00", "rotation": "weekly", "members": [ALICE, BOB]},
        {"start": "2026-03-02 09:00", "rotation": "weekly", "members": [BOB, ALICE]},
    )
    assert on_call_at(both, [], local(PARIS, "2026-03-03 12:00")).users == (ALICE, BOB)
    assert on_call_at(both, [], local(PARIS, "2026-03-10 12:00")).users == (BOB, ALICE)


def test_with_overlap_all_an_override_takes_the_whole_schedule() -> None:
    both = cumulative(PARIS, *PRIMARY_AND_SHADOW)
    made = datetime(2026, 3, 1, tzinfo=UTC)
    evening = Override(
        1,
        both.name,
        ERIN,
        local(PARIS, "2026-03-10 18:00"),
        local(PARIS, "2026-03-10 22:00"),
        ALICE,
        made,
    )
    assert on_call_at(both, [evening], local(PARIS, "2026-03-10 19:00")).users == (ERIN,)
    [taken] = displaced(both, [], evening)
    assert taken.users == (BOB, CAROL)


# -- restrictions as the vendors write them --------------------------------------------------
def test_a_window_across_midnight_runs_into_the_next_morning() -> None:
    """PagerDuty's "19:00 to 07:00 every weekday": Friday's night ends Saturday 07:00, and no
    night begins on Sunday, so Monday morning has nobody."""
    nights = schedule(
        PARIS,
        {
            "start": "2026-03-02 09:00",
            "rotation": "weekly",
            "members": [ALICE],
            "restrictions": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "19:00", "to": "07:00"}
            ],
        },
    )
    shifts = final_shifts(
        nights, [], local(PARIS, "2026-03-27 12:00"), local(PARIS, "2026-03-31 12:00")
    )
    assert [(read(PARIS, s.start), s.user) for s in shifts] == [
        ("Fri 2026-03-27 12:00 CET", None),
        ("Fri 2026-03-27 19:00 CET", ALICE),
        ("Sat 2026-03-28 07:00 CET", None),  # no night from Saturday, none from Sunday
        ("Mon 2026-03-30 19:00 CEST", ALICE),
        ("Tue 2026-03-31 07:00 CEST", None),
    ]


def test_a_span_across_days_holds_the_weekend_across_a_clock_change() -> None:
    """Opsgenie's "weekday and time of day": Friday 18:00 to Monday 08:00, the weekend the
    clocks go forward an hour shorter; and Monday 08:00 to Friday 17:00 in New York's autumn."""
    weekend = schedule(
        PARIS,
        {
            "start": "2026-03-02 09:00",
            "rotation": "weekly",
            "members": [BOB],
            "restrictions": [{"from": "fri 18:00", "to": "mon 08:00"}],
        },
    )
    [held] = [
        s
        for s in final_shifts(
            weekend, [], local(PARIS, "2026-03-27 12:00"), local(PARIS, "2026-03-30 12:00")
        )
        if s.user
    ]
    assert (read(PARIS, held.start), read(PARIS, held.end), hours(held)) == (
        "Fri 2026-03-27 18:00 CET",
        "Mon 2026-03-30 08:00 CEST",
        61.0,
    )
    zone = "America/New_York"
    office = schedule(
        zone,
        {
            "start": "2026-10-01 09:00",
            "rotation": "weekly",
            "members": [CAROL],
            "restrictions": [{"from": "mon 08:00", "to": "fri 17:00"}],
        },
    )
    [week] = [
        s
        for s in final_shifts(
            office, [], local(zone, "2026-10-31 12:00"), local(zone, "2026-11-08 12:00")
        )
        if s.user
    ]
    assert (read(zone, week.start), read(zone, week.end)) == (
        "Mon 2026-11-02 08:00 EST",
        "Fri 2026-11-06 17:00 EST",
    )


# -- none: a turn of nobody ------------------------------------------------------------------
def test_a_none_members_turn_is_a_gap_by_design_or_lets_a_lower_layer_through() -> None:
    """Opsgenie's "none" participant: nobody is on call from that rotation for its turn."""
    rota = {"start": "2026-03-02 09:00", "rotation": "daily", "members": [ALICE, "none", BOB]}
    alone = schedule(PARIS, rota)
    tuesday = on_call_at(alone, [], local(PARIS, "2026-03-03 12:00"))
    assert tuesday.users == ()
    assert (read(PARIS, tuesday.start), read(PARIS, tuesday.end)) == (
        "Tue 2026-03-03 09:00 CET",
        "Wed 2026-03-04 09:00 CET",
    )
    found = gaps(alone, [], local(PARIS, "2026-03-02 09:00"), local(PARIS, "2026-03-08 09:00"))
    assert [read(PARIS, g.start) for g in found] == [
        "Tue 2026-03-03 09:00 CET",
        "Fri 2026-03-06 09:00 CET",
    ]
    # Above a weekly layer, the turn of nobody is no turn: the weekly layer's person is on call.
    above = schedule(PARIS, ISSUE_EXAMPLE[0], rota)
    assert on_call_at(above, [], local(PARIS, "2026-03-03 12:00")).users == (ALICE,)
    both = cumulative(PARIS, ISSUE_EXAMPLE[0], rota)
    assert on_call_at(both, [], local(PARIS, "2026-03-03 12:00")).users == (ALICE,)
    assert on_call_at(both, [], local(PARIS, "2026-03-04 12:00")).users == (ALICE, BOB)


# -- a layer's own zone ----------------------------------------------------------------------
def test_follow_the_sun_layers_each_follow_their_own_clock_changes() -> None:
    """London's day, then New York's, in a schedule kept in UTC: New York's clocks go forward
    on 8 March, London's on 29 March, and each layer's handoffs move with its own."""
    office = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "16:00"}
    day = {"start": "2026-03-02 08:00", "rotation": "weekly", "restrictions": [office]}
    sun = schedule(
        "UTC",
        {**day, "members": [ALICE], "timezone": "Europe/London"},
        {**day, "members": [BOB], "timezone": "America/New_York"},
    )

    def monday(date: str) -> list[tuple[str, str | None]]:
        shifts = final_shifts(sun, [], local("UTC", f"{date} 00:00"), local("UTC", f"{date} 23:59"))
        return [(f"{s.start:%H:%M}", s.user) for s in shifts]

    assert monday("2026-03-02") == [
        ("00:00", None),
        ("08:00", ALICE),
        ("13:00", BOB),  # 08:00 EST
        ("21:00", None),
    ]
    assert monday("2026-03-09") == [
        ("00:00", None),
        ("08:00", ALICE),  # 08:00 GMT still
        ("12:00", BOB),  # 08:00 EDT: New York's clocks went forward
        ("20:00", None),
    ]
    assert monday("2026-03-30") == [
        ("00:00", None),
        ("07:00", ALICE),  # 08:00 BST: London's went forward too
        ("12:00", BOB),
        ("20:00", None),
    ]


# -- monthly ---------------------------------------------------------------------------------
def test_a_monthly_turn_hands_over_on_the_same_day_or_the_months_last() -> None:
    monthly = schedule(
        PARIS, {"start": "2026-01-31 09:00", "rotation": "monthly", "members": [ALICE, BOB]}
    )
    shifts = final_shifts(
        monthly, [], local(PARIS, "2026-01-31 09:00"), local(PARIS, "2026-06-01 00:00")
    )
    assert [(read(PARIS, s.start), s.user) for s in shifts] == [
        ("Sat 2026-01-31 09:00 CET", ALICE),
        ("Sat 2026-02-28 09:00 CET", BOB),  # February is shorter: its last day
        ("Tue 2026-03-31 09:00 CEST", ALICE),  # the 31st again, across the clocks' change
        ("Thu 2026-04-30 09:00 CEST", BOB),
        ("Sun 2026-05-31 09:00 CEST", ALICE),
    ]
    assert hours(shifts[1]) == 31 * 24 - 1  # a month that holds the spring change


# -- overrides of one layer, and of nobody ---------------------------------------------------
def test_an_override_of_one_layer_takes_that_layers_turns_only() -> None:
    """With overlap: all, Erin stands in for the shadow (Carol and Dave's daily layer) from
    Tuesday noon to Thursday noon: Bob, the primary, stays on call beside her."""
    both = cumulative(PARIS, *PRIMARY_AND_SHADOW)
    made = datetime(2026, 3, 1, tzinfo=UTC)
    window = (local(PARIS, "2026-03-10 12:00"), local(PARIS, "2026-03-12 12:00"))
    shadow = Override(1, both.name, ERIN, *window, ALICE, made, layer="layer-1")
    assert on_call_at(both, [shadow], local(PARIS, "2026-03-11 12:00")).users == (BOB, ERIN)
    assert on_call_at(both, [shadow], local(PARIS, "2026-03-12 12:00")).users == (BOB, CAROL)
    assert [(read(PARIS, s.start), s.users) for s in displaced(both, [], shadow)] == [
        ("Tue 2026-03-10 12:00 CET", (CAROL,)),
        ("Wed 2026-03-11 09:00 CET", (DAVE,)),
        ("Thu 2026-03-12 09:00 CET", (CAROL,)),
    ]
    # A layer's override keeps to the layer's restrictions: the weekday layer has no turn on
    # Saturday, so Erin's override of it does not put her on call then.
    paris = schedule(PARIS, *ISSUE_EXAMPLE)
    weekend = (local(PARIS, "2026-03-13 12:00"), local(PARIS, "2026-03-16 12:00"))
    days = Override(2, paris.name, ERIN, *weekend, ALICE, made, layer="layer-1")
    assert on_call_at(paris, [days], local(PARIS, "2026-03-13 15:00")).users == (ERIN,)
    assert on_call_at(paris, [days], local(PARIS, "2026-03-14 15:00")).users == (BOB,)


def test_an_override_of_nobody_is_a_deliberate_gap() -> None:
    paris = schedule(PARIS, *ISSUE_EXAMPLE)
    made = datetime(2026, 3, 1, tzinfo=UTC)
    evening = (local(PARIS, "2026-03-10 20:00"), local(PARIS, "2026-03-10 22:00"))
    nobody = Override(1, paris.name, None, *evening, ALICE, made)
    assert on_call_at(paris, [nobody], local(PARIS, "2026-03-10 21:00")).users == ()
    assert [g.start for g in gaps(paris, [nobody], *evening)] == [evening[0]]
    [taken] = displaced(paris, [], nobody)
    assert taken.users == (BOB,)
    # Nobody in the weekday layer: the weekly layer below shows through.
    noon = (local(PARIS, "2026-03-10 12:00"), local(PARIS, "2026-03-10 13:00"))
    lunch = Override(2, paris.name, None, *noon, ALICE, made, layer="layer-1")
    assert on_call_at(paris, [lunch], local(PARIS, "2026-03-10 12:30")).users == (BOB,)
    # An override of a layer the schedule no longer has changes nothing.
    gone = Override(3, paris.name, ERIN, *noon, ALICE, made, layer="night-shift")
    assert on_call_at(paris, [gone], local(PARIS, "2026-03-10 12:30")).users == (DAVE,)


def test_with_overlap_all_a_persons_calendar_holds_their_own_stretches() -> None:
    """The calendar feeds: a person's feed has each of their stretches whole, whoever is on
    call beside them; the schedule's has a shift for each group of people on call together."""
    both = cumulative(PARIS, *PRIMARY_AND_SHADOW)
    now = local(PARIS, "2026-03-10 12:00")
    [bob] = [e.shift for e in person_entries([both], [], BOB, now) if e.shift.start < now]
    assert (read(PARIS, bob.start), read(PARIS, bob.end), bob.users) == (
        "Mon 2026-03-09 09:00 CET",
        "Mon 2026-03-16 09:00 CET",
        (BOB,),
    )
    carol = [e.shift for e in person_entries([both], [], CAROL, now)]
    assert {hours(shift) for shift in carol} == {24.0, 23.0}  # days, the spring one shorter
    shared = [e.shift for e in schedule_entries(both, [], now) if e.shift.start <= now]
    assert shared[-1].users == (BOB, CAROL)
    assert len({e.uid for e in schedule_entries(both, [], now)}) == len(
        schedule_entries(both, [], now)
    )
