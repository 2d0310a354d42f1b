"""How alerts are told apart and linked: the labels a set of alerts shares, each one's own
labels beside its group's, an alert named by them (``describe``), and the alerts' links
(source graph, dashboard, runbook, then the sender's).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from bot.store.models import Alert

# How many alerts a timeline entry or a message names before it says "and N more".
NAMED_IN_ENTRY = 5


def shared_labels(alerts: Sequence[Alert]) -> dict[str, str]:
    """The labels every one of the alerts has (what tells them apart is the rest)."""
    if not alerts:
        return {}
    shared = dict(json.loads(alerts[0].labels))
    for alert in alerts[1:]:
        labels = json.loads(alert.labels)
        shared = {k: v for k, v in shared.items() if labels.get(k) == v}
    return shared


def own_labels(alert: Alert, common: Mapping[str, str]) -> dict[str, str]:
    """The labels that tell an alert from the rest of its group."""
    labels = json.loads(alert.labels)
    return {k: v for k, v in sorted(labels.items()) if k != "alertname" and common.get(k) != v}


def describe(alert: Alert, common: Mapping[str, str]) -> str:
    """``HighLatency (instance=db-2)``: the name and the labels that tell it from its group."""
    own = [f"{k}={v}" for k, v in own_labels(alert, common).items()]
    return f"{alert.name} ({', '.join(own)})" if own else alert.name


def alert_links(
    alerts: Iterable[Alert], external_url: str = "", sender: str = ""
) -> list[tuple[str, str]]:
    """Distinct links of the alerts (source graph, dashboard, runbook), then the sender's."""
    links: dict[str, str] = {}
    for alert in alerts:
        for link in json.loads(alert.links):
            links.setdefault(link["url"], link["text"])
    if external_url.startswith(("http://", "https://")):
        links.setdefault(external_url, sender or "Alerts")
    return [(text, url) for url, text in list(links.items())[:NAMED_IN_ENTRY]]
