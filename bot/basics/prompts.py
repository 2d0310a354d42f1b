"""When warroom asks people for what the postmortem draft needs, after the incident: its
follow-ups' owners before they are due (and once they are overdue), and each participant,
the day after the resolution, for one thing that went well and one that did not.
``WARROOM_FOLLOW_UP_REMINDER`` and ``WARROOM_LESSONS_DM`` (README, "Postmortem drafts"),
read by bot.config.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PromptSettings:
    """How long before a follow-up is due its owner is reminded (None: follow-ups are never
    reminded, before or overdue), and how long after the resolution each participant is
    asked for the lessons (None: never)."""

    follow_up_reminder: timedelta | None = timedelta(hours=24)
    lessons_after: timedelta | None = timedelta(hours=24)


DEFAULT_PROMPTS = PromptSettings()
