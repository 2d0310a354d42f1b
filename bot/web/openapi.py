"""The OpenAPI 3.0 document of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from bot.web.filters import PAGE_MAX, PER_PAGE_MAX

Schema = dict[str, Any]


def _nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


_TIME = {"type": "string", "format": "date-time"}
_TEXT = {"type": "string"}
_PERSON = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": _TEXT, "name": _TEXT},
    "additionalProperties": False,
}
_SUMMARY_FIELDS: Schema = {
    "reference": {"type": "string", "pattern": "^INC-[0-9]+$"},
    "title": _TEXT,
    "severity": {"type": "string", "enum": ["SEV1", "SEV2", "SEV3", "SEV4"]},
    "status": {"type": "string", "enum": ["investigating", "identified", "monitoring", "resolved"]},
    "private": {"type": "boolean"},
    "commander": _nullable(_PERSON),
    "channel": _nullable(
        {
            "type": "object",
            "required": ["id", "name"],
            "properties": {"id": _TEXT, "name": _nullable(_TEXT)},
            "additionalProperties": False,
        }
    ),
    "timezone": _TEXT,
    "started_at": _nullable(_TIME),
    "detected_at": _nullable(_TIME),
    "declared_at": _TIME,
    "acknowledged_at": _nullable(_TIME),
    "mitigated_at": _nullable(_TIME),
    "resolved_at": _nullable(_TIME),
    "duration_seconds": {"type": "integer", "minimum": 0},
    "url": _TEXT,
}
_LINE = {
    "type": "object",
    "required": ["at", "kind", "text", "author", "link"],
    "properties": {
        "at": _TIME,
        "kind": _TEXT,
        "text": _TEXT,
        "author": _nullable(_TEXT),
        "link": _nullable(_TEXT),
    },
    "additionalProperties": False,
}
_DETAIL_FIELDS: Schema = {
    "description": _TEXT,
    "metrics": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["key", "from", "to", "seconds"],
            "properties": {
                "key": _TEXT,
                "from": _TEXT,
                "to": _TEXT,
                "seconds": _nullable({"type": "integer", "minimum": 0}),
            },
            "additionalProperties": False,
        },
    },
    "timeline": {"type": "array", "items": _LINE},
    "escalations": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["target", "at", "by", "reason", "acknowledged_at", "acknowledged_by"],
            "properties": {
                "target": _TEXT,
                "at": _TIME,
                "by": _nullable(_TEXT),
                "reason": _TEXT,
                "acknowledged_at": _nullable(_TIME),
                "acknowledged_by": _nullable(_TEXT),
            },
            "additionalProperties": False,
        },
    },
    "actions": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["text", "owner", "noted_by", "at", "link"],
            "properties": {
                "text": _TEXT,
                "owner": _nullable(_TEXT),
                "noted_by": _nullable(_TEXT),
                "at": _TIME,
                "link": _nullable(_TEXT),
            },
            "additionalProperties": False,
        },
    },
    "postmortem": {
        "type": "object",
        "required": ["gaps", "sections"],
        "properties": {
            "gaps": {"type": "integer", "minimum": 0},
            "sections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "prompt", "text", "author", "edited_at"],
                    "properties": {
                        "key": _TEXT,
                        "prompt": _TEXT,
                        "text": _nullable(_TEXT),
                        "author": _nullable(_TEXT),
                        "edited_at": _nullable(_TIME),
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
}


def _object(fields: Schema) -> Schema:
    return {
        "type": "object",
        "required": sorted(fields),
        "properties": fields,
        "additionalProperties": False,
    }


def _answer(description: str, schema_ref: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": schema_ref}}},
    }


_REFERENCE_PARAMETER = {
    "name": "reference",
    "in": "path",
    "required": True,
    "description": "The incident's reference, e.g. INC-7.",
    "schema": {"type": "string"},
}
_TEAM_PARAMETER = {
    "name": "team",
    "in": "query",
    "required": False,
    "description": "The Slack workspace (token holders only; default: the bot's own).",
    "schema": {"type": "string"},
}
_LIST_PARAMETERS = [
    {
        "name": "status",
        "in": "query",
        "schema": {"type": "array", "items": _SUMMARY_FIELDS["status"]},
        "style": "form",
        "explode": True,
    },
    {
        "name": "severity",
        "in": "query",
        "schema": {"type": "array", "items": _SUMMARY_FIELDS["severity"]},
        "style": "form",
        "explode": True,
    },
    {
        "name": "from",
        "in": "query",
        "description": "Declared on or after this day (YYYY-MM-DD, in warroom's time zone).",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "to",
        "in": "query",
        "description": "Declared on or before this day (YYYY-MM-DD).",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX},
    },
    _TEAM_PARAMETER,
]
_FAILURES = {
    "401": _answer("Not signed in and no valid bearer token.", "#/components/schemas/Error"),
}


def openapi_document() -> Schema:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "warroom",
            "version": "1",
            "description": "Incidents recorded by warroom, their timelines and postmortem drafts."
            " Private incidents are answered 404 to anyone outside their channel.",
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/incidents": {
                "get": {
                    "summary": "Incidents, newest first",
                    "operationId": "listIncidents",
                    "parameters": _LIST_PARAMETERS,
                    "responses": {
                        "200": _answer("A page of incidents.", "#/components/schemas/Page"),
                        "400": _answer(
                            "A filter that cannot be used.", "#/components/schemas/Error"
                        ),
                        **_FAILURES,
                    },
                }
            },
            "/api/incidents/{reference}": {
                "get": {
                    "summary": "One incident with its timeline",
                    "operationId": "getIncident",
                    "parameters": [_REFERENCE_PARAMETER, _TEAM_PARAMETER],
                    "responses": {
                        "200": _answer("The incident.", "#/components/schemas/Incident"),
                        "404": _answer("No such incident.", "#/components/schemas/Error"),
                        **_FAILURES,
                    },
                }
            },
            "/api/incidents/{reference}/postmortem": {
                "get": {
                    "summary": "The postmortem draft, as Markdown",
                    "operationId": "getPostmortem",
                    "parameters": [_REFERENCE_PARAMETER, _TEAM_PARAMETER],
                    "responses": {
                        "200": {
                            "description": "The draft.",
                            "content": {"text/markdown": {"schema": {"type": "string"}}},
                        },
                        "404": _answer("No such incident.", "#/components/schemas/Error"),
                        **_FAILURES,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "WARROOM_API_TOKEN"},
                "session": {"type": "apiKey", "in": "cookie", "name": "warroom_session"},
            },
            "schemas": {
                "Summary": _object(_SUMMARY_FIELDS),
                "Incident": _object({**_SUMMARY_FIELDS, **_DETAIL_FIELDS}),
                "Page": _object(
                    {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Summary"},
                        },
                        "total": {"type": "integer", "minimum": 0},
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "pages": {"type": "integer", "minimum": 1},
                    }
                ),
                "Error": _object({"error": _TEXT, "message": _TEXT}),
            },
        },
    }
