"""Filing follow-ups as tracker issues: asked for, sent as jobs, retried, closed and reopened
from webhooks.

A follow-up is filed where the command says (``--file=jira:OPS``), else where its incident's
alert route says (``tracker:`` in the routes file), else in ``WARROOM_TRACKER``. Asking
stores a ``tracker_issue`` row and a job in one transaction: from then on the follow-up
waits until the tracker takes it. A tracker that is down or rate-limits is tried again with
backoff, for as long as it takes (the channel is told once, and again when it is filed); a
tracker that refuses for good (credentials, project, a field) is told in the channel with its
words, and the follow-up can be filed again once the settings are mended.

An issue's body carries a marker naming the follow-up (``warroom:<channel>/<incident>/<row>``).
Once an attempt has sent the issue, every later one first searches the tracker for that
marker: a tracker that made the issue but answered too late (or warroom stopping just after
it answered) gets the issue recorded, not made twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.slack_text import mentioned_users, to_plain, to_readable
from bot.basics.trackers import TrackerChange, TrackerTarget
from bot.clients.slack.errors import SlackFailure
from bot.clients.trackers import github, jira, linear
from bot.clients.trackers.common import (
    FiledIssue,
    IssueDraft,
    TrackerFailure,
    inert,
    inert_markdown,
)
from bot.config.trackers import TrackerSettings
from bot.flows.channel import say_safely
from bot.record.follow_ups import follow_ups
from bot.record.follow_ups.follow_ups import FollowUp
from bot.record.incident import incidents
from bot.record.people import known_names
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import ActionItem, AlertGroup, Incident, Job, TrackerIssue
from bot.store.processed_events import claim_event

log = logging.getLogger(__name__)
# Waits before each next attempt; the last one repeats: a follow-up is never given up on.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (30, 60, 120, 300, 900, 1800, 3600))
# GitHub lists issues updated since a time: ours was sent at sent_at by our clock, theirs may
# be behind.
CLOCK_MARGIN = timedelta(hours=1)
TRACKER_NAMES = {"github": "GitHub", "jira": "Jira", "linear": "Linear"}


NO_TRACKER = (
    "No tracker to file in: set WARROOM_TRACKER (or a route's `tracker`), "
    "or name one: `/incident action --file=github:owner/repo <task>`."
)


class NoTracker(BotError):
    """Nowhere to file: no tracker named, for the route or in the settings."""


async def target_for(
    services: Services, incident: Incident, asked: TrackerTarget | None = None
) -> TrackerTarget | None:
    """Where the incident's follow-ups go: asked, else its alert route's, else the default."""
    if asked is not None:
        return asked
    async with session_scope(services.engine) as session:
        route = (
            await session.exec(
                select(AlertGroup.route).where(AlertGroup.incident_id == incident.id).limit(1)
            )
        ).first()
    chosen = services.settings.alerting.routes.named(route).tracker if route else None
    return chosen or services.settings.trackers.default


async def file_follow_up(
    services: Services,
    incident: Incident,
    row: FollowUp,
    *,
    by: str,
    asked: TrackerTarget | None = None,
) -> tuple[TrackerIssue, bool]:
    """Ask for one follow-up to be filed; its issue row, and True when filing starts now.

    Asked again without a destination (the button, filing on postmortem), a follow-up that
    was asked for before goes where it was asked then: a refusal by Jira is no reason to
    file it in the default tracker.
    """
    target = asked or await _asked_before(services, row) or await target_for(services, incident)
    if target is None:
        raise NoTracker(NO_TRACKER)
    project = services.settings.trackers.project_of(target)
    now = services.clock()
    async with session_scope(services.engine) as session:
        issue, starts = await follow_ups.request_issue(
            session, incident, follow_ups.follow_up_ref(row), target, project, by=by, at=now
        )
        if starts:
            await _schedule(session, issue, now)
        await session.commit()
    if starts:
        services.wake_jobs()
    return issue, starts


async def _asked_before(services: Services, row: FollowUp) -> TrackerTarget | None:
    async with session_scope(services.engine) as session:
        issue = await follow_ups.issue_of(session, follow_ups.follow_up_ref(row))
    if issue is None:
        return None
    return TrackerTarget(issue.tracker, issue.project)  # type: ignore[arg-type]


async def file_all(services: Services, incident: Incident, *, by: str) -> int:
    """Ask for every follow-up not filed yet to be filed; how many were asked for (none
    when the incident has no tracker to file in)."""
    target = await target_for(services, incident)
    if target is None:
        log.info("%s: no tracker to file its follow-ups in", incident.reference)
        return 0
    async with session_scope(services.engine) as session:
        asked = await request_unfiled(
            session, services, incident, target, by=by, at=services.clock()
        )
        await session.commit()
    if asked:
        services.wake_jobs()
    return asked


async def request_unfiled(
    session: AsyncSession,
    services: Services,
    incident: Incident,
    target: TrackerTarget,
    *,
    by: str,
    at: datetime,
) -> int:
    """In the caller's transaction, ask for each follow-up never filed, or refused, to be
    filed (a refused one where it was asked before, the others in ``target``) and schedule
    its job; how many were asked for (the caller commits)."""
    rows = await follow_ups.follow_ups(session, incident.id or 0)
    issues = await follow_ups.issues_of(session, incident.id or 0)
    asked = 0
    for row in rows:
        earlier = issues.get(follow_ups.follow_up_ref(row))
        if earlier is not None and earlier.state != "refused":
            continue
        where = target
        if earlier is not None:
            where = TrackerTarget(earlier.tracker, earlier.project)  # type: ignore[arg-type]
        issue, starts = await follow_ups.request_issue(
            session,
            incident,
            follow_ups.follow_up_ref(row),
            where,
            services.settings.trackers.project_of(where),
            by=by,
            at=at,
        )
        if starts:
            await _schedule(session, issue, at)
        asked += 1
    return asked


async def file_from_button(services: Services, *, channel_id: str, item_id: int, by: str) -> str:
    """The "File as issue" button: file the follow-up, or say where it is already."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        item = await session.get(ActionItem, item_id)
    if item is None or item.incident_id != incident.id:
        raise BotError("That follow-up is not in this incident any more.")
    issue, starts = await file_follow_up(services, incident, item, by=by)
    return services.renderer.render(
        "messages/issue_requested.j2", issue=issue, starts=starts, tracker=TRACKER_NAMES
    )


