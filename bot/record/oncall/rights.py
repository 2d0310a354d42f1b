"""Who may change a schedule: as in Opsgenie and Grafana OnCall, the schedule's own people.

Anyone may put themselves on call (covering is always welcome); putting someone else on call
takes a member of the schedule (of any layer) or one of its ``owners:``. An override may be
cancelled by whoever made it, the person it puts on call, the two people of the swap it came
from, or an owner.
"""

from __future__ import annotations

from bot.record.oncall.schedules import Schedule
from bot.store.models import OncallOverride, OncallSwap


def members(schedule: Schedule) -> frozenset[str]:
    """Everyone in a layer of the schedule."""
    return frozenset(member for layer in schedule.layers for member in layer.members)


def may_put_on_call(schedule: Schedule, *, by: str, user: str) -> bool:
    """Whether ``by`` may put ``user`` on call in ``schedule``."""
    return by == user or by in schedule.owners or by in members(schedule)


def may_cancel(
    schedule: Schedule, override: OncallOverride, *, by: str, swap: OncallSwap | None = None
) -> bool:
    """Whether ``by`` may cancel ``override`` (of ``schedule``; ``swap``: the swap it is half
    of)."""
    parties = {override.created_by, override.user_id, *schedule.owners}
    if swap is not None:
        parties |= {swap.asked_by, swap.asked_of}
    return by in parties
