"""``warroom oncall who``, ``check`` and ``feeds``: on-call schedules on the command line.

``who`` reads the schedules from ``WARROOM_ONCALL_SCHEDULES`` and the overrides and the iCal
layers' copies of their feeds from the database; ``feeds`` says how each iCal layer's feed
refreshes go (and each holiday and leave calendar's); ``check`` reads only the file it is
given, so it runs anywhere (CI, a laptop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import USAGE_ERROR
from bot.basics.render import Renderer
from bot.config import ConfigError, Settings, ical_allowed_hosts_from_env
from bot.record.moments import MomentRefused, parse_moment
from bot.record.oncall.advice import layer_overlaps, wall_clock_times
from bot.record.oncall.engine import EARLIEST, HORIZON, LATEST, Override, Shift, on_call_stretches
from bot.record.oncall.feed_addresses import feed_address_problems
from bot.record.oncall.feed_copies import SHOWN_UNMATCHED, FeedState, feed_states, with_feed_copies
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule, ScheduleError, load_schedules
from bot.store.db import session_scope


def run_oncall(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run ``warroom oncall``'s action; the exit code."""
    if args.oncall_command == "check":
        return check(args.file, ical_allowed_hosts_from_env(environ))
    settings = Settings.from_env(environ)
    schedules = _chosen(settings, args.schedule)
    if isinstance(schedules, str):
        return _refuse(schedules)
    if args.oncall_command == "feeds":
        return _feeds(settings, schedules)
    try:
        instants = _instants(schedules, args.at, now=datetime.now(UTC))
    except MomentRefused as refusal:
        return _refuse(_refusal_text(settings, refusal))
    except ValueError as error:
        return _refuse(str(error))
    try:
        read = asyncio.run(_read_record(settings, schedules, list(instants.values())))
    except (SQLAlchemyError, OSError) as error:
        return _unreadable(error)
    overrides, schedules, states = read
    _say_failing_feeds(settings, states)
    # A row per person: with overlap: all, several are on call at once, each their own
    # stretch.
    shifts = [
        (schedule, stretch)
        for schedule in schedules
        for stretch in on_call_stretches(schedule, overrides, instants[schedule.name])
    ]
    print(_as_json(shifts) if args.json else "\n".join(_as_lines(shifts)))
    return 0


def _feeds(settings: Settings, schedules: list[Schedule]) -> int:
    """``warroom oncall feeds``: a line per iCal feed (each iCal layer, holiday calendar and
    leave calendar of the schedules' people); 1 when one of them fails."""
    try:
        states = asyncio.run(_read_states(settings, schedules))
    except (SQLAlchemyError, OSError) as error:
        return _unreadable(error, "the iCal feeds")
    if not states:
        print("no iCal feeds for these schedules (a layer's or holidays' ical_url, leave feeds)")
        return 0
    for state in states:
        print(_state_text(settings, state))
    return 1 if any(state.failing for state in states) else 0


def _say_failing_feeds(settings: Settings, states: Sequence[FeedState]) -> None:
    """Warn (on stderr, so --json stays clean) of iCal layers whose feed fails."""
    for state in states:
        if state.failing:
            print(f"warroom: {_state_text(settings, state)}", file=sys.stderr)


def _state_text(settings: Settings, state: FeedState) -> str:
    renderer = Renderer(settings.incidents.templates_dir)
    return renderer.render_plain("oncall/feed_state.j2", state=state, shown=SHOWN_UNMATCHED)


def _unreadable(error: Exception, what: str = "the overrides") -> int:
    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    print(
        f"warroom: cannot read {what} from DATABASE_URL ({first_line}); "
        "is the database there and upgraded (`warroom db upgrade`)?",
        file=sys.stderr,
    )
    return 1


