"""What Opsgenie's Alert API reads back, answered as Opsgenie documents it: a request's status
and an alert, each only for the integration whose key asks (another's is not found).

- ``request_status``: "Get Request Status", ``GET /v2/alerts/requests/{requestId}``
  (https://docs.opsgenie.com/docs/alert-api, the OpenAPI's ``GetRequestStatusResponse``):
  ``data`` with ``success``/``isSuccess``, ``action`` (``Create``, ``Close``,
  ``Acknowledge``), ``processedAt``, ``integrationId``, ``status``, ``alertId``, ``alias``,
  once the request was processed; 404 "Request not found. It might not be processed, yet."
  until then, and for a request id nobody of this key's was given (the live API's words,
  which the docs do not print: tests/payloads/vendors/opsgenie_alert_api.json, "answers",
  says where each text comes from).
- ``alert``: "Get Alert", ``GET /v2/alerts/{identifier}?identifierType=id|tiny|alias`` (the
  OpenAPI's ``GetAlertResponse``, ``Alert``): ``id``, ``tinyId``, ``alias``, ``message``,
  ``status`` (``open``, ``closed``), ``acknowledged``, ``snoozed``, ``count``, ``createdAt``,
  ``updatedAt``, ``lastOccurredAt``, ``priority``, ``tags``, ``source``, ``entity``,
  ``description``, ``details``, ``integration``; 404 "Alert does not exist" otherwise.

Times are UTC in Opsgenie's form (milliseconds, ``Z``). The integration is named by its
warroom name (``integrations list``), the default key's by ``default``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.alerts import numbered
from bot.record.alerting.grouping import ACKNOWLEDGED, RESOLVED, group_key_hash
from bot.record.alerting.integrations import scoped, sender_prefix
from bot.record.alerting.sources.opsgenie import ids
from bot.record.alerting.sources.opsgenie.receiver import (
    ACKNOWLEDGE,
    CLOSE,
    IDENTIFIER_TYPES,
    OPSGENIE,
    TINY_DIGITS,
    answer,
    read_request,
)
from bot.record.alerting.sources.source import Reply
from bot.store.models import Alert, AlertGroup, AlertPayload, Integration

NOT_PROCESSED = "Request not found. It might not be processed, yet."
NO_ALERT = "Alert does not exist"
ACTIONS = {"create": "Create", CLOSE: "Close", ACKNOWLEDGE: "Acknowledge"}
DONE = {"create": "Created alert", CLOSE: "Closed alert", ACKNOWLEDGE: "Acknowledged alert"}
DEFAULT_NAME = "default"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def _prefix(integration: Integration | None) -> str:
    """What ``scoped`` puts before the keys of ``integration``'s alerts."""
    return f"integration:{integration.id}/" if integration is not None else ""


def _owned(group: AlertGroup | None, integration: Integration | None) -> AlertGroup | None:
    """``group`` if ``integration`` sent it through the Alert API; None otherwise."""
    if group is None or group.source != OPSGENIE.kind:
        return None
    return group if sender_prefix(group.group_key) == _prefix(integration) else None


async def _keyed(session: AsyncSession, group_key: str) -> AlertGroup | None:
    statement = select(AlertGroup).where(
        AlertGroup.source == OPSGENIE.kind, AlertGroup.key_hash == group_key_hash(group_key)
    )
    return (await session.exec(statement)).first()


async def request_status(
    session: AsyncSession, request_id: str, integration: Integration | None
) -> Reply:
    """The status of the request ``request_id`` that ``integration`` made."""
    number = ids.number_of(ids.REQUEST, request_id)
    payload = await session.get(AlertPayload, number) if number is not None else None
    owner = integration.id if integration is not None else None
    # Received (or failed, to be tried again): not processed yet, as Opsgenie says it.
    if (
        payload is None
        or payload.source != OPSGENIE.kind
        or payload.integration_id != owner
        or payload.state != "processed"
    ):
        return answer(404, message=NOT_PROCESSED)
    action = json.loads(payload.body)["action"]
    notification = scoped(read_request(payload.body, payload.received_at), integration)
    notification = await numbered(session, notification)
    group = _owned(await _keyed(session, notification.group_key), integration)
    data: dict[str, Any] = {
        "success": group is not None,
        "action": ACTIONS[action],
        "processedAt": _when(payload.processed_at),
        "integrationId": integration.name if integration is not None else DEFAULT_NAME,
        "isSuccess": group is not None,
        "status": DONE[action] if group is not None else NO_ALERT,
    }
    if group is not None:
        data |= {"alertId": ids.made(ids.ALERT, _number(group)), "alias": _alias(group)}
    return answer(200, data=data)


