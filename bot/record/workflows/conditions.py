"""Workflow conditions (``when:``): the facts they read about an incident, and their parsing
into predicates compiled once, so evaluating a workflow never re-reads the YAML.

A condition is a mapping (its keys all hold) or a list (all hold); ``all``, ``any`` and
``not`` nest freely. Field and type conditions are checked against the types file later
(``check_conditions``), when the workflows' settings are read beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.record.incident.incident_types import CustomField, FieldValueError, IncidentTypes
from bot.store.models import SEVERITIES, Status

CONDITIONS = ("all", "any", "not", "severity", "status", "type", "private", "field", "labels")


@dataclass(frozen=True)
class Facts:
    """What conditions read about an incident when its event happens."""

    severity: str
    status: str
    type: str | None
    private: bool
    fields: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


Predicate = Callable[[Facts], bool]


@dataclass(frozen=True)
class Condition:
    """A condition as written (for the plain-English reading) and its compiled test."""

    words: str
    test: Predicate
    fields: frozenset[str] = frozenset()
    # (field, values) a field condition compares with, checked against the field's kind.
    compares: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    # The incident types it names (None: no type), checked against the types file.
    types: frozenset[str | None] = frozenset()


ALWAYS = Condition("", lambda _facts: True)


def parse_condition(raw: object, where: str, problems: list[str]) -> Condition | None:
    """A condition: a mapping (its keys all hold) or a list (all hold)."""
    if isinstance(raw, list):
        return _all([parse_condition(item, where, problems) for item in raw], " and ")
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}: a condition is a mapping like {{severity: [SEV1]}}")
        return None
    raw = {str(key): value for key, value in raw.items()}
    if "field" in raw:
        return _field_condition(raw, where, problems)
    parts = []
    for key, value in raw.items():
        if key not in CONDITIONS:
            problems.append(
                f"{where}: unknown condition {key!r}; use one of {', '.join(CONDITIONS)}"
            )
            continue
        parts.append(_one(key, value, f"{where}: {key}", problems))
    return _all(parts, " and ")


def _all(parts: Sequence[Condition | None], joiner: str) -> Condition | None:
    if any(part is None for part in parts):
        return None
    tests = [part.test for part in parts if part is not None]
    words = joiner.join(part.words for part in parts if part is not None)
    read = frozenset().union(*(part.fields for part in parts if part is not None))
    compares = tuple(c for part in parts if part is not None for c in part.compares)
    named = frozenset().union(*(part.types for part in parts if part is not None))
    if joiner == " or ":
        words = f"({words})" if len(tests) > 1 else words
        return Condition(words, _any_of(tests), read, compares, named)
    return Condition(words, _all_of(tests), read, compares, named)


def _all_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    return lambda facts: all(test(facts) for test in tests)


def _any_of(tests: list[Predicate]) -> Predicate:
    return lambda facts: any(test(facts) for test in tests)


def _one(key: str, value: object, where: str, problems: list[str]) -> Condition | None:
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            problems.append(f"{where}: a list of conditions")
            return None
        parts = [parse_condition(item, where, problems) for item in value]
        return _all(parts, " and " if key == "all" else " or ")
    if key == "not":
        inner = parse_condition(value, where, problems)
        if inner is None:
            return None
        test = inner.test
        return Condition(
            f"not ({inner.words})",
            lambda facts: not test(facts),
            inner.fields,
            inner.compares,
            inner.types,
        )
    if key == "private":
        if not isinstance(value, bool):
            problems.append(f"{where}: true or false")
            return None
        return Condition(
            "private" if value else "not private", lambda facts: facts.private is value
        )
    if key == "labels":
        return _labels(value, where, problems)
    names = _strings(value, where, problems)
    if names is None:
        return None
    if key == "severity":
        return _one_of("severity", names, SEVERITIES, str.upper, where, problems)
    if key == "status":
        statuses = [status.value for status in Status]
        return _one_of("status", names, statuses, str.lower, where, problems)
    # type: checked against the types file by problems_with; "none" is no type.
    types = frozenset(None if n.lower() == "none" else n.lower() for n in names)
    return Condition(
        f"type {_or(names, str.lower)}", lambda f: f.type in types, frozenset(), (), types
    )


def _labels(value: object, where: str, problems: list[str]) -> Condition | None:
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: a mapping of label names to a value or a list of values")
        return None
    wanted: dict[str, frozenset[str]] = {}
    for name, allowed in value.items():
        values = _strings(allowed, f"{where}: {name}", problems)
        if values is None:
            return None
        wanted[str(name)] = frozenset(values)
    words = " and ".join(f"label {name} {_or(sorted(v), str)}" for name, v in wanted.items())
    items = tuple(wanted.items())
    return Condition(
        words, lambda facts: all(facts.labels.get(name) in allowed for name, allowed in items)
    )


FIELD_TESTS = ("equals", "in", "is_set")


def _field_condition(raw: dict[str, Any], where: str, problems: list[str]) -> Condition | None:
    """``{field: customer_impact, equals: outage}``, ``in: [...]`` or ``is_set: true``."""
    name = raw.get("field")
    tests = [key for key in raw if key != "field"]
    if not isinstance(name, str) or len(tests) != 1 or tests[0] not in FIELD_TESTS:
        problems.append(
            f"{where}: a field condition is {{field: <name>, equals: <value>}}, "
            "{field: <name>, in: [<values>]} or {field: <name>, is_set: true}"
        )
        return None
    name, test = name.strip().lower(), tests[0]
    value = raw[test]
    if test == "is_set":
        if not isinstance(value, bool):
            problems.append(f"{where}: field {name}: is_set: true or false")
            return None
        return Condition(
            f"{name} {'set' if value else 'not set'}",
            lambda facts: (facts.fields.get(name) not in (None, [])) is value,
            frozenset({name}),
        )
    if test == "in" and not (isinstance(value, list) and value):
        problems.append(f"{where}: field {name}: in: a list of values")
        return None
    values = tuple(value) if test == "in" else (value,)
    # The values are checked against the field's kind by problems_with.
    return Condition(
        f"{name} is {_or([str(v) for v in values], str)}",
        _field_test(name, values),
        frozenset({name}),
        ((name, values),),
    )


def _field_test(name: str, values: tuple[Any, ...]) -> Predicate:
    wanted = {_comparable(v) for v in values}

    def test(facts: Facts) -> bool:
        have = facts.fields.get(name)
        if isinstance(have, list):  # a multi-select: any of its options
            return any(_comparable(item) in wanted for item in have)
        return have is not None and _comparable(have) in wanted

    return test


def _comparable(value: object) -> object:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def check_conditions(where: str, condition: Condition, types: IncidentTypes) -> list[str]:
    """Field conditions whose values the field cannot take; type conditions on no type."""
    problems = []
    for name, values in condition.compares:
        field = types.field(name)
        if field is None:
            continue
        for value in values:
            try:
                field.checked([value] if field.kind == "multi_select" else value)
            except FieldValueError:
                problems.append(
                    f"{where}: when: field {field.name} is a {field.kind}"
                    f"{_options_of(field)}; it can never be {value!r}"
                )
    return problems


def _strings(value: object, where: str, problems: list[str]) -> list[str] | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and value and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    problems.append(f"{where}: a value or a list of values")
    return None


def _one_of(
    key: Literal["severity", "status"],
    names: Sequence[str],
    allowed: Sequence[str],
    case: Callable[[str], str],
    where: str,
    problems: list[str],
) -> Condition | None:
    """A condition that the fact ``key`` (``severity``, ``status``) is one of ``names``, each
    written in ``case`` and among the ``allowed``; None, with the problem said, otherwise."""
    wanted = frozenset(case(name) for name in names)
    bad = sorted(wanted - set(allowed))
    if bad:
        problems.append(f"{where}: {bad[0]!r} is not one of {', '.join(allowed)}")
        return None
    return Condition(f"{key} {_or(names, case)}", lambda facts: getattr(facts, key) in wanted)


def _or(names: Sequence[str], case: Callable[[str], str]) -> str:
    names = [case(name) for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _options_of(field: CustomField) -> str:
    return f" of {', '.join(field.options)}" if field.options else ""
