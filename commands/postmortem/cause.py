"""``/incident cause <text>``: record a root-cause finding for the postmortem."""

from __future__ import annotations

from commands.postmortem.finding import finding_subcommand

SUBCOMMAND = finding_subcommand(
    "cause",
    asks_for="what caused the incident",
    usage="cause <what caused it>",
    summary="Record a root-cause finding for the postmortem",
)
