"""On call in Slack: escalations find whoever is on call, the user group follows the schedule,
people are told before their shift, and gaps are posted until they are filled. A guest of
the workspace whom the schedule file names is never put on call: their shifts are gaps, and
the schedule's channel is told once per shift.

Every piece is a job row (``bot/record/oncall/work.py`` names them), time-driven by the
job runner: a schedule's handoff job runs at each instant the person on call changes, sets
its user group to that person, and plans the next handoff and the notices of the shifts
that begin before it, each under a key every replica computes alike. Start-up makes sure
each schedule's chain and its day's gap check exist (``plan_oncall``); adding or cancelling
an override plans again (``bot/record/oncall/overrides.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.slack.errors import SlackGone, SlackNotAllowed, SlackRefused, SlackTokenRevoked
from bot.flows.channel import deliver_now
from bot.flows.people import guests_among, guests_asked_for_page, is_guest, saw, zone_of
from bot.record.escalation.escalations import OnCall
from bot.record.oncall.engine import HORIZON, LATEST, Override, Shift, final_shifts, stretch_of
from bot.record.oncall.engine import on_call_at as shift_at
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.overrides import (
    override_putting_on_call,
    overrides_near,
    stretch_on_call,
)
from bot.record.oncall.schedules import Schedule
from bot.record.oncall.work import gaps_key, guest_shift_key, handoff_key, instant_key, notice_key
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job, OncallOverride

log = logging.getLogger(__name__)
# Each schedule's gaps are looked for once a day, at this time in its zone.
GAP_CHECK_AT = time(9, 0)
GAP_WINDOW = timedelta(days=14)
# A day's gap message lists at most this many; it says how many more there are.
GAPS_SHOWN = 10
# How times read in notices and gap messages: "Fri 13 Mar 18:00 CET".
WHEN = "%a %d %b %H:%M %Z"
# Said instead of a Slack error code when the group exists but is disabled: Slack changes
# nothing about it until someone re-enables it, and creating it again fails (its handle is
# still taken).
DISABLED = "disabled"


# -- escalations -----------------------------------------------------------------------------
# How old Slack's answer to whether someone on call is a guest may be before a page decided
# inside a transaction (``on_call_kept``) asks it again, after its commit, for the next page.
FACTS_REFRESH_SECONDS = 3600.0


async def on_call_now(
    services: Services, name: str, *, paging: bool = False
) -> list[OnCall] | None:
    """Whom the schedule ``name`` names now, its stored overrides included: one OnCall per
    person (several with ``overlap: all``), each with the override that put them there if
    one did, a guest of the workspace marked so (never to be brought in); one OnCall of
    nobody in a gap. None when no schedule has that name. Whether each is a guest is asked
    of Slack afresh; for a page (``paging``), the answer this process keeps will do, and one
    Slack cannot give now does not hold the page (``guests_asked_for_page``)."""
    schedule = services.settings.oncall.schedules.get(name)
    if schedule is None:
        return None
    now = services.clock()
    async with session_scope(services.engine) as session:
        shift = await _on_call_in(session, schedule, now)
    # Asked with no session open: the database is not held while Slack answers.
    users = [user for user, _ in shift]
    if not paging:
        return _named(schedule, shift, await guests_among(services, users))
    guests, unknown = _kept_guests(services, users)
    return _named(schedule, shift, guests | await guests_asked_for_page(services, unknown))


async def on_call_kept(
    session: AsyncSession, services: Services, schedule: Schedule, now: datetime
) -> list[OnCall] | None:
    """``on_call_now`` in the caller's transaction, for a page decided in it: who is on call
    is the schedules file's (held in memory) and the stored overrides' answer, read in
    ``session``; whether each is a guest, Slack's answer this process keeps (asked at start,
    at a handoff, by an earlier page). None when no answer is kept for someone on call: the
    caller asks Slack outside the transaction."""
    shift = await _on_call_in(session, schedule, now)
    guests, unknown = _kept_guests(services, [user for user, _ in shift])
    return None if unknown else _named(schedule, shift, guests)


def _kept_guests(services: Services, users: list[str]) -> tuple[frozenset[str], list[str]]:
    """Of ``users``, the guests by the answers this process keeps, whatever their age (one
    older than ``FACTS_REFRESH_SECONDS`` is asked again in the background, for the next
    page), and those it keeps no answer for."""
    guests, stale, unknown = set(), [], []
    for user in users:
        kept = services.slack.kept_facts(user)
        if kept is None:
            unknown.append(user)
            continue
        facts, age = kept
        if facts.guest:
            guests.add(user)
        if age > FACTS_REFRESH_SECONDS:
            stale.append(user)
    if stale and not unknown:
        services.background.spawn(guests_among(services, stale), name="on-call guest facts")
    return frozenset(guests), unknown


async def _on_call_in(
    session: AsyncSession, schedule: Schedule, now: datetime
) -> list[tuple[str, OncallOverride | None]]:
    """Who the schedule names at ``now``, each with the override that put them there (the
    schedule's overrides read once, for both: a page's transaction)."""
    [schedule] = await with_feed_copies(session, [schedule])
    overrides = await overrides_near(session, schedule=schedule, start=now)
    shift = shift_at(schedule, overrides, now)
    return [
        (
            user,
            await override_putting_on_call(
                session, schedule=schedule, user=user, at=now, among=overrides
            ),
        )
        for user in shift.users
    ]


def _named(
    schedule: Schedule, shift: list[tuple[str, OncallOverride | None]], guests: frozenset[str]
) -> list[OnCall]:
    if not shift:
        return [OnCall(schedule.name, None)]
    return [
        OnCall(schedule.name, user, guest=user in guests)
        if override is None
        else OnCall(
            schedule.name,
            user,
            guest=user in guests,
            override_id=override.id,
            made_by=override.created_by,
            accepted_by=override.accepted_by,
        )
        for user, override in shift
    ]


async def keep_on_call_facts(services: Services) -> None:
    """Ask Slack, once at start, whether each person on call now for a schedule a policy's
    first level names is a guest, so that this process's first page decides whom to page in
    its own transaction (``on_call_kept``) rather than asking Slack first."""
    targets = services.settings.escalation.policies.schedule_targets()
    for name in sorted({schedule for _, level, schedule in targets if level == 1}):
        await on_call_now(services, name)  # its guest check keeps Slack's answers


# -- start-up --------------------------------------------------------------------------------
async def plan_oncall(services: Services) -> None:
    """Make sure each schedule's handoff chain and today's gap check exist. Every replica does
    this when it starts: the keys make it one row each, and a chain that runs already is
    left as it is (the row of the shift under way was done when it began)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        configured = services.settings.oncall.schedules.by_name.values()
        for schedule in await with_feed_copies(session, configured):
            if _follows(schedule):
                overrides = await overrides_near(session, schedule=schedule, start=now)
                current = shift_at(schedule, overrides, now)
                # A stretch longer than the engine looks (one member, say) has no start to
                # name: one row for it, whenever the replicas start.
                since = instant_key(current.start) if current.start > now - HORIZON else "open"
                await _schedule_handoff(session, schedule, since, now)
            if schedule.channel:
                await _schedule_gap_check(session, schedule, now, today=True)
        await session.commit()
    services.wake_jobs()


