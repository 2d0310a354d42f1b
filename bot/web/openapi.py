"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json), generated.

Nothing here describes a field: the component schemas are the answer models' own JSON
schemas (bot/web/api/models.py), the list's query parameters come from the model beside the
filter parser (bot/web/filters.py), and the paths from the table of operations (every
domain's beside its handlers, joined in bot/web/routes.py). Version 3.1, because its schemas
are JSON Schema: pydantic's ``anyOf: [..., {"type": "null"}]`` for a nullable field is valid
there as it stands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

Schema = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REF_TEMPLATE = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Answer:
    """One status code of an operation: a model answered as JSON, or else text of the
    media type given."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    """A route of the API as the document and the router both see it: a GET, or a change
    (``method`` POST or DELETE) that takes the API token only, with the JSON ``body`` it
    takes."""

    path: str
    handler: Handler
    operation_id: str
    summary: str
    answers: Mapping[int, Answer]
    parameters: tuple[Schema, ...] = ()
    method: str = "GET"
    body: type[BaseModel] | None = None


def model_schema(model: type[BaseModel]) -> Schema:
    """The model's schema as its answers are written (serialization: aliases, as dumped)."""
    return model.model_json_schema(mode="serialization", ref_template=REF_TEMPLATE)


def component_schemas(models: Iterable[type[BaseModel]]) -> dict[str, Schema]:
    """Each model's schema under its class name, with the models it nests (pydantic's
    ``$defs``) lifted beside it. Two different schemas under one name are refused, so one
    model can never quietly stand for another."""
    components: dict[str, Schema] = {}
    for model in models:
        schema = model_schema(model)
        for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            if components.setdefault(name, definition) != definition:
                raise ValueError(f"Two different schemas are both named {name}.")
    return dict(sorted(components.items()))


def path_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def query_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


def query_parameters(model: type[BaseModel]) -> tuple[Schema, ...]:
    """A parameter for each field of ``model``, repeatable ones (lists) as ``?a=1&a=2``."""
    schema = model.model_json_schema(mode="validation")
    return tuple(
        _parameter(name, prop, name in schema.get("required", ()))
        for name, prop in schema["properties"].items()
    )


def _parameter(name: str, prop: Schema, required: bool) -> Schema:
    value = {k: v for k, v in _present(prop).items() if k not in ("title", "description")}
    parameter: Schema = {"name": name, "in": "query", "required": required}
    if "description" in prop:
        parameter["description"] = prop["description"]
    parameter["schema"] = value
    if value.get("type") == "array":
        parameter |= {"style": "form", "explode": True}
    return parameter


def _present(prop: Schema) -> Schema:
    """A parameter's schema when it is sent: an absent parameter is how a query says None,
    so ``anyOf: [X, null]`` (and a null default) reduces to X."""
    branches = [b for b in prop.get("anyOf", ()) if b != {"type": "null"}]
    if len(branches) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**branches[0], **rest}


def _operation(operation: Operation) -> Schema:
    described: Schema = {
        "summary": operation.summary,
        "operationId": operation.operation_id,
        "parameters": list(operation.parameters),
        "responses": {
            str(status): _response(answer) for status, answer in operation.answers.items()
        },
    }
    if operation.method != "GET":
        described["security"] = [{"bearer": []}]  # a change takes the API token only
    if operation.body is not None:
        reference = {"$ref": REF_TEMPLATE.format(model=operation.body.__name__)}
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": reference}},
        }
    return described


def _response(answer: Answer) -> Schema:
    schema = (
        {"$ref": REF_TEMPLATE.format(model=answer.model.__name__)}
        if answer.model
        else {"type": "string"}
    )
    return {"description": answer.description, "content": {answer.media_type: {"schema": schema}}}


def answer_models(operations: Iterable[Operation]) -> list[type[BaseModel]]:
    """Every model some operation answers with, once each, in the table's order."""
    models = [a.model for o in operations for a in o.answers.values() if a.model is not None]
    return list(dict.fromkeys(models))


def body_schemas(operations: Iterable[Operation]) -> dict[str, Schema]:
    """The bodies the operations take, as they are validated (what a caller may send)."""
    schemas: dict[str, Schema] = {}
    for operation in operations:
        if operation.body is not None:
            schema = operation.body.model_json_schema(mode="validation", ref_template=REF_TEMPLATE)
            schemas[operation.body.__name__] = schema
    return schemas


def openapi_document(operations: Iterable[Operation]) -> Schema:
    operations = tuple(operations)
    paths: dict[str, Schema] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "warroom",
            "version": "1",
            "description": "Incidents recorded by warroom, their timelines and postmortem drafts,"
            " and who is on call. Private incidents are answered 404 to anyone outside their"
            " channel.",
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "WARROOM_API_TOKEN"},
                "session": {"type": "apiKey", "in": "cookie", "name": "warroom_session"},
            },
            "schemas": component_schemas(answer_models(operations)) | body_schemas(operations),
        },
    }
