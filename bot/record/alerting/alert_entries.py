"""What the timeline's alert entries state: the alerts named (a few, with the labels that
tell each from its group, and how many in all), their summary, labels and links, and why
their times look wrong, when they do (``time_flags``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.record.alerting.alert_labels import NAMED_IN_ENTRY, alert_links, own_labels
from bot.record.alerting.payloads import Notification
from bot.store.models import Alert, Incident

# Alert times this far off the moment of receipt are kept but flagged: a sender's clock is off,
# or a notification was stuck in a queue.
FUTURE_SKEW = timedelta(minutes=5)
FAR_PAST = timedelta(days=7)


def by_incident(alerts: Iterable[Alert]) -> dict[int, list[Alert]]:
    grouped: dict[int, list[Alert]] = {}
    for alert in alerts:
        if alert.incident_id is not None:
            grouped.setdefault(alert.incident_id, []).append(alert)
    return grouped


def time_flags(alerts: Iterable[Alert], received_at: datetime) -> list[dict[str, Any]]:
    """Why new alerts' times look wrong, if they do (the notification is applied anyway): the
    alert, the problem (``future``: the sender's clock may be off; ``far_past``: stuck in a
    queue), its start, and how far back counts as far."""
    flags: dict[tuple[str, str, str], dict[str, Any]] = {}
    for alert in alerts:
        if alert.starts_at > received_at + FUTURE_SKEW:
            problem = "future"
        elif alert.starts_at < received_at - FAR_PAST:
            problem = "far_past"
        else:
            continue
        starts_at = alert.starts_at.isoformat()
        flags[(alert.name, problem, starts_at)] = {
            "alert": alert.name,
            "problem": problem,
            "starts_at": starts_at,
            "days": FAR_PAST.days,
        }
    return list(flags.values())


def detection_facts(
    notification: Notification,
    firing: Sequence[Alert],
    flags: Sequence[Mapping[str, Any]],
    previous: Incident | None,
) -> dict[str, Any]:
    """The detection entry: which alerts fired, their summary, labels and links."""
    common = notification.route_labels
    links = alert_links(firing, notification.external_url, notification.sender)
    return {
        "source": notification.sender,
        **named_alerts(firing, common),
        "summary": notification.common_annotations.get("summary") or firing[0].summary,
        "labels": dict(common or json.loads(firing[0].labels)),
        "links": [{"text": text, "url": url} for text, url in links],
        "previous_incident": previous.reference if previous is not None else None,
        "warnings": list(flags),
    }


def changed_facts(
    change: str,
    alerts: Sequence[Alert],
    common: Mapping[str, str],
    flags: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {"change": change, **named_alerts(alerts, common), "warnings": list(flags)}


def named_alerts(alerts: Sequence[Alert], common: Mapping[str, str]) -> dict[str, Any]:
    """The first alerts by name, each with the labels that tell it from its group, and how
    many there are in all."""
    return {
        "alerts": [
            {"name": alert.name, "labels": own_labels(alert, common)}
            for alert in alerts[:NAMED_IN_ENTRY]
        ],
        "count": len(alerts),
    }
