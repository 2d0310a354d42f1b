"""How a postmortem's language writes dates, times and durations: its ``language.yaml`` in
``templates/postmortem/<code>/``, beside the styles written in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Language:
    """How a language writes dates, times and durations (``templates/postmortem/<code>/``)."""

    code: str
    months: tuple[str, ...]
    time_format: str
    date_format: str
    units: Mapping[str, tuple[str, str]]
    less_than_a_minute: str
    am: str
    pm: str
    gap_mark: str

    @classmethod
    def load(cls, directory: Path) -> Language:
        data = yaml.safe_load((directory / "language.yaml").read_text(encoding="utf-8"))
        return cls(
            code=directory.name,
            months=tuple(data["months"]),
            time_format=data["time_format"],
            date_format=data["date_format"],
            units={unit: (forms[0], forms[1]) for unit, forms in data["units"].items()},
            less_than_a_minute=data["less_than_a_minute"],
            am=data["am"],
            pm=data["pm"],
            gap_mark=data["gap_mark"],
        )

    def fields(self, moment: datetime) -> dict[str, object]:
        return {
            "year": moment.year,
            "month": self.months[moment.month - 1],
            "day": moment.day,
            "hour": f"{moment.hour:02d}",
            "hour_short": moment.hour,
            "hour12": moment.hour % 12 or 12,
            "minute": f"{moment.minute:02d}",
            "ampm": self.am if moment.hour < 12 else self.pm,
            "zone": moment.tzname() or "",
        }

    def words(self, delta: relativedelta) -> str:
        """``1 hour 45 minutes``: the units that are not zero, largest first."""
        parts = []
        for unit in ("years", "months", "days", "hours", "minutes"):
            count = getattr(delta, unit)
            if count:
                singular, plural = self.units[unit]
                parts.append(f"{count} {singular if count == 1 else plural}")
        return " ".join(parts) or self.less_than_a_minute
