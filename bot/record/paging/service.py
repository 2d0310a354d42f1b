"""Paging measured as a service, from the record: how fast pages' first notifications left,
what each provider did with them, who acknowledged and how, the paging SLO (high-urgency
alerts confirmed to reach a person within 60 s: bot/record/paging/slo.py), and the paging
drill's checks.

Read from the database (never from one process's counters), so the web view's Paging panel
survives restarts and says the same on every replica.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.paging.contacts import provider_of
from bot.record.paging.pages import ANSWERED, DELIVERED, FAILED, SENT
from bot.record.paging.slo import SloReport, paging_report
from bot.store.models import DrillCheck, Notification, PersonPage

# Outcomes that reached the provider's far end, or at least left warroom for it.
REACHED = (SENT, DELIVERED, ANSWERED)
# Outcomes a provider ended with: reached, failed, or a call nobody picked up.
SETTLED = (*REACHED, FAILED, "busy", "no-answer")
WINDOWS = (7, 30)


@dataclass(frozen=True)
class ProviderFigures:
    """A provider's notifications settled in the window: how many reached, of how many."""

    provider: str
    reached: int
    settled: int

    @property
    def ratio(self) -> float | None:
        return self.reached / self.settled if self.settled else None


@dataclass(frozen=True)
class PagingWindow:
    """The last ``days`` days of paging."""

    days: int
    pages: int
    first_p50: float | None  # seconds from a page's start to its first notification leaving
    first_p99: float | None
    measured: int  # pages with a first notification, the percentiles' count
    providers: Sequence[ProviderFigures]
    acknowledged: dict[str, int]  # by how: slack, sms, voice, ntfy, email
    reached_nobody: int  # pages neither acknowledged nor reaching the person by any method
    # High-urgency alerts confirmed to reach a person within 60 s: the paging SLO.
    slo: SloReport


@dataclass(frozen=True)
class PagingFigures:
    windows: Sequence[PagingWindow]
    last_drill: Sequence[DrillCheck]  # the checks of the latest drill, none if never drilled

    @property
    def providers(self) -> list[str]:
        """Every provider that settled a notification in any window."""
        return sorted({p.provider for window in self.windows for p in window.providers})

    def provider(self, window: PagingWindow, name: str) -> ProviderFigures | None:
        return next((p for p in window.providers if p.provider == name), None)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.5: the median); None of nothing."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def paging_figures(session: AsyncSession, *, now: datetime) -> PagingFigures:
    windows = [await _window(session, now, days) for days in WINDOWS]
    return PagingFigures(windows, await last_drill(session))


async def _window(session: AsyncSession, now: datetime, days: int) -> PagingWindow:
    since = now - timedelta(days=days)
    pages = (
        await session.exec(select(PersonPage).where(col(PersonPage.started_at) >= since))
    ).all()
    starts = {page.id: page.started_at for page in pages}
    rows = (
        await session.exec(
            select(Notification)
            .join(PersonPage, col(PersonPage.id) == col(Notification.page_id))
            .where(col(PersonPage.started_at) >= since)
        )
    ).all()
    first: dict[int, datetime] = {}
    reached_pages: set[int] = set()
    reached: Counter[str] = Counter()
    settled: Counter[str] = Counter()
    for row in rows:
        page_id, method, state, sent_at = row.page_id, row.method, row.state, row.sent_at
        if sent_at is not None and (page_id not in first or sent_at < first[page_id]):
            first[page_id] = sent_at
        if state in REACHED:
            reached_pages.add(page_id)
        if state in SETTLED and method != "missing":
            provider = row.provider or provider_of(
                method
            )  # an SMS may have gone through a fallback
            settled[provider] += 1
            reached[provider] += state in REACHED
    waits = [
        (sent - starts[page]).total_seconds() for page, sent in first.items() if page in starts
    ]
    acknowledged = Counter(
        page.acknowledged_via or "slack" for page in pages if page.acknowledged_at
    )
    nobody = sum(
        1 for page in pages if page.acknowledged_at is None and page.id not in reached_pages
    )
    return PagingWindow(
        days=days,
        pages=len(pages),
        first_p50=percentile(waits, 0.5),
        first_p99=percentile(waits, 0.99),
        measured=len(waits),
        providers=[ProviderFigures(p, reached[p], settled[p]) for p in sorted(settled)],
        acknowledged=dict(sorted(acknowledged.items())),
        reached_nobody=nobody,
        slo=await paging_report(session, since=since, now=now),
    )


# -- the drill's checks ------------------------------------------------------------------------
async def last_drill(session: AsyncSession) -> list[DrillCheck]:
    """The checks of the latest drill, in the order they were made."""
    latest = (await session.exec(select(func.max(DrillCheck.id)))).first()
    if latest is None:
        return []
    row = await session.get(DrillCheck, latest)
    assert row is not None
    statement = select(DrillCheck).where(DrillCheck.drill == row.drill).order_by(col(DrillCheck.id))
    return list((await session.exec(statement)).all())


async def check_by_vendor_id(session: AsyncSession, vendor_id: str) -> DrillCheck | None:
    """The drill check a provider knows by ``vendor_id`` (a phone provider's id)."""
    if not vendor_id:
        return None
    statement = select(DrillCheck).where(col(DrillCheck.vendor_id) == vendor_id)
    return (await session.exec(statement)).first()


def settle(check: DrillCheck, *, ok: bool, detail: str | None, at: datetime) -> None:
    """Keep what became of a pending check (the caller adds and commits); a settled one keeps
    its first outcome (a replayed or late callback changes nothing)."""
    if check.state != "pending":
        return
    check.state, check.detail, check.settled_at = ("ok" if ok else "failed"), detail, at
