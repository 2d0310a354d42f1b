"""What status page subscribers are sent: one delivery per confirmed subscriber for each notice
(a public update, a public maintenance window), written in the notice's own transaction with
the job that sends them (``subscriber_notice``).

Shared by the domains that make notices: ``status_page`` (updates) and ``alerting``
(maintenance windows), which comes before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store import jobs
from bot.store.job_kinds import JobKind
from bot.store.models import StatusDelivery, StatusSubscription

UPDATE = "update"
MAINTENANCE = "maintenance"
MAINTENANCE_CANCELLED = "maintenance-cancelled"


def notice_key(kind: str, row_id: int | None) -> str:
    """``update:12``, ``maintenance:3``: a notice's name in deliveries and its job's key."""
    return f"{kind}:{row_id}"


def wants(subscribed: Sequence[str], components: Sequence[str] | None) -> bool:
    """Whether a subscriber of ``subscribed`` (empty: everything) is sent a notice about
    ``components`` (None: a notice for everyone, a maintenance window)."""
    if not subscribed or components is None:
        return True
    chosen = {name.casefold() for name in subscribed}
    return any(name.casefold() in chosen for name in components)


async def notify_subscribers(
    session: AsyncSession,
    *,
    notice: str,
    components: Sequence[str] | None,
    at: datetime,
) -> int:
    """Write the notice's delivery to each subscriber confirmed now who wants it, once each,
    and the job that sends them (the caller commits); how many."""
    rows = await session.exec(
        select(StatusSubscription.id, StatusSubscription.components).where(
            col(StatusSubscription.confirmed_at).is_not(None),
            col(StatusSubscription.unsubscribed_at).is_(None),
            col(StatusSubscription.bounced_at).is_(None),
        )
    )
    done = set(
        (
            await session.exec(
                select(StatusDelivery.subscription_id).where(StatusDelivery.notice == notice)
            )
        ).all()
    )
    chosen = [
        subscription_id
        for subscription_id, subscribed in rows.all()
        if subscription_id is not None
        and subscription_id not in done
        and wants(subscribed, components)
    ]
    session.add_all(
        StatusDelivery(subscription_id=subscription_id, notice=notice, created_at=at)
        for subscription_id in chosen
    )
    if chosen:
        await session.flush()
        await jobs.schedule(
            session,
            kind=JobKind.SUBSCRIBER_NOTICE,
            key=f"subscriber-notice:{notice}",
            due_at=at,
            payload={"notice": notice},
        )
    return len(chosen)
