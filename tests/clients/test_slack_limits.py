"""Fitting a message inside Slack's limits: shortened at line boundaries, never refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.clients.slack.limits import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    VIEW_BLOCKS_MAX,
    VIEW_BYTES_MAX,
    fit_message,
    fit_view,
    fit_view_blocks,
    shorten_lines,
)


def more(count: int) -> str:
    return f"…and {count} more"


def test_text_that_fits_is_left_alone() -> None:
    assert shorten_lines("a\nb", 3, more) == "a\nb"


def test_long_text_keeps_whole_lines_and_says_how_many_are_left_out() -> None:
    lines = [f"line {n:03d}" for n in range(100)]  # 8 characters each
    shortened = shorten_lines("\n".join(lines), 100, more)
    assert len(shortened) <= 100
    kept = shortened.split("\n")
    assert kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"…and {100 - (len(kept) - 1)} more"


def test_one_line_longer_than_the_limit_is_cut_inside() -> None:
    shortened = shorten_lines("x" * 5000, 3000, more)
    assert len(shortened) <= 3000 and shortened.endswith("…\n…and 1 more")


def test_sections_and_block_counts_are_fitted() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "word\n" * 1000}}
    blocks = [section] + [{"type": "divider"}] * 60
    text, fitted = fit_message("fallback", blocks, more)
    assert text == "fallback" and fitted is not None
    assert len(fitted) == MESSAGE_BLOCKS_MAX
    assert len(fitted[0]["text"]["text"]) <= SECTION_TEXT_MAX
    assert fitted[-1]["elements"][0]["text"] == "…and 12 more"
    assert blocks[0]["text"]["text"] == "word\n" * 1000, "the caller's blocks are not changed"


def home_of(lists: list[list[str]]) -> Callable[[list[int]], dict[str, Any]]:
    """A Home like warroom's: per list a header, a section per item shown and a line saying
    how many are left out."""

    def render(shown: list[int]) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        for items, count in zip(lists, shown, strict=True):
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": "list"}})
            blocks += [
                {"type": "section", "text": {"type": "mrkdwn", "text": item}}
                for item in items[:count]
            ]
            if count < len(items):
                blocks.append({"type": "context", "elements": [more(len(items) - count)]})
        return {"type": "home", "blocks": blocks}

    return render


def test_a_view_shows_as_many_items_as_its_100_blocks_hold_longest_list_first() -> None:
    lists = [[f"mine {n}" for n in range(30)], [f"week {n}" for n in range(200)]]
    view = fit_view(home_of(lists), [30, 200])
    assert len(view["blocks"]) == VIEW_BLOCKS_MAX
    texts = [block.get("text", {}).get("text") for block in view["blocks"]]
    assert texts[1:31] == lists[0]  # the short list is whole
    assert view["blocks"][-1] == {"type": "context", "elements": [more(200 - 67)]}
    # Two long lists share the room.
    view = fit_view(home_of([["a"] * 150, ["b"] * 150]), [150, 150])
    kept = [block["text"]["text"] for block in view["blocks"] if block["type"] == "section"]
    assert len(view["blocks"]) == VIEW_BLOCKS_MAX and abs(kept.count("a") - kept.count("b")) <= 1


def test_a_view_over_250_kb_shows_fewer_items() -> None:
    lists = [["x" * 2900] * 90]  # 90 sections of 2,900 characters: about 270 kB
    view = fit_view(home_of(lists), [90])
    assert len(json.dumps(view).encode()) <= VIEW_BYTES_MAX
    shown = [block for block in view["blocks"] if block["type"] == "section"]
    assert 70 <= len(shown) < 90 and view["blocks"][-1]["elements"] == [more(90 - len(shown))]


def test_a_view_too_large_whatever_made_it_is_cut_for_slack() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "word\n" * 1000}}
    fitted = fit_view_blocks({"type": "home", "blocks": [section] * 120}, more)
    assert len(fitted["blocks"]) == VIEW_BLOCKS_MAX
    assert all(len(b["text"]["text"]) <= SECTION_TEXT_MAX for b in fitted["blocks"][:-1])
    assert fitted["blocks"][-1]["elements"][0]["text"] == more(21)
