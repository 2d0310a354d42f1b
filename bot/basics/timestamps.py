"""Slack message timestamps: ``"1699375500.000200"`` is both an id and the moment it was said."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_SLACK_TS = re.compile(r"^(\d{1,12})\.(\d{1,6})$")


def is_slack_ts(value: object) -> bool:
    return isinstance(value, str) and _SLACK_TS.match(value) is not None


def ts_to_datetime(ts: str) -> datetime:
    """The UTC moment of a Slack ``ts``, to the microsecond, without float rounding."""
    match = _SLACK_TS.match(ts)
    if match is None:
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    seconds, fraction = match.groups()
    micros = int(fraction.ljust(6, "0"))
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micros)
