"""The part of JSON Schema an OpenAPI 3.1 description uses, checked strictly: what a fake vendor
server holds a request to when its vendor publishes the request's schema (the fake model,
``emulator/openai_chat.py``, with OpenAI's description cut into ``emulator/fixtures/``).

Keywords checked (JSON Schema 2020-12, https://json-schema.org/draft/2020-12/json-schema-validation,
and OpenAPI 3.0's ``nullable``, which OpenAI's 3.1 description still uses): ``$ref`` (to
``#/components/schemas/…`` of the same document), ``type`` (a name or a list of names),
``nullable``, ``enum``, ``properties``, ``required``, ``additionalProperties``, ``items``,
``minItems``, ``maxItems``, ``maxLength``, ``minimum``, ``maximum``, ``anyOf``, ``oneOf`` (with
OpenAPI's ``discriminator`` to name the branch a value meant), ``allOf``. Annotations
(``description``, ``title``, ``default``, ``example``, ``deprecated``, ``format``, ``x-…``)
constrain nothing.

Stricter than JSON Schema in one documented way, as the vendors' servers are: an object schema
that lists its ``properties`` and says nothing of ``additionalProperties`` is closed (a property
it does not list is refused), and an ``allOf`` is closed over the properties of all its parts.
OpenAI answers such a request 400 (``Unrecognized request argument supplied``); a fake that took
it would let a client send what the real server refuses.

No bot import: the emulator stands apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}


@dataclass(frozen=True)
class Problem:
    """One way a value breaks its schema: where (``messages[0].role``) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where or 'the body'}: {self.what}"


class Schemas:
    """The schemas of one OpenAPI document, by name, and the check of a value against one."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = document["components"]["schemas"]

    def check(self, value: Any, name: str) -> list[Problem]:
        """Every problem of ``value`` against the schema called ``name`` (empty: it is valid)."""
        return self._check(value, self.schemas[name], "")

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        if ref is None:
            return schema
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise ValueError(f"only {prefix}… references are followed, not {ref}")
        # Keywords beside a $ref apply too (3.1); the annotations there constrain nothing.
        beside = {key: item for key, item in schema.items() if key != "$ref"}
        return {**self._resolve(self.schemas[ref.removeprefix(prefix)]), **beside}

    def _check(self, value: Any, schema: Mapping[str, Any], where: str) -> list[Problem]:
        schema = self._resolve(schema)
        if value is None and schema.get("nullable"):
            return []
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return self._one_of(value, schema, combinator, where)
        problems = self._type(value, schema, where)
        if problems:
            return problems
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(repr(item) for item in schema["enum"])
            return [Problem(where, f"{value!r} is not one of {allowed}")]
        if isinstance(value, dict):
            return self._object(value, schema, where)
        if isinstance(value, list):
            return self._array(value, schema, where)
        return self._scalar(value, schema, where)

    def _type(self, value: Any, schema: Mapping[str, Any], where: str) -> list[Problem]:
        named = schema.get("type")
        if named is None:
            return []
        names = [named] if isinstance(named, str) else list(named)
        if schema.get("nullable"):
            names.append("null")
        for each in names:
            # bool is an int in Python, never in JSON.
            if isinstance(value, _TYPES[each]) and not (
                isinstance(value, bool) and each in ("integer", "number")
            ):
                return []
        return [Problem(where, f"expected {' or '.join(names)}, got {_json_type(value)}")]

    def _one_of(
        self, value: Any, schema: Mapping[str, Any], combinator: str, where: str
    ) -> list[Problem]:
        branches = [self._resolve(branch) for branch in schema[combinator]]
        if value is None and schema.get("nullable"):
            return []
        chosen = self._discriminated(value, schema, branches, where)
        if isinstance(chosen, Problem):
            return [chosen]
        if chosen is not None:
            return self._check(value, chosen, where)
        fits = [branch for branch in branches if not self._check(value, branch, where)]
        if combinator == "oneOf" and len(fits) > 1:
            return [Problem(where, "matches more than one of the schemas it may be one of")]
        if fits:
            return []
        # The branch that came closest says what is wrong (fewest problems).
        tries = sorted((self._check(value, branch, where) for branch in branches), key=len)
        return tries[0] if tries else [Problem(where, "matches none of its schemas")]

    def _discriminated(
        self, value: Any, schema: Mapping[str, Any], branches: list[Mapping[str, Any]], where: str
    ) -> Mapping[str, Any] | Problem | None:
        """The branch an OpenAPI discriminator names for ``value`` (its property's value is
        the one constant a branch allows), if the schema has one and the value says; a
        problem naming the values allowed when the value names none."""
        discriminator = (schema.get("discriminator") or {}).get("propertyName")
        if not discriminator or not isinstance(value, dict) or discriminator not in value:
            return None
        allowed: list[Any] = []
        for branch in branches:
            named = self._resolve((branch.get("properties") or {}).get(discriminator) or {})
            if value[discriminator] in (named.get("enum") or []):
                return branch
            allowed += named.get("enum") or []
        inner = f"{where}.{discriminator}" if where else discriminator
        listed = ", ".join(repr(each) for each in allowed)
        return Problem(inner, f"{value[discriminator]!r} is not one of {listed}")

    def _object(
        self, value: dict[str, Any], schema: Mapping[str, Any], where: str
    ) -> list[Problem]:
        properties, required, extra = self._shape(schema)
        problems = [
            Problem(where, f"'{name}' is required") for name in required if name not in value
        ]
        for name, item in value.items():
            inner = f"{where}.{name}" if where else name
            if name in properties:
                problems += self._check(item, properties[name], inner)
            elif extra is False:
                problems.append(Problem(inner, "is not a property this object has"))
            elif isinstance(extra, Mapping):
                problems += self._check(item, extra, inner)
        return problems

    def _shape(
        self, schema: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[str], bool | Mapping[str, Any]]:
        """(properties, required, additionalProperties) of an object schema, an ``allOf``
        merged; closed unless it says otherwise (the module's docstring)."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        extra: bool | Mapping[str, Any] | None = None
        for part in [schema, *(self._resolve(each) for each in schema.get("allOf", []))]:
            if "allOf" in part and part is not schema:
                inner = self._shape(part)
                properties |= inner[0]
                required += inner[1]
                extra = inner[2] if extra is None else extra
                continue
            properties |= part.get("properties") or {}
            required += part.get("required") or []
            if "additionalProperties" in part:
                extra = part["additionalProperties"]
        if extra is None:
            extra = not properties  # a bare "type: object" is open; a described one closed
        return properties, required, extra

    def _array(self, value: list[Any], schema: Mapping[str, Any], where: str) -> list[Problem]:
        problems = []
        if len(value) < schema.get("minItems", 0):
            problems.append(Problem(where, f"needs at least {schema['minItems']} item(s)"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(Problem(where, f"takes at most {schema['maxItems']} item(s)"))
        if "items" in schema:
            for index, item in enumerate(value):
                problems += self._check(item, schema["items"], f"{where}[{index}]")
        return problems

    def _scalar(self, value: Any, schema: Mapping[str, Any], where: str) -> list[Problem]:
        if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
            return [Problem(where, f"is longer than {schema['maxLength']} characters")]
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                return [Problem(where, f"is less than {schema['minimum']}")]
            if "maximum" in schema and value > schema["maximum"]:
                return [Problem(where, f"is more than {schema['maximum']}")]
        return []


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if isinstance(value, _TYPES[name]) and not (
            isinstance(value, bool) and name in ("integer", "number")
        ):
            return name
    return type(value).__name__
