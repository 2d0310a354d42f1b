"""Durations operators write in configuration: ``90s``, ``15m``, ``1h30m``, ``2h``, or seconds."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([hms])")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(raw: str | int | float) -> timedelta:
    """Parse a duration; raise ValueError naming the accepted forms when it is not one."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a duration like 15m, got {raw!r}")
    if isinstance(raw, int | float):
        if raw < 0:
            raise ValueError(f"a duration cannot be negative, got {raw!r}")
        return timedelta(seconds=raw)
    text = raw.strip().lower()
    if text.isdigit():
        return timedelta(seconds=int(text))
    compact = text.replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"expected a duration like 90s, 15m, 1h30m or 2h, got {raw!r}")
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))


def parse_period(raw: str) -> timedelta:
    """A period back from now, as the commands' ``--since`` takes it: whole days (``7d``), or
    a duration (``24h``, ``90m``, ``1h30m``); ValueError naming the forms when it is none."""
    text = raw.strip().lower()
    days = text.removesuffix("d")
    if days != text and days.isascii() and days.isdigit():
        return timedelta(days=int(days[:9]))
    try:
        return parse_duration(text)
    except ValueError:
        raise ValueError(f"expected a period like 7d, 24h or 90m, got {raw[:40]!r}") from None


def duration_text(duration: timedelta) -> str:
    """The short form back: ``1h30m``, ``15m``, ``45s``."""
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")
