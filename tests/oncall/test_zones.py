"""The zone tables' sampling step against the tz database this machine's zoneinfo reads."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest

from bot.record.oncall import zones
from tests.helpers.tzif import transitions

SINCE_1970 = 0


def offset_changes(key: str) -> list[int]:
    """The instants (seconds) since 1970 at which ``key``'s UTC offset changes."""
    changes, before = [], None
    for instant, offset, _ in transitions(key):
        if offset != before and instant >= SINCE_1970:
            changes.append(instant)
        before = offset
    return changes


def test_no_zone_changes_its_offset_twice_within_the_sampling_step() -> None:
    """Two changes within one step that cancel out would be missed by _changes_in."""
    keys = sorted(zoneinfo.available_timezones())
    if not keys:
        pytest.skip("no tz database on this machine: zoneinfo finds no zone at all")
    closest = min(
        (later - earlier, key, earlier)
        for key in keys
        for earlier, later in zip(offset_changes(key), offset_changes(key)[1:], strict=False)
    )
    gap, key, at = closest
    assert gap > zones.SAMPLE_SECONDS, (
        f"{key} changes its offset twice within {gap / 86_400:.1f} days from "
        f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d}: sample more often than every "
        f"{zones.SAMPLE_SECONDS / 86_400:g} days"
    )


def test_the_zone_table_finds_each_change_to_the_second() -> None:
    """Paris 2026: summer time from 01:00 UTC on 29 March to 01:00 UTC on 25 October."""
    changes = zones._changes_in("Europe/Paris", 2026)
    assert [(zones.moment_of(at), offset // zones.HOUR) for at, offset in changes] == [
        (datetime(2026, 3, 29, 1, tzinfo=UTC), 2),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 1),
    ]
