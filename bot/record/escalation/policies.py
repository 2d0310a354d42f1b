"""Escalation policies: who is brought in, level by level, when nobody acknowledges.

Operators write them in YAML (``WARROOM_ESCALATION_POLICIES``)::

    policies:
      payments:
        levels:
          - timeout: 10m              # go to the next level after this without an ack
            targets:
              - user: U024BE7LH       # a Slack user id
              - usergroup: dba-team   # a user group handle (or its S... id)
              - schedule: payments-primary   # whoever the on-call schedule names then
              - pagerduty:
                  service: Payments primary
                  routing_key_env: PAGERDUTY_KEY_PAYMENTS   # the key itself stays in the env
          - timeout: 15m
            targets:
              - user: U0G9QF9C6
        repeat: 2                     # then the whole policy again, twice at most
        owners: [U0ALICE]             # optional: who looks after it (maintenance windows)
    severities:                       # incidents of these severities start a policy at once
      SEV1: payments

Parsing only checks the structure; nothing here talks to Slack or PagerDuty. Whether each
``schedule:`` names a configured on-call schedule is checked with the settings
(``bot/config/settings.py``), where both files are known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from bot.basics.durations import parse_duration
from bot.basics.slack_patterns import USER_ID
from bot.basics.yaml_files import read_yaml
from bot.store.models import SEVERITIES

TargetKind = Literal["user", "usergroup", "schedule", "pagerduty"]
# Names operators give things in configuration files (policies, on-call schedules).
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A policy that ran this many more times unanswered is not going to be answered by running on.
MAX_REPEAT = 20


class PolicyError(ValueError):
    """The policy file is not a valid description of escalation policies."""


@dataclass(frozen=True)
class Target:
    """Someone a level brings in: a person, a user group, whoever an on-call schedule names
    when the level fires, or a PagerDuty service."""

    kind: TargetKind
    # A user id, a user group handle or S... id, a schedule's name, or a PagerDuty service's.
    ref: str
    # For PagerDuty: the environment variable that holds the integration's routing key.
    routing_key_env: str | None = None


@dataclass(frozen=True)
class Level:
    """One step of a policy; ``timeout`` None means the policy ends here."""

    number: int
    targets: tuple[Target, ...]
    timeout: timedelta | None


@dataclass(frozen=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    # How many more times the whole policy runs again from level 1 once its last level's
    # timeout passes with nobody acknowledging.
    repeat: int = 0
    # Who looks after the policy: with the owners of the schedules it pages, they may switch
    # its alerts off for a while (maintenance windows).
    owners: tuple[str, ...] = ()

    @property
    def rounds(self) -> int:
        """How many times the policy runs at most: once, and ``repeat`` more."""
        return self.repeat + 1

    def level(self, number: int) -> Level | None:
        """Level ``number`` (1-based), or None past the last one."""
        return self.levels[number - 1] if 1 <= number <= len(self.levels) else None


@dataclass(frozen=True)
class Policies:
    """Every configured policy, and which severities start which policy."""

    by_name: Mapping[str, Policy] = field(default_factory=lambda: MappingProxyType({}))
    by_severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str) -> Policy | None:
        return self.by_name.get(name.lower())

    def for_severity(self, severity: str) -> Policy | None:
        name = self.by_severity.get(severity)
        return self.by_name[name] if name else None

    def routing_key_envs(self) -> set[str]:
        """Every environment variable a pager target reads its routing key from."""
        return {
            target.routing_key_env
            for policy in self.by_name.values()
            for level in policy.levels
            for target in level.targets
            if target.routing_key_env
        }

    def schedule_targets(self) -> list[tuple[str, int, str]]:
        """Every ``schedule:`` target, as (policy, level number, schedule name)."""
        return [
            (policy.name, level.number, target.ref)
            for policy in self.by_name.values()
            for level in policy.levels
            for target in level.targets
            if target.kind == "schedule"
        ]


NO_POLICIES = Policies()


def load_policies(path: Path) -> Policies:
    """Read and check a policy file; PolicyError says what is wrong and where."""
    return parse_policies(read_yaml(path, PolicyError))


def parse_policies(document: Any) -> Policies:
    """Build Policies from the parsed YAML document."""
    if not isinstance(document, dict) or not isinstance(document.get("policies"), dict):
        raise PolicyError("expected a mapping with a 'policies' mapping at the top")
    unknown = set(document) - {"policies", "severities"}
    if unknown:
        raise PolicyError(f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    policies = {
        str(name).lower(): _policy(str(name), body) for name, body in document["policies"].items()
    }
    severities = document.get("severities") or {}
    if not isinstance(severities, dict):
        raise PolicyError("'severities' must map SEV1..SEV4 to policy names")
    by_severity = {}
    for severity, name in severities.items():
        severity_name = str(severity).upper()
        if severity_name not in SEVERITIES:
            raise PolicyError(f"severities: {severity!r} is not one of {', '.join(SEVERITIES)}")
        if str(name).lower() not in policies:
            raise PolicyError(f"severities: {severity_name} names unknown policy {name!r}")
        by_severity[severity_name] = str(name).lower()
    return Policies(MappingProxyType(policies), MappingProxyType(by_severity))


def _policy(name: str, body: Any) -> Policy:
    where = f"policy {name!r}"
    if not NAME.match(name.lower()):
        raise PolicyError(f"{where}: names are lowercase letters, digits, - and _")
    if not isinstance(body, dict) or not isinstance(body.get("levels"), list) or not body["levels"]:
        raise PolicyError(f"{where}: needs a non-empty 'levels' list")
    unknown = set(body) - {"levels", "repeat", "owners"}
    if unknown:
        raise PolicyError(f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    levels = tuple(
        _level(f"{where} level {number}", number, raw)
        for number, raw in enumerate(body["levels"], start=1)
    )
    repeat = body.get("repeat", 0)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        raise PolicyError(f"{where}: repeat must be a whole number from 0 to {MAX_REPEAT}")
    if repeat and levels[-1].timeout is None:
        raise PolicyError(
            f"{where}: repeat needs a timeout on the last level (the policy starts again "
            "once it passes)"
        )
    owners = body.get("owners") or []
    if not isinstance(owners, list) or not all(
        isinstance(owner, str) and USER_ID.match(owner) for owner in owners
    ):
        raise PolicyError(f"{where}: owners must be a list of Slack user ids like U024BE7LH")
    return Policy(name=name.lower(), levels=levels, repeat=repeat, owners=tuple(owners))


def _level(where: str, number: int, raw: Any) -> Level:
    if not isinstance(raw, dict) or not isinstance(raw.get("targets"), list) or not raw["targets"]:
        raise PolicyError(f"{where}: needs a non-empty 'targets' list")
    timeout = None
    if raw.get("timeout") is not None:
        try:
            timeout = parse_duration(raw["timeout"])
        except ValueError as error:
            raise PolicyError(f"{where}: timeout: {error}") from None
        if timeout <= timedelta(0):
            raise PolicyError(f"{where}: timeout must be longer than zero")
    targets = tuple(_target(where, raw_target) for raw_target in raw["targets"])
    return Level(number=number, targets=targets, timeout=timeout)


def _target(where: str, raw: Any) -> Target:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise PolicyError(
            f"{where}: each target is one of user:, usergroup:, schedule: or pagerduty:"
        )
    ((kind, value),) = raw.items()
    if kind == "user":
        if not isinstance(value, str) or not USER_ID.match(value):
            raise PolicyError(f"{where}: user must be a Slack user id like U024BE7LH")
        return Target("user", value)
    if kind == "usergroup":
        if not isinstance(value, str) or not value.strip().lstrip("@"):
            raise PolicyError(f"{where}: usergroup must be a handle like dba-team")
        return Target("usergroup", value.strip().lstrip("@"))
    if kind == "schedule":
        name = value.strip().lower() if isinstance(value, str) else ""
        if not NAME.match(name):
            raise PolicyError(
                f"{where}: schedule must name an on-call schedule, like payments-primary"
            )
        return Target("schedule", name)
    if kind == "pagerduty":
        return _pager_target(where, value)
    raise PolicyError(
        f"{where}: unknown target kind {kind!r} (user, usergroup, schedule or pagerduty)"
    )


def _pager_target(where: str, value: Any) -> Target:
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: pagerduty needs 'service' and 'routing_key_env'")
    if "routing_key" in value:
        raise PolicyError(
            f"{where}: routing keys are secrets and stay out of this file; "
            "name the environment variable that holds it with routing_key_env"
        )
    service, env = value.get("service"), value.get("routing_key_env")
    if not isinstance(service, str) or not service.strip():
        raise PolicyError(f"{where}: pagerduty needs a 'service' name")
    if not isinstance(env, str) or not _ENV_NAME.match(env):
        raise PolicyError(f"{where}: pagerduty needs 'routing_key_env', an environment variable")
    return Target("pagerduty", service.strip(), routing_key_env=env)
