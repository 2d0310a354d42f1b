"""Incident types and custom fields, as operators write them in YAML (``WARROOM_INCIDENT_TYPES``)::

    fields:
      customer_impact:
        type: select                  # select | multi_select | text | number | user
        label: Customer impact
        description: What customers saw   # optional: shown under the input
        options: [none, degraded, outage]  # select and multi_select only
        required_at: resolve          # optional: declare | resolve
    types:
      customer-facing:
        description: Customers can see it
        fields: [customer_impact]     # the fields this type asks for
        severity: SEV2                # defaults applied when one is declared
        private: false
        announce_channel: C0STATUS01
        policy: payments              # an escalation policy (WARROOM_ESCALATION_POLICIES)
        required_roles: [comms]       # reminded in the channel until someone holds them
        postmortem_style: atlassian   # a template style under templates/postmortem/<lang>/
      security:
        description: A security event
        private: true

A field no type lists is asked of every incident; a field a type lists is asked of that
type's incidents (and can still be set on any incident). Parsing checks everything it can
without Slack and names every problem at once; the names other files own (policies, roles,
postmortem styles) are checked against them by ``problems_with`` (bot.config does).

Values are plain Python values (``FieldValue``): a select is its option, a multi-select a
list of options in the file's order, text is Slack text (bot.basics.slack_text), a number an
int or a float, a user a Slack user id.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from bot.basics.slack_patterns import CHANNEL_ID, USER_ID, USER_MENTION
from bot.basics.slack_text import SlackText, decode_entities, to_plain
from bot.basics.yaml_files import read_yaml, unknown_keys
from bot.store.models import SEVERITIES

FieldKind = Literal["select", "multi_select", "text", "number", "user"]
FIELD_KINDS: tuple[FieldKind, ...] = ("select", "multi_select", "text", "number", "user")
RequiredAt = Literal["declare", "resolve"]
REQUIRED_AT: tuple[RequiredAt, ...] = ("declare", "resolve")
FieldValue = str | int | float | list[str]
FIELD_KEYS = ("type", "label", "description", "options", "required_at")
TYPE_KEYS = (
    "description",
    "fields",
    "severity",
    "private",
    "announce_channel",
    "policy",
    "required_roles",
    "postmortem_style",
)
# Block Kit's limits: a select's options (100), an option's text (75), its description (75);
# a modal holds 100 blocks, of which the declare form's own take a few.
MAX_OPTIONS = 100
OPTION_MAX = 75
TYPE_DESCRIPTION_MAX = 75
MAX_TYPES = 100
MAX_FIELDS = 50
LABEL_MAX = 100
DESCRIPTION_MAX = 300
TEXT_VALUE_MAX = 2000
NO_TYPE = "none"  # `/incident type none` takes the type away; no type may be called that
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TYPE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_POLICY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class IncidentTypesError(ValueError):
    """The types file does not describe valid incident types and fields: every problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class FieldValueError(ValueError):
    """A value a field cannot take; the message names the field and what it takes."""


@dataclass(frozen=True)
class CustomField:
    """A question incidents answer: its kind, how people see it, and when it must be answered."""

    name: str
    kind: FieldKind
    label: str
    description: str = ""
    options: tuple[str, ...] = ()
    required_at: RequiredAt | None = None

    @property
    def has_options(self) -> bool:
        return self.kind in ("select", "multi_select")

    def option(self, given: str) -> str:
        """The option ``given`` names (case and spaces aside); FieldValueError otherwise."""
        wanted = " ".join(given.split()).casefold()
        found = next((o for o in self.options if o.casefold() == wanted), None)
        if found is None:
            raise FieldValueError(
                f"{self.name} is one of {', '.join(self.options)}; {given.strip()[:40]!r} is not."
            )
        return found

    def parse(self, raw: str) -> FieldValue:
        """The value of ``raw``, text as Slack sends it in a slash command (``should_escape``:
        a person arrives as ``<@U024BE7LH|bob>``, ``&`` as ``&amp;``)."""
        raw = raw.strip()
        if not raw:
            raise FieldValueError(f"Give {self.name} a value.")
        if self.kind == "select":
            return self.option(to_plain(raw))
        if self.kind == "multi_select":
            return self.options_of([part for part in to_plain(raw).split(",") if part.strip()])
        if self.kind == "number":
            return self.number(decode_entities(raw))
        if self.kind == "user":
            match = USER_MENTION.match(raw)
            if match is None:
                raise FieldValueError(f"{self.name} is a person: name them with an @-mention.")
            return match.group(1)
        if len(raw) > TEXT_VALUE_MAX:
            raise FieldValueError(f"Keep {self.name} under {TEXT_VALUE_MAX} characters.")
        return SlackText(raw)

    def options_of(self, given: Sequence[str]) -> list[str]:
        """The options named, in the file's order, each once."""
        chosen = {self.option(name) for name in given}
        return [option for option in self.options if option in chosen]

    def number(self, raw: str) -> int | float:
        try:
            number = float(raw.strip().replace("_", ""))
        except ValueError:
            raise FieldValueError(
                f"{self.name} is a number; {raw.strip()[:40]!r} is not."
            ) from None
        if not math.isfinite(number):
            raise FieldValueError(f"{self.name} is a number; {raw.strip()[:40]!r} is not.")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number

    def checked(self, value: object) -> FieldValue:
        """``value`` as this field keeps it (the API, workflows, stored rows); FieldValueError
        when it cannot be one."""
        if self.kind == "select" and isinstance(value, str):
            return self.option(value)
        if self.kind == "multi_select" and isinstance(value, list | tuple):
            return self.options_of([str(item) for item in value])
        if self.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(repr(value))
        if self.kind == "number" and isinstance(value, str):
            return self.number(value)
        if self.kind == "user" and isinstance(value, str) and USER_ID.match(value):
            return value
        if self.kind == "text" and isinstance(value, str) and value.strip():
            return SlackText.of(value)
        raise FieldValueError(f"{self.name} cannot be {value!r}.")


