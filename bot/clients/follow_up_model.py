"""The team's model asked whether a new follow-up is the same task as an open one of its
incident, in other words: the same Chat Completions call as the draft's (bot/clients/ai.py,
OpenAI's ``createChatCompletion``), with the strict format ``warroom_same_task``:
``{"same_as": "T2", "reason": "…"}`` (the open task's number as sent) or ``{"same_as": "none",
"reason": "…"}``. The schema's ``same_as`` is an enum of the numbers sent, and the answer is
checked against them again: a number not sent is no answer. Anything outside the schema is a
ModelFailure: the words' match stands alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.clients.ai import ModelFailure, chat_request, complete, content_of
from bot.config.ai import AISettings

FORMAT_NAME = "warroom_same_task"
NONE = "none"
# A reason is shown in the channel only in the model's own words: no quotation marks (the
# tasks are shown beside it as people wrote them), one line, short.
QUOTES = frozenset('"“”„«»‹›`')
REASON_MOST = 200


def task_number(index: int) -> str:
    """How the ``index``-th task sent (from 0) is named to the model: ``T1``."""
    return f"T{index + 1}"


def schema_for(count: int) -> Mapping[str, Any]:
    """The answer's schema when ``count`` tasks are sent: one of their numbers, or none."""
    return {
        "type": "object",
        "properties": {
            "same_as": {
                "type": "string",
                "enum": [*(task_number(i) for i in range(count)), NONE],
                "description": 'The earlier task that is the same task, like T2; or "none".',
            },
            "reason": {
                "type": "string",
                "description": "Why, in one short sentence of your own words, quoting nothing.",
            },
        },
        "required": ["same_as", "reason"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class SameTask:
    """The model's answer: the index of the task it names (None: none), and its reason when
    it is quote-free (else empty)."""

    index: int | None
    reason: str


async def ask_same_task(
    http: aiohttp.ClientSession,
    ai: AISettings,
    *,
    instructions: str,
    tasks: str,
    count: int,
    timeout: float,
) -> SameTask:
    """Which of the ``count`` tasks sent the model says the new one is the same as;
    ModelFailure when its answer is not the schema or names a task not sent."""
    schema = schema_for(count)
    body = chat_request(ai.model, instructions, tasks, name=FORMAT_NAME, schema=schema)
    content = content_of(await complete(http, ai, body, timeout))
    if not isinstance(content, dict) or set(content) != {"same_as", "reason"}:
        raise ModelFailure("the content is not {same_as, reason}", retryable=False)
    same, reason = content["same_as"], content["reason"]
    if not isinstance(same, str) or not isinstance(reason, str):
        raise ModelFailure("same_as or reason is not text", retryable=False)
    # A server that does not hold the model to the enum may add brackets or lower the case.
    same = same.strip().strip("[]").upper()
    if same in ("", NONE.upper()):
        return SameTask(None, "")
    sent = [task_number(i) for i in range(count)]
    if same not in sent:
        raise ModelFailure(f"same_as names {same[:20]!r}, not a task sent", retryable=False)
    return SameTask(sent.index(same), quote_free(reason))


def quote_free(reason: str) -> str:
    """The reason as said, when it is short, one line and quotes nothing; else empty."""
    said = " ".join(reason.split())
    if not said or len(said) > REASON_MOST or QUOTES & set(said):
        return ""
    return said
