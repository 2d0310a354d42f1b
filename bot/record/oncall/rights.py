"""Who may change a schedule: the same rule from Slack and the web.

Anyone may put themselves on call or take a shift themselves; only the schedule's members
(anyone in one of its layers) and its owners (``owners:`` in the file) may put someone else
on call or cancel someone else's override.
"""

from __future__ import annotations

from bot.record.oncall.overrides import OverrideRefused
from bot.record.oncall.schedules import Schedule
from bot.store.models import OncallOverride


def looks_after(schedule: Schedule, user: str | None) -> bool:
    """Whether ``user`` is one of the schedule's members or owners."""
    if not user:
        return False
    return user in schedule.owners or any(user in layer.members for layer in schedule.layers)


def check_may_override(schedule: Schedule, *, by: str, user: str) -> None:
    """Refuse an override ``by`` someone for ``user`` unless the rule allows it."""
    if by != user and not looks_after(schedule, by):
        raise OverrideRefused(
            f"schedule {schedule.name!r}: override user: only the schedule's members and "
            "owners may put someone else on call; you may take the shift yourself"
        )


def check_may_cancel(schedule: Schedule, *, by: str, row: OncallOverride) -> None:
    """Refuse cancelling ``row`` unless ``by`` made it, is the one it puts on call, or looks
    after the schedule."""
    if by in (row.created_by, row.user_id) or looks_after(schedule, by):
        return
    raise OverrideRefused(
        f"schedule {schedule.name!r}: override {row.id}: only whoever made it, the person it "
        "puts on call, and the schedule's members and owners may cancel it"
    )
