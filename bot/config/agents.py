"""Agents over the Model Context Protocol (/mcp, ``warroom mcp``): how many calls a token may
make a minute."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reading import Feature, setting


def _per_minute(raw: str) -> int:
    value = int(raw.strip())
    if not 1 <= value <= 100_000:
        raise ValueError(f"expected a number of calls from 1 to 100000, got {raw!r}")
    return value


@dataclass(frozen=True)
class AgentSettings(Feature):
    """How much one agent's token may ask of warroom."""

    calls_per_minute: int = setting(
        env="WARROOM_MCP_CALLS_PER_MINUTE",
        default=120,
        parse=_per_minute,
        doc="the tool calls one token may make in a minute on `/mcp`, counted across every "
        "replica; the next ones are refused until the minute has passed (`warroom mcp` on "
        "stdio, the operator's, has no limit)",
        shown="`120`",
    )
