"""Grafana's webhook contact point as an alert source: Alertmanager's webhook shape, which
Grafana's extends (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/
manage-contact-points/integrations/webhook-notifier/)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import Notification
from bot.record.alerting.sources.alertmanager.shape import parse_alertmanager_shape
from bot.record.alerting.sources.webhook import WebhookSource


def read_grafana(document: dict[str, Any], _received_at: datetime) -> Notification:
    """A Grafana notification; the receipt time is not needed (it states its times)."""
    labels = document.get("groupLabels")
    if not document.get("groupKey") and isinstance(labels, dict):
        # Older Grafana releases send no groupKey; its receiver and group labels stand in.
        key = f"{document.get('receiver', '')}:{json.dumps(labels, sort_keys=True)}"
        document = {**document, "groupKey": key}
    return parse_alertmanager_shape(document, "grafana", "Grafana")


GRAFANA = WebhookSource(reader=read_grafana)
