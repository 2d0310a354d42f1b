"""Fitting a message inside Slack's limits: shortened at line boundaries, never refused."""

from __future__ import annotations

from bot.clients.slack_limits import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    fit_message,
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
