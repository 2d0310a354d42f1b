"""What the tz database this machine's zoneinfo reads says, read from its TZif files
themselves (zoneinfo's pure-Python reader), for tests that rely on how zones change."""

from __future__ import annotations

import os
import zoneinfo
from zoneinfo import _common


def transitions(key: str) -> list[tuple[int, int, str]]:
    """Each instant (seconds since 1970) at which ``key``'s UTC offset or abbreviation
    changes, with the offset (seconds) and abbreviation from then on, as its TZif file lists
    them."""
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, key)
        if os.path.isfile(path):
            with open(path, "rb") as tzif:
                indices, instants, offsets, _, abbreviations, _ = _common.load_data(tzif)
            break
    else:
        with _common.load_tzdata(key) as tzif:
            indices, instants, offsets, _, abbreviations, _ = _common.load_data(tzif)
    changes: list[tuple[int, int, str]] = []
    before = None
    for index, instant in zip(indices, instants, strict=True):
        after = (offsets[index], abbreviations[index])
        if after != before:
            changes.append((instant, *after))
        before = after
    return changes
