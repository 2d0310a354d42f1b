"""Paging webhooks: the destinations a ``webhook`` contact names (WARROOM_PAGING_WEBHOOKS, a
YAML file), each a URL the team runs and the variable holding its signing secret.

    destinations:
      signal-bridge:
        url: https://bridge.example.com/warroom/page
        secret_env: WARROOM_SIGNAL_BRIDGE_SECRET
      ops-teams:                       # a Microsoft Teams Workflows webhook (``teams`` contacts)
        teams_url_env: WARROOM_OPS_TEAMS_URL   # its URL carries its signature: a secret
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.basics.yaml_files import read_yaml
from bot.config.reading import Feature, Secret, problems_file, read, setting
from bot.record.paging.contacts import CONTACT_NAME
from bot.record.workflows.actions import webhook_url_allowed

_ENV = re.compile(r"^[A-Z][A-Z0-9_]*$")
KEYS = ("url", "secret_env")
TEAMS_KEYS = ("teams_url_env",)


class HooksError(ValueError):
    """The webhooks file does not describe destinations: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Destination:
    """Where a page is POSTed, and the variable holding the secret it is signed with; for a
    Teams Workflows webhook (``teams``), the variable holding its whole URL."""

    url: str
    secret_env: str
    teams: bool = False

    @property
    def kind(self) -> str:
        return "teams" if self.teams else "webhook"


@dataclass(frozen=True)
class Destinations:
    """The webhooks file, read: each destination by name."""

    named: tuple[tuple[str, Destination], ...] = ()

    def get(self, name: str) -> Destination | None:
        return dict(self.named).get(name)

    def items(self) -> tuple[tuple[str, Destination], ...]:
        return self.named

    def __iter__(self) -> Iterator[str]:
        return iter(name for name, _ in self.named)


def load_hooks(path: Path) -> Destinations:
    return parse_hooks(read_yaml(path, HooksError))


def parse_hooks(document: Any) -> Destinations:
    """The destinations, by name; HooksError lists every problem."""
    raw = document.get("destinations") if isinstance(document, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise HooksError("destinations: a mapping of names to {url, secret_env}")
    problems: list[str] = []
    found: dict[str, Destination] = {}
    for name, body in raw.items():
        where = f"destinations.{name}"
        if not isinstance(name, str) or not CONTACT_NAME.match(name):
            problems.append(f"{where}: a name of lowercase letters, digits, - and _")
            continue
        if isinstance(body, dict) and set(body) == set(TEAMS_KEYS):
            if not isinstance(body["teams_url_env"], str) or not _ENV.match(body["teams_url_env"]):
                problems.append(f"{where}: teams_url_env: the variable holding the Workflows URL")
            else:
                found[name] = Destination(url="", secret_env=body["teams_url_env"], teams=True)
            continue
        if not isinstance(body, dict) or set(body) != set(KEYS):
            problems.append(f"{where}: exactly url and secret_env (or teams_url_env)")
            continue
        url, secret_env = body["url"], body["secret_env"]
        if not isinstance(url, str) or not webhook_url_allowed(url):
            problems.append(f"{where}: url: an https:// address (http:// only to 127.0.0.1)")
        if not isinstance(secret_env, str) or not _ENV.match(secret_env):
            problems.append(f"{where}: secret_env: the variable holding the signing secret")
        if not problems:
            found[name] = Destination(url=url, secret_env=secret_env)
    if problems:
        raise HooksError(*problems)
    return Destinations(tuple(found.items()))


NO_HOOKS = Destinations()


@dataclass(frozen=True)
class PagingHookSettings(Feature):
    """Where ``webhook`` contacts are paged, and their signing secrets."""

    destinations: Destinations = setting(
        env="WARROOM_PAGING_WEBHOOKS",
        default=NO_HOOKS,
        parse=problems_file(load_hooks, HooksError),
        doc="path of the paging webhooks file (see Paging): each destination's `url` and the "
        "`secret_env` variable holding its signing secret, or for Microsoft Teams the "
        "`teams_url_env` variable holding the Workflows URL",
        shown="none (no webhook or Teams method)",
    )
    # The destinations' signing secrets, by destination name (read from their variables).
    secrets: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PagingHookSettings:
        """The destinations, then the secrets they name."""
        found = read(cls, environ)
        secrets = {
            name: Secret(environ.get(hook.secret_env, ""))
            for name, hook in found.destinations.items()
        }
        return found.replace(secrets=MappingProxyType(secrets))

    def problems(self) -> list[str]:
        problems = []
        for name, hook in self.destinations.items():
            value = str(self.secrets.get(name) or "")
            if not value:
                what = "its Workflows URL" if hook.teams else "its signing secret"
                problems.append(f"WARROOM_PAGING_WEBHOOKS: {name}: set {hook.secret_env} ({what})")
            elif hook.teams and not webhook_url_allowed(value):
                # The URL is a secret: only its variable is named.
                problems.append(f"WARROOM_PAGING_WEBHOOKS: {name}: {hook.secret_env}: an https URL")
        return problems
