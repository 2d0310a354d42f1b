"""What Opsgenie's Alert API reads back, answered as Opsgenie documents it: a request's status
and an alert, each only for the integration whose key asks (another's is not found).

- ``request_status``: "Get Request Status", ``GET /v2/alerts/requests/{requestId}``
  (https://docs.opsgenie.com/docs/alert-api, the OpenAPI's ``GetRequestStatusResponse``):
  ``data`` with ``success``/``isSuccess``, ``action`` (``Create``, ``Close``,
  ``Acknowledge``, ``AddNote``), ``processedAt``, ``integrationId``, ``status``, ``alertId``,
  ``alias``, once the request was processed; 404 "Request not found. It might not be
  processed, yet." until then, and for a request id nobody of this key's was given (the
  live API's words, which the docs do not print: tests/payloads/vendors/opsgenie_alert_api.json,
  "answers", says where each text comes from).
- ``alert``: "Get Alert", ``GET /v2/alerts/{identifier}?identifierType=id|tiny|alias`` (the
  OpenAPI's ``GetAlertResponse``, ``Alert``): ``id``, ``tinyId``, ``alias``, ``message``,
  ``status`` (``open``, ``closed``), ``acknowledged``, ``snoozed``, ``count``, ``createdAt``,
  ``updatedAt``, ``lastOccurredAt``, ``priority``, ``tags``, ``source``, ``entity``,
  ``description``, ``details``, ``integration``; 404 "Alert does not exist" otherwise.
- ``alerts``: "List Alerts", ``GET /v2/alerts`` (the OpenAPI's ``listAlerts`` and
  ``ListAlertsResponse``, in opsgenie/opsgenie-python-sdk's opsgenie-oas.json): ``query``,
  ``offset`` (from 0), ``limit`` (1 to 100, default 20), ``sort`` (``createdAt``, the
  default, ``updatedAt``, ``tinyId``, ``lastOccurredAt``, ``count``, ``message``, ``status``)
  and ``order`` (``desc``, the default, or ``asc``); ``data``, the alerts as Get Alert shows
  them less ``description`` and ``details`` (the list's ``BaseAlert``), and ``paging``
  (``first``, ``next`` when there are more). Of Opsgenie's search syntax ``query`` reads
  ``status:open``, ``status:closed``, ``acknowledged:true`` and ``acknowledged:false``,
  joined with ``AND``; any other term is refused (422) naming those, rather than ignored.
- ``alert_notes``: "List Alert Notes", ``GET /v2/alerts/{identifier}/notes`` (the OpenAPI's
  ``listNotes``, ``ListAlertNotesResponse`` and ``AlertNote``, opsgenie/opsgenie-oas): the
  same ``identifierType``, ``offset`` (a note's own ``offset``), ``direction`` (``next``,
  the default, or ``prev``), ``limit`` (1 to 100, default 20) and ``order`` (``desc``, the
  default, or ``asc``); ``data``, each note's ``note``, ``owner``, ``createdAt`` and
  ``offset``, and ``paging`` (``first``, ``next`` when there are more). The notes are the
  alert's current episode's (a close and a new firing is a new alert in Opsgenie's terms),
  at most ``notes.NOTES_MAX`` of them.

Times are UTC in Opsgenie's form (milliseconds, ``Z``). The integration is named by its
warroom name (``integrations list``), the default key's by ``default``.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, not_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.alerting.alerts import numbered
from bot.record.alerting.grouping import (
    ACKNOWLEDGED,
    RESOLVED,
    group_key_hash,
    joined,
    own_state,
)
from bot.record.alerting.integrations import scoped, sender_prefix
from bot.record.alerting.notes import notes_of
from bot.record.alerting.sources.opsgenie import ids
from bot.record.alerting.sources.opsgenie.receiver import (
    ACKNOWLEDGE,
    CLOSE,
    IDENTIFIER_TYPES,
    KIND,
    NOTE,
    TINY_DIGITS,
    answer,
    read_request,
)
from bot.record.alerting.sources.source import Reply
from bot.store.models import Alert, AlertGroup, AlertNote, AlertPayload, Integration

NOT_PROCESSED = "Request not found. It might not be processed, yet."
NO_ALERT = "Alert does not exist"
UNPROCESSABLE = "Request body is not processable. Please check the errors."
ACTIONS = {"create": "Create", CLOSE: "Close", ACKNOWLEDGE: "Acknowledge", NOTE: "AddNote"}
DONE = {
    "create": "Created alert",
    CLOSE: "Closed alert",
    ACKNOWLEDGE: "Acknowledged alert",
    NOTE: "Added note",
}
DEFAULT_NAME = "default"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def _prefix(integration: Integration | None) -> str:
    """What ``scoped`` puts before the keys of ``integration``'s alerts."""
    return f"integration:{integration.id}/" if integration is not None else ""


def _owned(group: AlertGroup | None, integration: Integration | None) -> AlertGroup | None:
    """``group`` if ``integration`` sent it through the Alert API; None otherwise."""
    if group is None or group.source != KIND:
        return None
    return group if sender_prefix(group.group_key) == _prefix(integration) else None


