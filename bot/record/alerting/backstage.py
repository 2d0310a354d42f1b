"""Services from Backstage's catalog: ``catalog-info.yaml`` descriptor files made into a
services file (``warroom services import-backstage``).

Backstage's descriptor format (https://backstage.io/docs/features/software-catalog/descriptor-format/,
the Component kind: https://backstage.io/docs/reference/catalog-model.componententityv1alpha1):
a file holds one or more YAML documents, each an entity with ``apiVersion``, ``kind``,
``metadata`` (``name``, ``description``, ``annotations``) and ``spec``. Of kind ``Component``
warroom reads ``metadata.name``, ``metadata.description``, ``spec.owner``, ``spec.system``,
``spec.dependsOn`` and two annotations: ``pagerduty.com/service-id`` (PagerDuty's Backstage
plugin, https://support.pagerduty.com/main/docs/backstage-integration-guide) and
``opsgenie.com/component-selector`` (Opsgenie's). Other kinds are skipped and counted.

Entity references are ``[kind:][namespace/]name``: an owner without a kind is a Group; a
group owner becomes a ``usergroup:`` owner of that handle; a user owner cannot be matched to a
Slack user here and is left out, said in the report. A dependency on a component becomes
``depends_on`` when that component is imported too (else it is left out, said); on another
kind (a resource, an API) it is left out, said.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.record.alerting.services import NAME

PAGERDUTY_ANNOTATION = "pagerduty.com/service-id"
OPSGENIE_ANNOTATION = "opsgenie.com/component-selector"
_REF = re.compile(r"^(?:(?P<kind>[A-Za-z]+):)?(?:(?P<namespace>[^/:]+)/)?(?P<name>[^/:]+)$")


class BackstageError(ValueError):
    """A descriptor file that cannot be read: the message names it."""


@dataclass
class Imported:
    """The services made of the files' components, and what was left out (said in words)."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped_kinds: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The services file's document."""
        return {"services": list(self.services.values())}


def _ref(raw: object, default_kind: str) -> tuple[str, str] | None:
    """(kind, name) of an entity reference, both lowercase; None when it is not one."""
    found = _REF.match(str(raw).strip()) if isinstance(raw, str) else None
    if found is None:
        return None
    return (found["kind"] or default_kind).lower(), found["name"].lower()


def read_descriptors(texts: Iterable[tuple[str, str]]) -> Imported:
    """The services of every Component of the files (``(path, text)`` each, multi-document
    YAML); BackstageError names a file that is not YAML."""
    imported = Imported()
    components: list[tuple[str, dict[str, Any]]] = []
    for path, text in texts:
        try:
            documents = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as error:
            raise BackstageError(f"{path} is not valid YAML: {error}") from None
        for entity in documents:
            kind = entity.get("kind") if isinstance(entity, dict) else None
            if kind != "Component":
                imported.skipped_kinds[str(kind or "not an entity")] += 1
                continue
            components.append((path, entity))
    for path, entity in components:
        _component(imported, path, entity)
    for service in imported.services.values():
        missing = [name for name in service.get("depends_on", []) if name not in imported.services]
        for name in missing:
            imported.notes.append(
                f"{service['name']}: depends on component {name}, not among the files: left out"
            )
        if missing:
            service["depends_on"] = [n for n in service["depends_on"] if n not in missing]
            if not service["depends_on"]:
                del service["depends_on"]
    return imported


def _component(imported: Imported, path: str, entity: dict[str, Any]) -> None:
    metadata, spec = _mapping(entity, "metadata"), _mapping(entity, "spec")
    name = str(metadata.get("name") or "").lower()
    if not NAME.match(name):
        imported.notes.append(f"{path}: a Component named {name or 'nothing'!r}: left out")
        return
    if name in imported.services:
        imported.notes.append(f"{path}: Component {name} is in the files twice: the first kept")
        return
    service: dict[str, Any] = {"name": name}
    if description := str(metadata.get("description") or "").strip():
        service["description"] = " ".join(description.split())
    owner = _ref(spec.get("owner"), "group")
    if owner is not None and owner[0] == "group":
        service["owners"] = [{"usergroup": owner[1]}]
    elif spec.get("owner"):
        imported.notes.append(
            f"{name}: owner {spec['owner']} is not a group: name its Slack user under owners"
        )
    if spec.get("system"):
        service["system"] = str(spec["system"])
    depends = []
    for raw in spec.get("dependsOn") or []:
        ref = _ref(raw, "component")
        if ref is not None and ref[0] == "component" and NAME.match(ref[1]):
            depends.append(ref[1])
        else:
            imported.notes.append(f"{name}: depends on {raw}, not a component: left out")
    if depends:
        service["depends_on"] = depends
    annotations = _mapping(metadata, "annotations")
    if annotations.get(PAGERDUTY_ANNOTATION):
        service["pagerduty_service_id"] = str(annotations[PAGERDUTY_ANNOTATION])
    if annotations.get(OPSGENIE_ANNOTATION):
        service["opsgenie_component_selector"] = str(annotations[OPSGENIE_ANNOTATION])
    imported.services[name] = service


def _mapping(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}
