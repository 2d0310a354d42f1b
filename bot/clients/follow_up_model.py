"""The team's model asked whether a new follow-up is the same task as an earlier one of its
incident, in other words: the same Chat Completions call as the draft's
(bot/clients/ai.py, OpenAI's ``createChatCompletion``), with the format
``warroom_same_task``: ``{"same_as": "T2"}`` (the earlier task's number as sent) or
``{"same_as": "none"}``. Anything else is a ModelFailure: the words' match stands alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.clients.ai import ModelFailure, chat_request, complete, content_of
from bot.config.ai import AISettings

FORMAT_NAME = "warroom_same_task"
NONE = "none"
SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "same_as": {
            "type": "string",
            "description": 'The earlier task that is the same task, like T2; or "none".',
        }
    },
    "required": ["same_as"],
    "additionalProperties": False,
}


async def ask_same_task(
    http: aiohttp.ClientSession, ai: AISettings, *, instructions: str, tasks: str, timeout: float
) -> str | None:
    """The earlier task's number (``T2``) the model says the new one is the same as, or
    None; ModelFailure when its answer is not the schema."""
    body = chat_request(ai.model, instructions, tasks, name=FORMAT_NAME, schema=SCHEMA)
    content = content_of(await complete(http, ai, body, timeout))
    if not isinstance(content, dict) or set(content) != {"same_as"}:
        raise ModelFailure("the content is not {same_as}", retryable=False)
    same = content["same_as"]
    if not isinstance(same, str):
        raise ModelFailure("same_as is not text", retryable=False)
    same = same.strip().strip("[]").upper()
    return None if same in ("", NONE.upper()) else same
