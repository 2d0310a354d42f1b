"""Slack message timestamps: ``"1699375500.000200"`` is both an id and the moment it was said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeGuard

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Unix seconds and their fraction, as Slack writes them: 1 to 12 digits, a dot, 1 to 6 digits.
_MAX_SECONDS_DIGITS = 12
_MAX_FRACTION_DIGITS = 6


def _parts(value: object) -> tuple[str, str] | None:
    """The seconds and the fraction of a Slack ``ts``, in ASCII digits; None if it is none.

    String methods rather than a regular expression: every message and reaction Slack sends
    is read through here (faster than a pattern: bench/RESULTS.md), and ``\\d`` would take other
    scripts' digits, ``$`` a trailing newline.
    """
    if not isinstance(value, str) or not value.isascii():
        return None
    seconds, dot, fraction = value.partition(".")
    if (
        dot
        and 0 < len(seconds) <= _MAX_SECONDS_DIGITS
        and 0 < len(fraction) <= _MAX_FRACTION_DIGITS
        and seconds.isdigit()
        and fraction.isdigit()
    ):
        return seconds, fraction
    return None


def is_slack_ts(value: object) -> TypeGuard[str]:
    return _parts(value) is not None


def ts_to_datetime(ts: str) -> datetime:
    """The UTC moment of a Slack ``ts``, to the microsecond, without float rounding."""
    parts = _parts(ts)
    if parts is None:
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    seconds, fraction = parts
    try:
        return _EPOCH + timedelta(seconds=int(seconds), microseconds=int(fraction.ljust(6, "0")))
    except OverflowError:  # past the year 9999, as datetime.fromtimestamp said it
        raise ValueError(f"not a Slack timestamp: {ts!r} is past the year 9999") from None
