"""``/oncall override`` and ``/oncall cancel``: put someone on call for a while, or undo it,
from Slack and from the web view's forms (``keep_override``, ``cancel_kept``).

The override and the direct message to the person it puts on call commit in one
transaction; the message is sent once it has. Who may do what: ``bot.record.oncall.rights``;
someone outside the schedule putting themselves on call asks its owners (``covers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.flows.channel import deliver_now
from bot.flows.oncall.common import (
    OncallRefused,
    read_time,
    require_person,
    schedule_named,
    tell,
)
from bot.flows.oncall.covers import ask_owners
from bot.flows.people import saw, zone_of
from bot.flows.rights import require
from bot.record.oncall import swaps
from bot.record.oncall.engine import Override, Shift
from bot.record.oncall.overrides import OverrideRefused, add_override, cancel_override
from bot.record.oncall.rights import may_cancel, may_put_on_call, needs_owners_accept
from bot.record.oncall.schedules import Schedule
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import OncallOverride, OncallSwap


@dataclass(frozen=True)
class Window:
    """From when to when, as typed: ``start`` to ``end``, or ``start`` for ``length``."""

    start: str
    end: str | None = None
    length: timedelta | None = None


async def put_on_call(
    services: Services,
    *,
    by: str,
    user: str | None,
    schedule_name: str,
    window: Window,
    layer: str | None = None,
) -> str:
    """Keep an override of the schedule (of its ``layer`` only, when named) for ``user``
    (None: nobody, a deliberate gap); say whom it displaced, and tell the person it puts on
    call (unless they made it)."""
    schedule = schedule_named(services, schedule_name)
    layer = layer_named(schedule, layer)
    if user is not None and needs_owners_accept(schedule, by=by, user=user):
        if layer is not None:
            raise OncallRefused("outside_layer", schedule=schedule.name, field="layer")
        await require(services, by, Act.ONCALL_CHANGE)
        await require_person(services, schedule, user, "person")
        asked_start, end = _read_window(schedule, window, services.clock())
        return await ask_owners(services, schedule, user=user, start=asked_start, end=end)
    await check_put_on_call(services, schedule, by=by, user=user)
    asked_start, end = _read_window(schedule, window, services.clock())
    zone = await zone_of(services, by)
    override, taken = await keep_override(
        services, schedule, by=by, user=user, start=asked_start, end=end, layer=layer
    )
    return services.renderer.render(
        "messages/oncall/override_made.j2",
        override=override,
        taken=taken,
        zone=zone,
        by=by,
        asked_start=asked_start,
    )


async def put_on_call_for_operator(
    services: Services,
    schedule: Schedule,
    *,
    by: str,
    user: str | None,
    start: datetime,
    end: datetime,
    layer: str | None = None,
) -> tuple[Override, list[Shift]]:
    """Keep an override asked by whoever runs warroom (the API token's holder, scripting
    leave and holidays): the rule of who may put whom on call does not bind them, but the
    person must be someone of the workspace and no guest (Slack is asked); otherwise as
    ``keep_override``."""
    layer = layer_named(schedule, layer)
    if user is not None:
        await require_person(services, schedule, user, "user")
    return await keep_override(
        services, schedule, by=by, user=user, start=start, end=end, layer=layer
    )


async def check_put_on_call(
    services: Services, schedule: Schedule, *, by: str, user: str | None
) -> None:
    """OncallRefused unless ``by`` may put ``user`` (None: nobody) on call at once and
    ``user`` is someone of the workspace, no guest (Slack is asked). Someone outside the
    schedule putting themselves on call is refused here: that waits for an owner's Accept
    (``put_on_call`` asks)."""
    await require(services, by, Act.ONCALL_CHANGE)
    if not may_put_on_call(schedule, by=by, user=user):
        problem = "nobody_not_a_member" if user is None else "not_a_member"
        raise OncallRefused(problem, schedule=schedule.name, field="person", user=user)
    if user is None:
        return
    if needs_owners_accept(schedule, by=by, user=user):
        problem = "needs_owner" if schedule.owners else "no_owners"
        raise OncallRefused(problem, schedule=schedule.name, field="person", user=user)
    await require_person(services, schedule, user, "person")


def layer_named(schedule: Schedule, name: str | None) -> str | None:
    """The schedule's layer called ``name`` (as the file writes it), None for none asked;
    OncallRefused naming its layers when it has no such layer."""
    if name is None:
        return None
    layers = [layer.name for layer in schedule.layers]
    if name not in layers:
        raise OncallRefused(
            "unknown_layer", schedule=schedule.name, field="layer", text=name, known=layers
        )
    return name


async def keep_override(
    services: Services,
    schedule: Schedule,
    *,
    by: str,
    user: str | None,
    start: datetime,
    end: datetime,
    layer: str | None = None,
) -> tuple[Override, list[Shift]]:
    """Keep an override already checked (``check_put_on_call``) from ``start`` (now at the
    earliest) to ``end`` (in the future), and tell the person it puts on call; return it and
    whom it displaced. From Slack, the web and the API alike."""
    now = services.clock()
    if end <= now:
        raise OncallRefused(
            "over", schedule=schedule.name, field="end", end=end, shown_zone=schedule.timezone
        )
    # Who was on call is history (escalations reached them): an override starts now at the
    # earliest.
    return await _keep(
        services, schedule, by=by, user=user, start=max(start, now), end=end, layer=layer
    )


async def _keep(
    services: Services,
    schedule: Schedule,
    *,
    by: str,
    user: str | None,
    start: datetime,
    end: datetime,
    layer: str | None,
) -> tuple[Override, list[Shift]]:
    """The override and the DM to the person it puts on call, in one transaction; then the
    DM is sent."""
    told = user if user is not None and user != by else None
    their_zone = await zone_of(services, told) if told else schedule.timezone
    async with session_scope(services.engine) as session:
        try:
            override, taken = await add_override(
                session,
                schedule=schedule,
                user=user,
                start=start,
                end=end,
                created_by=by,
                created_at=services.clock(),
                layer=layer,
            )
        except OverrideRefused as error:
            raise OncallRefused("record", schedule=schedule.name, message=str(error)) from None
        if told:
            template = "messages/oncall/put_on_call.j2"
            await tell(services, session, told, template, override=override, zone=their_zone)
        await session.commit()
    if told:
        await deliver_now(services, told)
    saw(services, [user, *(who for shift in taken for who in shift.users)])
    return override, taken


def _read_window(schedule: Schedule, window: Window, now: datetime) -> tuple[datetime, datetime]:
    start = read_time(schedule, window.start, field="start", now=now, after=now)
    if window.end is None:
        assert window.length is not None
        return start, start + window.length
    return start, read_time(schedule, window.end, field="end", now=now, after=start)


async def cancel(services: Services, *, by: str, override_id: int) -> str:
    """Cancel an override (its row stays, saying who cancelled it and when); tell the person
    it had put on call, unless they cancelled it."""
    zone = await zone_of(services, by)
    row, other_half = await cancel_kept(services, by=by, override_id=override_id, zone=zone)
    return services.renderer.render(
        "messages/oncall/override_cancelled.j2", row=row, other_half=other_half, zone=zone
    )


async def cancel_kept(
    services: Services,
    *,
    by: str,
    override_id: int,
    zone: str,
    schedule: str | None = None,
    operator: bool = False,
) -> tuple[OncallOverride, OncallOverride | None]:
    """Cancel an override (of ``schedule``, when given) and tell the person it had put on
    call; return it and the other half of its swap, if it has one. From Slack and the web
    alike; ``zone`` is the one a refusal shows times in; ``operator``: whoever runs warroom
    (the web view with sign-in off), whom the rule of who may cancel does not bind."""
    if not operator:
        await require(services, by, Act.ONCALL_CHANGE)
    async with session_scope(services.engine) as session:
        found = await session.get(OncallOverride, override_id)
    if found is None or (schedule is not None and found.schedule != schedule):
        raise OncallRefused(
            "no_override", schedule=schedule, field="override id", override_id=override_id
        )
    told = found.user_id
    their_zone = await zone_of(services, told) if told else "UTC"
    now = services.clock()
    async with session_scope(services.engine) as session:
        row = await session.get(OncallOverride, override_id)
        assert row is not None  # rows are never deleted
        swap = await session.get(OncallSwap, row.swap_id) if row.swap_id else None
        if not operator and not _may_cancel(services, row, by, swap):
            raise OncallRefused("not_allowed_to_cancel", schedule=row.schedule, override=row)
        if row.end_at <= now and row.cancelled_at is None:
            raise OncallRefused(
                "override_over", schedule=row.schedule, override=row, shown_zone=zone
            )
        try:
            await cancel_override(session, override_id=override_id, by=by, at=now)
        except OverrideRefused as error:
            raise OncallRefused("record", schedule=row.schedule, message=str(error)) from None
        if told and told != by:
            template = "messages/oncall/override_cancelled_dm.j2"
            await tell(services, session, told, template, row=row, by=by, zone=their_zone)
        other_half = await swaps.other_half(session, row)
        await session.commit()
    if told and told != by:
        await deliver_now(services, told)
    return row, other_half


def _may_cancel(services: Services, row: OncallOverride, by: str, swap: OncallSwap | None) -> bool:
    schedule = services.settings.oncall.schedules.get(row.schedule)
    if schedule is None:  # gone from the file: its owners are no longer known
        return by in {row.created_by, row.user_id}
    return may_cancel(schedule, row, by=by, swap=swap)
