"""A PagerDuty account (REST API v2 objects, as ``bot.clients.pagerduty.rest`` reads them)
translated into warroom's schedules and escalation policies: pure, no HTTP.

What maps exactly:

- A schedule is a schedule in its ``time_zone``, its layers in the API's order (the last one
  on call wins: PagerDuty's "the lowest layer always takes precedence", warroom's
  ``overlap: last``). PagerDuty's layers have no zone of their own: their restrictions and
  handoffs follow the schedule's clocks, so a follow-the-sun schedule is carried as
  PagerDuty runs it (the regions' hours fixed on the schedule's clock).
- A layer's turn (``rotation_turn_length_seconds``) of whole days is ``daily``, ``weekly`` or
  ``<n>d``, handed over at the same wall-clock time; a turn of hours that do not divide a day
  (``36h``) is counted in elapsed hours by both. Warroom's ``start`` is the handoff of the
  turn the layer's ``start`` falls in, counted from ``rotation_virtual_start``, the members
  rotated so that the same person holds it.
- A ``daily_restriction`` is a window on every day (``{from: "19:00", to: "07:00"}`` runs
  into the next morning); ``weekly_restriction``\\ s of one time and length under a day are
  one window on their days (PagerDuty's "19:00-07:00 every weekday" is five of them: one
  window ``mon``-``fri``); a longer one is a span across days (``fri 18:00`` to ``mon 08:00``).
- Overrides (current and future) are overrides of the whole schedule.
- An escalation policy's rules are levels (``escalation_delay_in_minutes`` their timeouts,
  users and schedules their targets), ``num_loops`` its ``repeat``; without loops the last
  level waits, as PagerDuty's last rule does.

What is approximate or left out, each said in the report with what to do: hour turns that
divide a day (PagerDuty counts elapsed seconds, warroom hands over on the wall clock, an hour
apart across a clock change), a layer that ends in the future or begins in the future inside
a turn, times with seconds, a round-robin level (warroom pages all its targets), a target
that is neither a user nor a schedule, a schedule in a zone warroom does not know, and teams.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bot.record.oncall.importing import pagerduty_notification_rules as notification_rules
from bot.record.oncall.importing import pagerduty_services as vendor_services
from bot.record.oncall.importing.drafts import (
    DAYS,
    DailyWindow,
    LayerDraft,
    LevelDraft,
    OverrideDraft,
    Person,
    PolicyDraft,
    ReportItem,
    Restriction,
    ScheduleDraft,
    ScheduleRef,
    Target,
    Translation,
    VendorUser,
    WeekSpan,
)
from bot.record.oncall.importing.naming import unique_names
from bot.record.oncall.zones import DAY, ZoneClock, known_zone, moment_of, wall_of

DAY_SECONDS = 86_400
WEEK_SECONDS = 7 * DAY_SECONDS
HOUR_SECONDS = 3_600
# The longest turn the schedule file takes (schedules.MAX_ROTATION_DAYS).
LONGEST_TURN_DAYS = 366
# warroom's repeat: at most (policies.MAX_REPEAT).
LONGEST_REPEAT = 20
# How far ahead a zone is looked at for clock changes (an hour turn is exact without any).
CLOCK_CHANGE_YEARS = 10


class UnexpectedObject(ValueError):
    """An object is not what PagerDuty's API description says: names which, and what."""


@dataclass(frozen=True)
class PagerDutyAccount:
    """What the client read: each object as the API's JSON (``schedules`` with their
    ``schedule_layers``), and each schedule's overrides that end after the import's now."""

    users: Sequence[Mapping[str, Any]] = ()
    teams: Sequence[Mapping[str, Any]] = ()
    schedules: Sequence[Mapping[str, Any]] = ()
    overrides: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    escalation_policies: Sequence[Mapping[str, Any]] = ()
    # ``GET /services?include[]=integrations``; each user's notification rules (by user id),
    # their contact methods whole.
    services: Sequence[Mapping[str, Any]] = ()
    notification_rules: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


