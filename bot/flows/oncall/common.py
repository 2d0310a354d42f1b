"""What the on-call flows share: the schedule a person named, their time zone, times read
forward in the schedule's zone, the overrides that bear on now, and direct messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import UsageError
from bot.clients.slack.errors import SlackFailure
from bot.flows.people import is_guest
from bot.record.moments import MomentRefused, parse_moment
from bot.record.oncall.engine import EARLIEST, HORIZON, LATEST, Override
from bot.record.oncall.overrides import overrides_between
from bot.record.oncall.schedules import Schedule
from bot.services import Services
from bot.store import outbox


class OncallRefused(UsageError):
    """On-call input that cannot be done as asked. ``problem`` says why (the template words
    it), naming the schedule and the field when there is one."""

    template = "messages/oncall/refused.j2"

    def __init__(self, problem: str, **context: Any) -> None:
        context.setdefault("schedule", None)
        context.setdefault("field", None)
        super().__init__(**{**context, "problem": problem})


def schedule_named(services: Services, name: str) -> Schedule:
    """The configured schedule called ``name`` (any case); OncallRefused if there is none."""
    schedules = services.settings.oncall.schedules
    if not schedules.by_name:
        raise OncallRefused("no_schedules")
    found = schedules.get(name)
    if found is None:
        raise OncallRefused(
            "unknown_schedule", schedule=name, field="schedule", known=list(schedules.by_name)
        )
    return found


async def require_person(services: Services, schedule: Schedule, user: str, field: str) -> None:
    """OncallRefused unless ``user`` is someone of the workspace (not a bot, not deactivated)
    and no guest of it: a guest on call would be invited into the schedule's private
    incidents."""
    try:
        person = await services.slack.is_person(user)
    except SlackFailure:
        person = False
    if not person:
        raise OncallRefused("not_a_person", schedule=schedule.name, field=field, user=user)
    if await is_guest(services, user):
        raise OncallRefused("guest", schedule=schedule.name, field=field, user=user)


def read_time(
    schedule: Schedule,
    text: str,
    *,
    field: str,
    now: datetime,
    after: datetime,
    zone: str | None = None,
) -> datetime:
    """A time typed for ``schedule``, read forward from ``after`` in ``zone`` (by default the
    schedule's) unless it names one, as ``/incident time`` reads (the same refusals)."""
    try:
        moment = parse_moment(text, zone=zone or schedule.timezone, now=now, after=after)
    except MomentRefused as refusal:
        context = {**refusal.context, "schedule": schedule.name, "field": field, "ahead": True}
        raise OncallRefused("time", **context) from None
    if not EARLIEST <= moment < LATEST:
        raise OncallRefused(
            "out_of_range", schedule=schedule.name, field=field, text=text, moment=moment
        )
    return moment


async def overrides_around(session: AsyncSession, now: datetime) -> list[Override]:
    """Every override that can bear on a shift held now or next (the engine looks up to a
    HORIZON either way of the instants it is asked about)."""
    start = max(now - HORIZON, EARLIEST)
    end = min(now + 3 * HORIZON, LATEST)
    return await overrides_between(session, start=start, end=end)


async def say_answered(
    services: Services,
    session: AsyncSession,
    *,
    kind: str,
    asked: tuple[str, str],
    zone: str,
    requester: tuple[str, str] | None,
    **context: Any,
) -> None:
    """An answer to a request that asks for buttons (``kind``: a ``cover`` or a ``swap``):
    the asked message (``asked``: its channel and ts) edited to say it, and, once the request
    is decided, its requester (their id and zone) told by DM. The caller commits, then
    delivers."""
    channel, message_ts = asked
    text = services.renderer.render(
        f"messages/oncall/{kind}_answered.j2", outside=True, zone=zone, **context
    )
    blocks = services.renderer.render_json(f"blocks/oncall_{kind}.json.j2", text=text, **context)
    await outbox.enqueue(
        session,
        channel=channel,
        method=outbox.UPDATE,
        payload={"ts": message_ts, "text": text, "blocks": blocks},
        now=services.clock(),
    )
    if requester is not None:
        user, their_zone = requester
        template = f"messages/oncall/{kind}_reply.j2"
        await tell(services, session, user, template, zone=their_zone, **context)


async def tell(
    services: Services, session: AsyncSession, user: str, template: str, **context: Any
) -> None:
    """Keep a direct message to ``user`` in the outbox (sent once the caller has committed
    and delivers it)."""
    text = services.renderer.render(template, outside=True, **context)
    await outbox.enqueue(
        session, channel=user, method=outbox.POST, payload={"text": text}, now=services.clock()
    )
