"""``WebhookSource``: a source of alerts whose body is one JSON object, read by a function of
its own, with warroom's own answers and the key as a bearer token (Alertmanager's, Grafana's, the
generic shape's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import Notification, json_object


@dataclass(frozen=True)
class WebhookSource:
    """A JSON body read by ``reader``; every other capability warroom's own."""

    reader: Callable[[dict[str, Any], datetime], Notification]

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return self.reader(json_object(body), received_at)
