"""The manual's page on agents shows each tool's schemas as the server lists them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from bot.record.agents.tokens import OPERATOR
from bot.web.agents.server import RateLimit, build_server, tool_reference
from bot.web.agents.tools import Tools

PAGE = Path(__file__).resolve().parents[2] / "docs" / "agents.md"


def schemas_in_manual() -> dict[str, tuple[Any, Any]]:
    """Each tool's input and output schema as docs/agents.md shows them."""
    shown = PAGE.read_text().split("## The tools' schemas\n", 1)[1]
    found = {}
    for part in shown.split("\n### `")[1:]:
        name = part.split("`", 1)[0]
        blocks = [block.split("\n```", 1)[0] for block in part.split("```json\n")[1:]]
        found[name] = (json.loads(blocks[0]), json.loads(blocks[1]))
    return found


async def test_the_manual_lists_every_tool_with_the_schemas_the_server_gives() -> None:
    # Listing the tools reads nothing: no application behind them.
    server = build_server(
        Tools(cast(Any, None)), caller_of=lambda _ctx: OPERATOR, limit=RateLimit(1, None)
    )
    reference = await tool_reference(server)
    page = PAGE.read_text()
    marker = "## The tools' schemas\n"
    assert marker in page
    shown = page.split(marker, 1)[1].split("\n\n", 1)[1]
    assert shown == reference, "docs/agents.md: paste tool_reference()'s output under its heading"
