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
    return _EPOCH + timedelta(microseconds=instant)


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

    def first_reaching(self, wall: int) -> int:
        """The first instant at which the clocks read ``wall`` or later: the instant itself
        when it exists once, the first of two when the clocks go back, and the moment they
        jump past it when it never happens (spring forward)."""
        starts, offsets = self.starts, self.offsets
        # Before the piece holding wall - max offset, every clock reading is below wall.
        index = bisect_right(starts, wall - self._max_offset) - 1
        last = len(starts) - 1
        while True:
            candidate = max(starts[index], wall - offsets[index])
            if index == last or candidate < starts[index + 1]:
                self._check(candidate)
                return candidate
            index += 1

    def instants_reading(self, low: int, high: int) -> list[tuple[int, int]]:
        """The instants at which the clocks read from ``low`` up to ``high`` (wall times), as
        sorted UTC intervals: one, none (inside a jump forward), or two (across a jump back,
        when the window holds part of the hour that happens twice)."""
        self._check(low - self._max_offset)
        self._check(high - self._min_offset)
        starts, offsets = self.starts, self.offsets
        index = bisect_right(starts, low - self._max_offset) - 1
        found: list[tuple[int, int]] = []
        while index < len(starts) and starts[index] < high - self._min_offset:
            end = starts[index + 1] if index + 1 < len(starts) else high - self._min_offset
            begin = max(starts[index], low - offsets[index])
            finish = min(end, high - offsets[index])
            if begin < finish:
                if found and found[-1][1] == begin:
                    found[-1] = (found[-1][0], finish)
                else:
                    found.append((begin, finish))
            index += 1
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