def translate(account: PagerDutyAccount, now: datetime) -> Translation:
    """The account as warroom's drafts, every object reported."""
    report: list[ReportItem] = []
    users = tuple(_user(raw) for raw in account.users)
    schedules = tuple(
        draft for raw in account.schedules if (draft := _schedule(raw, now, report)) is not None
    )
    carried = {draft.vendor_id for draft in schedules}
    overrides = tuple(
        override
        for raw in account.schedules
        if _text(raw, "id") in carried
        for override in _overrides(raw, account.overrides.get(_text(raw, "id"), ()), report)
    )
    policies = tuple(_policy(raw, carried, report) for raw in account.escalation_policies)
    report.extend(_team(raw) for raw in account.teams)
    services, senders = vendor_services.services(account.services)
    report.extend(vendor_services.service_items(services, {p.vendor_id for p in policies}))
    paging = []
    for user_id in sorted(account.notification_rules):
        rules, items = notification_rules.paging(user_id, account.notification_rules[user_id])
        report.extend(items)
        if rules is not None:
            paging.append(rules)
    return Translation(
        users,
        schedules,
        policies,
        overrides,
        tuple(report),
        services=tuple(services),
        integrations=tuple(senders),
        paging=tuple(paging),
    )


# -- users and teams ---------------------------------------------------------------------------
def _user(raw: Mapping[str, Any]) -> VendorUser:
    return VendorUser(_text(raw, "id"), _text(raw, "email"), _text(raw, "name"))


def _team(raw: Mapping[str, Any]) -> ReportItem:
    return ReportItem(
        "team",
        _text(raw, "id"),
        _text(raw, "name"),
        "not carried",
        "warroom has no teams; PagerDuty's escalation rules cannot target a team, so no page "
        "went to it",
        "nothing for paging; to mention the team in Slack, make a Slack user group of it",
    )


# -- schedules ---------------------------------------------------------------------------------
def _schedule(
    raw: Mapping[str, Any], now: datetime, report: list[ReportItem]
) -> ScheduleDraft | None:
    schedule_id, name, zone = _text(raw, "id"), _text(raw, "name"), _text(raw, "time_zone")
    if not known_zone(zone):
        report.append(
            ReportItem(
                "schedule",
                schedule_id,
                name,
                "not carried",
                f"its time zone {zone!r} is not an IANA zone warroom knows",
                "write it by hand in schedules.yaml with the IANA name of that zone "
                "(America/New_York, say), or set the zone in PagerDuty and import again",
            )
        )
        return None
    layers: list[LayerDraft] = []
    raw_layers = _list(raw, "schedule_layers")
    labels = [str(layer.get("name") or f"Layer {n}") for n, layer in enumerate(raw_layers, 1)]
    keys = [str(layer.get("id") or n) for n, layer in enumerate(raw_layers, 1)]
    # The file's names: slugs ("Layer 1" → layer-1), the layer's id appended where two match.
    names = unique_names(zip(keys, labels, strict=True), "layer")
    for key, label, layer in zip(keys, labels, raw_layers, strict=True):
        where = (schedule_id, f"{name}: {label}", names[key])
        draft = _layer(where, layer, ZoneInfo(zone), now, report)
        if draft is not None:
            layers.append(draft)
    if not layers:
        report.append(
            ReportItem(
                "schedule",
                schedule_id,
                name,
                "not carried",
                "none of its layers is in effect now or later",
                "nothing to do unless it should page someone: then give it a layer",
            )
        )
        return None
    report.append(ReportItem("schedule", schedule_id, name, "exact"))
    return ScheduleDraft(schedule_id, name, zone, tuple(layers), overlap="last")


@dataclass
class _Verdict:
    """What became of a layer: each approximation with what to do about it."""

    differences: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)

    def differ(self, detail: str, todo: str) -> None:
        self.differences.append(detail)
        self.todos.append(todo)


