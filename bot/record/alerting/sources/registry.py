"""The one registry of sources, of alerts and of change events: a line per source, everything
the rest of warroom knows of it (``SourceEntry``: its kind, paths, how its key is carried,
whether its key is the vendor's secret, what the importers call it, where its code is).

Read by every list of kinds: ``warroom integrations create --kind`` and the integrations page
offer its kinds, ``bot.record.alerting.integrations`` makes and checks their keys and says the
URL a sender is pointed to, the importers (``bot.record.oncall.importing``) carry a vendor's
integrations over by what it calls them. The dispatchers (``bot.web.alerting.webhooks``,
``bot.web.changes.receivers``) receive each source on its paths, the route table mounts those
paths, intake and ``warroom alerts replay`` parse a stored body with the source of its kind.

Adding a source is its folder beside ``alertmanager/`` (a change source: its module in
``bot/record/changes/sources/``) and its line here (docs/adding-a-feature.md). A line names
its code by ``module:NAME``, imported when a body of it is first read (as Zulip's
``zerver/lib/integrations.py`` names each webhook's view): a change source's code sits in the
changes domain, after this one, and listing the kinds costs nothing.

May import: ``source`` alone (the standard library's, as ``warroom integrations --help`` reads
the lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import TYPE_CHECKING, Any

from bot.record.alerting.sources.source import (
    Carries,
    KeyPlace,
    Receiver,
    SourceEntry,
)

if TYPE_CHECKING:
    from datetime import datetime

    from bot.record.alerting.payloads import Notification

ALERTS, CHANGES = Carries.ALERTS, Carries.CHANGES
# The importers' vendors (``warroom import <vendor>``), as their lines name them.
OPSGENIE, PAGERDUTY, GRAFANA_ONCALL = "opsgenie", "pagerduty", "grafana-oncall"
# A path's parameter with its own pattern, ``{identifier:[^/]+}``, named as aiohttp names it.
_PATTERN = re.compile(r"\{(\w+):[^{}]+\}")
_SOURCES = "bot.record.alerting.sources"


class Registry:
    """Sources by kind (of alerts, of changes: PagerDuty's kind is both) and by path; a kind
    of either and a path are taken once. Kinds are listed in the order they were registered."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, Carries], SourceEntry] = {}
        self._by_path: dict[str, SourceEntry] = {}
        self._loaded: dict[SourceEntry, Receiver[Any]] = {}

    def register(self, entry: SourceEntry) -> None:
        """Add ``entry``; ValueError when its kind (of what it carries) or a path is taken."""
        if (entry.kind, entry.carries) in self._entries:
            raise ValueError(
                f"a source of {entry.carries.value} of kind {entry.kind!r} is registered already"
            )
        paths = [_PATTERN.sub(r"{\1}", path) for path in entry.paths]
        if taken := [path for path in paths if path in self._by_path]:
            raise ValueError(f"source {entry.kind!r}: {', '.join(taken)} taken already")
        self._entries[entry.kind, entry.carries] = entry
        self._by_path.update(dict.fromkeys(paths, entry))

    def unregister(self, entry: SourceEntry) -> None:
        """Take ``entry`` out (its bodies stored already are refused when applied)."""
        if self._entries.get((entry.kind, entry.carries)) is entry:
            del self._entries[entry.kind, entry.carries]
        self._by_path = {path: each for path, each in self._by_path.items() if each is not entry}
        self._loaded.pop(entry, None)

    @contextmanager
    def registered(self, entry: SourceEntry) -> Iterator[SourceEntry]:
        """``entry`` registered for the block's time."""
        self.register(entry)
        try:
            yield entry
        finally:
            self.unregister(entry)

    # -- the lines ---------------------------------------------------------------------------
    def entries(self, carries: Carries | None = None) -> tuple[SourceEntry, ...]:
        """Every line (of sources of ``carries`` only, when given)."""
        return tuple(e for e in self._entries.values() if carries in (None, e.carries))

    def kinds(self) -> tuple[str, ...]:
        """Every integration kind, once: what ``--kind`` takes."""
        return tuple(dict.fromkeys(entry.kind for entry in self._entries.values()))

    def entry(self, kind: str) -> SourceEntry | None:
        """The line of ``kind`` whose path a sender is pointed to: its alerts' (PagerDuty's
        ``/v2/enqueue``), else its changes'."""
        return self._entries.get((kind, ALERTS)) or self._entries.get((kind, CHANGES))

    def signed(self, kind: str) -> bool:
        """Whether ``kind``'s senders sign their bodies with the key (its secret is kept)."""
        return any(e.signed for e in self._entries.values() if e.kind == kind)

    def vendor_secret(self, kind: str) -> bool:
        """Whether ``kind``'s key is the vendor's secret, given when it is made."""
        return any(e.vendor_secret for e in self._entries.values() if e.kind == kind)

    def vendor_secret_kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind in self.kinds() if self.vendor_secret(kind))

    def imported(self, vendor: str) -> dict[str, str]:
        """What ``vendor`` calls its integrations → the kind that answers the same sender."""
        return {
            name: entry.kind
            for entry in self._entries.values()
            for name in entry.imported_as.get(vendor, ())
        }

    def at(self, path: str) -> SourceEntry | None:
        """The source that posts to ``path`` (aiohttp's canonical form), if any."""
        return self._by_path.get(path)

    def paths(self, carries: Carries) -> tuple[str, ...]:
        return tuple(path for path, entry in self._by_path.items() if entry.carries is carries)

    def modules(self) -> tuple[str, ...]:
        """The modules of the sources' code: imported once by the parsing workers' server."""
        named = (e.receiver for e in self._entries.values() if isinstance(e.receiver, str))
        return tuple(dict.fromkeys(name.partition(":")[0] for name in named))

    # -- the code ----------------------------------------------------------------------------
    def receiver(self, entry: SourceEntry) -> Receiver[Any]:
        """The source's code as the dispatchers call it, imported the first time."""
        loaded = self._loaded.get(entry)
        if loaded is None:
            source = entry.receiver
            if isinstance(source, str):
                module, _, name = source.partition(":")
                source = getattr(import_module(module), name)
            loaded = self._loaded[entry] = Receiver(entry, source)
        return loaded

    def alerts(self, kind: str) -> Receiver[Notification]:
        """The source of alerts of ``kind``; PayloadError when none is registered (a stored
        body of a source taken out)."""
        entry = self._entries.get((kind, ALERTS))
        if entry is None:
            from bot.record.alerting.payloads import PayloadError

            raise PayloadError([f"unknown alert source {kind!r}"])
        return self.receiver(entry)


