"""Maintenance windows: who may make and cancel them beyond the owners of what they silence,
and how long one may last."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.basics.slack_patterns import USER_ID
from bot.config.reading import Feature, duration, setting

# Longer than this is not maintenance: it is a route that should not open incidents.
LONGEST_ALLOWED = timedelta(days=31)
_GROUP = re.compile(r"^(S[A-Z0-9]{2,31}|@?[a-z0-9][a-z0-9._-]{0,79})$")


def _people(raw: str) -> tuple[str, ...]:
    """``U024BE7LH, @sre-leads``: user ids, and at most one user group (its ``S…`` id or its
    handle)."""
    named = tuple(part.strip() for part in raw.split(",") if part.strip())
    groups = [part for part in named if not USER_ID.match(part)]
    for part in groups:
        if not _GROUP.match(part):
            raise ValueError(f"expected Slack user ids (U…) or a user group, got {part!r}")
    if len(groups) > 1:
        raise ValueError("one user group at most (make one group of the people)")
    return named


@dataclass(frozen=True)
class MaintenanceSettings(Feature):
    """Who may switch alerts off for a while, and for how long at most."""

    # Besides the owners of the schedules and policies a window's alerts reach.
    allowed: tuple[str, ...] = setting(
        env="WARROOM_MAINTENANCE_ALLOWED",
        default=(),
        parse=_people,
        doc="who may make and cancel any maintenance window (and silence any heartbeat) "
        "besides the owners of what it silences: Slack user ids and at most one user group "
        "(`U024BE7LH,@sre-leads`, or the group's `S…` id)",
        shown="nobody else",
    )
    longest: timedelta = setting(
        env="WARROOM_MAINTENANCE_MAX",
        default=timedelta(days=7),
        parse=duration(at_least=timedelta(minutes=1), at_most=LONGEST_ALLOWED),
        doc="the longest a maintenance window may last (`12h`, `72h`; 744h, 31 days, at most)",
        shown="`168h` (7 days)",
    )

    @property
    def people(self) -> frozenset[str]:
        """The user ids named."""
        return frozenset(part for part in self.allowed if USER_ID.match(part))

    @property
    def group(self) -> str | None:
        """The user group named (its id or handle), if any."""
        return next((part for part in self.allowed if not USER_ID.match(part)), None)