def _layer(
    where: tuple[str, str, str],
    raw: Mapping[str, Any],
    zone: ZoneInfo,
    now: datetime,
    report: list[ReportItem],
) -> LayerDraft | None:
    """``where``: the schedule's id, the layer's name in the report, its name in the file."""
    schedule_id, item_name, name = where
    item_id = f"{schedule_id}/{_text(raw, 'id', name)}"
    start = _instant(raw, "start")
    end = _instant(raw, "end") if raw.get("end") else None
    if end is not None and end <= now:
        report.append(
            ReportItem(
                "layer",
                item_id,
                item_name,
                "exact",
                f"ended {end:%Y-%m-%d %H:%M} UTC: nothing to carry",
            )
        )
        return None
    members = tuple(Person(_text(_object(item, "user"), "id")) for item in _list(raw, "users"))
    if not members:
        raise UnexpectedObject(f"layer {item_name} has no users")
    turn_seconds = _integer(raw, "rotation_turn_length_seconds")
    virtual_start = _instant(raw, "rotation_virtual_start")
    verdict = _Verdict()
    turn = _turn(turn_seconds, zone, now, verdict)
    if turn is None:
        report.append(_uncarried_turn(item_id, item_name, turn_seconds))
        return None
    rotation, on_wall_clock = turn
    first, index = _first_handoff(virtual_start, turn_seconds, on_wall_clock, start, zone)
    wall = first.astimezone(zone).replace(tzinfo=None)
    _handoff_notes(first, start, end, now, name, wall, verdict)
    restrictions = _restrictions(raw, verdict)
    _edges_in_repeated_hour(raw, zone, now, verdict)
    rotated = members[index % len(members) :] + members[: index % len(members)]
    report.append(_layer_item(item_id, item_name, verdict))
    return LayerDraft(
        name=name,
        start=wall.replace(second=0, microsecond=0),
        rotation=rotation,
        members=rotated,
        restrictions=restrictions,
    )


def _handoff_notes(
    first: datetime,
    start: datetime,
    end: datetime | None,
    now: datetime,
    name: str,
    wall: datetime,
    verdict: _Verdict,
) -> None:
    """What of a layer's first handoff (``first``, ``wall`` in its zone) and end warroom says
    otherwise than PagerDuty: a start inside a turn, seconds past the minute, an end."""
    if first < start and start > now:
        verdict.differ(
            f"PagerDuty starts it at {start:%Y-%m-%d %H:%M} UTC, inside a turn; warroom starts "
            f"it at that turn's handoff, {first:%Y-%m-%d %H:%M} UTC",
            "nothing, once that time has passed; before, its first turn is longer in warroom",
        )
    if wall.second or wall.microsecond:
        verdict.differ(
            "its handoffs fall on seconds past the minute; warroom hands over on the minute, "
            "the seconds left out",
            "nothing: a handoff under a minute earlier",
        )
    if end is not None:
        verdict.differ(
            f"it ends on {end:%Y-%m-%d %H:%M} UTC in PagerDuty; warroom's layers do not end",
            f"delete the layer {name!r} from schedules.yaml on {end:%Y-%m-%d %H:%M} UTC",
        )


def _uncarried_turn(item_id: str, item_name: str, turn_seconds: int) -> ReportItem:
    """A layer whose turns last what the schedule file cannot say."""
    return ReportItem(
        "layer",
        item_id,
        item_name,
        "not carried",
        f"its turns last {timedelta(seconds=turn_seconds)}, which the schedule file "
        "cannot say (whole hours or days, up to 366 days)",
        "write the layer by hand with the nearest rotation, or change it in PagerDuty",
    )


def _layer_item(item_id: str, item_name: str, verdict: _Verdict) -> ReportItem:
    if not verdict.differences:
        return ReportItem("layer", item_id, item_name, "exact")
    return ReportItem(
        "layer",
        item_id,
        item_name,
        "approximate",
        "; ".join(verdict.differences),
        "; ".join(verdict.todos),
    )


def _turn(
    seconds: int, zone: ZoneInfo, now: datetime, verdict: _Verdict
) -> tuple[str, bool] | None:
    """The file's rotation for a turn of ``seconds``, and whether PagerDuty's turns of that
    length follow the wall clock (whole days) or elapsed time; None: none fits."""
    if seconds <= 0:
        raise UnexpectedObject(f"a layer's rotation_turn_length_seconds is {seconds}")
    if seconds % DAY_SECONDS == 0:
        days = seconds // DAY_SECONDS
        if days > LONGEST_TURN_DAYS:
            return None
        return {1: "daily", 7: "weekly"}.get(days, f"{days}d"), True
    if seconds % HOUR_SECONDS:
        return None
    hours = seconds // HOUR_SECONDS
    if DAY_SECONDS % seconds == 0 and _changes_clocks(zone, now):
        verdict.differ(
            f"PagerDuty counts its {hours}-hour turns in elapsed time; warroom hands {hours}h "
            "turns over at the same wall-clock times all year, so from each clock change to "
            "the next the two hand over an hour apart",
            "run --compare to see the hours; if the wall clock is what the team meant, nothing",
        )
    return f"{hours}h", False