def _follows(schedule: Schedule) -> bool:
    """Whether anything happens at the schedule's handoffs: a user group, or notices."""
    return schedule.usergroup is not None or schedule.notify_before is not None


async def _schedule_handoff(
    session: AsyncSession, schedule: Schedule, at: str, due_at: datetime
) -> None:
    await jobs.schedule(
        session,
        kind=JobKind.ONCALL_HANDOFF,
        key=handoff_key(schedule.name, at),
        due_at=due_at,
        payload={"schedule": schedule.name},
    )


# -- handoffs --------------------------------------------------------------------------------
async def run_handoff(services: Services, job: Job) -> None:
    """The job handler: someone new is on call (or the overrides changed). Plan the next
    handoff and the notices before it, then make the user group the person on call now.

    The plans are committed first: a Slack failure here is retried as any job's, and never
    ends the chain."""
    schedule = _schedule_of(services, job)
    if schedule is None or not _follows(schedule):
        return None
    now = services.clock()
    async with session_scope(services.engine) as session:
        [schedule] = await with_feed_copies(session, [schedule])
        overrides = await overrides_near(session, schedule=schedule, start=now, end=now + HORIZON)
        current = shift_at(schedule, overrides, now)
        if current.end < LATEST:
            await _schedule_handoff(session, schedule, instant_key(current.end), current.end)
        await _plan_notices(session, schedule, overrides, now, until=current.end)
        await session.commit()
    services.wake_jobs()
    guests = await guests_among(services, current.users, retried=True, recent=True)
    # Named on every page from now on, from the answers guests_among just had (no more calls).
    saw(services, current.users)
    for guest in current.users:
        if guest in guests:
            # Never put on call, whatever the file says: said once for their stretch.
            stretch = stretch_of(schedule, overrides, guest, now) or current
            await _guest_named(services, schedule, stretch, guest)
    reachable = [user for user in current.users if user not in guests]
    if schedule.usergroup is not None and reachable:
        # In a gap the group keeps whoever was last on call: Slack does not empty a group
        # (usergroups.users.update refuses no users), and the gap is posted to the channel.
        await _follow(services, schedule, schedule.usergroup, reachable)
    return None


