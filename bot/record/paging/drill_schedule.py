"""``WARROOM_PAGING_DRILL``: a weekly time in a time zone (``mon 10:00 Europe/Paris``), and
the next such time after an instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DrillSchedule:
    """Once a week: ``weekday`` (0 is Monday) at ``at`` in ``zone``."""

    weekday: int
    at: time
    zone: str

    def __str__(self) -> str:
        return f"{DAYS[self.weekday]} {self.at:%H:%M} {self.zone}"

    def next_after(self, instant: datetime) -> datetime:
        """The first drill time strictly after ``instant``, in UTC (a time a clock change
        skips is the first one after it, as zoneinfo reads it)."""
        zone = ZoneInfo(self.zone)
        local = instant.astimezone(zone)
        day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        for week in range(3):
            candidate = datetime.combine(day + timedelta(weeks=week), self.at, tzinfo=zone)
            if candidate.astimezone(UTC) > instant:
                return candidate.astimezone(UTC)
        raise AssertionError("a weekly time comes within three weeks")


def parse_drill_schedule(raw: str) -> DrillSchedule:
    """``mon 10:00 Europe/Paris`` (the zone may be left out: UTC)."""
    parts = raw.split()
    if len(parts) not in (2, 3) or parts[0].lower()[:3] not in DAYS:
        raise ValueError(
            f"expected a day, a time and a time zone like 'mon 10:00 Europe/Paris', got {raw!r}"
        )
    try:
        at = time.fromisoformat(parts[1])
    except ValueError:
        raise ValueError(f"{parts[1]!r} is not a time like 10:00") from None
    zone = parts[2] if len(parts) == 3 else "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{zone!r} is not a time zone like Europe/Paris") from None
    return DrillSchedule(
        DAYS.index(parts[0].lower()[:3]), at.replace(second=0, microsecond=0), zone
    )