def _changes_clocks(zone: ZoneInfo, now: datetime) -> bool:
    """Whether ``zone``'s offset changes in the coming years (checked every week)."""
    offsets = {
        (now + timedelta(days=7 * week)).astimezone(zone).utcoffset()
        for week in range(52 * CLOCK_CHANGE_YEARS)
    }
    return len(offsets) > 1


def _first_handoff(
    virtual_start: datetime, seconds: int, on_wall_clock: bool, start: datetime, zone: ZoneInfo
) -> tuple[datetime, int]:
    """The handoff of the turn ``start`` falls in, and that turn's number from the virtual
    start (which member holds it). Its wall-clock time must read back to the same instant
    (not the second pass of a repeated hour), else an earlier turn's is taken."""
    length = timedelta(seconds=seconds)
    if on_wall_clock:
        anchor = virtual_start.astimezone(zone).replace(tzinfo=None)
        number = (start.astimezone(zone).replace(tzinfo=None) - anchor) // length
        while _first_instant(anchor + number * length, zone) > start:
            number -= 1
        while _first_instant(anchor + (number + 1) * length, zone) <= start:
            number += 1
        return _first_instant(anchor + number * length, zone), number
    number = (start - virtual_start) // length
    while True:
        handoff = virtual_start + number * length
        if _first_instant(_wall(handoff, zone), zone) == handoff.replace(second=0, microsecond=0):
            return handoff, number
        number -= 1


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone``, to the minute."""
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def _first_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant ``zone``'s clocks read ``wall``, or jump past it: when warroom hands
    over at that wall-clock time (``ZoneClock.first_reaching``)."""
    reading = wall_of(wall)
    clock = ZoneClock(zone.key, reading - DAY, reading + DAY)
    return moment_of(int(clock.first_reaching(np.array([reading], dtype=np.int64))[0]))