async def _schedule(session: object, issue: TrackerIssue, now: datetime) -> None:
    # A refused issue asked again runs its job again (a job's key is used once).
    await jobs.reschedule(
        session,  # type: ignore[arg-type]
        kind=JobKind.FILE_ISSUE,
        key=follow_ups.file_job_key(issue.follow_up),
        due_at=now,
        incident_id=issue.incident_id,
    )


async def send_issue(services: Services, job: Job) -> datetime | None:
    """The job handler: file one follow-up; retry later on a passing failure, and say so."""
    ref = job.key.removeprefix(follow_ups.file_job_key(""))
    async with session_scope(services.engine) as session:
        issue = await follow_ups.issue_of(session, ref)
        row = await follow_ups.follow_up_of(session, ref)
        incident = await session.get(Incident, issue.incident_id) if issue else None
    if issue is None or issue.state != "waiting" or row is None or incident is None:
        return None
    target = TrackerTarget(issue.tracker, issue.project)  # type: ignore[arg-type]
    attempt = job.attempts + 1
    try:
        draft = await _draft(services, incident, issue, row)
        filed = await _find_or_file(services, issue, target, draft)
    except TrackerFailure as failure:
        return await _failed(services, incident, issue, row, failure, attempt)
    except Exception as error:
        # Anything else would leave the follow-up waiting with no job to file it: said in
        # the channel as a refusal, so it can be filed again (and the retry searches first).
        log.exception("filing a follow-up of %s failed unexpectedly", incident.reference)
        unexpected = TrackerFailure(f"unexpected error ({type(error).__name__})", retryable=False)
        return await _failed(services, incident, issue, row, unexpected, attempt)
    await _filed(services, incident, issue, row, filed, attempt)
    return None


