"""The one registry of alert sources: a line per source. The dispatcher
(``bot.web.alerting.webhooks``) receives each on its paths, the route table mounts those
paths, intake and ``warroom alerts replay`` parse a stored body with the source of its kind.

Adding a source is a folder beside ``alertmanager/`` (its receiver: an ``AlertSource``) and
its line here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from bot.record.alerting.payloads import Notification, PayloadError
from bot.record.alerting.sources.alertmanager.receiver import ALERTMANAGER
from bot.record.alerting.sources.cloudwatch.receiver import CLOUDWATCH
from bot.record.alerting.sources.datadog.receiver import DATADOG
from bot.record.alerting.sources.email.receiver import EMAIL
from bot.record.alerting.sources.generic.receiver import GENERIC
from bot.record.alerting.sources.grafana.receiver import GRAFANA
from bot.record.alerting.sources.opsgenie.receiver import OPSGENIE
from bot.record.alerting.sources.pagerduty.receiver import PAGERDUTY
from bot.record.alerting.sources.sentry.receiver import SENTRY
from bot.record.alerting.sources.source import AlertSource

# A path's parameter with its own pattern, ``{identifier:[^/]+}``, named as aiohttp names it.
_PATTERN = re.compile(r"\{(\w+):[^{}]+\}")


class Registry:
    """Alert sources by kind and by path; a kind or a path is taken once."""

    def __init__(self) -> None:
        self._by_kind: dict[str, AlertSource] = {}
        self._by_path: dict[str, AlertSource] = {}

    def register(self, source: AlertSource) -> None:
        """Add ``source``; ValueError when its kind or one of its paths is taken."""
        if source.kind in self._by_kind:
            raise ValueError(f"an alert source of kind {source.kind!r} is registered already")
        paths = [_PATTERN.sub(r"{\1}", path) for path in source.paths]
        if taken := [path for path in paths if path in self._by_path]:
            raise ValueError(f"alert source {source.kind!r}: {', '.join(taken)} taken already")
        self._by_kind[source.kind] = source
        self._by_path.update(dict.fromkeys(paths, source))

    def unregister(self, source: AlertSource) -> None:
        """Take ``source`` out (its bodies stored already are refused when applied)."""
        if self._by_kind.get(source.kind) is source:
            del self._by_kind[source.kind]
        self._by_path = {path: each for path, each in self._by_path.items() if each is not source}

    @contextmanager
    def registered(self, source: AlertSource) -> Iterator[AlertSource]:
        """``source`` registered for the block's time."""
        self.register(source)
        try:
            yield source
        finally:
            self.unregister(source)

    def of(self, kind: str) -> AlertSource:
        """The source of ``kind``; PayloadError when none is registered (a stored body)."""
        try:
            return self._by_kind[kind]
        except KeyError:
            raise PayloadError([f"unknown alert source {kind!r}"]) from None

    def at(self, path: str) -> AlertSource | None:
        """The source that posts to ``path`` (aiohttp's canonical form), if any."""
        return self._by_path.get(path)

    def kinds(self) -> tuple[str, ...]:
        return tuple(self._by_kind)

    def paths(self) -> tuple[str, ...]:
        return tuple(self._by_path)


SOURCES = Registry()
SOURCES.register(ALERTMANAGER)
SOURCES.register(GRAFANA)
SOURCES.register(GENERIC)
SOURCES.register(PAGERDUTY)
SOURCES.register(OPSGENIE)
SOURCES.register(CLOUDWATCH)
SOURCES.register(EMAIL)
SOURCES.register(DATADOG)
SOURCES.register(SENTRY)


def parse(kind: str, body: str, *, received_at: datetime) -> Notification:
    """A body of the source of ``kind`` in the one shape; PayloadError lists what is wrong
    (an unknown kind included)."""
    return SOURCES.of(kind).parse(body, received_at=received_at)
