"""Slack's size limits on a message, and fitting a message inside them.

Slack refuses a message whose blocks break a limit (``invalid_blocks``) and truncates a text past
40,000 characters; an incident tool must say what it can and never lose the whole message, so
whatever is too long is shortened at a line boundary and ends with a "…and N more" line.

- a section's text: 3,000 characters
  (https://docs.slack.dev/reference/block-kit/blocks/section-block);
- blocks in a message: 50 (https://docs.slack.dev/reference/block-kit/blocks);
- a message's ``text``: 40,000 characters, truncated beyond
  (https://docs.slack.dev/reference/methods/chat.postMessage, "Truncating content").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SECTION_TEXT_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
MESSAGE_TEXT_MAX = 40_000

# "…and 12 more": how many lines (or blocks) were left out, as the reader is told.
More = Callable[[int], str]


def shorten_lines(text: str, limit: int, more: More) -> str:
    """``text`` if it fits in ``limit`` characters, else its first whole lines and ``more``."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        tail = more(len(lines) - index)
        if size + len(line) + 1 + len(tail) > limit:
            if not kept:  # one line longer than the limit: cut inside it
                return line[: max(limit - len(tail) - 2, 0)] + "…\n" + tail
            return "\n".join([*kept, tail])
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)  # unreachable: the whole text would have fitted


def fit_message(text: str, blocks: list[Any] | None, more: More) -> tuple[str, list[Any] | None]:
    """The message's text and blocks shortened, where needed, to what Slack accepts."""
    text = shorten_lines(text, MESSAGE_TEXT_MAX, more)
    if not isinstance(blocks, list):
        return text, blocks  # nothing of ours to fit: Slack says what is wrong with it
    fitted = [_fit_block(block, more) for block in blocks]
    if len(fitted) > MESSAGE_BLOCKS_MAX:
        left_out = len(fitted) - (MESSAGE_BLOCKS_MAX - 1)
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": more(left_out)}]}
        fitted = [*fitted[: MESSAGE_BLOCKS_MAX - 1], note]
    return text, fitted


def _fit_block(block: Any, more: More) -> Any:
    if not isinstance(block, dict) or block.get("type") != "section":
        return block
    section_text = block.get("text")
    if not isinstance(section_text, dict) or not isinstance(section_text.get("text"), str):
        return block
    shortened = shorten_lines(section_text["text"], SECTION_TEXT_MAX, more)
    return {**block, "text": {**section_text, "text": shortened}}