# -- restrictions ------------------------------------------------------------------------------
def _edges_in_repeated_hour(
    raw: Mapping[str, Any], zone: ZoneInfo, now: datetime, verdict: _Verdict
) -> None:
    """A restriction that begins or ends inside the hour the clocks repeat (01:30 in New
    York): PagerDuty's window is taken to end the first time the clocks read its end, where
    warroom reads the clock at each instant, so on that night warroom's layer is on call
    again (or off) for the repeated part."""
    repeated = _repeated_minutes(zone.key, now.year)
    for item in _list(raw, "restrictions"):
        start = _minute_of_day(_text(item, "start_time_of_day"), _Verdict())
        end = (start + _integer(item, "duration_seconds") // 60) % (DAY_SECONDS // 60)
        inside = [edge for edge in (start, end) for low, high in repeated if low < edge < high]
        if inside:
            verdict.differ(
                f"a restriction begins or ends at {_clock(inside[0])}, inside the hour the "
                "clocks repeat when they go back: that night warroom reads the clock at each "
                "instant, so the layer is on call (or not) once more for the repeated part",
                "move the edge out of that hour if it matters (PagerDuty's own behaviour then "
                "is not documented)",
            )
            return


@lru_cache(maxsize=64)
def _repeated_minutes(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """The wall-clock minutes of day ``zone``'s clocks read twice when they go back, in the
    years from ``year`` on (checked day by day, each change found to the minute)."""
    clocks = ZoneInfo(zone)
    found: set[tuple[int, int]] = set()
    day = datetime(year, 1, 1, tzinfo=UTC)
    for _ in range(366 * CLOCK_CHANGE_YEARS):
        after = day + timedelta(days=1)
        before_offset, after_offset = (
            day.astimezone(clocks).utcoffset(),
            after.astimezone(clocks).utcoffset(),
        )
        if before_offset is not None and after_offset is not None and after_offset < before_offset:
            low, high = day, after
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(clocks).utcoffset() == before_offset:
                    low = middle
                else:
                    high = middle
            wall = high.astimezone(clocks)
            first = wall.hour * 60 + wall.minute
            found.add((first, first + (before_offset - after_offset) // timedelta(minutes=1)))
        day = after
    return tuple(sorted(found))


def _restrictions(raw: Mapping[str, Any], verdict: _Verdict) -> tuple[Restriction, ...]:
    """PagerDuty's restrictions as windows and spans; none where one covers everything."""
    daily: list[tuple[int, int]] = []
    weekly: list[tuple[int, int, int]] = []  # (day 0-6, start minute, minutes)
    for item in _list(raw, "restrictions"):
        kind = _text(item, "type")
        start = _minute_of_day(_text(item, "start_time_of_day"), verdict)
        minutes = _minutes(_integer(item, "duration_seconds"), verdict)
        if kind == "daily_restriction":
            if minutes >= DAY_SECONDS // 60:
                return ()
            daily.append((start, minutes))
        elif kind == "weekly_restriction":
            if minutes >= WEEK_SECONDS // 60:
                return ()
            day = _integer(item, "start_day_of_week")
            if not 1 <= day <= 7:
                raise UnexpectedObject(f"a weekly restriction's start_day_of_week is {day}")
            weekly.append((day - 1, start, minutes))
        else:
            raise UnexpectedObject(f"a restriction of type {kind!r}")
    windows: list[Restriction] = [
        DailyWindow(DAYS, _clock(start), _clock(start + minutes)) for start, minutes in daily
    ]
    windows.extend(_weekly_windows(weekly))
    return tuple(windows)


def _weekly_windows(weekly: Iterable[tuple[int, int, int]]) -> list[Restriction]:
    """Weekly restrictions of one start and length under a day: one daily window on their
    days; longer ones: spans across days."""
    shorter: dict[tuple[int, int], set[int]] = {}
    spans: list[Restriction] = []
    for day, start, minutes in weekly:
        if minutes < DAY_SECONDS // 60:
            shorter.setdefault((start, minutes), set()).add(day)
        else:
            spans.append(WeekSpan(_day_clock(day, start), _day_clock(day, start + minutes)))
    windows: list[Restriction] = [
        DailyWindow(
            tuple(DAYS[day] for day in sorted(days)), _clock(start), _clock(start + minutes)
        )
        for (start, minutes), days in shorter.items()
    ]
    return windows + spans


def _minute_of_day(text: str, verdict: _Verdict) -> int:
    try:
        moment = time.fromisoformat(text)
    except ValueError:
        raise UnexpectedObject(f"a restriction's start_time_of_day is {text!r}") from None
    if moment.second or moment.microsecond:
        verdict.differ(
            f"a restriction starts at {text}; warroom's windows start on the minute",
            "nothing: the window starts under a minute earlier",
        )
    return moment.hour * 60 + moment.minute


def _minutes(seconds: int, verdict: _Verdict) -> int:
    if seconds <= 0:
        raise UnexpectedObject(f"a restriction lasts {seconds} seconds")
    if seconds % 60:
        verdict.differ(
            f"a restriction lasts {seconds} seconds; warroom's windows end on the minute",
            "nothing: the window ends under a minute earlier",
        )
    return seconds // 60


def _clock(minute: int) -> str:
    """``HH:MM`` of a minute after midnight (the next day's when past it); ``24:00`` for
    midnight that ends a window of the same day is not needed: ``00:00`` as an end at or
    before the start runs into the next morning, which is the same instant."""
    minute %= DAY_SECONDS // 60
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _day_clock(day: int, minute: int) -> str:
    """``mon 08:00`` for a minute after ``day``'s midnight (into the next days)."""
    day, minute = divmod(day * (DAY_SECONDS // 60) + minute, DAY_SECONDS // 60)
    return f"{DAYS[day % 7]} {_clock(minute)}"


# -- overrides ---------------------------------------------------------------------------------
def _overrides(
    schedule: Mapping[str, Any], raw: Iterable[Mapping[str, Any]], report: list[ReportItem]
) -> list[OverrideDraft]:
    found = []
    for item in raw:
        user = _object(item, "user")
        start, end = _instant(item, "start"), _instant(item, "end")
        found.append(
            OverrideDraft(ScheduleRef(_text(schedule, "id")), Person(_text(user, "id")), start, end)
        )
        report.append(
            ReportItem(
                "override",
                _text(item, "id", f"{_text(schedule, 'id')}@{start.isoformat()}"),
                f"{_text(schedule, 'name')}: {user.get('summary') or _text(user, 'id')} from "
                f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
                "exact",
            )
        )
    return found


# -- escalation policies -----------------------------------------------------------------------
def _policy(raw: Mapping[str, Any], schedules: set[str], report: list[ReportItem]) -> PolicyDraft:
    policy_id, name = _text(raw, "id"), _text(raw, "name")
    loops = int(raw.get("num_loops") or 0)
    differences, todos = [], []
    rules = _list(raw, "escalation_rules")
    levels = []
    for number, rule in enumerate(rules, start=1):
        targets, notes = _targets(rule, schedules)
        for detail, todo in notes:
            differences.append(f"level {number}: {detail}")
            todos.append(f"level {number}: {todo}")
        last = number == len(rules)
        delay = timedelta(minutes=_integer(rule, "escalation_delay_in_minutes"))
        levels.append(LevelDraft(tuple(targets), None if last and not loops else delay))
    if loops > LONGEST_REPEAT:
        differences.append(f"it loops {loops} times; warroom repeats {LONGEST_REPEAT} at most")
        todos.append("nothing: nobody is left unpaged by the last rounds")
        loops = LONGEST_REPEAT
    report.append(
        ReportItem(
            "escalation policy",
            policy_id,
            name,
            "approximate" if differences else "exact",
            "; ".join(differences),
            "; ".join(todos),
        )
    )
    return PolicyDraft(policy_id, name, tuple(levels), repeat=loops)


def _targets(
    rule: Mapping[str, Any], schedules: set[str]
) -> tuple[list[Target], list[tuple[str, str]]]:
    """A rule's targets, and each difference with what to do."""
    targets: list[Target] = []
    notes: list[tuple[str, str]] = []
    raw = _list(rule, "targets")
    for target in raw:
        kind, target_id = _text(target, "type"), _text(target, "id")
        if kind in ("user_reference", "user"):
            targets.append(Person(target_id))
        elif kind in ("schedule_reference", "schedule") and target_id in schedules:
            targets.append(ScheduleRef(target_id))
        elif kind in ("schedule_reference", "schedule"):
            notes.append(
                (
                    f"the schedule {target.get('summary') or target_id} was not carried",
                    "see that schedule's line, then add it to the level by hand",
                )
            )
        else:
            notes.append(
                (
                    f"a target of type {kind!r} is not a user nor a schedule",
                    "add whoever it pages to the level by hand",
                )
            )
    if _round_robin(rule) and len(raw) > 1:
        notes.append(
            (
                f"PagerDuty assigns each incident to one of its {len(raw)} targets in turn "
                "(round robin); warroom has no round robin and pages all of them at once",
                "keep it (everyone on the level is paged), or make a schedule of them and "
                "target that schedule",
            )
        )
    return targets, notes


def _round_robin(rule: Mapping[str, Any]) -> bool:
    """``escalation_rule_assignment_strategy``: a string in the schema, a list of
    ``{"type": ...}`` in its example; both are read."""
    strategy = rule.get("escalation_rule_assignment_strategy")
    if isinstance(strategy, list):
        return any(isinstance(s, dict) and s.get("type") == "round_robin" for s in strategy)
    if isinstance(strategy, dict):
        return strategy.get("type") == "round_robin"
    return strategy == "round_robin"


# -- reading the JSON --------------------------------------------------------------------------
def _text(raw: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise UnexpectedObject(f"{_what(raw)} has no {key}")
    return value


def _integer(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnexpectedObject(f"{_what(raw)}'s {key} is not a whole number")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UnexpectedObject(f"{_what(raw)}'s {key} is not a list of objects")
    return value


def _object(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise UnexpectedObject(f"{_what(raw)} has no {key}")
    return value


def _instant(raw: Mapping[str, Any], key: str) -> datetime:
    text = _text(raw, key)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UnexpectedObject(f"{_what(raw)}'s {key} is not a date and time: {text!r}") from None
    if moment.tzinfo is None:
        raise UnexpectedObject(f"{_what(raw)}'s {key} has no offset: {text!r}")
    return moment.astimezone(UTC)


def _what(raw: Mapping[str, Any]) -> str:
    kind, name = raw.get("type"), raw.get("name") or raw.get("summary") or raw.get("id")
    return " ".join(str(part) for part in (kind, name) if part) or "an object"