def check(path: Path, allowed_hosts: frozenset[str] = frozenset()) -> int:
    """Check a schedule file: 0 and a summary when it is fine, with how each layer hands
    over (and a warning on stderr for each pair of layers active at once where only the later
    is on call), 1 and every problem if not; an iCal layer's address is checked against
    ``allowed_hosts`` (WARROOM_ICAL_ALLOWED_HOSTS) as the start-up checks it."""
    try:
        schedules = load_schedules(path, now=datetime.now(UTC))
        problems = feed_address_problems(schedules.by_name.values(), allowed_hosts)
    except ScheduleError as error:
        problems = list(error.problems)
    if problems:
        count = len(problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{path}: fine: {schedules.summary()}")
    _say_advice(list(schedules.by_name.values()), datetime.now(UTC))
    return 0


def _say_advice(schedules: Sequence[Schedule], now: datetime) -> None:
    """How each layer hands over (stdout), and the layers that overlap (warnings, stderr)."""
    renderer = Renderer()
    handovers = renderer.render_plain(
        "oncall/check_handovers.j2", schedules=schedules, wall_clock_times=wall_clock_times
    )
    print(handovers)
    overlaps = [found for schedule in schedules for found in layer_overlaps(schedule, now)]
    warnings = renderer.render_plain("oncall/check_warnings.j2", overlaps=overlaps)
    if warnings:
        print(warnings, file=sys.stderr)


def _chosen(settings: Settings, name: str | None) -> list[Schedule] | str:
    """The schedules asked about, or why there are none."""
    configured = list(settings.oncall.schedules.by_name.values())
    if not configured:
        return "no schedules: set WARROOM_ONCALL_SCHEDULES to a schedule file (see README)"
    if name is None:
        return configured
    schedule = settings.oncall.schedules.get(name)
    if schedule is None:
        known = ", ".join(s.name for s in configured)
        return f"no schedule named {name!r} (there are: {known})"
    return [schedule]


def _instants(
    schedules: Sequence[Schedule], when: str | None, *, now: datetime
) -> dict[str, datetime]:
    """The instant asked about, for each schedule: ``when`` read in its zone (or now)."""
    instants = {}
    for schedule in schedules:
        at = (
            now
            if when is None
            else parse_moment(when, zone=schedule.timezone, now=now, future_ok=True)
        )
        if not EARLIEST <= at < LATEST:
            raise ValueError(f"--at: {at:%Y-%m-%d} is outside {EARLIEST:%Y} to {LATEST:%Y}")
        instants[schedule.name] = at
    return instants


async def _read_record(
    settings: Settings, schedules: Sequence[Schedule], instants: Sequence[datetime]
) -> tuple[list[Override], list[Schedule], list[FeedState]]:
    """Every override that can bear on a shift around those instants (on_call_at looks up to
    HORIZON either way), the schedules with their iCal layers' copies, and those feeds' states."""
    engine = await _engine(settings)
    try:
        async with session_scope(engine) as session:
            overrides = await overrides_between(
                session, start=min(instants) - HORIZON, end=max(instants) + HORIZON
            )
            return (
                overrides,
                await with_feed_copies(session, schedules),
                await feed_states(session, schedules),
            )
    finally:
        await engine.dispose()


async def _read_states(settings: Settings, schedules: Sequence[Schedule]) -> list[FeedState]:
    engine = await _engine(settings)
    try:
        async with session_scope(engine) as session:
            return await feed_states(session, schedules)
    finally:
        await engine.dispose()


async def _engine(settings: Settings) -> AsyncEngine:
    """The database, a fresh SQLite file upgraded first (``command_engine``): imported here,
    since Alembic would slow ``warroom oncall check``, which opens no database."""
    import os

    from bot.config.runtime import NO_DATABASE, database_url_given
    from bot.store.migrate import command_engine

    if not database_url_given(os.environ):  # not ./warroom.db made and answered from
        raise ConfigError(NO_DATABASE.format(command="oncall"))
    return await command_engine(settings.runtime.database_url)


def _as_json(shifts: Sequence[tuple[Schedule, Shift]]) -> str:
    rows = [
        {
            "schedule": schedule.name,
            "user": shift.user,
            "start": _utc_text(shift.start),
            "end": _utc_text(shift.end),
        }
        for schedule, shift in shifts
    ]
    return json.dumps(rows, indent=2)


def _as_lines(shifts: Sequence[tuple[Schedule, Shift]]) -> list[str]:
    """One line per schedule and person on call, times in the schedule's zone."""
    width = max(len(schedule.name) for schedule, _ in shifts)
    lines = []
    for schedule, shift in shifts:
        who = shift.user or "nobody (a gap)"
        zone = ZoneInfo(schedule.timezone)
        start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
        span = f"{start:%Y-%m-%d %H:%M %Z} to {end:%Y-%m-%d %H:%M %Z}"
        lines.append(f"{schedule.name:<{width}}  {who:<12}  {span} ({schedule.timezone})")
    return lines


def _utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC, with Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _refusal_text(settings: Settings, refusal: MomentRefused) -> str:
    """What /incident time would say about the same input, without Slack's markup."""
    text = Renderer(settings.incidents.templates_dir).render(refusal.template, **refusal.context)
    return "--at: " + text.strip().removeprefix(":warning:").strip().replace("`", "'")


def _refuse(message: str) -> int:
    print(f"warroom: {message}", file=sys.stderr)
    return USAGE_ERROR
