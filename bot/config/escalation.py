"""Escalation and paging: the policies file, the PagerDuty routing keys it names, and
PagerDuty's Events API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.config.reading import Feature, Secret, one_problem_file, read, seconds, setting
from bot.record.escalation.policies import NO_POLICIES, Policies, PolicyError, load_policies

DEFAULT_PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


@dataclass(frozen=True)
class EscalationSettings(Feature):
    """Who is paged, in which order, and through what."""

    policies: Policies = setting(
        env="WARROOM_ESCALATION_POLICIES",
        default=NO_POLICIES,
        parse=one_problem_file(load_policies, PolicyError),
        doc="path of the escalation policy file (above)",
    )
    # Routing keys of the policies' PagerDuty targets, by the variable each is read from
    # (the policies file names them).
    pager_keys: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    pagerduty_events_url: str = setting(
        env="PAGERDUTY_EVENTS_URL",
        default=DEFAULT_PAGERDUTY_EVENTS_URL,
        doc="PagerDuty Events API v2 endpoint",
    )
    # Seconds to wait for PagerDuty's answer before counting the attempt as failed.
    pagerduty_timeout: float = setting(
        env="PAGERDUTY_TIMEOUT",
        default=10.0,
        parse=seconds,
        doc="seconds to wait for PagerDuty before an attempt counts as failed",
        shown="`10`",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EscalationSettings:
        """The policies, then the routing keys they name."""
        found = read(cls, environ)
        keys = {name: Secret(environ.get(name, "")) for name in found.policies.routing_key_envs()}
        return found.replace(pager_keys=MappingProxyType(keys))

    def problems(self) -> list[str]:
        problems = []
        missing_keys = sorted(name for name, key in self.pager_keys.items() if not key)
        if missing_keys:
            problems.append(
                "WARROOM_ESCALATION_POLICIES: routing key variable(s) not set: "
                + ", ".join(missing_keys)
            )
        if self.pagerduty_timeout <= 0:
            problems.append("PAGERDUTY_TIMEOUT: must be more than zero seconds")
        return problems
