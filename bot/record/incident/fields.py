"""An incident's type and custom fields: reading them, setting them, and their history.

The record API workflows and every surface use (no Slack in here; the caller commits)::

    await values_of(session, incident_id)                  -> {"customer_impact": "outage"}
    await values_for(session, [id, ...])                   -> {id: {...}, ...}
    await set_field(session, incident, field, value, by=..., at=..., cause=None) -> previous
    await set_type(session, incident, "security", by=..., at=..., cause=None)    -> previous
    await history(session, incident_id)                    -> [IncidentFieldChange, ...]

Values are plain (bot.record.incident.incident_types.FieldValue): a select's option, a list of a
multi-select's options, Slack text, an int or a float, a user id; ``None`` clears a field.
``by`` is who made the change (a user id, or the name of what acted for nobody, as alerts do);
``cause`` says what made it when a person did not ask for it themselves
(``workflow:exec-heads-up``, ``alert_route:payments``, ``type:security``). Each change is
kept in ``incident_field_change`` and in the timeline (entries of kind ``field`` / ``type``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.slack_text import SlackText
from bot.record.incident.incident_types import CustomField, FieldValue
from bot.record.incident.timeline import add_entry
from bot.store.models import (
    Incident,
    IncidentFieldChange,
    IncidentFieldValue,
    TimelineKind,
)

log = logging.getLogger(__name__)


class NoFieldChange(BotError):
    """The field (or type) already has the value asked for."""

    template = "messages/no_field_change.j2"


def _rows_of(value: FieldValue) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, float):
        return [repr(value)]
    return [str(value)]


def _value_of(field: CustomField | None, rows: Sequence[str]) -> FieldValue | None:
    """A stored field's value from its rows (a field no longer in the file: its text)."""
    if not rows:
        return None
    kind = field.kind if field else ("multi_select" if len(rows) > 1 else "select")
    if kind == "multi_select":
        return list(rows)
    if kind == "number":
        number = float(rows[0])
        return int(number) if number.is_integer() and "." not in rows[0] else number
    if kind == "text":
        return SlackText(rows[0])
    return rows[0]


async def values_for(
    session: AsyncSession,
    incident_ids: Collection[int],
    fields: Mapping[str, CustomField] | None = None,
) -> dict[int, dict[str, FieldValue]]:
    """Every field value of these incidents, by incident id then field name (a field with
    no value is absent). ``fields``: the configured fields, to read each value as its kind
    (without them a multi-select with one option reads as that option)."""
    ids = list(incident_ids)
    if not ids:
        return {}
    rows = await session.exec(
        select(IncidentFieldValue)
        .where(col(IncidentFieldValue.incident_id).in_(ids))
        .order_by(col(IncidentFieldValue.incident_id), col(IncidentFieldValue.position))
    )
    raw: dict[int, dict[str, list[str]]] = {}
    for row in rows.all():
        raw.setdefault(row.incident_id, {}).setdefault(row.field, []).append(row.value)
    known = fields or {}
    return {
        incident_id: {
            name: value
            for name, items in by_field.items()
            if (value := _value_of(known.get(name), items)) is not None
        }
        for incident_id, by_field in raw.items()
    }


async def values_of(
    session: AsyncSession, incident_id: int, fields: Mapping[str, CustomField] | None = None
) -> dict[str, FieldValue]:
    """The incident's field values by field name (``values_for`` of one incident)."""
    return (await values_for(session, [incident_id], fields)).get(incident_id, {})


async def set_field(
    session: AsyncSession,
    incident: Incident,
    field: CustomField,
    value: FieldValue | None,
    *,
    by: str,
    at: datetime,
    cause: str | None = None,
) -> FieldValue | None:
    """Give the incident's ``field`` this value (None, or an empty list, clears it); record
    the change with its history and timeline entry; return the previous value (the caller
    commits). ``value`` is checked against the field (FieldValueError); the same value
    again raises NoFieldChange."""
    assert incident.id is not None
    if value == []:
        value = None
    if value is not None:
        value = field.checked(value)
    previous = (await values_of(session, incident.id, {field.name: field})).get(field.name)
    if previous == value:
        raise NoFieldChange(field=field.label, value=value, reference=incident.reference)
    await _store_value(session, incident.id, field, value)
    session.add(
        IncidentFieldChange(
            incident_id=incident.id,
            field=field.name,
            previous=_json(previous),
            value=_json(value),
            changed_by=by,
            changed_at=at,
            cause=cause,
        )
    )
    _add_field_entry(session, incident, field, (previous, value), by=by, at=at, cause=cause)
    log.info("%s field %s set to %r by %s", incident.reference, field.name, value, by)
    return previous


async def _store_value(
    session: AsyncSession, incident_id: int, field: CustomField, value: FieldValue | None
) -> None:
    """The field's rows of the incident replaced by those of ``value`` (none: cleared)."""
    await session.exec(
        delete(IncidentFieldValue).where(
            col(IncidentFieldValue.incident_id) == incident_id,
            col(IncidentFieldValue.field) == field.name,
        )
    )
    if value is None:
        return
    for position, text in enumerate(_rows_of(value)):
        session.add(
            IncidentFieldValue(
                incident_id=incident_id, field=field.name, position=position, value=text
            )
        )


def _add_field_entry(
    session: AsyncSession,
    incident: Incident,
    field: CustomField,
    change: tuple[FieldValue | None, FieldValue | None],
    *,
    by: str,
    at: datetime,
    cause: str | None,
) -> None:
    """The timeline entry of a field's change (``change``: the previous value, the new)."""
    previous, value = change
    facts: dict[str, Any] = {
        "field": field.name,
        "label": field.label,
        "kind": field.kind,
        "value": _json(value),
        "previous": _json(previous),
    }
    if cause:
        facts["cause"] = cause
    # A text field's words are a person's: they go in the entry's text, as Slack text.
    add_entry(
        session,
        incident,
        kind=TimelineKind.FIELD,
        text=str(value) if field.kind == "text" and value is not None else "",
        facts=facts,
        author=by,
        occurred_at=at,
    )


def _json(value: FieldValue | None) -> Any:
    return str(value) if isinstance(value, SlackText) else value


async def history(
    session: AsyncSession, incident_id: int, field: str | None = None
) -> Sequence[IncidentFieldChange]:
    """Every change of the incident's fields (or of one field), oldest first."""
    statement = select(IncidentFieldChange).where(IncidentFieldChange.incident_id == incident_id)
    if field is not None:
        statement = statement.where(IncidentFieldChange.field == field)
    return (await session.exec(statement.order_by(col(IncidentFieldChange.id)))).all()


async def set_type(
    session: AsyncSession,
    incident: Incident,
    incident_type: str | None,
    *,
    by: str,
    at: datetime,
    cause: str | None = None,
) -> str | None:
    """Change the incident's type (None: no type) and record it in the timeline; return the
    previous type (the caller commits). Nothing else changes here: the flow applies what the
    new type sets up, and never makes a private incident public."""
    previous = incident.incident_type
    if previous == incident_type:
        raise NoFieldChange(field="type", value=incident_type, reference=incident.reference)
    incident.incident_type = incident_type
    session.add(incident)
    facts: dict[str, Any] = {"type": incident_type, "previous_type": previous}
    if cause:
        facts["cause"] = cause
    add_entry(session, incident, kind=TimelineKind.TYPE, facts=facts, author=by, occurred_at=at)
    log.info("%s type changed from %s to %s by %s", incident.reference, previous, incident_type, by)
    return previous
