"""Pages to people and the notifications their rules send, as rows.

A page starts when an escalation reaches a person; each of its notifications is a row due at
the page's start plus its rule's offset, whose job the caller schedules in the same
transaction. An acknowledgement ends the pages of the escalations it acknowledges, and their
pending notifications with them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, cast, column, insert, true, update, values
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.incident.timeline import add_entry
from bot.record.paging.contacts import SLACK, Person, Rule
from bot.store import jobs
from bot.store.db import insert_kept
from bot.store.job_kinds import JobKind
from bot.store.models import (
    AlertGroup,
    Incident,
    Notification,
    PersonPage,
    TimelineEntry,
    TimelineKind,
)

# What a notification may become, and what the record says for each (entries' "outcome").
SENT, DELIVERED, FAILED, ANSWERED, CANCELLED = (
    "sent",
    "delivered",
    "failed",
    "answered",
    "cancelled",
)
# Being sent; being sent once more after a sender stopped mid-send (it may have gone out);
# found being sent once more by a sender that stopped again (given up, not sent a third time).
SENDING, RESENDING, STOPPED_TWICE = "sending", "resending", "stopped_twice"
# A shadowed alert's notification (a shadow week): due and kept as would-have-been-sent at
# ``sent_at``, never sent.
SHADOW = "shadow"
# The method of a notification whose rule names a contact the person does not have.
MISSING = "missing"


async def start_page(
    session: AsyncSession,
    *,
    incident_id: int | None,
    escalation_id: int | None,
    person: Person,
    rules: Sequence[Rule],
    at: datetime,
    alert_group_id: int | None = None,
    alert_step: str | None = None,
    arrived_at: datetime | None = None,
) -> list[Notification]:
    """Start a page to ``person`` and add a notification for each method of each rule (the
    caller flushes, schedules their jobs and commits); none when this page exists already.
    An incident's page names its escalation; an alert's, its group and policy step.
    ``arrived_at``: when the alert or command that started it reached warroom."""
    page = PersonPage(
        incident_id=incident_id,
        escalation_id=escalation_id,
        alert_group_id=alert_group_id,
        alert_step=alert_step,
        user_id=person.user,
        started_at=at,
        arrived_at=arrived_at,
    )
    notifications = _notifications(page, person, rules, at)
    if notifications and session.get_bind().dialect.name == "postgresql":
        return await _start_in_one(session, page, notifications)
    if not await insert_kept(session, page):
        return []
    await session.flush()
    assert page.id is not None
    for notification in notifications:
        notification.page_id = page.id
    session.add_all(notifications)
    await session.flush()
    return notifications


def _notifications(
    page: PersonPage, person: Person, rules: Sequence[Rule], at: datetime
) -> list[Notification]:
    """A notification for each method of each rule of the page (its id not known yet)."""
    notifications = []
    for number, rule in enumerate(rules, start=1):
        for name in rule.notify:
            # A rule may name a contact since removed or never verified: its notification
            # fails when due, said in the channel, and the other rules go on.
            found = person.contacts.get(name)
            method = SLACK if name == SLACK else found.kind if found else MISSING
            notifications.append(
                Notification(
                    page_id=0,
                    incident_id=page.incident_id,
                    alert_group_id=page.alert_group_id,
                    user_id=person.user,
                    rule=number,
                    contact=name,
                    method=method,
                    due_at=at + rule.after,
                    updated_at=at,
                )
            )
    return notifications


async def _start_in_one(
    session: AsyncSession, page: PersonPage, notifications: list[Notification]
) -> list[Notification]:
    """``start_page`` on PostgreSQL: the page and its notifications written by one statement
    (the page's INSERT a CTE the notifications' rows are selected from), a round trip of a
    page's transaction fewer; none when the page exists already (its INSERT kept nothing)."""
    await session.flush()  # what the session holds goes first, as insert_kept's
    pages_table = PersonPage.__table__  # type: ignore[attr-defined]
    table = Notification.__table__  # type: ignore[attr-defined]
    written = {
        column.name: getattr(page, column.name)
        for column in pages_table.columns
        if not column.primary_key
    }
    made = (
        postgresql_insert(pages_table)
        .values(written)
        .on_conflict_do_nothing()
        .returning(pages_table.c.id)
        .cte("made")
    )
    names = [column.name for column in table.columns if column.name not in ("id", "page_id")]
    rows = values(*(column(name, table.c[name].type) for name in names), name="rows").data(
        [tuple(getattr(each, name) for name in names) for each in notifications]
    )
    # Each column cast: PostgreSQL reads a column of VALUES holding only NULLs as text.
    chosen = select(
        made.c.id, *(cast(rows.c[name], table.c[name].type) for name in names)
    ).select_from(made.join(rows, true()))
    statement = (
        insert(table)
        .from_select(["page_id", *names], chosen)
        .returning(*table.columns)
        .add_cte(made)
    )
    kept = {(row.rule, row.contact): row._mapping for row in (await session.exec(statement)).all()}
    return _as_written(session, page, notifications, kept)


