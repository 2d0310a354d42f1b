"""A zone's clock as pieces of constant UTC offset, so the engine converts by integer sums.

Instants are integer microseconds since the Unix epoch, in UTC. A wall-clock time is the same
count for the naive local time read as if it were UTC ("wall microseconds"): adding a day to
it is adding ``DAY``, whatever the clocks do that day.

Where a zone's offset changes is found by asking zoneinfo for the offset once a day and
bisecting each change to the second, once per zone and year (cached: the answer depends on
the tz database alone). Two changes less than a day apart that cancel each other out would go
unseen: in the tz database (2025) no zone has two changes within two days of each other since
1970, read from every zone's transitions with zoneinfo's pure-Python loader.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
# Before every piece: the first piece reaches back to here.
_FOREVER_AGO = -(2**62)


def known_zone(name: str) -> bool:
    """Whether ``name`` is a zone of the IANA tz database (``Europe/Paris``, ``UTC``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return bool(name.strip())


def instant_of(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an instant is needed")
    return (moment - _EPOCH) // _MICROSECOND


def moment_of(instant: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    if instant % SECOND:
        return _EPOCH + timedelta(microseconds=instant)
    return datetime.fromtimestamp(instant // SECOND, UTC)  # three times as fast


def wall_of(naive: datetime) -> int:
    """A naive wall-clock time as wall microseconds."""
    return (naive - _NAIVE_EPOCH) // _MICROSECOND


def wall_text(wall: int) -> datetime:
    """Wall microseconds back as a naive datetime (for messages)."""
    return _NAIVE_EPOCH + timedelta(microseconds=wall)


class ZoneClock:
    """The offset pieces of one zone over the UTC years that hold ``first`` to ``last``.

    Piece ``i`` runs from ``starts[i]`` to ``starts[i + 1]`` with ``offsets[i]``. Asking
    about instants outside those years raises ValueError rather than guess.
    """

    __slots__ = ("_high", "_low", "_max_offset", "_min_offset", "offsets", "starts")

    def __init__(self, zone: str, first: int, last: int) -> None:
        years = range(moment_of(first - DAY).year, moment_of(last + DAY).year + 1)
        self._low = instant_of(datetime(years[0], 1, 1, tzinfo=UTC))
        self._high = instant_of(datetime(years[-1] + 1, 1, 1, tzinfo=UTC))
        self.starts = [_FOREVER_AGO]
        self.offsets = [_offset(zone, self._low // SECOND)]
        for year in years:
            for start, offset in _changes_in(zone, year):
                self.starts.append(start)
                self.offsets.append(offset)
        self._max_offset = max(self.offsets)
        self._min_offset = min(self.offsets)

    def local(self, instant: int) -> int:
        """The wall time the zone's clocks show at ``instant``."""
        self._check(instant)
        return instant + self.offsets[bisect_right(self.starts, instant) - 1]

    def first_reaching(self, walls: Sequence[int]) -> list[int]:
        """For each wall time (in increasing order), the first instant at which the clocks
        read it or later: the instant itself when it happens once, the first of two when the
        clocks go back, and the moment they jump past it when it never happens."""
        starts, offsets, last = self.starts, self.offsets, len(self.starts) - 1
        # Before the piece holding walls[0] - max offset, every reading is below walls[0];
        # and each answer's piece is at or after the one before it.
        index = bisect_right(starts, walls[0] - self._max_offset) - 1 if walls else 0
        found = []
        for wall in walls:
            while True:
                candidate = wall - offsets[index]
                if candidate < starts[index]:
                    candidate = starts[index]
                if index == last or candidate < starts[index + 1]:
                    break
                index += 1
            found.append(candidate)
        if found:
            self._check(found[0])
            self._check(found[-1])
        return found

    def instants_reading(self, windows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """The instants at which the clocks read inside the wall-time windows (sorted, each
        from its start up to its end) as sorted UTC intervals. A window gives one interval,
        none (inside a jump forward), or two (when the clocks go back inside it)."""
        if not windows:
            return []
        self._check(windows[0][0] - self._max_offset)
        self._check(windows[-1][1] - self._min_offset)
        starts, offsets, last = self.starts, self.offsets, len(self.starts) - 1
        index = bisect_right(starts, windows[0][0] - self._max_offset) - 1
        found: list[tuple[int, int]] = []
        for low, high in windows:
            while index < last and starts[index + 1] <= low - self._max_offset:
                index += 1
            # The usual case: one piece holds the window, and no later piece reads inside it.
            offset = offsets[index]
            if starts[index] <= low - offset and (
                index == last or starts[index + 1] >= high - self._min_offset
            ):
                found.append((low - offset, high - offset))
                continue
            piece = index
            while piece <= last and starts[piece] < high - self._min_offset:
                end = starts[piece + 1] if piece < last else high - offsets[piece]
                begin = low - offsets[piece]
                begin = starts[piece] if begin < starts[piece] else begin
                finish = high - offsets[piece]
                finish = end if end < finish else finish
                if begin < finish:
                    if found and found[-1][1] == begin:
                        found[-1] = (found[-1][0], finish)
                    else:
                        found.append((begin, finish))
                piece += 1
        return found

    def _check(self, instant: int) -> None:
        if not self._low <= instant < self._high:
            raise ValueError(f"{moment_of(instant)} is outside the years this clock covers")


@lru_cache(maxsize=4096)
def _changes_in(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """(instant, offset from then on) for each change of ``zone``'s offset in the UTC year."""
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    changes: list[tuple[int, int]] = []
    day, offset = start, _offset(zone, start)
    while day < end:
        following = min(day + 86_400, end)
        next_offset = _offset(zone, following)
        if next_offset != offset:
            _bisect(zone, day, following, offset, next_offset, changes)
        day, offset = following, next_offset
    return tuple(changes)


def _bisect(
    zone: str, low: int, high: int, low_offset: int, high_offset: int, out: list[tuple[int, int]]
) -> None:
    """Find the second at which the offset leaves ``low_offset`` between ``low`` and
    ``high`` (seconds), then any further change up to ``high``."""
    limit = high
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, middle) == low_offset:
            low = middle
        else:
            high = middle
    changed = _offset(zone, high)
    out.append((high * SECOND, changed))
    if changed != high_offset:
        _bisect(zone, high, limit, changed, high_offset, out)


def _offset(zone: str, second: int) -> int:
    """The zone's UTC offset at ``second`` (since the epoch), in microseconds."""
    delta = datetime.fromtimestamp(second, ZoneInfo(zone)).utcoffset() or timedelta(0)
    return delta // _MICROSECOND