async def _find_or_file(
    services: Services, issue: TrackerIssue, target: TrackerTarget, draft: IssueDraft
) -> FiledIssue:
    """The issue an earlier attempt made, when one did; else file it now."""
    assert services.http is not None, "filing needs the application's HTTP session"
    settings = services.settings.trackers
    if issue.sent_at is not None:
        since = issue.sent_at - CLOCK_MARGIN
        found = await find_issue(services.http, settings, target, draft.marker, since)
        if found is not None:
            log.info("%s was made by an earlier attempt: recorded", found.key)
            return found
    else:
        # Committed before sending: if the answer is lost, the next attempt searches.
        async with session_scope(services.engine) as session:
            session.add(issue)
            issue.sent_at = services.clock()
            await session.commit()
    return await file_issue(services.http, settings, target, draft)


async def file_issue(
    http: aiohttp.ClientSession,
    settings: TrackerSettings,
    target: TrackerTarget,
    draft: IssueDraft,
) -> FiledIssue:
    """File ``draft`` in ``target``; raise TrackerFailure unless the tracker made the issue."""
    filers = {"github": github.file, "jira": jira.file, "linear": linear.file}
    return await filers[target.kind](http, settings, _project(settings, target), draft)


def _project(settings: TrackerSettings, target: TrackerTarget) -> str:
    """The target's project; a refusal when its settings are missing."""
    missing = settings.missing(target.kind)
    if missing:
        raise TrackerFailure(f"{', '.join(missing)} not set", retryable=False)
    project = settings.project_of(target)
    if not project:
        raise TrackerFailure(f"no {target.kind} project named", retryable=False)
    return project


async def find_issue(
    http: aiohttp.ClientSession,
    settings: TrackerSettings,
    target: TrackerTarget,
    marker: str,
    since: datetime,
) -> FiledIssue | None:
    """The issue an earlier attempt made for the follow-up ``marker`` names (asked for at
    ``since``), or None; raise TrackerFailure when the tracker cannot say."""
    finders = {"github": github.find, "jira": jira.find, "linear": linear.find}
    return await finders[target.kind](http, settings, _project(settings, target), marker, since)


def issue_marker(incident: Incident, issue: TrackerIssue) -> str:
    """What names the follow-up in its issue's body, in this workspace (its channel)."""
    return f"warroom:{incident.channel_id or '-'}/{incident.reference}/{issue.follow_up}"


async def _draft(
    services: Services, incident: Incident, issue: TrackerIssue, row: FollowUp
) -> IssueDraft:
    """The issue: the task as its title, who and when, and the links back; for a private
    incident, its title and people's names are left out (the repository may be public).

    People's words (the task, the incident's title, people's names) are decoded once: plain in
    the title, inert Markdown in the body (GitHub, Linear), plain in Jira's document; none of
    them mentions, cross-links or loads anything in the tracker."""
    slack_url = row.permalink
    if not slack_url and row.slack_channel and row.slack_ts:
        try:
            slack_url = await services.slack.permalink(row.slack_channel, row.slack_ts)
        except SlackFailure as error:
            log.warning("no permalink for a follow-up of %s: %s", incident.reference, error.code)
    base = services.settings.web.public_url
    incident_url = f"{base}/incidents/{incident.reference}" if base else None
    private = incident.is_private
    owner = await _name(services, row.owner if isinstance(row, ActionItem) else None, private)
    author = row.created_by if isinstance(row, ActionItem) else row.author
    noted_by = await _name(services, author, private)
    names = await _mentioned_names(services, [row.text, incident.title], private)
    marker = issue_marker(incident, issue)

    def body(shown: Callable[[str], str]) -> str:
        """The body, each person's words (decoded) shown by ``shown``."""
        return services.renderer.render_plain(
            "messages/issue_body.j2",
            incident=incident,
            text=shown(to_readable(row.text, names, anonymous=private)),
            title=shown(to_readable(incident.title, names, anonymous=private)),
            owner=shown(owner) if owner else None,
            noted_by=shown(noted_by) if noted_by else None,
            incident_url=incident_url,
            slack_url=slack_url,
            private=private,
            marker=marker,
        )

    title = to_plain(row.text, names, anonymous=private)
    return IssueDraft(
        title=inert(f"{title} ({incident.reference})"),
        body=body(inert_markdown),
        plain_body=body(str),
        incident_url=incident_url,
        slack_url=slack_url,
        incident_reference=incident.reference,
        marker=marker,
    )


