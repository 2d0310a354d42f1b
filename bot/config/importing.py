"""``warroom import``: the other tools' API keys, read when the command line gives none."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reading import NO_SECRET, Feature, Secret, declared, setting


@dataclass(frozen=True)
class ImportSettings(Feature):
    """Each vendor's API key, by the variable the vendor's client names (``token_env``)."""

    opsgenie_api_key: Secret = setting(
        env="OPSGENIE_API_KEY",
        default=NO_SECRET,
        parse=Secret,
        doc="`warroom import opsgenie`: an Opsgenie API key (read access), unless --token",
        shown="none",
    )
    pagerduty_api_token: Secret = setting(
        env="PAGERDUTY_API_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="`warroom import pagerduty`: a PagerDuty REST API key (read-only), unless --token",
        shown="none",
    )
    grafana_oncall_api_token: Secret = setting(
        env="GRAFANA_ONCALL_API_TOKEN",
        default=NO_SECRET,
        parse=Secret,
        doc="`warroom import grafana-oncall`: a Grafana OnCall API token, unless --token",
        shown="none",
    )

    def token(self, env: str) -> Secret:
        """The key read from the variable ``env``; empty when it is not one of these."""
        by_variable = {each.env: name for name, each in declared(type(self))}
        name = by_variable.get(env)
        return Secret(getattr(self, name)) if name is not None else NO_SECRET