async def _keyed(session: AsyncSession, group_key: str) -> AlertGroup | None:
    statement = select(AlertGroup).where(
        AlertGroup.source == KIND, AlertGroup.key_hash == group_key_hash(group_key)
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
        or payload.source != KIND
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
    group = await _found(session, identifier, kind, integration)
    if isinstance(group, Reply):
        return group
    latest = await _latest(session, _number(group))
    # Its own alert's state, not that of the one it joined (or of those that joined it).
    state = await own_state(session, group)
    paging = await joined(session, group, lock=False) or group
    return answer(200, data=_shown(group, latest, integration, now, state, paging))


async def _found(
    session: AsyncSession, identifier: str, kind: str, integration: Integration | None
) -> AlertGroup | Reply:
    """The alert ``identifier`` (of ``kind``) that ``integration`` sent, or the refusal."""
    if kind not in IDENTIFIER_TYPES:
        why = f"identifierType should be one of {', '.join(IDENTIFIER_TYPES)}"
        return answer(422, message=UNPROCESSABLE, errors={"identifierType": why})
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
    return group if group is not None else answer(404, message=NO_ALERT)


def _number(group: AlertGroup) -> int:
    assert group.id is not None
    return group.id


def _alias(group: AlertGroup) -> str:
    return group.group_key.removeprefix(sender_prefix(group.group_key))


async def _latest(session: AsyncSession, group_id: int) -> Alert | None:
    statement = select(Alert).where(Alert.group_id == group_id).order_by(col(Alert.id).desc())
    return (await session.exec(statement.limit(1))).first()


def _shown(
    group: AlertGroup,
    latest: Alert | None,
    integration: Integration | None,
    now: datetime,
    state: str | None,
    paging: AlertGroup,
) -> dict[str, Any]:
    """An alert as Opsgenie's ``Alert`` shows it, from what warroom keeps of it: ``state``,
    its own alert's (``grouping.own_state``); ``paging``, the alert paged for it (the one it
    joined, else itself), whose snooze is its own."""
    labels: dict[str, str] = json.loads(latest.labels) if latest is not None else {}
    notes: dict[str, str] = json.loads(latest.annotations) if latest is not None else {}
    # A posted-only route's alert has no paging state: its last firing says whether it ended.
    closed = state == RESOLVED or (
        state is None and latest is not None and latest.status == "resolved"
    )
    own = paging is group or not closed  # a joined alert resolved is no more the other's
    snoozed = own and paging.snoozed_until is not None and paging.snoozed_until > now
    tags = labels.get("tags", "")
    name = integration.name if integration is not None else DEFAULT_NAME
    return {
        "id": ids.made(ids.ALERT, _number(group)),
        "tinyId": str(group.id),
        "alias": _alias(group),
        "message": group.title or (latest.name if latest is not None else ""),
        "status": "closed" if closed else "open",
        "acknowledged": state == ACKNOWLEDGED or (own and paging.acknowledged_at is not None),
        "snoozed": snoozed,
        **({"snoozedUntil": _when(paging.snoozed_until)} if snoozed else {}),
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


# "List Alerts"' sort fields warroom keeps (the OpenAPI's ``sort`` enum has these and more).
SORTS: dict[str, Any] = {
    "createdAt": AlertGroup.first_seen_at,
    "updatedAt": AlertGroup.last_seen_at,
    "lastOccurredAt": AlertGroup.last_fired_at,
    "tinyId": AlertGroup.id,
    "count": AlertGroup.fired_count,
    "message": AlertGroup.title,
    "status": AlertGroup.state,
}
TERMS = ("status:open", "status:closed", "acknowledged:true", "acknowledged:false")
MOST = 100


def _listing(asked: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the list asked for: offset, limit, sort, order, terms; each parameter wrong, why)."""
    wrong: dict[str, str] = {}
    listing: dict[str, Any] = {}
    for name, default, low, high in (("offset", "0", 0, 20_000), ("limit", "20", 1, MOST)):
        raw = asked.get(name, default)
        value = int(raw) if raw.isdecimal() else -1
        if not low <= value <= high:
            wrong[name] = f"{name} should be between {low} and {high}"
        listing[name] = value
    listing["sort"] = asked.get("sort", "createdAt")
    if listing["sort"] not in SORTS:
        wrong["sort"] = f"sort should be one of {', '.join(SORTS)}"
    listing["order"] = asked.get("order", "desc").lower()
    if listing["order"] not in ("asc", "desc"):
        wrong["order"] = "order should be asc or desc"
    terms = [
        t.strip().lower() for t in asked.get("query", "").replace(" and ", " AND ").split(" AND ")
    ]
    listing["terms"] = [t for t in terms if t]
    if unread := [t for t in listing["terms"] if t not in TERMS]:
        wrong["query"] = f"warroom reads {', '.join(TERMS)} (joined with AND), not {unread[0]!r}"
    return listing, wrong


async def alerts(
    session: AsyncSession,
    asked: Mapping[str, str],
    integration: Integration | None,
    now: datetime,
    url: str,
) -> Reply:
    """The alerts ``integration`` sent, a page of them as "List Alerts" answers; ``url`` the
    request's own address without its query (for ``paging``)."""
    listing, wrong = _listing(asked)
    if wrong:
        return answer(422, message=UNPROCESSABLE, errors=wrong)
    statement = select(AlertGroup).where(AlertGroup.source == KIND)
    prefix = _prefix(integration)
    statement = statement.where(
        col(AlertGroup.group_key).startswith(prefix, autoescape=True)
        if prefix
        else not_(col(AlertGroup.group_key).startswith("integration:"))
    )
    for term in listing["terms"]:
        name, _, value = term.partition(":")
        if name == "status":
            closed = col(AlertGroup.state) == RESOLVED
            statement = statement.where(closed if value == "closed" else not_(closed))
        else:
            acked = col(AlertGroup.state) == ACKNOWLEDGED
            statement = statement.where(acked if value == "true" else not_(acked))
    column = col(SORTS[listing["sort"]])
    ascending = listing["order"] == "asc"
    number = col(AlertGroup.id)
    ordered = (column.asc(), number.asc()) if ascending else (column.desc(), number.desc())
    offset, limit = listing["offset"], listing["limit"]
    statement = statement.order_by(*ordered).offset(offset).limit(limit + 1)
    rows = list((await session.exec(statement)).all())
    shown = []
    for group in rows[:limit]:
        one = _shown(
            group, await _latest(session, _number(group)), integration, now, group.state, group
        )
        shown.append({k: v for k, v in one.items() if k not in ("description", "details")})

    def page(at: int) -> str:
        return f"{url}?{urllib.parse.urlencode({**asked, 'offset': at, 'limit': limit})}"

    paging = {"first": page(0), **({"next": page(offset + limit)} if len(rows) > limit else {})}
    return answer(200, data=shown, paging=paging)


def _note_listing(asked: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the notes asked for: limit, order, direction, offset; each parameter wrong, why)."""
    wrong: dict[str, str] = {}
    raw = asked.get("limit", "20")
    limit = int(raw) if raw.isdecimal() else -1
    if not 1 <= limit <= MOST:
        wrong["limit"] = f"limit should be between 1 and {MOST}"
    order = asked.get("order", "desc").lower()
    if order not in ("asc", "desc"):
        wrong["order"] = "order should be asc or desc"
    direction = asked.get("direction", "next").lower()
    if direction not in ("next", "prev"):
        wrong["direction"] = "direction should be next or prev"
    offset = asked.get("offset") or None
    return {"limit": limit, "order": order, "direction": direction, "offset": offset}, wrong


def _offset(note: AlertNote) -> str:
    """A note's ``offset`` (Opsgenie's cursor through the notes): its time and number."""
    return f"{int(note.noted_at.timestamp() * 1000)}_{note.id}"


def _window(offsets: list[str], listing: dict[str, Any]) -> tuple[int, int] | None:
    """Where the page asked starts and ends among ``offsets``; None for an offset not there."""
    limit, offset = listing["limit"], listing["offset"]
    if offset is None:
        return 0, limit
    if offset not in offsets:
        return None
    at = offsets.index(offset)
    return (at + 1, at + 1 + limit) if listing["direction"] == "next" else (max(0, at - limit), at)


async def alert_notes(
    session: AsyncSession,
    identifier: str,
    kind: str,
    integration: Integration | None,
    asked: Mapping[str, str],
    url: str,
) -> Reply:
    """ "List Alert Notes" of the alert ``identifier`` that ``integration`` sent: a page of its
    notes this episode (newest first unless ``order=asc``), each with ``offset`` to page on
    from (``direction`` ``next`` or ``prev``); ``url`` the request's address without query."""
    listing, wrong = _note_listing(asked)
    if wrong:
        return answer(422, message=UNPROCESSABLE, errors=wrong)
    group = await _found(session, identifier, kind, integration)
    if isinstance(group, Reply):
        return group
    kept = await notes_of(session, _number(group), group.episode)
    ordered = kept if listing["order"] == "asc" else kept[::-1]
    offsets = [_offset(note) for note in ordered]
    window = _window(offsets, listing)
    if window is None:
        why = "offset is not the offset of one of this alert's notes"
        return answer(422, message=UNPROCESSABLE, errors={"offset": why})
    start, end = window
    data = [
        {"note": n.note, "owner": n.noted_by, "createdAt": _when(n.noted_at), "offset": o}
        for n, o in zip(ordered[start:end], offsets[start:end], strict=True)
    ]
    kept_asked = {k: v for k, v in asked.items() if k not in ("offset", "direction")}
    paging = {"first": f"{url}?{urllib.parse.urlencode(kept_asked)}"}
    if end < len(ordered) and data:
        after = {**kept_asked, "offset": data[-1]["offset"], "direction": "next"}
        paging["next"] = f"{url}?{urllib.parse.urlencode(after)}"
    return answer(200, data=data, paging=paging)
