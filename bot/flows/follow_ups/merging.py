"""Follow-ups that are one task, merged by a person in one click: the *Merge* button on a
follow-up's message in the incident's channel (it names the earlier one it is possibly the
same as) or the web view's follow-ups page. The channel is told who merged what; the kept
task takes the other's owner, due date and tracker issue when it lacks them (its reminders
with its due date); the draft's canvas is brought up to date quietly.

Only the incident's people may merge: a guest of the workspace is refused (asked of Slack
afresh, as on the web view's pages for members); the web view checks that the viewer may
edit the incident's postmortem too.
"""

from __future__ import annotations

from bot.basics.errors import GoneFromRecord
from bot.flows.channel import Writes
from bot.flows.follow_ups.model import earlier_same
from bot.flows.follow_ups.owners import schedule_reminders
from bot.flows.rights import require
from bot.record.follow_ups import follow_ups
from bot.record.follow_ups.follow_up_merges import (
    Merged,
    MergeRefused,
    merge,
)
from bot.record.incident import incidents
from bot.record.postmortem.publication import schedule_publication
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import ActionItem, Incident


async def merge_from_button(services: Services, *, channel_id: str, ref: str, by: str) -> None:
    """The *Merge* button on a follow-up's message, or beside it on its owner's App Home:
    merged with the other one it is possibly the same as; MergeRefused (said to the person
    privately) otherwise."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        item = await follow_ups.follow_up_of(session, ref)
        if item is None or item.incident_id != incident.id:
            raise MergeRefused(why="gone")
        other = await earlier_same(session, item)
    if other is None:
        raise MergeRefused(why="nothing_alike")
    await merge_follow_ups(
        services,
        incident_id=item.incident_id,
        first=follow_ups.follow_up_ref(other),
        second=ref,
        by=by,
    )


async def channel_of(services: Services, ref: str) -> str | None:
    """The channel of the incident of the follow-up ``ref`` (the line a *Merge* pressed on
    the App Home waits in), if it has one."""
    async with session_scope(services.engine) as session:
        item = await follow_ups.follow_up_of(session, ref)
        incident = await session.get(Incident, item.incident_id) if item else None
    return incident.channel_id if incident else None


async def merge_follow_ups(
    services: Services, *, incident_id: int, first: str, second: str, by: str
) -> Merged:
    """Merge two follow-ups of the incident into the older, if ``by`` may; the channel told
    (kept in the same transaction), the kept task's reminders set, the draft refreshed."""
    await require(services, by, Act.MERGE_FOLLOW_UPS)
    now = services.clock()
    async with session_scope(services.engine) as session:
        found = await session.get(Incident, incident_id)
        if found is None:
            raise GoneFromRecord(what="incident")
        incident = await incidents.lock(session, found)
        merged = await merge(session, incident_id, first, second, by=by, at=now)
        await session.flush()
        if isinstance(merged.kept, ActionItem) and "due" in merged.carried:
            await schedule_reminders(session, services, merged.kept, now)
        writes = Writes(services, session, incident)
        if incident.channel_id:
            await _tell(writes, merged, by)
            await schedule_publication(session, incident, by=by, now=now, quiet=True)
        await session.commit()
    await writes.send()
    services.wake_jobs()
    return merged


async def _tell(writes: Writes, merged: Merged, by: str) -> None:
    issue = await follow_ups.issue_of(writes.session, follow_ups.follow_up_ref(merged.kept))
    await writes.say(
        "messages/follow_up_merged.j2",
        merged=merged,
        by=by,
        issue=issue,
        owner=merged.kept.owner if isinstance(merged.kept, ActionItem) else None,
    )


def language_of(services: Services, incident: Incident) -> str:
    """``fr`` or ``en``: the incident's postmortem language, as its forms speak."""
    code = incident.postmortem_language or services.settings.incidents.language
    return "fr" if code.startswith("fr") else "en"