async def _mentioned_names(services: Services, texts: list[str], private: bool) -> dict[str, str]:
    """The names of the people the texts mention: as warroom knows them, else as Slack says;
    for a private incident, nobody's (``to_readable`` and ``to_plain`` say "someone")."""
    mentioned = {user for text in texts for user in mentioned_users(text)}
    if private:
        return {}
    async with session_scope(services.engine) as session:
        names = await known_names(session, mentioned)
    for user in sorted(mentioned - names.keys()):
        if name := await _name(services, user, private):
            names[user] = name
    return names


async def _name(services: Services, user_id: str | None, private: bool) -> str | None:
    """How the person is called; none when Slack will not say (never their Slack id) or for a
    private incident."""
    if not user_id or private:
        return None
    try:
        name = await services.slack.display_name(user_id)
    except SlackFailure as error:
        log.warning("no name for %s: %s", user_id, error.code)
        return None
    return name if name != user_id else None


async def _filed(
    services: Services,
    incident: Incident,
    issue: TrackerIssue,
    row: FollowUp,
    filed: FiledIssue,
    attempts: int,
) -> None:
    async with session_scope(services.engine) as session:
        session.add(issue)
        follow_ups.mark_filed(
            issue, external_id=filed.external_id, key=filed.key, url=filed.url, at=services.clock()
        )
        await session.commit()
    await _say(
        services, incident, "messages/issue_filed.j2", issue=issue, row=row, attempts=attempts
    )


async def _failed(
    services: Services,
    incident: Incident,
    issue: TrackerIssue,
    row: FollowUp,
    failure: TrackerFailure,
    attempt: int,
) -> datetime | None:
    log.warning(
        "filing a follow-up of %s in %s failed, attempt %d: %s",
        incident.reference,
        issue.tracker,
        attempt,
        failure.detail,
    )
    delay = _retry_delay(failure, attempt)
    if delay is None:
        async with session_scope(services.engine) as session:
            session.add(issue)
            follow_ups.mark_refused(issue, failure.detail)
            await session.commit()
    # A refusal is said at once; a passing failure on its first attempt only.
    if delay is None or attempt == 1:
        await _say(
            services,
            incident,
            "messages/issue_failed.j2",
            issue=issue,
            row=row,
            detail=failure.detail,
            retry_in=delay,
        )
    return None if delay is None else services.clock() + delay


def _retry_delay(failure: TrackerFailure, attempt: int) -> timedelta | None:
    """How long before the next attempt (at least what the tracker asked); None: never."""
    if not failure.retryable:
        return None
    return max(
        RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1],
        timedelta(seconds=failure.retry_after or 0),
    )


async def _say(services: Services, incident: Incident, template: str, **context: object) -> None:
    """Tell the channel, with the trackers' names; a Slack failure here must not file the
    issue twice."""
    await say_safely(
        services, incident, template, about="a filed follow-up", tracker=TRACKER_NAMES, **context
    )


async def change_from_tracker(services: Services, change: TrackerChange) -> TrackerIssue | None:
    """The issue was closed (the follow-up is done) or reopened (it is not) in its tracker:
    record it and say so in the incident's channel. None when warroom did not file the issue,
    nothing changes (closed twice, reopened while open), or the change was applied before or
    is older than the last one applied (a replay, under whatever delivery id: an old "closed"
    must not close the issue reopened since). Decided by what the signed payload says, the
    delivery id being outside the signature."""
    async with session_scope(services.engine) as session:
        issue = await follow_ups.issue_changed(session, change)
        if issue is None:
            return None
        changed = await claim_event(session, f"tracker-change:{change.what()}")
        changed = changed and follow_ups.apply_change(issue, change, services.clock())
        session.add(issue)
        await session.commit()
        if not changed:
            return None
        incident = await session.get(Incident, issue.incident_id)
        row = await follow_ups.follow_up_of(session, issue.follow_up)
    if incident is not None and incident.channel_id and row is not None:
        template = "messages/issue_closed.j2" if change.closed else "messages/issue_reopened.j2"
        await _say(services, incident, template, issue=issue, row=row, by=change.by)
    return issue
