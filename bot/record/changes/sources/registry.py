"""The one registry of change event sources: a line per source, by the path it posts to.
Adding one is a module beside ``github`` (its ``ChangeSource``) and its line here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.record.changes.sources.api import API_CHANGES
from bot.record.changes.sources.argocd import ARGOCD
from bot.record.changes.sources.github import GITHUB
from bot.record.changes.sources.pagerduty import PAGERDUTY_CHANGES
from bot.record.changes.sources.source import ChangeSource

_SOURCES: tuple[ChangeSource, ...] = (PAGERDUTY_CHANGES, GITHUB, ARGOCD, API_CHANGES)
# Each path (as aiohttp names its resource) to the source that posts to it.
BY_PATH: Mapping[str, ChangeSource] = MappingProxyType(
    {path: source for source in _SOURCES for path in source.paths}
)
