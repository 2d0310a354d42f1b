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
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clients.slack_errors import (
    SlackGone,
    SlackNotAllowed,
    SlackRefused,
    SlackTokenRevoked,
)
from bot.flows.channel import deliver_now
from bot.flows.people import guests_among, is_guest, zone_of
from bot.record.escalation.escalations import OnCall
from bot.record.oncall.engine import HORIZON, LATEST, Override, Shift, final_shifts
from bot.record.oncall.engine import on_call_at as shift_at
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.overrides import (
    override_putting_on_call,
    overrides_near,
    who_is_on_call,
)
from bot.record.oncall.schedules import Schedule
from bot.record.oncall.work import gaps_key, guest_shift_key, handoff_key, instant_key, notice_key
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Job

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
async def on_call_now(services: Services, name: str) -> OnCall | None:
    """Whom the schedule ``name`` names now, its stored overrides included, and through whose
    override, if one; a guest of the workspace is marked so (never to be brought in). None
    when no schedule has that name."""
    schedule = services.settings.oncall.schedules.get(name)
    if schedule is None:
        return None
    now = services.clock()
    async with session_scope(services.engine) as session:
        [schedule] = await with_feed_copies(session, [schedule])
        shift = await who_is_on_call(session, schedule=schedule, at=now)
        through = await override_putting_on_call(session, schedule=schedule, shift=shift, at=now)
    if shift.user is None:
        return OnCall(schedule.name, None)
    # Asked with no session open: the database is not held while Slack answers.
    guest = await is_guest(services, shift.user)
    if through is None:
        return OnCall(schedule.name, shift.user, guest=guest)
    return OnCall(
        schedule.name,
        shift.user,
        guest=guest,
        override_id=through.id,
        made_by=through.created_by,
        accepted_by=through.accepted_by,
    )


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
    if current.user is None:
        return None
    if await is_guest(services, current.user, retried=True):
        # Never put on call, whatever the file says: a gap, said once for the shift.
        await _guest_named(services, schedule, current)
        return None
    if schedule.usergroup is not None:
        # In a gap the group keeps whoever was last on call: Slack does not empty a group
        # (usergroups.users.update refuses no users), and the gap is posted to the channel.
        await _follow(services, schedule, schedule.usergroup, current.user)
    return None


async def _plan_notices(
    session: AsyncSession,
    schedule: Schedule,
    overrides: list[Override],
    now: datetime,
    *,
    until: datetime,
) -> None:
    """A notice for each shift that begins after ``now`` and is due before the next handoff
    job (at ``until``) would plan it."""
    before = schedule.notify_before
    if before is None:
        return
    for shift in final_shifts(schedule, overrides, now, min(until + before, LATEST)):
        if shift.user is None or shift.start <= now:
            continue
        await jobs.schedule(
            session,
            kind=JobKind.ONCALL_NOTICE,
            key=notice_key(schedule.name, shift.start, shift.user),
            due_at=max(shift.start - before, now),
            payload={
                "schedule": schedule.name,
                "user": shift.user,
                "start": shift.start.isoformat(),
            },
        )


async def _follow(services: Services, schedule: Schedule, handle: str, user: str) -> None:
    """Make the schedule's user group the person on call, unless it is already. What Slack
    will not do until a person changes something (the plan, the app's scopes, the
    workspace's settings, a group that is not there) is said once; the rest is retried."""
    slack = services.slack
    try:
        group = await slack.find_usergroup(handle)
        if group is None or group.disabled:
            await _group_refused(services, schedule, DISABLED if group else None)
            return
        if set(await slack.usergroup_members(group.id)) == {user}:
            return
        await slack.set_usergroup_members(group.id, [user])
    except (SlackNotAllowed, SlackGone, SlackRefused) as error:
        if isinstance(error, SlackTokenRevoked):
            raise  # the app is gone: the runner holds every job until it is back
        await _group_refused(services, schedule, error.code)
        return
    log.info("user group @%s of %s is now %s", handle, schedule.name, user)


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


async def _guest_named(services: Services, schedule: Schedule, shift: Shift) -> None:
    """Have it said, once for this shift (its notice and its handoff both come here), that
    the schedule file names a guest of the workspace for it, who is not on call."""
    async with session_scope(services.engine) as session:
        await jobs.schedule(
            session,
            kind=JobKind.ONCALL_GUEST_SHIFT,
            key=guest_shift_key(schedule.name, shift.start, str(shift.user)),
            due_at=services.clock(),
            payload={
                "schedule": schedule.name,
                "user": shift.user,
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
        shift = await who_is_on_call(session, schedule=schedule, at=start)
    now = services.clock()
    if shift.user != user or shift.start != start or now >= shift.end:
        return None
    if await is_guest(services, user, retried=True):
        await _guest_named(services, schedule, shift)
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
    guests = await guests_among(services, (shift.user for shift in shifts), retried=True)
    found = [shift for shift in shifts if shift.user is None or shift.user in guests]
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