async def alert(
    session: AsyncSession,
    identifier: str,
    kind: str,
    integration: Integration | None,
    now: datetime,
) -> Reply:
    """The alert ``identifier`` (of ``kind``: id, tiny or alias) that ``integration`` sent."""
    if kind not in IDENTIFIER_TYPES:
        why = f"identifierType should be one of {', '.join(IDENTIFIER_TYPES)}"
        message = "Request body is not processable. Please check the errors."
        return answer(422, message=message, errors={"identifierType": why})
    group: AlertGroup | None = None
    if kind == "alias":
        group = await _keyed(session, f"{_prefix(integration)}{identifier}")
    else:
        number = (
            ids.number_of(ids.ALERT, identifier)
            if kind == "id"
            else int(identifier)
            if identifier.isdecimal() and len(identifier) <= TINY_DIGITS
            else None
        )
        group = await session.get(AlertGroup, number) if number is not None else None
    group = _owned(group, integration)
    if group is None:
        return answer(404, message=NO_ALERT)
    latest = await _latest(session, _number(group))
    return answer(200, data=_shown(group, latest, integration, now))


def _number(group: AlertGroup) -> int:
    assert group.id is not None
    return group.id


def _alias(group: AlertGroup) -> str:
    return group.group_key.removeprefix(sender_prefix(group.group_key))


async def _latest(session: AsyncSession, group_id: int) -> Alert | None:
    statement = select(Alert).where(Alert.group_id == group_id).order_by(col(Alert.id).desc())
    return (await session.exec(statement.limit(1))).first()


def _shown(
    group: AlertGroup, latest: Alert | None, integration: Integration | None, now: datetime
) -> dict[str, Any]:
    """An alert as Opsgenie's ``Alert`` shows it, from what warroom keeps of it."""
    labels: dict[str, str] = json.loads(latest.labels) if latest is not None else {}
    notes: dict[str, str] = json.loads(latest.annotations) if latest is not None else {}
    # A posted-only route's alert has no paging state: its last firing says whether it ended.
    closed = group.state == RESOLVED or (
        group.state is None and latest is not None and latest.status == "resolved"
    )
    snoozed = group.snoozed_until is not None and group.snoozed_until > now
    tags = labels.get("tags", "")
    name = integration.name if integration is not None else DEFAULT_NAME
    return {
        "id": ids.made(ids.ALERT, _number(group)),
        "tinyId": str(group.id),
        "alias": _alias(group),
        "message": group.title or (latest.name if latest is not None else ""),
        "status": "closed" if closed else "open",
        "acknowledged": group.state == ACKNOWLEDGED or group.acknowledged_at is not None,
        "snoozed": snoozed,
        **({"snoozedUntil": _when(group.snoozed_until)} if snoozed else {}),
        "count": max(group.fired_count, 1),
        "lastOccurredAt": _when(group.last_fired_at or group.last_seen_at),
        "createdAt": _when(group.first_seen_at),
        "updatedAt": _when(group.last_seen_at),
        "source": labels.get("source", ""),
        "priority": labels.get("priority", "P3"),
        "tags": tags.split(",") if tags else [],
        "entity": labels.get("entity", ""),
        "description": notes.get("description", ""),
        "details": {
            key.removeprefix("details."): value
            for key, value in labels.items()
            if key.startswith("details.")
        },
        "integration": {"id": name, "name": name, "type": "API"},
    }