@dataclass(frozen=True)
class IncidentType:
    """A kind of incident and what declaring one sets up. None: the settings' default."""

    name: str
    description: str = ""
    fields: tuple[str, ...] = ()
    severity: str | None = None
    private: bool | None = None
    announce_channel: str | None = None
    policy: str | None = None
    required_roles: tuple[str, ...] = ()
    postmortem_style: str | None = None

    def unheld(self, commander: str | None, held: Mapping[str, str]) -> list[str]:
        """The roles this type requires that nobody holds (``commander``: the lead)."""
        return [
            role
            for role in self.required_roles
            if not (commander if role == "commander" else held.get(role))
        ]


@dataclass(frozen=True)
class IncidentTypes:
    """Every configured field and type, in the file's order."""

    fields: Mapping[str, CustomField] = field(default_factory=lambda: MappingProxyType({}))
    types: Mapping[str, IncidentType] = field(default_factory=lambda: MappingProxyType({}))

    def __bool__(self) -> bool:
        return bool(self.fields or self.types)

    def get(self, name: str | None) -> IncidentType | None:
        """The type called ``name`` (any case), if there is one."""
        return self.types.get(name.strip().lower()) if name else None

    def field(self, name: str) -> CustomField | None:
        return self.fields.get(name.strip().lower())

    def asked_by(self, type_name: str | None) -> tuple[CustomField, ...]:
        """The fields an incident of this type (None: no type) is asked: the fields no type
        lists, and the type's own, in the file's order."""
        listed = {name for kind in self.types.values() for name in kind.fields}
        kind = self.get(type_name)
        own = set(kind.fields) if kind else set()
        return tuple(f for f in self.fields.values() if f.name not in listed or f.name in own)

    def required(self, type_name: str | None, at: RequiredAt) -> tuple[CustomField, ...]:
        """The fields an incident of this type must have by ``at`` (resolving needs the
        declare-time ones too: an alert declares without asking anyone)."""
        moments = ("declare",) if at == "declare" else REQUIRED_AT
        return tuple(f for f in self.asked_by(type_name) if f.required_at in moments)

    def missing(
        self, type_name: str | None, values: Mapping[str, object], at: RequiredAt
    ) -> tuple[CustomField, ...]:
        """The required fields (``required``) that have no value in ``values``."""
        return tuple(f for f in self.required(type_name, at) if values.get(f.name) in (None, []))

    def policy_names(self) -> set[str]:
        return {kind.policy for kind in self.types.values() if kind.policy}

    def role_names(self) -> set[str]:
        return {role for kind in self.types.values() for role in kind.required_roles}

    def styles(self) -> set[str]:
        return {kind.postmortem_style for kind in self.types.values() if kind.postmortem_style}

    def problems_with(
        self, *, policies: Collection[str], roles: Collection[str], styles: Collection[str]
    ) -> list[str]:
        """What the file names that the other settings do not have."""
        problems = []
        for kind in self.types.values():
            where = f"type {kind.name!r}"
            if kind.policy and kind.policy not in policies:
                problems.append(f"{where}: policy: no escalation policy named {kind.policy!r}")
            for role in kind.required_roles:
                if role != "commander" and role not in roles:
                    problems.append(
                        f"{where}: required_roles: no role {role!r} "
                        f"(roles: commander, {', '.join(roles)}; add more with WARROOM_ROLES)"
                    )
            if kind.postmortem_style and kind.postmortem_style not in styles:
                problems.append(
                    f"{where}: postmortem_style: no template style {kind.postmortem_style!r} "
                    f"(styles: {', '.join(sorted(styles))})"
                )
        return problems