async def _plan_notices(
    session: AsyncSession,
    schedule: Schedule,
    overrides: list[Override],
    now: datetime,
    *,
    until: datetime,
) -> None:
    """A notice for each person whose stretch begins after ``now`` and is due before the
    next handoff job (at ``until``) would plan it (someone on call already, beside whom
    others come and go with ``overlap: all``, is not told again)."""
    before = schedule.notify_before
    if before is None:
        return
    shifts = final_shifts(schedule, overrides, now, min(until + before, LATEST))
    for earlier, shift in pairwise(shifts):
        for user in shift.users:
            if user in earlier.users:
                continue
            await jobs.schedule(
                session,
                kind=JobKind.ONCALL_NOTICE,
                key=notice_key(schedule.name, shift.start, user),
                due_at=max(shift.start - before, now),
                payload={"schedule": schedule.name, "user": user, "start": shift.start.isoformat()},
            )


async def _follow(
    services: Services, schedule: Schedule, handle: str, users: Sequence[str]
) -> None:
    """Make the schedule's user group the people on call, unless it is already. What Slack
    will not do until a person changes something (the plan, the app's scopes, the
    workspace's settings, a group that is not there) is said once; the rest is retried."""
    slack = services.slack
    try:
        group = await slack.find_usergroup(handle)
        if group is None or group.disabled:
            await _group_refused(services, schedule, DISABLED if group else None)
            return
        if set(await slack.usergroup_members(group.id)) == set(users):
            return
        await slack.set_usergroup_members(group.id, list(users))
    except (SlackNotAllowed, SlackGone, SlackRefused) as error:
        if isinstance(error, SlackTokenRevoked):
            raise  # the app is gone: the runner holds every job until it is back
        await _group_refused(services, schedule, error.code)
        return
    log.info("user group @%s of %s is now %s", handle, schedule.name, ", ".join(users))


async def _group_refused(services: Services, schedule: Schedule, code: str | None) -> None:
    """Have it said, once per schedule and Slack error (``code`` None: the workspace has no
    group of that handle; ``DISABLED``: it has, disabled), that the group cannot follow."""
    async with session_scope(services.engine) as session:
        await jobs.schedule(
            session,
            kind=JobKind.ONCALL_GROUP_REFUSED,
            key=f"{JobKind.ONCALL_GROUP_REFUSED}:{schedule.name}:{code or 'no-group'}",
            due_at=services.clock(),
            payload={"schedule": schedule.name, "code": code},
        )
        await session.commit()
    services.wake_jobs()


async def say_group_refused(services: Services, job: Job) -> None:
    """The job handler: tell the schedule's channel (or, without one, the log) once that its
    user group cannot follow who is on call, why, and that the rest works."""
    schedule = _schedule_of(services, job)
    if schedule is None:
        return None
    text = services.renderer.render(
        "messages/oncall_group_refused.j2",
        outside=True,
        schedule=schedule,
        code=jobs.payload_of(job)["code"],
    )
    if schedule.channel is None:
        log.warning("%s", text)
        return None
    await _post_once(services, schedule.channel, text, after=job.key)
    return None


async def _guest_named(services: Services, schedule: Schedule, shift: Shift, user: str) -> None:
    """Have it said, once for this stretch of theirs (its notice and its handoff both come
    here), that the schedule file names ``user``, a guest of the workspace, who is not on
    call."""
    async with session_scope(services.engine) as session:
        await jobs.schedule(
            session,
            kind=JobKind.ONCALL_GUEST_SHIFT,
            key=guest_shift_key(schedule.name, shift.start, user),
            due_at=services.clock(),
            payload={
                "schedule": schedule.name,
                "user": user,
                "start": shift.start.isoformat(),
                "end": shift.end.isoformat(),
            },
        )
        await session.commit()
    services.wake_jobs()


async def say_guest_shift(services: Services, job: Job) -> None:
    """The job handler: tell the schedule's channel (or, without one, the log) that a shift
    the file gives a guest of the workspace has nobody on call, so its owners fix the file."""
    schedule = _schedule_of(services, job)
    if schedule is None:
        return None
    payload = jobs.payload_of(job)
    start, end = datetime.fromisoformat(payload["start"]), datetime.fromisoformat(payload["end"])
    now = services.clock()
    text = services.renderer.render(
        "messages/oncall_guest_shift.j2",
        schedule=schedule,
        user=str(payload["user"]),
        start=start,
        end=None if end >= now + HORIZON else end,
        now=now,
        zone=schedule.timezone,
        when=WHEN,
    )
    if schedule.channel is None:
        log.warning("%s", text)
        return None
    await _post_once(services, schedule.channel, text, after=job.key)
    return None


