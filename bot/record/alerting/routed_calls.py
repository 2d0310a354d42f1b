"""Calls to a service's number (live call routing), a ``routed_call`` row each: the plan made
when the call arrives (whom to ring, level by level, in order: who is on call then), each leg
as it went, the voicemail left, and the alert the call raises. No phone number is kept: a
person's is read from their contacts when they are rung.

The alert is the generic shape's (README, "Alerts"), raised by warroom itself, one per call
(``call:<call id>``), labelled with the service: when nobody took the call it is paged to the
service's policy as any of the service's alerts; when someone did, it is kept acknowledged by
them (``answered_by``). Its description says each leg; its links are the recording and the
transcription.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.services import LABEL
from bot.store.db import insert_kept
from bot.store.models import RoutedCall

SOURCE = "phone"
ANSWERED = frozenset({"completed", "answered"})
# A call's alert's key: the prefix, then the provider's id of the call.
KEY_PREFIX = "call:"


@dataclass(frozen=True)
class Ring:
    """One person to ring: at ``level`` of the service's policy."""

    level: int
    user: str


async def start(
    session: AsyncSession,
    *,
    call_id: str,
    provider: str,
    service: str,
    plan: Sequence[Ring],
    at: datetime,
) -> RoutedCall:
    """The call's row, kept once (a webhook sent again finds the first one, and its plan)."""
    row = RoutedCall(
        call_sid=call_id,
        provider=provider,
        service=service,
        started_at=at,
        plan=[{"level": ring.level, "user": ring.user} for ring in plan],
        legs=[],
    )
    if await insert_kept(session, row):
        return row
    kept = await locked(session, call_id)
    assert kept is not None
    return kept


async def locked(session: AsyncSession, call_id: str) -> RoutedCall | None:
    """The call's row under its lock (its webhooks take turns), if the call is known."""
    statement = (
        select(RoutedCall)
        .where(col(RoutedCall.call_sid) == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()


async def of_call(session: AsyncSession, call_id: str) -> RoutedCall | None:
    """The call's row as it is (no lock), if the call is known."""
    statement = select(RoutedCall).where(col(RoutedCall.call_sid) == call_id)
    return (await session.exec(statement)).first()


async def raised(session: AsyncSession, group_key: str) -> RoutedCall | None:
    """The call an alert's group (by its key, ``call:<call id>``) was raised by, if one was."""
    if not group_key.startswith(KEY_PREFIX):
        return None
    return await of_call(session, group_key.removeprefix(KEY_PREFIX))


def ring_at(row: RoutedCall, step: int) -> Ring | None:
    """Who the plan rings at ``step``, if it goes that far."""
    if not 0 <= step < len(row.plan):
        return None
    entry = row.plan[step]
    return Ring(level=int(str(entry["level"])), user=str(entry["user"]))


def add_leg(row: RoutedCall, step: int, status: str, at: datetime) -> None:
    """A leg said: ``dialled`` when its phone starts ringing, then how it ended (the
    provider's status); the same step and status again changes nothing."""
    ring = ring_at(row, step)
    if ring is None:
        return
    leg = {"step": step, "level": ring.level, "user": ring.user, "status": status}
    if any({k: v for k, v in each.items() if k != "at"} == leg for each in row.legs):
        return
    row.legs = [*row.legs, {**leg, "at": at.isoformat()}]


def leg_ended(row: RoutedCall, step: int, status: str, at: datetime) -> bool:
    """Keep how the leg at ``step`` ended; whether someone took the call."""
    add_leg(row, step, status, at)
    if status in ANSWERED:
        row.outcome = "answered"
        return True
    return False


def answered_by(row: RoutedCall) -> str | None:
    """Who took the call (the user of its answered leg), if someone did."""
    taken = (leg for leg in row.legs if leg["status"] in ANSWERED)
    return next((str(leg["user"]) for leg in taken), None)


def ended_legs(row: RoutedCall) -> list[dict[str, object]]:
    """The legs as they ended (the ``dialled`` ones left out), in order."""
    return [leg for leg in row.legs if leg["status"] != "dialled"]


def alert_body(
    row: RoutedCall, *, title: str, description: str, links: Sequence[tuple[str, str]]
) -> str:
    """The call's alert, in the generic shape, on the call's service."""
    return json.dumps(
        {
            "title": title,
            "dedup_key": KEY_PREFIX + row.call_sid,
            "status": "firing",
            "source": SOURCE,
            "started_at": row.started_at.isoformat(),
            "description": description,
            "labels": {LABEL: row.service},
            "links": [{"href": url, "text": text} for text, url in links if url],
        }
    )