NO_TYPES = IncidentTypes()


def load_incident_types(path: Path) -> IncidentTypes:
    """Read and check a types file; IncidentTypesError names every problem in it."""
    return parse_incident_types(read_yaml(path, IncidentTypesError))


def parse_incident_types(document: Any) -> IncidentTypes:
    """Build IncidentTypes from the parsed YAML document, or name every problem."""
    if document is None:
        return NO_TYPES
    if not isinstance(document, dict):
        raise IncidentTypesError("expected a mapping with 'fields' and 'types' at the top")
    problems: list[str] = []
    unknown = sorted(map(str, set(document) - {"fields", "types"}))
    if unknown:
        problems.append(
            f"unknown top-level key(s): {', '.join(unknown)} (the file has fields and types)"
        )
    fields = _fields(document.get("fields"), problems)
    types = _types(document.get("types"), fields, problems)
    if problems:
        raise IncidentTypesError(*problems)
    parsed = IncidentTypes(MappingProxyType(fields), MappingProxyType(types))
    if problems := _forms_too_large(parsed):
        raise IncidentTypesError(*problems)
    return parsed


# Slack refuses a view over 250 KB (`view_too_large`, views.open and views.update:
# https://docs.slack.dev/reference/methods/views.open). The declare form holds the fields its
# type asks; its size is estimated from what each field adds to the form's JSON (an option:
# its text twice and about 70 bytes of structure; a field: about 600 bytes), with room left
# for the rest of the form (title, description, severity, the type select).
FORM_BYTES_MAX = 250_000
FORM_BASE_BYTES = 12_000


def form_bytes(fields: Sequence[CustomField]) -> int:
    """About how many bytes of JSON these fields add to a form."""
    return sum(
        600
        + len(field.label.encode()) * 2
        + len(field.description.encode())
        + sum(70 + 2 * len(json.dumps(option).encode()) for option in field.options)
        for field in fields
    )


def _forms_too_large(types: IncidentTypes) -> list[str]:
    """Each type (and no type) whose declare form Slack would refuse as too large."""
    problems = []
    for name in (None, *types.types):
        size = FORM_BASE_BYTES + form_bytes(types.asked_by(name))
        if size > FORM_BYTES_MAX:
            which = f"types: {name}" if name else "fields no type lists"
            problems.append(
                f"{which}: its declare form would be about {size // 1000} KB of Slack's "
                f"{FORM_BYTES_MAX // 1000} KB: ask fewer fields or shorter options"
            )
    return problems