async def _post_once(services: Services, channel: str, text: str, *, after: str) -> None:
    """Post ``text`` to ``channel`` (a user id: their DM) through the outbox, unless a run of
    the same job kept it already."""
    async with session_scope(services.engine) as session:
        kept = await outbox.post_once(
            session, channel=channel, text=text, now=services.clock(), after=after
        )
        await session.commit()
    if kept is not None:
        await deliver_now(services, channel)


# -- notices ---------------------------------------------------------------------------------
async def send_notice(services: Services, job: Job) -> None:
    """The job handler: tell the person whose shift begins soon, in their own zone, unless
    the schedule changed since (another shift's notice is planned then) or it is over."""
    schedule = _schedule_of(services, job)
    if schedule is None or schedule.notify_before is None:
        return None
    payload = jobs.payload_of(job)
    user, start = str(payload["user"]), datetime.fromisoformat(payload["start"])
    async with session_scope(services.engine) as session:
        [schedule] = await with_feed_copies(session, [schedule])
        shift = await stretch_on_call(session, schedule=schedule, user=user, at=start)
    now = services.clock()
    if shift is None or shift.start != start or now >= shift.end:
        return None
    if await is_guest(services, user, retried=True, recent=True):
        await _guest_named(services, schedule, shift, user)
        return None
    zone = await zone_of(services, user, otherwise=schedule.timezone)
    text = services.renderer.render(
        "messages/oncall_shift_soon.j2",
        outside=True,
        schedule=schedule,
        shift=shift,
        started=now >= shift.start,
        zone=zone,
        when=WHEN,
    )
    await _post_once(services, user, text, after=job.key)
    return None


# -- gaps ------------------------------------------------------------------------------------
async def post_gaps(services: Services, job: Job) -> None:
    """The job handler: the day's look for gaps in the next 14 days. Plans tomorrow's first;
    posts the gaps, if any, to the schedule's channel (once a day, until they are filled).
    A shift the file gives a guest of the workspace is one (said with who is named)."""
    schedule = _schedule_of(services, job)
    if schedule is None or schedule.channel is None:
        return None
    channel = schedule.channel
    now = services.clock()
    until = now + GAP_WINDOW
    async with session_scope(services.engine) as session:
        await _schedule_gap_check(session, schedule, now, today=False)
        [schedule] = await with_feed_copies(session, [schedule])
        overrides = await overrides_near(session, schedule=schedule, start=now, end=until)
        await session.commit()
    services.wake_jobs()
    shifts = final_shifts(schedule, overrides, now, until)
    guests = await guests_among(
        services, (u for s in shifts for u in s.users), retried=True, recent=True
    )
    # Nobody on call, or only guests of the workspace, whom the file names.
    found = [shift for shift in shifts if guests.issuperset(shift.users)]
    if not found:
        return None
    text = services.renderer.render(
        "messages/oncall_gaps.j2",
        outside=True,
        schedule=schedule,
        gaps=found[:GAPS_SHOWN],
        more=len(found) - GAPS_SHOWN,
        now=now,
        window_end=until,
        zone=schedule.timezone,
        when=WHEN,
    )
    await _post_once(services, channel, text, after=job.key)
    return None


async def _schedule_gap_check(
    session: AsyncSession, schedule: Schedule, now: datetime, *, today: bool
) -> None:
    """The gap check of today (from start-up: at GAP_CHECK_AT, or now if that is past) or
    of tomorrow, in the schedule's zone."""
    zone = ZoneInfo(schedule.timezone)
    day = now.astimezone(zone).date() + timedelta(days=0 if today else 1)
    due = datetime.combine(day, GAP_CHECK_AT, tzinfo=zone).astimezone(UTC)
    await jobs.schedule(
        session,
        kind=JobKind.ONCALL_GAPS,
        key=gaps_key(schedule.name, day),
        due_at=max(due, now),
        payload={"schedule": schedule.name},
    )


def _schedule_of(services: Services, job: Job) -> Schedule | None:
    """The job's schedule, as configured now; None (logged) when it is gone from the file."""
    name = str(jobs.payload_of(job).get("schedule", ""))
    schedule = services.settings.oncall.schedules.get(name)
    if schedule is None:
        log.warning("job %s names schedule %r, which is no longer configured", job.key, name)
    return schedule
