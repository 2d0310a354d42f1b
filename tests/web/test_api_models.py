"""The API's answer models and the OpenAPI document generated from them: the document's
schemas are the models' own (so they cannot drift), a field added to a model is in
/api/openapi.json at once, and a field no model declares cannot be answered."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import BaseModel, ValidationError, create_model

from bot.record.postmortem.figures import decide
from bot.store.models import Incident
from bot.web.api import document
from bot.web.api import models as api_models
from bot.web.filters import FilterParameters, parse_filters
from bot.web.incident import api
from bot.web.openapi import Operation
from bot.web.routes import API_OPERATIONS

REF = "#/components/schemas/{model}"
# What the API answers (PublicModel) and what it takes (request bodies, e.g. OverrideCreate).
MODELS = [
    model
    for model in vars(api_models).values()
    if isinstance(model, type)
    and issubclass(model, BaseModel)
    and model not in (BaseModel, api_models.PublicModel)
]


@pytest.fixture(autouse=True)
def _fresh_document() -> Iterator[None]:
    """The served document is generated once per table: start and end with none."""
    document._generated.clear()
    yield
    document._generated.clear()


async def _served(operations: tuple[Operation, ...] = API_OPERATIONS) -> dict[str, Any]:
    app = web.Application()
    app[document.operations_key] = operations
    request = make_mocked_request("GET", "/api/openapi.json", app=app)
    answer = await document.openapi(request)
    assert answer.body is not None
    return json.loads(answer.body)  # type: ignore[arg-type]


def _expected_schemas(models: list[type[BaseModel]]) -> dict[str, Any]:
    """Each model's JSON schema as pydantic writes it, its nested models lifted out."""
    expected: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(mode="serialization", ref_template=REF)
        expected.update(schema.pop("$defs", {}))
        expected[model.__name__] = schema
    return expected


async def test_the_documents_schemas_are_exactly_the_models_schemas() -> None:
    served = await _served()
    assert served["openapi"] == "3.1.0"
    assert served["components"]["schemas"] == _expected_schemas(MODELS)


async def test_a_field_added_to_a_model_is_in_the_served_document() -> None:
    grown = create_model(
        "IncidentPublic", __base__=api_models.IncidentPublic, customer_impact=(str | None, ...)
    )
    operations = [
        dataclasses.replace(
            o, answers={**o.answers, 200: dataclasses.replace(o.answers[200], model=grown)}
        )
        if o.operation_id == "getIncident"
        else o
        for o in API_OPERATIONS
    ]
    schema = (await _served(tuple(operations)))["components"]["schemas"]["IncidentPublic"]
    assert (
        schema["properties"]["customer_impact"]
        == grown.model_json_schema()["properties"]["customer_impact"]
    )
    assert "customer_impact" in schema["required"]


async def test_no_answer_can_carry_a_field_its_model_does_not_declare() -> None:
    for model in MODELS:
        assert model.model_config.get("extra") == "forbid", model.__name__
    for name, schema in (await _served())["components"]["schemas"].items():
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, name
    incident = _incident()
    summary = api.incident_summary(
        incident, decide(incident, [], [], None), {}, datetime(2026, 3, 14, 12, tzinfo=UTC)
    )
    with pytest.raises(ValidationError, match="extra"):
        api_models.IncidentSummaryPublic(**dict(summary), severity_note="high")


def _incident() -> Incident:
    return Incident(
        team_id="T1",
        number=7,
        title="Checkout returns 500s",
        severity="SEV2",
        status="resolved",
        channel_id="C1",
        channel_name="inc-7-checkout",
        declared_by="U0ALICE",
        commander="U0ALICE",
        declared_at=datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 14, 10, 0, 0, 250000, tzinfo=UTC),
        is_private=True,
    )


def test_a_summary_is_answered_as_before_times_in_utc_with_a_z() -> None:
    """As before, with the postmortem's review state (who moved it named as the commander
    is) and its service (none here) before the link."""
    incident = _incident()
    incident.postmortem_review = "published"
    incident.postmortem_review_by = "U0ALICE"
    incident.postmortem_review_at = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    summary = api.incident_summary(
        incident,
        decide(incident, [], [], None),
        {"U0ALICE": "Alice Moreau"},
        datetime(2026, 3, 14, 12, tzinfo=UTC),
    )
    assert json.dumps(summary.model_dump(mode="json")) == (
        '{"reference": "INC-7", "title": "Checkout returns 500s", "severity": "SEV2",'
        ' "status": "resolved", "private": true, "type": null, "fields": {},'
        ' "commander": {"id": "U0ALICE", "name": "Alice Moreau"},'
        ' "channel": {"id": "C1", "name": "inc-7-checkout"}, "timezone": "UTC",'
        ' "started_at": null, "detected_at": null, "declared_at": "2026-03-14T09:30:00Z",'
        ' "paged_at": null, "acknowledged_at": null, "mitigated_at": null, "ended_at": null,'
        ' "resolved_at": "2026-03-14T10:00:00.250000Z",'
        ' "impact_lasted_seconds": null, "open_for_seconds": 1800,'
        ' "postmortem_review": {"state": "published",'
        ' "by": {"id": "U0ALICE", "name": "Alice Moreau"}, "at": "2026-03-15T08:00:00Z"},'
        ' "service": null, "url": "/incidents/INC-7"}'
    )


class _Recording:
    """A query string with nothing in it that notes every parameter asked for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def getall(self, key: str, default: list[str]) -> list[str]:
        self.asked.add(key)
        return default

    def get(self, key: str, default: str | None = None) -> str | None:
        self.asked.add(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())


def test_the_documented_filters_are_the_ones_parse_filters_reads() -> None:
    query = _Recording()
    parsed = parse_filters(query, zone="UTC", team_id=None)
    fields = FilterParameters.model_fields
    assert query.asked == {field.alias or name for name, field in fields.items()}
    assert (parsed.page, parsed.per_page) == (fields["page"].default, fields["per_page"].default)