def _as_written(
    session: AsyncSession,
    page: PersonPage,
    notifications: list[Notification],
    kept: Mapping[tuple[Any, Any], RowMapping],
) -> list[Notification]:
    """The notifications the statement wrote (``kept``, by rule and contact), each given its
    row's values and put in the session as persisted, and the page with its id."""
    table = Notification.__table__  # type: ignore[attr-defined]
    given = []
    for each in notifications:
        row = kept.get((each.rule, each.contact))
        if row is None:
            continue
        for name in table.columns.keys():  # noqa: SIM118 (a ColumnCollection)
            set_committed_value(each, name, row[name])
        make_transient_to_detached(each)
        session.add(each)
        given.append(each)
    if given:
        page.id = given[0].page_id
        make_transient_to_detached(page)
        session.add(page)
    return given


async def end_pages(
    session: AsyncSession,
    *,
    incident_id: int | None,
    escalation_ids: Collection[int] | None,
    at: datetime,
    by: str | None = None,
    via: str | None = None,
    alert_group_id: int | None = None,
) -> list[PersonPage]:
    """End the open pages of these escalations (None: every one of the incident's, on
    resolution), or every open page of an alert group, and cancel their pending
    notifications (the caller commits and cancels the jobs); the pages ended. ``by`` and
    ``via`` say who acknowledged and how."""
    whose = (
        col(PersonPage.alert_group_id) == alert_group_id
        if alert_group_id is not None
        else col(PersonPage.incident_id) == incident_id
    )
    statement = select(PersonPage).where(whose, col(PersonPage.state) == "open")
    if escalation_ids is not None:
        statement = statement.where(col(PersonPage.escalation_id).in_(list(escalation_ids)))
    pages = list((await session.exec(statement)).all())
    for page in pages:
        if by is None:
            page.state = "ended"
        else:
            page.state = "acknowledged"
            page.acknowledged_at, page.acknowledged_by, page.acknowledged_via = at, by, via
        session.add(page)
    if pages:
        await session.exec(
            update(Notification)
            .where(
                col(Notification.page_id).in_([page.id for page in pages]),
                col(Notification.state) == "pending",
            )
            .values(state=CANCELLED, updated_at=at)
        )
        await _stop_ringing(session, [page.id for page in pages if page.id is not None], at)
    return pages


async def _stop_ringing(session: AsyncSession, page_ids: list[int], at: datetime) -> None:
    """A ``pushover_cancel`` job for each of the pages' Pushover pushes still repeating (sent
    with a receipt, not acknowledged from it): the phone stops ringing once the page ends."""
    statement = select(Notification).where(
        col(Notification.page_id).in_(page_ids),
        col(Notification.method) == "pushover",
        col(Notification.state) == SENT,
        col(Notification.vendor_id).is_not(None),
    )
    ringing = (await session.exec(statement)).all()
    if not ringing:
        return  # nothing to write (and the jobs ``schedule_along`` left wait for theirs)
    await jobs.schedule_jobs(
        session,
        [
            jobs.NewJob(
                kind=JobKind.PUSHOVER_CANCEL,
                key=f"pushover-cancel:{notification.id}",
                due_at=at,
                incident_id=notification.incident_id,
                payload={"notification": notification.id},
            )
            for notification in ringing
        ],
    )


async def alert_paged(session: AsyncSession, incident_id: int | None) -> set[str]:
    """Who the alerts attached to the incident paged (in their current episodes): the
    incident's escalations bring them in without paging them a second time."""
    statement = (
        select(PersonPage.user_id)
        .join(AlertGroup, col(AlertGroup.id) == col(PersonPage.alert_group_id))
        .where(
            col(AlertGroup.incident_id) == incident_id,
            col(PersonPage.started_at) >= col(AlertGroup.triggered_at),
        )
    )
    return set((await session.exec(statement)).all())


