"""``/incident impact <text>``: say who and what is affected (may be given several times)."""

from __future__ import annotations

from commands.postmortem.finding import finding_subcommand

SUBCOMMAND = finding_subcommand(
    "impact",
    asks_for="who and what is affected, and how much",
    usage="impact <who and what is affected>",
    summary="Record the impact for the postmortem (e.g. about 20% of users cannot check out)",
)
