"""The types file and the field record without HTTP: parsing, checks, values and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.config import ConfigError, Settings
from bot.record.incident import fields, incidents
from bot.record.incident.fields import NoFieldChange
from bot.record.incident.incident_types import (
    FieldValueError,
    IncidentTypesError,
    load_incident_types,
    parse_incident_types,
)
from bot.store.db import session_scope
from bot.store.models import TimelineEntry

ISSUE_EXAMPLE = """
fields:
  customer_impact:
    type: select
    label: Customer impact
    options: [none, degraded, outage]
    required_at: resolve
types:
  customer-facing:
    description: Customers can see it
    fields: [customer_impact]
  security:
    description: A security event
    private: true
"""
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def test_the_issue_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(ISSUE_EXAMPLE)
    types = load_incident_types(path)
    assert list(types.types) == ["customer-facing", "security"]
    assert types.get("Security").private is True  # type: ignore[union-attr]
    impact = types.fields["customer_impact"]
    assert (impact.kind, impact.options, impact.required_at) == (
        "select",
        ("none", "degraded", "outage"),
        "resolve",
    )
    # customer_impact is customer-facing's own: a security incident is not asked it.
    assert [f.name for f in types.asked_by("customer-facing")] == ["customer_impact"]
    assert types.asked_by("security") == () and types.asked_by(None) == ()
    assert types.missing("customer-facing", {}, "resolve") == (impact,)
    assert types.missing("customer-facing", {}, "declare") == ()


def test_every_problem_is_named_with_its_field_or_type() -> None:
    bad = {
        "fields": {
            "impact": {"type": "dropdown", "label": "Impact"},
            "region": {"type": "select", "label": "Region"},
            "tier": {"type": "select", "label": "Tier", "options": ["gold", "Gold"]},
            "when": {"type": "text", "label": "When", "required_at": "close", "colour": "red"},
            "Bad Name": {"type": "text", "label": "x"},
        },
        "types": {
            "security": {"fields": ["nope"], "announce_channel": "#security", "policy": "Sec Ops"},
            "other": {"severity": "SEV9", "private": "yes", "owner": "U1"},
        },
        "workflows": {},
    }
    with pytest.raises(IncidentTypesError) as raised:
        parse_incident_types(bad)
    problems = raised.value.problems
    expected = [
        "unknown top-level key(s): workflows",
        "field 'impact': type: 'dropdown' is not a field type",
        "field 'region': a select field needs 'options'",
        "field 'tier': option 'Gold' is listed twice",
        "field 'when': unknown key(s) colour",
        "field 'when': required_at: 'close' is not declare or resolve",
        "field 'Bad Name': names are lowercase",
        "type 'security': fields: unknown field 'nope'",
        "type 'security': announce_channel: a channel id like C0123456789, not '#security'",
        "type 'security': policy: an escalation policy's name, not 'Sec Ops'",
        "type 'other': unknown key(s) owner",
        "type 'other': severity: 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4",
        "type 'other': private: true or false",
    ]
    for words in expected:
        assert any(words in problem for problem in problems), (words, problems)


def test_serve_names_what_the_file_names_that_the_settings_lack(tmp_path: Path) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "types": {
                    "security": {
                        "policy": "secops",
                        "required_roles": ["liaison"],
                        "postmortem_style": "novel",
                    }
                }
            }
        )
    )
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"WARROOM_INCIDENT_TYPES": str(path)})
    message = str(raised.value)
    assert "type 'security': policy: no escalation policy named 'secops'" in message
    assert "type 'security': required_roles: no role 'liaison'" in message
    assert "type 'security': postmortem_style: no template style 'novel'" in message
    path.write_text("types: [security]\n")
    with pytest.raises(ConfigError, match=f"WARROOM_INCIDENT_TYPES: {path}"):
        Settings.from_env({"WARROOM_INCIDENT_TYPES": str(path)})


def test_values_are_parsed_as_slack_sends_them() -> None:
    types = parse_incident_types(
        {
            "fields": {
                "impact": {"type": "select", "label": "Impact", "options": ["R&D", "outage"]},
                "regions": {"type": "multi_select", "label": "Regions", "options": ["eu", "us"]},
                "users": {"type": "number", "label": "Users"},
                "owner": {"type": "user", "label": "Owner"},
                "notes": {"type": "text", "label": "Notes"},
            }
        }
    )
    field = types.fields
    assert field["impact"].parse("r&amp;d") == "R&D"
    assert field["impact"].parse(" OUTAGE ") == "outage"
    assert field["regions"].parse("us, eu") == ["eu", "us"]
    assert field["users"].parse("1200") == 1200 and field["users"].parse("2.5") == 2.5
    assert field["owner"].parse("<@U0BOB|bob>") == "U0BOB"
    assert field["notes"].parse("see &lt;runbook&gt;") == "see &lt;runbook&gt;"
    for name, raw in (("impact", "down"), ("users", "many"), ("users", "nan"), ("owner", "bob")):
        with pytest.raises(FieldValueError, match=name):
            field[name].parse(raw)


async def test_history_keeps_who_from_what_to_what_and_why(engine: AsyncEngine) -> None:
    types = parse_incident_types(yaml.safe_load(ISSUE_EXAMPLE))
    impact = types.fields["customer_impact"]
    async with session_scope(engine) as session:
        incident = await incidents.open_incident(
            session,
            team_id="T1",
            title="Checkout down",
            declared_by="U0ALICE",
            severity="SEV2",
            timezone="UTC",
            declared_at=NOW,
            incident_type="customer-facing",
        )
        await session.flush()
        assert (
            await fields.set_field(session, incident, impact, "degraded", by="U0ALICE", at=NOW)
            is None
        )
        later = NOW + timedelta(minutes=5)
        previous = await fields.set_field(
            session, incident, impact, "outage", by="U0BOB", at=later, cause="workflow:escalate"
        )
        assert previous == "degraded"
        with pytest.raises(NoFieldChange):
            await fields.set_field(session, incident, impact, "outage", by="U0BOB", at=later)
        assert await fields.set_type(session, incident, "security", by="U0BOB", at=later) == (
            "customer-facing"
        )
        await session.commit()
        incident_id = incident.id or 0
    async with session_scope(engine) as session:
        assert await fields.values_of(session, incident_id, types.fields) == {
            "customer_impact": "outage"
        }
        changes = await fields.history(session, incident_id)
        entries = (await session.exec(select(TimelineEntry))).all()
    assert [(c.previous, c.value, c.changed_by, c.cause) for c in changes] == [
        (None, "degraded", "U0ALICE", None),
        ("degraded", "outage", "U0BOB", "workflow:escalate"),
    ]
    assert [e.kind for e in entries] == ["declared", "field", "field", "type"]
    assert entries[-1].facts == {"type": "security", "previous_type": "customer-facing"}
