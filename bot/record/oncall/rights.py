"""Who may change a schedule: as in Opsgenie and Grafana OnCall, the schedule's own people.

Covering is welcome, inside the schedule: a member of the schedule (in any layer) or one of
its ``owners:`` may put themselves or anyone else on call at once, or nobody (a deliberate
gap); someone else may ask to
put themselves on call, and that waits for an owner's Accept (whoever is on call is invited
into the schedule's private incidents); a swap needs one of its two people inside the
schedule. A guest of the workspace is never put on call (Slack
is asked: ``bot.flows.oncall.common.require_person``). An override may be cancelled by
whoever made it, the person it puts on call, the two people of the swap it came from, or an
owner.
"""

from __future__ import annotations

from bot.record.oncall.schedules import Schedule
from bot.store.models import OncallOverride, OncallSwap


def members(schedule: Schedule) -> frozenset[str]:
    """Everyone in a layer of the schedule."""
    return frozenset(member for layer in schedule.layers for member in layer.people)


def inside(schedule: Schedule, user: str) -> bool:
    """Whether ``user`` is one of the schedule's own people: a member or an owner."""
    return user in schedule.owners or user in members(schedule)


def may_put_on_call(schedule: Schedule, *, by: str, user: str | None) -> bool:
    """Whether ``by`` may put ``user`` on call in ``schedule`` (at once, or once an owner
    accepts: ``needs_owners_accept``); ``user`` None: nobody, a deliberate gap, which only
    the schedule's own people may make."""
    return by == user or inside(schedule, by)


def needs_owners_accept(schedule: Schedule, *, by: str, user: str) -> bool:
    """Whether ``by`` putting ``user`` on call waits for an owner's Accept: someone outside
    the schedule putting themselves on call."""
    return by == user and not inside(schedule, by)


def may_swap(schedule: Schedule, *, by: str, of: str) -> bool:
    """Whether ``by`` may ask ``of`` to swap shifts: one of them is inside the schedule (else
    someone outside it would take a shift with no member's or owner's say)."""
    return inside(schedule, by) or inside(schedule, of)


def may_cancel(
    schedule: Schedule, override: OncallOverride, *, by: str, swap: OncallSwap | None = None
) -> bool:
    """Whether ``by`` may cancel ``override`` (of ``schedule``; ``swap``: the swap it is half
    of)."""
    parties = {override.created_by, override.user_id, *schedule.owners}
    if swap is not None:
        parties |= {swap.asked_by, swap.asked_of}
    return by in parties
