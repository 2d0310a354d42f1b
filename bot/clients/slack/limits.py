"""Slack's size limits on a message, and fitting a message inside them.

Slack refuses a message whose blocks break a limit (``invalid_blocks``) and truncates a text past
40,000 characters; an incident tool must say what it can and never lose the whole message, so
whatever is too long is shortened at a line boundary and ends with a "…and N more" line.

- a section's text: 3,000 characters
  (https://docs.slack.dev/reference/block-kit/blocks/section-block);
- blocks in a message: 50 (https://docs.slack.dev/reference/block-kit/blocks);
- a message's ``text``: 40,000 characters, truncated beyond
  (https://docs.slack.dev/reference/methods/chat.postMessage, "Truncating content");
- blocks in a view (a modal, a Home tab): 100 ("Max of 100 blocks",
  https://docs.slack.dev/reference/views/home-tab-views);
- a view published to a Home tab: 250 kB (``view_too_large``: "Error returned if the provided
  view is greater than 250kb", https://docs.slack.dev/reference/methods/views.publish; read
  as 250,000 bytes of its JSON, the smaller of the two ways to read "kb").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

SECTION_TEXT_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
MESSAGE_TEXT_MAX = 40_000
VIEW_BLOCKS_MAX = 100
VIEW_BYTES_MAX = 250_000

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
    return text, _fit_blocks(blocks, MESSAGE_BLOCKS_MAX, more)


def fit_view(
    render: Callable[[list[int]], dict[str, Any]], counts: Sequence[int]
) -> dict[str, Any]:
    """The view ``render`` makes showing the first ``shown[i]`` items of each of its lists
    (at most ``counts[i]``), with as many items as Slack takes: while the view has more than
    100 blocks or more than 250 kB, the list showing the most items shows fewer. ``render``
    says how many each list leaves out ("…and 12 more"). A view still too large with nothing
    left to take out is returned as it is, for ``fit_view_blocks`` to cut."""
    shown = list(counts)
    while True:
        view = render(shown)
        over = len(view.get("blocks") or []) - VIEW_BLOCKS_MAX
        too_large = len(json.dumps(view).encode()) > VIEW_BYTES_MAX
        if (over <= 0 and not too_large) or not any(shown):
            return view
        for _ in range(max(over, 1)):
            longest = max(range(len(shown)), key=shown.__getitem__)
            if not shown[longest]:
                break
            # Too large in bytes rather than blocks: a tenth of the list at a time.
            shown[longest] -= 1 if over > 0 else max(1, shown[longest] // 10)


def fit_view_blocks(view: dict[str, Any], more: More) -> dict[str, Any]:
    """A view as Slack accepts it, whatever made it: each section's text shortened at a line
    and the blocks cut at 100, the last saying how many were left out."""
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return view  # nothing of ours to fit: Slack says what is wrong with it
    return {**view, "blocks": _fit_blocks(blocks, VIEW_BLOCKS_MAX, more)}


def _fit_blocks(blocks: list[Any], limit: int, more: More) -> list[Any]:
    fitted = [_fit_block(block, more) for block in blocks]
    if len(fitted) > limit:
        left_out = len(fitted) - (limit - 1)
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": more(left_out)}]}
        fitted = [*fitted[: limit - 1], note]
    return fitted


def _fit_block(block: Any, more: More) -> Any:
    if not isinstance(block, dict) or block.get("type") != "section":
        return block
    section_text = block.get("text")
    if not isinstance(section_text, dict) or not isinstance(section_text.get("text"), str):
        return block
    shortened = shorten_lines(section_text["text"], SECTION_TEXT_MAX, more)
    return {**block, "text": {**section_text, "text": shortened}}
