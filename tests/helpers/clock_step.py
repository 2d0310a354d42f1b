"""A replica's wall clock stepped forward (an NTP step, a VM resumed), for the leases that
must follow the database's clock instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from bot.store import columns


class _SixtySecondsAhead(datetime):
    """The wall clock of a replica stepped 60 s forward."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _SixtySecondsAhead:
        ahead = datetime.now(tz) + timedelta(seconds=60)
        return cls.fromtimestamp(ahead.timestamp(), tz)


def step_clock_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step this process's wall clock (``utcnow``) 60 s forward, past any lease's length."""
    monkeypatch.setattr(columns, "datetime", _SixtySecondsAhead)
    assert columns.utcnow() > datetime.now(UTC) + timedelta(seconds=59)
