"""Someone outside a schedule putting themselves on call: ``/oncall override`` asks the
schedule's owners by DM (Accept, Reject), and one owner's answer decides.

Whoever is on call is invited into the schedule's incidents, private ones too: so a person in
none of its layers, and no owner of it, is put on call only once an owner accepts, as a swap
takes the other person's Accept. Accepting makes the override (``accepted_by`` the owner),
edits the request to say so and tells the person, all in one transaction; rejecting tells
the person; no answer changes nothing. A second press, or a press by someone who is no owner,
gets a private answer and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.channel import deliver_now
from bot.flows.oncall.common import OncallRefused, say_answered
from bot.flows.people import zone_of
from bot.flows.rights import require
from bot.record.oncall import covers
from bot.record.oncall.overrides import OverrideRefused, add_override, check_override
from bot.record.oncall.schedules import Schedule
from bot.record.rights import Act
from bot.services import Services
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import OncallCoverRequest, OncallOverride


async def ask_owners(
    services: Services, schedule: Schedule, *, user: str, start: datetime, end: datetime
) -> str:
    """Keep ``user``'s request to be on call from ``start`` to ``end`` and ask each owner by
    DM; say so. OncallRefused when the schedule has no owner to ask."""
    if not schedule.owners:
        raise OncallRefused("no_owners", schedule=schedule.name)
    now = services.clock()
    if end <= now:
        raise OncallRefused(
            "over", schedule=schedule.name, field="end", end=end, shown_zone=schedule.timezone
        )
    try:
        check_override(schedule, user, max(start, now), end)
    except OverrideRefused as error:
        raise OncallRefused("record", schedule=schedule.name, message=str(error)) from None
    zones = {owner: await zone_of(services, owner) for owner in schedule.owners}
    zone = await zone_of(services, user)
    async with session_scope(services.engine) as session:
        cover = await covers.ask_cover(
            session, schedule=schedule.name, user=user, start=max(start, now), end=end, at=now
        )
        for owner in schedule.owners:
            await _ask(services, session, owner, cover, zones[owner])
        await session.commit()
    for owner in schedule.owners:
        await deliver_now(services, owner)
    return services.renderer.render(
        "messages/oncall/cover_asked.j2", cover=cover, owners=schedule.owners, zone=zone
    )


async def _ask(
    services: Services, session: AsyncSession, owner: str, cover: OncallCoverRequest, zone: str
) -> None:
    """The request, with its buttons, in the outbox for one owner."""
    text = services.renderer.render(
        "messages/oncall/cover_request.j2", outside=True, cover=cover, zone=zone
    )
    blocks = services.renderer.render_json("blocks/oncall_cover.json.j2", text=text, cover=cover)
    await outbox.enqueue(
        session,
        channel=owner,
        method=outbox.POST,
        payload={"text": text, "blocks": blocks},
        now=services.clock(),
    )


async def answer_cover(
    services: Services, request_id: int, *, by: str, accept: bool, channel: str, message_ts: str
) -> None:
    """Take owner ``by``'s answer to a cover request (the message ``message_ts`` in
    ``channel``)."""
    await require(services, by, Act.COVER_ACCEPT)
    async with session_scope(services.engine) as session:
        asked = await session.get(OncallCoverRequest, request_id)
    if asked is None:
        raise covers.CoverRefused(problem="no_cover", cover_id=request_id)
    schedule = services.settings.oncall.schedules.get(asked.schedule)
    zone, their_zone = await zone_of(services, by), await zone_of(services, asked.user_id)
    now = services.clock()
    async with session_scope(services.engine) as session:
        cover = await covers.answer_cover(
            session, request_id=request_id, schedule=schedule, by=by, accept=accept, at=now
        )
        override = await _make_override(session, schedule, cover, now)
        decided = cover.status in ("accepted", "rejected")
        await say_answered(
            services,
            session,
            kind="cover",
            asked=(channel, message_ts),
            zone=zone,
            requester=(cover.user_id, their_zone) if decided else None,
            cover=cover,
            override=override,
        )
        await session.commit()
    await deliver_now(services, channel)
    await deliver_now(services, cover.user_id)


async def _make_override(
    session: AsyncSession, schedule: Schedule | None, cover: OncallCoverRequest, now: datetime
) -> OncallOverride | None:
    """An accepted request's override, from now at the earliest (the caller commits)."""
    if cover.status != "accepted":
        return None
    assert schedule is not None  # only an owner of a configured schedule accepts
    try:
        override, _ = await add_override(
            session,
            schedule=schedule,
            user=cover.user_id,
            start=max(cover.start_at, now),
            end=cover.end_at,
            created_by=cover.user_id,
            created_at=now,
            accepted_by=cover.answered_by,
        )
    except OverrideRefused as error:
        raise OncallRefused("record", schedule=schedule.name, message=str(error)) from None
    row = await session.get(OncallOverride, override.id)
    assert row is not None
    cover.override_id = row.id
    session.add(cover)
    return row
