"""Heartbeats: the jobs that must check in, and how late they may be."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reading import Feature, problems_file, setting
from bot.record.alerting.heartbeats import (
    NO_HEARTBEATS,
    HeartbeatError,
    Heartbeats,
    load_heartbeats,
)


@dataclass(frozen=True)
class HeartbeatSettings(Feature):
    """Which monitored jobs check in with ``POST /heartbeats/<name>``."""

    heartbeats: Heartbeats = setting(
        env="WARROOM_HEARTBEATS",
        default=NO_HEARTBEATS,
        parse=problems_file(load_heartbeats, HeartbeatError),
        doc="path of the heartbeats file (above)",
        shown="none (no heartbeats)",
    )
