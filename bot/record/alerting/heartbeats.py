"""Heartbeats: jobs that check in (``POST /heartbeats/<name>``) and become an alert when
they stop.

Operators list them in YAML (``WARROOM_HEARTBEATS``)::

    heartbeats:
      - name: nightly-export
        interval: 24h                # how often it checks in
        grace: 30m                   # how late a check-in may be before it counts as missed
        policy: data-oncall          # optional: the escalation policy its incident starts
        severity: SEV2               # optional: its incident's severity

Each has a row (``Heartbeat``) saying when it last beat and whether a miss is open; a miss is
an alert of the generic shape, sent through the alert path like any other, and the next beat
resolves it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.durations import duration_text, parse_duration
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.record.alerting.routes import Route, Routes
from bot.store.db import insert_once
from bot.store.models import SEVERITIES, Heartbeat

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_KEYS = ("name", "interval", "grace", "policy", "severity")
# The label a missed heartbeat's alert carries: its route matches on it.
LABEL = "warroom_heartbeat"
# What the alert says sent it (the generic shape's ``source``).
SOURCE = "warroom heartbeat"


class HeartbeatError(ValueError):
    """The heartbeats file is wrong; ``problems`` names each thing wrong."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class HeartbeatSpec:
    """One heartbeat as the file declares it."""

    name: str
    interval: timedelta
    grace: timedelta = timedelta(0)
    policy: str | None = None
    severity: str | None = None

    @property
    def allowed(self) -> timedelta:
        """How long after a beat the next may come before it counts as missed."""
        return self.interval + self.grace

    def route(self, default_severity: str) -> Route:
        """The alert route its misses take, ahead of the file's routes: its severity (else
        the default one) and its policy."""
        return Route(
            name=f"heartbeat:{self.name}",
            match=MappingProxyType({LABEL: self.name}),
            severity=self.severity or default_severity,
            policy=self.policy,
        )


@dataclass(frozen=True)
class Heartbeats:
    by_name: Mapping[str, HeartbeatSpec] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str) -> HeartbeatSpec | None:
        return self.by_name.get(name)

    def policy_names(self) -> set[str]:
        return {spec.policy for spec in self.by_name.values() if spec.policy}

    def routes_before(self, routes: Routes, default_severity: str) -> Routes:
        """``routes`` with each heartbeat's own route first: its misses open what the
        heartbeat says, whatever the routes file matches."""
        return routes.before(tuple(spec.route(default_severity) for spec in self.by_name.values()))


NO_HEARTBEATS = Heartbeats()


def load_heartbeats(path: Path) -> Heartbeats:
    """Read and check the heartbeats file; HeartbeatError names every problem."""
    return parse_heartbeats(read_yaml(path, HeartbeatError))


def parse_heartbeats(document: Any) -> Heartbeats:
    if not isinstance(document, dict) or not isinstance(document.get("heartbeats"), list):
        raise HeartbeatError("expected a mapping with a 'heartbeats' list at the top")
    problems: list[str] = []
    if problem := unknown_keys("the file", document, ("heartbeats",)):
        problems.append(problem)
    found: dict[str, HeartbeatSpec] = {}
    for number, raw in enumerate(document["heartbeats"], start=1):
        spec = _heartbeat(number, raw, problems)
        if spec is None:
            continue
        if spec.name in found:
            problems.append(f"heartbeat {spec.name!r}: named twice")
        found[spec.name] = spec
    if problems:
        raise HeartbeatError(*problems)
    return Heartbeats(MappingProxyType(found))


def _heartbeat(number: int, raw: Any, problems: list[str]) -> HeartbeatSpec | None:
    if not isinstance(raw, dict):
        problems.append(f"heartbeat {number}: expected a mapping with name and interval")
        return None
    name = raw.get("name")
    where = f"heartbeat {name!r}" if isinstance(name, str) else f"heartbeat {number}"
    before = len(problems)
    if problem := unknown_keys(where, raw, _KEYS):
        problems.append(problem)
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"{where}: name: lowercase letters, digits, - and _ (got {name!r})")
    interval = _duration(where, "interval", raw.get("interval"), problems, required=True)
    grace = _duration(where, "grace", raw.get("grace", 0), problems, required=False)
    policy = raw.get("policy")
    if policy is not None and (not isinstance(policy, str) or not policy.strip()):
        problems.append(f"{where}: policy: the name of an escalation policy (got {policy!r})")
    severity = raw.get("severity")
    if severity is not None and str(severity).upper() not in SEVERITIES:
        problems.append(f"{where}: severity: one of {', '.join(SEVERITIES)} (got {severity!r})")
    if len(problems) > before or interval is None or grace is None:
        return None
    return HeartbeatSpec(
        name=str(name),
        interval=interval,
        grace=grace,
        policy=policy.strip().lower() if policy else None,
        severity=str(severity).upper() if severity else None,
    )


def _duration(
    where: str, key: str, raw: Any, problems: list[str], *, required: bool
) -> timedelta | None:
    try:
        value = parse_duration(raw)
    except (ValueError, TypeError, AttributeError):
        problems.append(f"{where}: {key}: a duration like 30m, 24h or 1h30m (got {raw!r})")
        return None
    if required and value <= timedelta(0):
        problems.append(f"{where}: {key}: must be longer than zero")
        return None
    return value


# -- the record ------------------------------------------------------------------------------
async def watch(session: AsyncSession, spec: HeartbeatSpec, *, now: datetime) -> Heartbeat:
    """The heartbeat's row, made at the first start that knows it (the caller commits): a
    heartbeat never seen counts from then, whatever restarts follow."""
    row = await session.get(Heartbeat, spec.name)
    if row is None:
        await insert_once(session, Heartbeat(name=spec.name, watched_since=now))
        row = await session.get(Heartbeat, spec.name)
    assert row is not None
    return row


def deadline(spec: HeartbeatSpec, row: Heartbeat) -> datetime:
    """When a beat not come by then is a miss."""
    return (row.last_beat_at or row.watched_since) + spec.allowed


def missed_alert(spec: HeartbeatSpec, *, missed_since: datetime) -> str:
    """A miss as a generic alert's body (README, "Alerts"): one alert per heartbeat, which
    fires again at each new miss (a new start) and is resolved by the next beat."""
    return json.dumps(
        {
            "title": f"Heartbeat {spec.name} missed",
            "dedup_key": f"heartbeat:{spec.name}",
            "status": "firing",
            "source": SOURCE,
            "started_at": missed_since.isoformat(),
            "description": (
                f"No check-in from {spec.name} within {duration_text(spec.interval)} "
                f"and its grace of {duration_text(spec.grace)}."
            ),
            "labels": {LABEL: spec.name},
        }
    )


def beat_alert(spec: HeartbeatSpec, *, missed_since: datetime, beat_at: datetime) -> str:
    """The beat after a miss, as the resolution of the miss's alert."""
    body = json.loads(missed_alert(spec, missed_since=missed_since))
    body.update(status="resolved", ended_at=beat_at.isoformat())
    return json.dumps(body)
