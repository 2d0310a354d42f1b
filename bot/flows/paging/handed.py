"""A page's first notifications handed from the transaction that writes them to the process
that sends them, with what their send needs, so that nothing but taking each stands between
that commit and the push.

In the process that wrote them (``prepare``, ``keep_prepared``): each alert notification's
alert group, method and console link's token, read and written in that transaction, kept in
memory for the job the runner starts at the commit (``send_prepared``). Across processes,
serve to its pager on PostgreSQL (``announced``, ``take_handover``): the jobs claimed for the
pager in that transaction and named in its NOTIFY (bot/store/wakeups.py ``Handover``) with
the alert and whether the person's own contacts are needed, so the pager starts them as it
hears it and takes, reads and writes what it needs in one transaction (``take_announced``).
The job rows, claimed with a short lease, stay the backstop either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.logs import page_stage
from bot.flows.paging.destinations.links import ACK_PATH
from bot.flows.paging.destinations.registry import find
from bot.flows.paging.notifying import method_in, send_alert_page
from bot.record.paging import own, pages, tokens
from bot.record.paging.contacts import Method, Person
from bot.services import Services
from bot.store import jobs, wakeups
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Job, Notification


@dataclass(frozen=True)
class Prepared:
    """What one of an alert's first notifications needs to leave, as the transaction that
    wrote it left it: its alert group, where it goes, and its console link (a token issued in
    that transaction; None: the method carries none, or there is no public address)."""

    group: AlertGroup
    notification: Notification
    method: Method | None
    console: str | None


# Prepared sends kept at most (a handed notification another process ended up sending leaves
# its entry behind: the oldest go first).
PREPARED_AT_MOST = 512


async def prepare(
    session: AsyncSession,
    services: Services,
    group: AlertGroup,
    notification: Notification,
    methods: Mapping[str, Method],
) -> Prepared:
    """What a first notification this process sends at the commit needs, read and written in
    the transaction that writes it (the caller commits): its console link's token with it, so
    that nothing but taking it stands between that commit and the send."""
    console = None
    public_url = services.settings.web.public_url
    destination = find(notification.method)
    if public_url and destination is not None and destination.console_first:
        token = tokens.issue_for(
            session,
            notification.page_id,
            notification.incident_id,
            method=notification.method,
            at=services.clock(),
        )
        console = f"{public_url}{ACK_PATH}/{token}"
    return Prepared(group, notification, method_in(methods, notification), console)


@dataclass(frozen=True)
class Announced:
    """What serve's transaction that wrote one of an alert's first notifications tells the
    pager process it claimed it for (in the commit's NOTIFY, bot/store/wakeups.py
    ``Handover``): its alert group, and whether its method is one of the person's own
    (read from the database as it is taken) or the contacts file's (already in the pager's
    memory). Never the address itself."""

    group: int
    own: bool


def announced(
    services: Services, group: AlertGroup | None, notification: Notification, person: Person
) -> dict[str, Any] | None:
    """``Announced``'s fields for a first notification the pager is handed (None: an
    incident's, which the pager reads as any other)."""
    if group is None or group.id is None:
        return None
    found = method_in(person.contacts, notification)
    in_file = services.settings.paging.contacts.person(person.user).contacts
    return {
        "group": group.id,
        "own": found is not None and found != method_in(in_file, notification),
    }


def keep_announced(services: Services, extra: Mapping[int, Mapping[str, Any]]) -> None:
    """Keep what an announcement said of the notifications handed to this process (the
    pager), for their sends."""
    kept = services.handed.announced
    for notification_id, said in extra.items():
        kept[notification_id] = Announced(group=int(said["group"]), own=bool(said["own"]))
    while len(kept) > PREPARED_AT_MOST:
        kept.pop(next(iter(kept)))


async def take_announced(
    services: Services, notification_id: int, said: Announced, now: datetime
) -> Prepared | None:
    """Take a notification handed to the pager (``said``: what the announcement told of it)
    and prepare its send in one transaction: the take returning its row, its alert group,
    the person's own methods only when it goes to one of them, and its console link's token
    written there (no transaction of its own before the push). None: not pending any more,
    or its page ended (the usual path reads it and says why)."""
    async with session_scope(services.engine) as session:
        notification = await pages.take_pending_row(session, notification_id, at=now)
        if notification is None:
            return None
        group = await session.get(AlertGroup, said.group)
        if group is None:
            return None  # rolled back: the usual path reads it
        contacts = services.settings.paging.contacts
        methods = (
            await own.reached_by(session, contacts, notification.user_id)
            if said.own
            else contacts.person(notification.user_id).contacts
        )
        prepared = await prepare(session, services, group, notification, methods)
        await session.commit()
    return prepared


def keep_prepared(services: Services, prepared: Iterable[Prepared]) -> None:
    """Keep what was prepared for the sends, once their transaction committed."""
    kept = services.handed.prepared
    for each in prepared:
        kept[each.notification.id or 0] = each
    while len(kept) > PREPARED_AT_MOST:
        kept.pop(next(iter(kept)))


async def send_prepared(services: Services, job: Job, now: datetime) -> bool:
    """Send a notification as prepared by the transaction that wrote it (``prepare``), taken
    in one statement if still pending and its page open; False when none was prepared here
    or it was not pending (the usual path reads it and says why)."""
    notification_id = int(jobs.payload_of(job)["notification"])
    prepared: Prepared | None = services.handed.prepared.pop(notification_id, None)
    if prepared is None:
        said: Announced | None = services.handed.announced.pop(notification_id, None)
        if said is None:
            return False
        # Handed to the pager by serve's NOTIFY: taken and prepared in one transaction.
        prepared = await take_announced(services, notification_id, said, now)
        if prepared is None:
            return False
    else:
        async with session_scope(services.engine) as session:
            taken = await pages.take_pending(session, notification_id, at=now)
            await session.commit()
        if not taken:
            return False
    page_stage("taken", job.key)
    await send_alert_page(
        services,
        prepared.group,
        prepared.notification,
        prepared.method,
        again=False,
        console=prepared.console,
    )
    return True


def hand_over_at_commit(
    session: AsyncSession,
    services: Services,
    first: list[Job],
    prepared: Sequence[Prepared] = (),
) -> None:
    """Have this replica's job runner send ``first`` once the caller's transaction commits
    (never if it rolls back: then they were never written), with what was ``prepared`` for
    their send."""

    def committed(_session: object) -> None:
        page_stage("committed")
        keep_prepared(services, prepared)
        services.hand_over(first)

    event.listen(session.sync_session, "after_commit", committed, once=True)


def take_handover(services: Services, payload: str) -> bool:
    """In the pager: start the jobs an announcement's ``payload`` hands to this process
    (claimed for it in serve's transaction that wrote them: a page's first notifications),
    with what it said of each alert's; False when it hands this process nothing."""
    handover = wakeups.handover_of(payload, services.replica)
    if handover is None:
        return False
    page_stage("heard", len(handover.jobs))
    keep_announced(services, handover.extra)
    services.hand_over(handover.jobs)
    return True