SOURCES = Registry()
# -- sources of alerts: a folder each under bot/record/alerting/sources/ ------------------------
SOURCES.register(
    SourceEntry(
        "alertmanager",
        ALERTS,
        ("/alerts/alertmanager",),
        KeyPlace.BEARER,
        f"{_SOURCES}.alertmanager.receiver:ALERTMANAGER",
        imported_as={OPSGENIE: ("Prometheus",), GRAFANA_ONCALL: ("alertmanager",)},
    )
)
SOURCES.register(
    SourceEntry(
        "grafana",
        ALERTS,
        ("/alerts/grafana",),
        KeyPlace.BEARER,
        f"{_SOURCES}.grafana.receiver:GRAFANA",
        imported_as={OPSGENIE: ("Grafana",), GRAFANA_ONCALL: ("grafana_alerting", "grafana")},
    )
)
SOURCES.register(
    SourceEntry(
        "generic",
        ALERTS,
        ("/alerts/generic",),
        KeyPlace.BEARER,
        f"{_SOURCES}.generic.receiver:GENERIC",
        imported_as={OPSGENIE: ("Webhook",)},
    )
)
SOURCES.register(
    SourceEntry(
        "pagerduty",
        ALERTS,
        # The Events API v2, and v1 (Nagios's and Zabbix's scripts) on the same integrations.
        ("/v2/enqueue", "/generic/2010-04-15/create_event.json"),
        KeyPlace.BODY,
        f"{_SOURCES}.pagerduty.receiver:PAGERDUTY",
        imported_as={PAGERDUTY: ("events_api_v2_inbound_integration",)},
    )
)
SOURCES.register(
    SourceEntry(
        "opsgenie",
        ALERTS,
        (
            "/v2/alerts",
            "/v2/alerts/{identifier}/close",
            "/v2/alerts/{identifier}/acknowledge",
            "/v2/alerts/{identifier}/notes",
        ),
        KeyPlace.REQUEST,
        f"{_SOURCES}.opsgenie.receiver:OPSGENIE",
        shown="",
        imported_as={OPSGENIE: ("API",)},
    )
)
SOURCES.register(
    SourceEntry(
        "datadog",
        ALERTS,
        ("/alerts/datadog",),
        KeyPlace.BEARER,
        f"{_SOURCES}.datadog.receiver:DATADOG",
        imported_as={OPSGENIE: ("Datadog",), GRAFANA_ONCALL: ("datadog",)},
    )
)
SOURCES.register(
    SourceEntry(
        "sentry",
        ALERTS,
        ("/alerts/sentry",),
        KeyPlace.SIGNATURE,
        f"{_SOURCES}.sentry.receiver:SENTRY",
        vendor_secret=True,
        imported_as={OPSGENIE: ("Sentry",), GRAFANA_ONCALL: ("sentry",)},
    )
)
SOURCES.register(
    SourceEntry(
        "cloudwatch",
        ALERTS,
        ("/alerts/cloudwatch/{key}",),  # SNS posts to a URL and nothing else: the key ends it
        KeyPlace.REQUEST,
        f"{_SOURCES}.cloudwatch.receiver:CLOUDWATCH",
        imported_as={
            OPSGENIE: ("CloudWatch", "AmazonSns"),
            PAGERDUTY: ("aws_cloudwatch_inbound_integration",),
            GRAFANA_ONCALL: ("amazon_sns",),
        },
    )
)
SOURCES.register(
    SourceEntry(
        "email",
        ALERTS,
        (),
        KeyPlace.ADDRESS,
        f"{_SOURCES}.email.receiver:EMAIL",
        imported_as={
            OPSGENIE: ("Email",),
            PAGERDUTY: ("generic_email_inbound_integration",),
            GRAFANA_ONCALL: ("inbound_email",),
        },
    )
)
# -- sources of change events: a module each in bot/record/changes/sources/ -------------------
SOURCES.register(
    SourceEntry(
        "github",
        CHANGES,
        ("/changes/github/{integration}",),  # its webhooks name their integration
        KeyPlace.SIGNATURE,
        "bot.record.changes.sources.github:GITHUB",
    )
)
SOURCES.register(
    SourceEntry(
        "argocd",
        CHANGES,
        ("/changes/argocd",),
        KeyPlace.BEARER,
        "bot.record.changes.sources.argocd:ARGOCD",
    )
)
SOURCES.register(
    SourceEntry(
        "changes",
        CHANGES,
        ("/api/changes",),
        KeyPlace.BEARER,
        "bot.record.changes.sources.api:API_CHANGES",
        origin="api",
    )
)
SOURCES.register(
    SourceEntry(
        "pagerduty",
        CHANGES,
        ("/v2/change/enqueue",),
        KeyPlace.BODY,
        "bot.record.changes.sources.pagerduty:PAGERDUTY_CHANGES",
    )
)


def parse(kind: str, body: str, *, received_at: datetime) -> Notification:
    """A body of the source of alerts of ``kind`` in the one shape; PayloadError lists what
    is wrong (an unknown kind included)."""
    return SOURCES.alerts(kind).source.parse(body, received_at=received_at)
