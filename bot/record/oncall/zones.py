"""A zone's clock as pieces of constant UTC offset, so the engine converts by integer sums.

Instants are integer microseconds since the Unix epoch, in UTC. A wall-clock time is the same
count for the naive local time read as if it were UTC ("wall microseconds"): adding a day to
it is adding ``DAY``, whatever the clocks do that day.

Where a zone's offset changes is found by asking zoneinfo for the offset every
``SAMPLE_SECONDS`` (three days) and bisecting each change to the second, once per zone and
year (cached: the answer depends on the tz database alone). Two changes less than three days
apart that cancel each other out would go unseen: in the tz database no zone has two changes
less than 6.9 days apart since 1970 (America/Cambridge_Bay in 2000),
tests/oncall/test_zones.py reads every zone's transitions to hold it to that. Asking every
day instead took most of a cold start's time in bench/oncall.py.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from operator import add
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
# How often _changes_in asks zoneinfo for a zone's offset: less than the least time between
# two changes of any zone since 1970 (tests/oncall/test_zones.py).
SAMPLE_SECONDS = 3 * 86_400
# Instants (or wall times) as an array of int64 microseconds.
Instants = npt.NDArray[np.int64]
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
    # Faster than the addition above when there are no microseconds (bench/RESULTS.md).
    return datetime.fromtimestamp(instant // SECOND, UTC)


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

    __slots__ = (
        "_high",
        "_low",
        "_max_offset",
        "_min_offset",
        "_offsets",
        "_reach",
        "_repeats",
        "_starts",
        "offsets",
        "starts",
    )

    def __init__(self, zone: str, first: int, last: int) -> None:
        years = range(moment_of(first - DAY).year, moment_of(last + DAY).year + 1)
        self._low = instant_of(datetime(years[0], 1, 1, tzinfo=UTC))
        self._high = instant_of(datetime(years[-1] + 1, 1, 1, tzinfo=UTC))
        self.starts = [_FOREVER_AGO]
        self.offsets = [_offset(ZoneInfo(zone), self._low // SECOND)]
        for year in years:
            for start, offset in _changes_in(zone, year):
                self.starts.append(start)
                self.offsets.append(offset)
        self._max_offset = max(self.offsets)
        self._min_offset = min(self.offsets)
        self._starts = np.array(self.starts, dtype=np.int64)
        self._offsets = np.array(self.offsets, dtype=np.int64)
        # Where each piece's readings end (the last never), and the running maximum of that.
        ends = [*map(add, self.starts[1:], self.offsets[:-1]), -_FOREVER_AGO]
        self._reach = np.maximum.accumulate(np.array(ends, dtype=np.int64))
        # The wall times read twice: where the clocks go back, from the reading after the
        # change to the one just before it.
        self._repeats = [
            (start + after, start + before)
            for start, (before, after) in zip(self.starts[1:], pairwise(self.offsets), strict=True)
            if after < before
        ]

    def local(self, instant: int) -> int:
        """The wall time the zone's clocks show at ``instant``."""
        self._check(instant)
        return instant + self.offsets[bisect_right(self.starts, instant) - 1]

    def first_reaching(self, walls: Instants) -> Instants:
        """For each wall time, the first instant at which the clocks read it or later: the
        instant itself when it happens once, the first of two when the clocks go back, and
        the moment they jump past it when it never happens.

        Piece ``i`` reads from ``starts[i] + offsets[i]`` up to ``starts[i + 1] +
        offsets[i]``; the answer lies in the first piece whose readings go past the wall time
        (every earlier piece reads less), so it is found by a search over the running
        maximum of where the pieces' readings end."""
        piece = np.searchsorted(self._reach, walls, side="right")
        found: Instants = np.maximum(walls - self._offsets[piece], self._starts[piece])
        if len(found):
            self._check(int(found.min()))
            self._check(int(found.max()))
        return found

    def instants_reading(self, lows: Instants, highs: Instants) -> tuple[Instants, Instants]:
        """The instants at which the clocks read inside the wall-time windows ``lows[i]`` up
        to ``highs[i]`` (sorted and disjoint), as sorted disjoint UTC intervals (begins,
        ends). A window gives one interval, an empty one (inside a jump forward), or two
        (when the clocks go back inside it)."""
        if not len(lows):
            return lows, highs
        self._check(int(lows.min()) - self._max_offset)
        self._check(int(highs.max()) - self._min_offset)
        # Where the clocks only go forward across a window, it is read from the first instant
        # reaching its start to the first reaching its end.
        begins, ends = self.first_reaching(lows), self.first_reaching(highs)
        repeated = np.zeros(len(lows), dtype=bool)
        for first, last in self._repeats:
            repeated |= (lows < last) & (highs > first)
        if not repeated.any():
            return begins, ends
        twice = [
            piece
            for low, high in zip(lows[repeated].tolist(), highs[repeated].tolist(), strict=True)
            for piece in self._reading(low, high)
        ]
        more = np.array(twice, dtype=np.int64).reshape(-1, 2)
        once = ~repeated
        begins = np.concatenate([begins[once], more[:, 0]])
        order = np.argsort(begins, kind="stable")
        return begins[order], np.concatenate([ends[once], more[:, 1]])[order]

    def _reading(self, low: int, high: int) -> list[tuple[int, int]]:
        """The instants reading inside one window, piece by piece (a window the clocks read
        twice, because they go back inside it)."""
        found: list[tuple[int, int]] = []
        starts, offsets, last = self.starts, self.offsets, len(self.starts) - 1
        for piece in range(last + 1):
            end = starts[piece + 1] if piece < last else high - offsets[piece]
            begin = max(low - offsets[piece], starts[piece])
            finish = min(high - offsets[piece], end)
            if begin < finish:
                found.append((begin, finish))
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
    clocks = ZoneInfo(zone)
    day, offset = start, _offset(clocks, start)
    while day < end:
        following = min(day + SAMPLE_SECONDS, end)
        next_offset = _offset(clocks, following)
        if next_offset != offset:
            _bisect(clocks, day, following, offset, next_offset, changes)
        day, offset = following, next_offset
    return tuple(changes)


def _bisect(
    clocks: ZoneInfo,
    low: int,
    high: int,
    low_offset: int,
    high_offset: int,
    out: list[tuple[int, int]],
) -> None:
    """Find the second at which the offset leaves ``low_offset`` between ``low`` and
    ``high`` (seconds), then any further change up to ``high``."""
    limit = high
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(clocks, middle) == low_offset:
            low = middle
        else:
            high = middle
    changed = _offset(clocks, high)
    out.append((high * SECOND, changed))
    if changed != high_offset:
        _bisect(clocks, high, limit, changed, high_offset, out)


def _offset(clocks: ZoneInfo, second: int) -> int:
    """The zone's UTC offset at ``second`` (since the epoch), in microseconds."""
    delta = clocks.utcoffset(datetime.fromtimestamp(second, clocks)) or timedelta(0)
    return delta // _MICROSECOND
