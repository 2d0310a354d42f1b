"""GET /api/docs: the API's OpenAPI document as a page a person reads, rendered on the server.

The page is the very document /api/openapi.json answers (``document.current_document``), read into
plain rows here: each operation with its parameters, request body and answers, then each
schema with its fields. Types stay structured (``TypeView``) so that every word on the page
is written by its template; nothing is fetched from elsewhere and no script runs.

Same rules as the JSON document: public (it describes the API, not the incidents), answered
on a loopback address only while sign-in is off; a signed-in viewer sees the usual header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.web.api.document import current_document
from bot.web.auth import SignInNeeded, csrf_token, page_viewer
from bot.web.openapi import REF_TEMPLATE
from bot.web.pages_common import render_page

Schema = Mapping[str, Any]
_REF_PREFIX = REF_TEMPLATE.split("{", 1)[0]
# The HTTP methods an OpenAPI path item may hold, in the order the page lists them.
_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class TypeView:
    """A schema's type, for the template to put in words: a reference to a named schema,
    an array of something, one of several, a fixed set of values, or a plain JSON type."""

    ref: str = ""
    items: TypeView | None = None
    choices: tuple[TypeView, ...] = ()
    values: tuple[str, ...] = ()
    type: str = ""
    format: str = ""
    fields: tuple[FieldView, ...] = ()  # an object's own fields, when it has no name


@dataclass(frozen=True)
class FieldView:
    """A parameter, or a field of a schema."""

    name: str
    type: TypeView
    required: bool
    description: str = ""
    where: str = ""  # a parameter's place: path, query, header, cookie
    default: str = ""


@dataclass(frozen=True)
class AnswerView:
    status: str
    description: str
    media_type: str
    type: TypeView


@dataclass(frozen=True)
class OperationView:
    method: str
    path: str
    operation_id: str
    summary: str
    parameters: tuple[FieldView, ...]
    body: TypeView | None
    answers: tuple[AnswerView, ...]
    token_only: bool  # a change: the API token, never a page's session

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclass(frozen=True)
class SchemaView:
    name: str
    description: str
    type: TypeView
    fields: tuple[FieldView, ...] = field(default_factory=tuple)

    @property
    def anchor(self) -> str:
        return f"schema-{self.name}"


def type_view(schema: Schema) -> TypeView:
    """The type a schema describes; ``{}`` (any JSON value) is a TypeView with nothing set."""
    if "$ref" in schema:
        return TypeView(ref=str(schema["$ref"]).removeprefix(_REF_PREFIX))
    if "anyOf" in schema or "oneOf" in schema:
        branches = schema.get("anyOf") or schema.get("oneOf") or ()
        return TypeView(choices=tuple(type_view(branch) for branch in branches))
    if "enum" in schema:
        return TypeView(values=tuple(map(str, schema["enum"])), type=str(schema.get("type", "")))
    if schema.get("type") == "array":
        return TypeView(type="array", items=type_view(schema.get("items", {})))
    if schema.get("type") == "object" and "properties" in schema:
        return TypeView(type="object", fields=fields_of(schema))
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        return TypeView(type="object", items=type_view(schema["additionalProperties"]))
    return TypeView(type=str(schema.get("type", "")), format=str(schema.get("format", "")))


def fields_of(schema: Schema) -> tuple[FieldView, ...]:
    required = set(schema.get("required", ()))
    return tuple(
        FieldView(
            name=name,
            type=type_view(prop),
            required=name in required,
            description=str(prop.get("description", "")),
            default=_default(prop),
        )
        for name, prop in schema.get("properties", {}).items()
    )


def _default(schema: Schema) -> str:
    """A default worth saying: not an empty list or a null, which say only "optional"."""
    value = schema.get("default")
    if value in (None, [], {}):
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def parameter_view(parameter: Schema) -> FieldView:
    schema = parameter.get("schema", {})
    return FieldView(
        name=str(parameter["name"]),
        type=type_view(schema),
        required=bool(parameter.get("required", False)),
        description=str(parameter.get("description", "")),
        where=str(parameter.get("in", "")),
        default=_default(schema),
    )


def _body_type(operation: Schema) -> TypeView | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        return type_view(media.get("schema", {}))
    return None


def _answers(responses: Schema) -> tuple[AnswerView, ...]:
    answers = []
    for status, response in sorted(responses.items()):
        for media_type, media in response.get("content", {"": {}}).items():
            answers.append(
                AnswerView(
                    status=status,
                    description=str(response.get("description", "")),
                    media_type=media_type,
                    type=type_view(media.get("schema", {})),
                )
            )
    return tuple(answers)


def operation_views(document: Schema) -> list[OperationView]:
    """Every operation, in the document's order (the route table's)."""
    views = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if (operation := item.get(method)) is None:
                continue
            views.append(
                OperationView(
                    method=method.upper(),
                    path=path,
                    operation_id=str(operation.get("operationId", f"{method}-{path}")),
                    summary=str(operation.get("summary", "")),
                    parameters=tuple(map(parameter_view, operation.get("parameters", ()))),
                    body=_body_type(operation),
                    answers=_answers(operation.get("responses", {})),
                    token_only="security" in operation,
                )
            )
    return views


def schema_views(document: Schema) -> list[SchemaView]:
    schemas: Mapping[str, Schema] = document.get("components", {}).get("schemas", {})
    return [
        SchemaView(
            name=name,
            description=str(schema.get("description", "")),
            type=type_view({k: v for k, v in schema.items() if k != "properties"}),
            fields=fields_of(schema),
        )
        for name, schema in schemas.items()
    ]


async def api_docs_page(request: web.Request) -> web.Response:
    """GET /api/docs: the OpenAPI document, readable; no sign-in needed, as for the JSON."""
    document = current_document(request)
    try:
        viewer = page_viewer(request)
    except SignInNeeded:
        viewer = None
    info = document.get("info", {})
    return render_page(
        request,
        "web/api_docs.html.j2",
        viewer=viewer,
        csrf=csrf_token(request, viewer) if viewer is not None else "",
        title=str(info.get("title", "")),
        description=str(info.get("description", "")),
        version=str(document.get("openapi", "")),
        operations=operation_views(document),
        schemas=schema_views(document),
    )
