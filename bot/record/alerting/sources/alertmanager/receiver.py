"""Alertmanager's webhook receiver as an alert source (https://prometheus.io/docs/alerting/
latest/configuration/#webhook_config): a group's notification, sent again while it fires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import Notification
from bot.record.alerting.sources.alertmanager.shape import parse_alertmanager_shape
from bot.record.alerting.sources.webhook import WebhookSource


def read_alertmanager(document: dict[str, Any], _received_at: datetime) -> Notification:
    """An Alertmanager notification; the receipt time is not needed (it states its times)."""
    return parse_alertmanager_shape(document, "alertmanager", "Alertmanager")


ALERTMANAGER = WebhookSource(reader=read_alertmanager)
