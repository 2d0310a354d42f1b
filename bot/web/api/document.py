"""The OpenAPI document of this deployment, /api/openapi.json: generated from the API's table
(every domain's operations, bot/web/routes.py ``API_OPERATIONS``, which the application holds
under ``operations_key``) and the models they answer with (bot/web/openapi.py), with the
incident list's filters on the custom fields the deployment declares. /api/docs shows the same
document (bot/web/api/docs.py).
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from bot.record.incident.incident_types import NO_TYPES, CustomField, IncidentTypes
from bot.web.context import web_key
from bot.web.filters import FIELD_PREFIX
from bot.web.openapi import Operation, openapi_document, query_parameter

# The API's table, held by the application (bot/web/routes.py ``add_web_view``): the domains'
# operations are theirs, and this domain, which they import for their models, imports none.
operations_key = web.AppKey("api_operations", tuple[Operation, ...])
# Generated once per table: the models and the table do not change while the process runs.
_generated: dict[int, tuple[tuple[Operation, ...], dict[str, Any]]] = {}


async def openapi(request: web.Request) -> web.Response:
    """GET /api/openapi.json (public: it describes the API, not the incidents), with a
    ``field.<name>`` filter for each custom field this deployment declares."""
    return web.json_response(current_document(request))


def current_document(request: web.Request) -> dict[str, Any]:
    """The OpenAPI document of this deployment: the generated one, with the list's filters on
    the custom fields it declares (what /api/openapi.json answers and /api/docs shows)."""
    context = request.config_dict.get(web_key)  # absent: an app without the web view
    types = context.settings.incidents.types if context is not None else NO_TYPES
    operations = request.config_dict.get(operations_key, ())
    return _with_field_filters(_document(operations), types)


def _document(operations: tuple[Operation, ...]) -> dict[str, Any]:
    kept = _generated.get(id(operations))
    if kept is None or kept[0] is not operations:
        kept = (operations, openapi_document(operations))
        _generated[id(operations)] = kept
    return kept[1]


def _with_field_filters(document: dict[str, Any], types: IncidentTypes) -> dict[str, Any]:
    """The document with the list's ``field.<name>`` parameters (the fields are the
    deployment's, so they are added to a copy of the generated document)."""
    if not types.fields:
        return document
    document = copy.deepcopy(document)
    listing = document["paths"]["/api/incidents"]["get"]
    listing["parameters"] = [*listing["parameters"], *map(_field_parameter, types.fields.values())]
    return document


def _field_parameter(field: CustomField) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number" if field.kind == "number" else "string"}
    if field.has_options:
        schema["enum"] = list(field.options)
    described = f"{field.label}: incidents whose {field.kind} field has this value"
    if field.kind == "multi_select":
        described += " (any of its options, for a multi-select)"
    return {**query_parameter(f"{FIELD_PREFIX}{field.name}", described), "schema": schema}
