"""The checks of a change body's fields every change source's reader shares, in the same
words for every source (as ``bot.record.alerting.sources.checks`` are the alert sources'): a
text, a time, a link, and a body's own key when its sender gives none. What a change source is
(its line in the registry, its capabilities) is ``bot.record.alerting.sources.source``'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.record.alerting.sources.checks import time_of
from bot.record.changes.events import LINK_MAX, TEXT_MAX


def body_digest(document: Mapping[str, Any]) -> str:
    """A body's own key when its sender gives none: the same JSON sent again is the same
    change."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def text_at(
    document: Mapping[str, Any],
    field: str,
    where: str,
    problems: list[str],
    *,
    required: bool = False,
    most: int = TEXT_MAX,
) -> str | None:
    """``document[field]`` as text (None when absent and not required); each problem named
    by ``where``."""
    value = document.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"'{where}' is missing or blank" if required else f"'{where}' must be text")
        return None
    if len(value) > most:
        problems.append(f"'{where}' is longer than {most} characters")
        return None
    return value.strip()


def time_at(value: object, where: str, problems: list[str]) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; None when absent."""
    try:
        return time_of(value)
    except ValueError as wrong:  # pydantic's custom error is a ValueError
        problems.append(f"'{where}': {wrong}")
        return None


def link_at(value: object, where: str, problems: list[str]) -> str | None:
    """An http(s) address; None when absent."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        problems.append(f"'{where}' must be an http(s) address")
        return None
    if len(value) > LINK_MAX:
        problems.append(f"'{where}' is longer than {LINK_MAX} characters")
        return None
    return value
