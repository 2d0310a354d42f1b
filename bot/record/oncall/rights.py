"""Who may change a schedule: as in Opsgenie and Grafana OnCall, the schedule's own people.

Anyone may put themselves on call (covering is always welcome); putting someone else on call
takes a member of the schedule (of any layer) or one of its ``owners:``. An override may be
cancelled by whoever made it, the person it puts on call, or an owner.

The same rule for ``/oncall`` in Slack and the web view's forms.
"""

from __future__ import annotations

from bot.record.oncall.schedules import Schedule
from bot.store.models import OncallOverride


def members(schedule: Schedule) -> frozenset[str]:
    """Everyone in a layer of the schedule."""
    return frozenset(member for layer in schedule.layers for member in layer.members)


def may_put_on_call(schedule: Schedule, *, by: str, user: str) -> bool:
    """Whether ``by`` may put ``user`` on call in ``schedule``."""
    return by == user or by in schedule.owners or by in members(schedule)


def may_cancel(schedule: Schedule, override: OncallOverride, *, by: str) -> bool:
    """Whether ``by`` may cancel ``override`` (of ``schedule``)."""
    return by in {override.created_by, override.user_id, *schedule.owners}