async def attached_alerts(session: AsyncSession, incident_id: int) -> list[int]:
    """The alert groups attached to the incident (their pages are its to end)."""
    statement = select(AlertGroup.id).where(col(AlertGroup.incident_id) == incident_id)
    return [group_id for group_id in (await session.exec(statement)).all() if group_id]


async def paged_users(session: AsyncSession, escalation_id: int) -> set[str]:
    """Who the escalation started a page for."""
    statement = select(PersonPage.user_id).where(col(PersonPage.escalation_id) == escalation_id)
    return set((await session.exec(statement)).all())


async def latest_open_page(session: AsyncSession, user: str) -> PersonPage | None:
    """The person's most recent page still waiting for an acknowledgement."""
    statement = (
        select(PersonPage)
        .where(col(PersonPage.user_id) == user, col(PersonPage.state) == "open")
        .order_by(col(PersonPage.started_at).desc(), col(PersonPage.id).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def open_alerts_of(
    session: AsyncSession, user: str, open_states: Collection[str]
) -> list[AlertGroup]:
    """The alerts of their own (no incident) whose firing now paged ``user``, in one of
    ``open_states``, the latest triggered first."""
    statement = (
        select(AlertGroup, PersonPage.alert_step)
        .join(PersonPage, col(PersonPage.alert_group_id) == col(AlertGroup.id))
        .where(col(PersonPage.user_id) == user, col(AlertGroup.state).in_(list(open_states)))
        .order_by(col(AlertGroup.triggered_at).desc(), col(AlertGroup.id).desc())
    )
    found: dict[int, AlertGroup] = {}
    for group, step in (await session.exec(statement)).all():
        if (step or "").startswith(f"{group.episode}:") and group.id is not None:
            found.setdefault(group.id, group)
    return list(found.values())


async def first_sent_after(
    session: AsyncSession, notification: Notification, at: datetime
) -> float | None:
    """Seconds from the arrival of what started the page (the alert's HTTP request, the
    ``/incident start`` command; else, for a level that started by itself, the page's start)
    to ``notification`` leaving at ``at``, when it is the first of its page to leave (None
    otherwise): the pager's time to first notification, the paging SLI. Marked on the page by
    one conditional update, so two notifications sent at once (a push beside the Slack DM)
    never both count as the first."""
    marked = await session.exec(
        update(PersonPage)
        .where(col(PersonPage.id) == notification.page_id, col(PersonPage.first_sent_at).is_(None))
        .values(first_sent_at=at)
    )
    if not marked.rowcount:
        return None
    page = await session.get(PersonPage, notification.page_id)
    if page is None:
        return None
    return (at - (page.arrived_at or page.started_at)).total_seconds()


async def by_vendor_id(session: AsyncSession, vendor_id: str) -> Notification | None:
    """The notification a service knows by ``vendor_id`` (a phone provider's id)."""
    if not vendor_id:
        return None
    statement = select(Notification).where(col(Notification.vendor_id) == vendor_id)
    return (await session.exec(statement)).first()


async def given_up_by_provider(session: AsyncSession, vendor_id: str) -> bool:
    """Whether ``vendor_id`` was a notification's first provider's before its fallback carried
    it (that provider's repeated reports are known, and change nothing)."""
    if not vendor_id:
        return False
    statement = select(Notification.id).where(col(Notification.given_up_vendor_id) == vendor_id)
    return (await session.exec(statement)).first() is not None


async def notifications_of(session: AsyncSession, incident_id: int) -> Sequence[Notification]:
    """Every notification of the incident's pages, in due order."""
    statement = (
        select(Notification)
        .where(col(Notification.incident_id) == incident_id)
        .order_by(col(Notification.due_at), col(Notification.id))
    )
    return (await session.exec(statement)).all()


async def notifications_of_page(session: AsyncSession, page_id: int) -> Sequence[Notification]:
    """Every notification of one person's page (an incident's or an alert's), in due order."""
    statement = (
        select(Notification)
        .where(col(Notification.page_id) == page_id)
        .order_by(col(Notification.due_at), col(Notification.id))
    )
    return (await session.exec(statement)).all()


async def pages_by_id(session: AsyncSession, page_ids: Sequence[int]) -> Sequence[PersonPage]:
    """The pages of these ids (an alert's, its timeline entries name), by id."""
    statement = (
        select(PersonPage).where(col(PersonPage.id).in_(page_ids)).order_by(col(PersonPage.id))
    )
    return (await session.exec(statement)).all()


async def notifications_of_pages(
    session: AsyncSession, page_ids: Sequence[int]
) -> Sequence[Notification]:
    """Every notification of these pages, in due order."""
    statement = (
        select(Notification)
        .where(col(Notification.page_id).in_(page_ids))
        .order_by(col(Notification.due_at), col(Notification.id))
    )
    return (await session.exec(statement)).all()


async def pages_of(session: AsyncSession, incident_id: int) -> Sequence[PersonPage]:
    statement = (
        select(PersonPage)
        .where(col(PersonPage.incident_id) == incident_id)
        .order_by(col(PersonPage.id))
    )
    return (await session.exec(statement)).all()


async def take(session: AsyncSession, notification: Notification, *, at: datetime) -> str | None:
    """Mark a notification as being sent, if its page is still open (the caller commits):
    ``SENDING`` when it was pending; ``RESENDING`` when a sender took it before and stopped
    mid-send (its replica died: the job's claim ran out), so it may have gone out already and
    is sent once more; None when it was cancelled, sent already, its page ended, or it was
    sent once more already (``STOPPED_TWICE``: the caller gives it up)."""
    page = await session.get(PersonPage, notification.page_id)
    if page is None or page.state != "open":
        return None
    for was, now in (("pending", SENDING), (SENDING, RESENDING)):
        taken = await session.exec(
            update(Notification)
            .where(col(Notification.id) == notification.id, col(Notification.state) == was)
            .values(state=now, updated_at=at)
        )
        if taken.rowcount:
            return now
    current = await session.get(Notification, notification.id)
    return STOPPED_TWICE if current is not None and current.state == RESENDING else None


async def take_pending(session: AsyncSession, notification_id: int, *, at: datetime) -> bool:
    """``take`` in one statement, for a notification just written (pending, its page open):
    True when it was so and is now ``SENDING``; False leaves it as it was, for ``take`` to
    read and say (the caller commits)."""
    taken = await session.exec(_take_pending(notification_id, at))
    return bool(taken.rowcount)


async def take_pending_row(
    session: AsyncSession, notification_id: int, *, at: datetime
) -> Notification | None:
    """``take_pending`` giving the notification's row as taken (None: not taken), in the
    same one statement: for a sender that has not read it (the caller commits)."""
    taken = await session.exec(
        _take_pending(notification_id, at)
        .returning(Notification)
        .execution_options(synchronize_session=False)
    )
    row: Notification | None = taken.scalars().first()
    return row


def _take_pending(notification_id: int, at: datetime) -> Any:
    open_page = (
        select(PersonPage.id)
        .where(col(PersonPage.id) == col(Notification.page_id), col(PersonPage.state) == "open")
        .exists()
    )
    return (
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.state) == "pending")
        .where(open_page)
        .values(state=SENDING, updated_at=at)
    )