def _mapping(raw: object, where: str, problems: list[str]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping of names to their settings")
        return {}
    return {str(name): body for name, body in raw.items()}


def _fields(raw: object, problems: list[str]) -> dict[str, CustomField]:
    fields = {}
    declared = _mapping(raw, "fields", problems)
    if len(declared) > MAX_FIELDS:
        problems.append(f"fields: at most {MAX_FIELDS} (a Slack form holds 100 blocks)")
    for name, body in declared.items():
        where = f"field {name!r}"
        if not _FIELD_NAME.match(name):
            problems.append(f"{where}: names are lowercase letters, digits and _ (customer_impact)")
            continue
        parsed = _field(name, body, where, problems)
        if parsed is not None:
            fields[name] = parsed
    return fields


def _field(name: str, body: object, where: str, problems: list[str]) -> CustomField | None:
    if not isinstance(body, dict):
        problems.append(f"{where}: must be a mapping with type and label")
        return None
    before = len(problems)
    if problem := unknown_keys(where, body, FIELD_KEYS):
        problems.append(problem)
    kind = body.get("type")
    if kind not in FIELD_KINDS:
        problems.append(
            f"{where}: type: {kind!r} is not a field type; use one of {', '.join(FIELD_KINDS)}"
        )
    label = body.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > LABEL_MAX:
        problems.append(f"{where}: label: the name people see, 1 to {LABEL_MAX} characters")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        problems.append(f"{where}: description: text of at most {DESCRIPTION_MAX} characters")
    required_at = body.get("required_at")
    if required_at is not None and required_at not in REQUIRED_AT:
        problems.append(f"{where}: required_at: {required_at!r} is not declare or resolve")
    options = _options(kind, body.get("options"), where, problems)
    if len(problems) > before or kind not in FIELD_KINDS:
        return None
    return CustomField(
        name=name,
        kind=kind,
        label=str(label).strip(),
        description=str(description).strip(),
        options=options,
        required_at=required_at,
    )


def _options(kind: object, raw: object, where: str, problems: list[str]) -> tuple[str, ...]:
    if kind not in ("select", "multi_select"):
        if raw is not None:
            problems.append(f"{where}: options: only select and multi_select fields have options")
        return ()
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: a {kind} field needs 'options', a list of its choices")
        return ()
    if len(raw) > MAX_OPTIONS:
        problems.append(f"{where}: options: at most {MAX_OPTIONS} (Slack's select holds 100)")
    options: list[str] = []
    for option in raw:
        text = " ".join(str(option).split()) if isinstance(option, str | int | float) else ""
        if not text or len(text) > OPTION_MAX or "," in text:
            problems.append(
                f"{where}: option {option!r}: 1 to {OPTION_MAX} characters, no comma "
                "(commas separate a multi-select's options in /incident set)"
            )
        elif text.casefold() in {o.casefold() for o in options}:
            problems.append(f"{where}: option {text!r} is listed twice")
        else:
            options.append(text)
    return tuple(options)


def _types(
    raw: object, fields: Mapping[str, CustomField], problems: list[str]
) -> dict[str, IncidentType]:
    types = {}
    declared = _mapping(raw, "types", problems)
    if len(declared) > MAX_TYPES:
        problems.append(f"types: at most {MAX_TYPES} (Slack's select holds 100)")
    for name, body in declared.items():
        where = f"type {name!r}"
        if not _TYPE_NAME.match(name) or name == NO_TYPE:
            problems.append(
                f"{where}: names are lowercase letters, digits, - and _ (and not {NO_TYPE!r})"
            )
            continue
        parsed = _type(name, body or {}, fields, where, problems)
        if parsed is not None:
            types[name] = parsed
    return types


def _type(
    name: str, body: object, fields: Mapping[str, CustomField], where: str, problems: list[str]
) -> IncidentType | None:
    if not isinstance(body, dict):
        problems.append(f"{where}: must be a mapping (description, fields, severity, ...)")
        return None
    before = len(problems)
    if problem := unknown_keys(where, body, TYPE_KEYS):
        problems.append(problem)
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > TYPE_DESCRIPTION_MAX:
        problems.append(
            f"{where}: description: at most {TYPE_DESCRIPTION_MAX} characters "
            "(Slack shows it under the type's name in the form)"
        )
    asked = _type_fields(body.get("fields"), fields, where, problems)
    severity = body.get("severity")
    if severity is not None and str(severity).upper() not in SEVERITIES:
        problems.append(f"{where}: severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    private = body.get("private")
    if private is not None and not isinstance(private, bool):
        problems.append(f"{where}: private: true or false")
    channel = body.get("announce_channel")
    if channel is not None and not (isinstance(channel, str) and CHANNEL_ID.match(channel)):
        problems.append(
            f"{where}: announce_channel: a channel id like C0123456789, not {channel!r}"
        )
    policy = body.get("policy")
    if policy is not None and not (isinstance(policy, str) and _POLICY_NAME.match(policy.lower())):
        problems.append(f"{where}: policy: an escalation policy's name, not {policy!r}")
    roles = _names(body.get("required_roles"), f"{where}: required_roles", problems)
    bad_roles = [role for role in roles if not _ROLE_NAME.match(role)]
    if bad_roles:
        problems.append(f"{where}: required_roles: {bad_roles[0]!r} is not a role name")
    style = body.get("postmortem_style")
    if style is not None and not (isinstance(style, str) and _ROLE_NAME.match(style.lower())):
        problems.append(f"{where}: postmortem_style: a template style's name, not {style!r}")
    if len(problems) > before:
        return None
    return IncidentType(
        name=name,
        description=description.strip(),
        fields=tuple(asked),
        severity=str(severity).upper() if severity is not None else None,
        private=private,
        announce_channel=channel,
        policy=policy.lower() if policy else None,
        required_roles=tuple(roles),
        postmortem_style=style.lower() if style else None,
    )


def _type_fields(
    raw: object, fields: Mapping[str, CustomField], where: str, problems: list[str]
) -> list[str]:
    """The fields a type asks for, each one the file declares."""
    asked = _names(raw, f"{where}: fields", problems)
    for field_name in asked:
        if field_name not in fields:
            known = ", ".join(fields) or "none are declared"
            problems.append(f"{where}: fields: unknown field {field_name!r} (fields: {known})")
    return asked


def _names(raw: object, where: str, problems: list[str]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        problems.append(f"{where}: a list of names")
        return []
    names = list(dict.fromkeys(item.strip().lower() for item in raw))
    if len(names) < len(raw):
        problems.append(f"{where}: a name is listed twice")
    return names
