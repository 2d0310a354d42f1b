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


def duration_text(duration: timedelta) -> str:
    """The short form back: ``1h30m``, ``15m``, ``45s``."""
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")
