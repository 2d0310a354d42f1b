"""When warroom asks people for what the postmortem draft needs, after the incident: its
follow-ups' owners before they are due (and once they are overdue), and each participant,
the day after the resolution, for one thing that went well and one that did not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config.reading import Feature, duration_or_off, setting


@dataclass(frozen=True)
class PromptSettings(Feature):
    """How long before a follow-up is due its owner is reminded (None: follow-ups are never
    reminded, before or overdue), and how long after the resolution each participant is
    asked for the lessons (None: never)."""

    follow_up_reminder: timedelta | None = setting(
        env="WARROOM_FOLLOW_UP_REMINDER",
        default=timedelta(hours=24),
        parse=duration_or_off,
        doc="how long before a follow-up is due its owner is reminded by DM (`24h`, `2h`; "
        "`off`: no reminders at all, before or overdue)",
        shown="`24h`",
    )
    lessons_after: timedelta | None = setting(
        env="WARROOM_LESSONS_DM",
        default=timedelta(hours=24),
        parse=duration_or_off,
        doc="how long after an incident is resolved each participant is asked by DM for one "
        "thing that went well and one that did not (`24h`; `off`: never)",
        shown="`24h`",
    )


DEFAULT_PROMPTS = PromptSettings()
