"""The App Home: what a person sees on the bot's Home tab, read from the record each time they
open it.

- Their incidents (bot/record/incident/involvement.py says who is in which): the open ones first,
  newest first, then those resolved in the last ``RECENT``, the latest resolved first; each
  with how they are in it.
- The incidents declared in the last ``RECENT``, newest first; a private one only to its
  people, as everywhere in Slack. A guest (a restricted or single-channel guest of the
  workspace) sees only the incidents they are in, as in the web view.
- With on-call schedules (``WARROOM_ONCALL_SCHEDULES``), who is on call for each now and until
  when, overrides included; none to a guest, as in the web view.
- The follow-ups they own that are not done yet, overdue first, then by due date, each with
  its incident (the person owns them: a private incident's follow-up included); one possibly
  the same as another of its incident says so, with *Merge* (the channel message's button:
  commands/follow_ups/action.py), as in the channel and the web view.
- How pages reach them (with a contacts file, or once they set their own): their contact
  methods, masked, and whose; the rules in force and whose (their own, the file's, the
  defaults); their last test page.
- Their open alerts (alerts of their own, no incident, whose firing now paged them): title,
  state, since when, how many times it fired, with *Acknowledge* (the message's button, the
  same flow; a guest refused at the Home's top as there). Published afresh for each person an
  alert paged when its message changes, at most once every ``ALERT_HOME_EVERY``
  (``schedule_alert_homes``).

Times are shown in the person's zone (Slack's ``users.info`` ``tz``), else
``WARROOM_TIMEZONE``. One opening is read once: its Slack event id is claimed with the reads,
so a redelivered ``app_home_opened`` finds it claimed and is left alone. ``publish_home``
renders it within Slack's limits for a view and publishes it (``views.publish``): when the
person opens the tab (bot/slack/home.py), again after they press *Merge* or *Acknowledge* on
it, and when an alert they are paged for changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil import tz
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.slack_text import SlackText, truncate
from bot.clients.phone import registry
from bot.clients.slack.errors import SlackFailure
from bot.clients.slack.limits import fit_view
from bot.flows.people import guests_among, is_guest, zone_of
from bot.record.alerting.alerts import OPEN_STATES, SNOOZE_CHOICES
from bot.record.follow_ups.follow_up_merges import SamePair, same_pairs
from bot.record.follow_ups.follow_ups import FollowUp, OpenFollowUp, follow_up_ref, open_follow_ups
from bot.record.incident.involvement import Involvement, incidents_since, involvement_of
from bot.record.oncall.engine import Override, Shift, on_call_at
from bot.record.oncall.feed_copies import with_feed_copies
from bot.record.oncall.leave import Skip, leave_of, skipped_at
from bot.record.oncall.overrides import overrides_near
from bot.record.oncall.schedules import Schedule
from bot.record.paging.own import Reachable, reachable
from bot.record.paging.pages import open_alerts_of
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Incident, Job, OncallLeave
from bot.store.processed_events import claim_event

log = logging.getLogger(__name__)
TEMPLATE = "views/home.json.j2"
# How far back "resolved lately" and "declared lately" reach.
RECENT = timedelta(days=7)
# A title is cut where a person would read it cut: a Home lists, the incident's page tells.
TITLE_MAX = 150
# A person's Home follows their open alerts at most this often (a storm's changes at once).
ALERT_HOME_EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class HomeIncident:
    """One incident on a Home, and how the person is in it (None: they are not)."""

    incident: Incident
    title: SlackText
    involvement: Involvement | None


@dataclass(frozen=True)
class OnCallNow:
    """A schedule's shift now (``shift.users`` empty: nobody is on call; ``guests``: those of
    them the file names who are guests of the workspace, never on call)."""

    schedule: str
    shift: Shift
    guests: frozenset[str] = frozenset()
    # Whom the rotations pass over now because they are away, and who took the turn.
    skips: tuple[Skip, ...] = ()

    @property
    def reachable(self) -> tuple[str, ...]:
        """The people really on call: those the shift names, guests left out."""
        return tuple(user for user in self.shift.users if user not in self.guests)


@dataclass(frozen=True)
class PossiblySame:
    """Another follow-up of its incident a listed one is possibly the same as, and the ref
    *Merge* names (the later of the two, as on the channel's message)."""

    other: FollowUp
    press: str


@dataclass(frozen=True)
class Home:
    """Everything one person's Home shows."""

    user_id: str
    zone: str
    now: datetime
    mine: Sequence[HomeIncident]
    recent: Sequence[HomeIncident]
    on_call: Sequence[OnCallNow]
    follow_ups: Sequence[OpenFollowUp]
    # How pages reach them; None when paging concerns them not (no file, nothing of theirs).
    paging: Reachable | None
    # Where people reach the web view (WARROOM_PUBLIC_URL), its list, and that list from
    # ``RECENT`` ago; None without a public address.
    web_url: str | None
    list_url: str | None
    recent_url: str | None
    # Follow-ups shown possibly the same as another, by the task's id.
    same: Mapping[int, PossiblySame] = field(default_factory=dict)
    # Said at the top: why a *Merge* or *Acknowledge* pressed on this Home did nothing.
    notice: str | None = None
    # The open alerts whose firing now paged them (no incident), the latest first.
    alerts: Sequence[AlertGroup] = ()
    # Their leave not over yet, soonest first (rotations skip them then).
    leave: Sequence[OncallLeave] = ()

    def shown(self, mine: int, recent: int, follow_ups: int, alerts: int) -> dict[str, Any]:
        """The template's context with the first ``mine`` and ``recent`` incidents,
        ``follow_ups`` follow-ups and ``alerts`` alerts shown."""
        return {
            "alerts": self.alerts[:alerts],
            "alerts_more": len(self.alerts) - alerts,
            "home": self,
            "mine": self.mine[:mine],
            "mine_more": len(self.mine) - mine,
            "recent": self.recent[:recent],
            "recent_more": len(self.recent) - recent,
            "follow_ups": self.follow_ups[:follow_ups],
            "follow_ups_more": len(self.follow_ups) - follow_ups,
            "since": self.now - RECENT,
            "snooze_choices": SNOOZE_CHOICES,
        }

    @property
    def counts(self) -> tuple[int, int, int, int]:
        """How many items each of its lists has, for ``shown``."""
        return len(self.mine), len(self.recent), len(self.follow_ups), len(self.alerts)


async def read_home(
    services: Services, *, team_id: str | None, user_id: str, event_id: str
) -> Home | None:
    """What ``user_id``'s Home shows now; None when this opening was read already."""
    now = services.clock()
    since = now - RECENT
    team = team_id or await services.slack.team_id()
    schedules = list(services.settings.oncall.schedules.by_name.values())
    async with session_scope(services.engine) as session:
        if not await claim_event(session, event_id):
            return None
        incidents = await incidents_since(session, team_id=team, since=since)
        involved = await involvement_of(session, user_id, incidents)
        owned = await open_follow_ups(session, team_id=team, owner=user_id)
        pairs = await same_pairs(session, (row.item.incident_id for row in owned))
        overrides = await overrides_near(session, schedule=None, start=now) if schedules else []
        schedules = await with_feed_copies(session, schedules)
        paging = await reachable(
            session, services.settings.paging.contacts, user_id, registry.title
        )
        open_alerts = await open_alerts_of(session, user_id, OPEN_STATES)
        leave = await leave_of(session, user_id, now=now)
        await session.commit()
    # Slack is asked with no session open: the database is not held while it answers.
    zone = await zone_of(services, user_id)
    guest = await is_guest(services, user_id)
    return Home(
        user_id=user_id,
        zone=zone,
        now=now,
        mine=_mine(incidents, involved, since),
        recent=[
            _shown(incident, involved.get(incident.id or 0))
            for incident in incidents
            if incident.declared_at >= since
            and (incident.id in involved or not (incident.is_private or guest))
        ],
        # A guest sees no schedule, as in the web view: who is on call is the workspace's.
        on_call=[] if guest else await _on_call_now(services, schedules, overrides, now),
        follow_ups=owned,
        paging=paging if paging.concerned else None,
        web_url=services.settings.web.public_url or None,
        list_url=_list_url(services),
        recent_url=_list_url(services, since=since),
        same=_same(owned, pairs),
        alerts=open_alerts,
        leave=leave,
    )


def _same(owned: Sequence[OpenFollowUp], pairs: Mapping[str, SamePair]) -> dict[int, PossiblySame]:
    """Of the person's follow-ups, those possibly the same as another, by the task's id."""
    same = {}
    for row in owned:
        ref = follow_up_ref(row.item)
        if ref in pairs and row.item.id is not None:
            pair = pairs[ref]
            same[row.item.id] = PossiblySame(pair.other(ref), follow_up_ref(pair.later))
    return same


async def publish_home(
    services: Services,
    *,
    team_id: str | None,
    user_id: str,
    event_id: str,
    seen_hash: str | None = None,
    notice: str | None = None,
) -> None:
    """Read the person's Home, render it within Slack's limits for a view, publish it;
    ``notice`` said at its top."""
    found = await read_home(services, team_id=team_id, user_id=user_id, event_id=event_id)
    if found is None:
        return  # a second delivery of an opening already published
    home = replace(found, notice=notice) if notice else found
    view = fit_view(
        lambda counts: services.renderer.render_json(TEMPLATE, outside=True, **home.shown(*counts)),
        home.counts,
    )
    try:
        published = await services.slack.publish_home(user_id, view, seen_hash=seen_hash)
    except SlackFailure as error:
        # Nobody to tell but the log: the next opening tries again.
        log.warning("the Home tab of %s was not published: %s", user_id, error.code)
        return
    if not published:
        log.info("the Home tab of %s changed meanwhile: a newer view stays", user_id)


async def _on_call_now(
    services: Services, schedules: Sequence[Schedule], overrides: Sequence[Override], now: datetime
) -> list[OnCallNow]:
    """Each schedule's shift now, a guest the file names marked (Slack asked once a person)."""
    shifts = [(schedule, on_call_at(schedule, overrides, now)) for schedule in schedules]
    guests = await guests_among(services, (user for _, shift in shifts for user in shift.users))
    return [
        OnCallNow(
            schedule.name,
            shift,
            guests.intersection(shift.users),
            tuple(skipped_at(schedule, overrides, now)),
        )
        for schedule, shift in shifts
    ]


def _mine(
    incidents: Sequence[Incident], involved: dict[int, Involvement], since: datetime
) -> list[HomeIncident]:
    """The person's incidents: open ones newest first, then those resolved since ``since``,
    the latest resolved first."""
    theirs = [i for i in incidents if i.id in involved]
    open_ = [i for i in theirs if i.is_open]
    resolved = [i for i in theirs if not i.is_open and i.resolved_at and i.resolved_at >= since]
    resolved.sort(key=lambda i: i.resolved_at or since, reverse=True)
    return [_shown(incident, involved[incident.id or 0]) for incident in open_ + resolved]


def _shown(incident: Incident, involvement: Involvement | None) -> HomeIncident:
    return HomeIncident(incident, truncate(incident.title, TITLE_MAX), involvement)


def _list_url(services: Services, *, since: datetime | None = None) -> str | None:
    """The web view's incident list (``/``), from ``since`` on (its date filter reads dates
    in WARROOM_TIMEZONE); None when warroom has no public address."""
    base = services.settings.web.public_url
    if not base:
        return None
    if since is None:
        return f"{base}/"
    day = since.astimezone(tz.gettz(services.settings.incidents.timezone)).date()
    return f"{base}/?from={day.isoformat()}"


async def schedule_alert_homes(session: AsyncSession, people: Sequence[str], now: datetime) -> None:
    """Have the Home of each person an alert paged published afresh (the caller commits): it
    lists their open alerts. One job per person per ``ALERT_HOME_EVERY``, due at its end, so
    a storm of changes publishes each Home once in that time, with the last of them."""
    step = int(ALERT_HOME_EVERY.total_seconds())
    bucket = int(now.timestamp()) // step
    due_at = datetime.fromtimestamp((bucket + 1) * step, tz=UTC)
    for user in people:
        await jobs.schedule(
            session,
            kind=JobKind.ALERT_HOME,
            key=f"alert-home:{user}:{bucket}",
            due_at=due_at,
            payload={"user": user},
        )


async def refresh_alert_home(services: Services, job: Job) -> None:
    """The job handler: publish the person's Home afresh, their open alerts as they are."""
    user = str(jobs.payload_of(job)["user"])
    await publish_home(services, team_id=None, user_id=user, event_id=f"job:{job.key}")