def record_outcome(
    session: AsyncSession,
    incident: Incident,
    notification: Notification,
    *,
    outcome: str,
    at: datetime,
    detail: str | None = None,
    attempts: int = 1,
    possible_repeat: bool = False,
) -> None:
    """Keep what became of a notification as an entry of the incident's record (the caller
    commits): which method reached whom, never the number or address; ``possible_repeat``:
    sent again after a sender stopped mid-send, so the person may have had it twice."""
    facts: dict[str, Any] = {
        "user": notification.user_id,
        "method": notification.method,
        "contact": notification.contact,
        "outcome": outcome,
        "notification": notification.id,
    }
    if detail:
        facts["detail"] = detail
    if notification.reported and notification.reported != outcome:
        facts["reported"] = notification.reported  # the provider's own word for it
    if attempts > 1:
        facts["attempts"] = attempts
    if possible_repeat:
        facts["possible_repeat"] = True
    add_entry(
        session, incident, kind=TimelineKind.NOTIFICATION, facts=facts, author=None, occurred_at=at
    )


async def failed_attempts(session: AsyncSession, incident_id: int) -> dict[int, int]:
    """How many tries each of the incident's notifications given up took, by its id (from
    the record's entries: once is not written down)."""
    statement = select(TimelineEntry).where(
        TimelineEntry.incident_id == incident_id, TimelineEntry.kind == TimelineKind.NOTIFICATION
    )
    attempts: dict[int, int] = {}
    for entry in (await session.exec(statement)).all():
        facts = entry.facts or {}
        if facts.get("outcome") == FAILED and facts.get("notification") is not None:
            attempts[int(facts["notification"])] = int(facts.get("attempts") or 1)
    return attempts
