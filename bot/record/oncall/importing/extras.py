"""Services, heartbeats and integrations carried (``bot.record.oncall.importing.carrying``
does schedules, policies and overrides): ``services.yaml`` (``WARROOM_SERVICES``),
``heartbeats.yaml`` (``WARROOM_HEARTBEATS``) and the integrations to repoint.

The import makes no integration key itself: keys are shown once, to whoever makes them, and
each sender is repointed by hand anyway. Each integration is listed with the command that
makes its warroom twin (``warroom integrations create --service S --kind K --name N``), for
the team to run when they repoint that sender.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.basics.durations import duration_text
from bot.record.alerting.integrations import NAME
from bot.record.alerting.sources.registry import SOURCES
from bot.record.oncall.importing.drafts import ReportItem, Translation
from bot.record.oncall.importing.naming import slug, unique_names


@dataclass(frozen=True, order=True)
class ImportedIntegration:
    """A sender to repoint: the vendor's name and type for it, and the warroom integration to
    make (``command``; empty when warroom cannot take it: ``why`` says so)."""

    vendor_name: str
    vendor_type: str
    kind: str | None
    service: str | None
    command: str
    why: str = ""


@dataclass(frozen=True)
class Extras:
    """The services file's and heartbeats file's documents, the integrations, report items."""

    services: dict[str, Any]
    heartbeats: dict[str, Any]
    integrations: tuple[ImportedIntegration, ...]
    report: tuple[ReportItem, ...]
    contacts: dict[str, Any]


def carry_extras(
    translation: Translation, policy_names: Mapping[str, str], people: Mapping[str, str | None]
) -> Extras:
    """Services, heartbeats, integrations and people's notification rules, the policies by
    the names ``policy_names`` (vendor policy id → the policies file's name) gives the
    carried ones, people by the Slack user ``people`` matched them to."""
    names = unique_names(((s.vendor_id, s.vendor_name) for s in translation.services), "service")
    services = []
    for draft in sorted(translation.services, key=lambda s: names[s.vendor_id]):
        entry: dict[str, Any] = {"name": names[draft.vendor_id]}
        if draft.description.strip():
            entry["description"] = draft.description.strip()
        if draft.policy is not None and draft.policy in policy_names:
            entry["policy"] = policy_names[draft.policy]
        if draft.pagerduty_service_id:
            entry["pagerduty_service_id"] = draft.pagerduty_service_id
        services.append(entry)
    beats = []
    beat_names = unique_names(
        ((b.vendor_name, b.vendor_name) for b in translation.heartbeats), "heartbeat"
    )
    for beat in sorted(translation.heartbeats, key=lambda b: beat_names[b.vendor_name]):
        entry = {"name": beat_names[beat.vendor_name], "interval": duration_text(beat.interval)}
        if beat.policy is not None and beat.policy in policy_names:
            entry["policy"] = policy_names[beat.policy]
        beats.append(entry)
    senders, items = _integrations(translation, names)
    contacts = _contacts(translation, people)
    return Extras(
        services={"services": services} if services else {},
        heartbeats={"heartbeats": beats} if beats else {},
        integrations=senders,
        report=tuple(items),
        contacts={"people": contacts} if contacts else {},
    )


def _contacts(translation: Translation, people: Mapping[str, str | None]) -> dict[str, Any]:
    """The contacts file's ``people``: each matched person's contacts and rules."""
    found: dict[str, Any] = {}
    for draft in sorted(translation.paging, key=lambda d: d.person):
        slack_user = people.get(draft.person.vendor_id)
        if not slack_user:
            continue
        entry: dict[str, Any] = {
            "contacts": {c.name: {c.method: c.address} for c in draft.contacts}
        }
        for key, rules in (("rules", draft.rules), ("low_urgency_rules", draft.low_urgency_rules)):
            if rules:
                entry[key] = [
                    {"after": duration_text(rule.after), "notify": list(rule.notify)}
                    for rule in rules
                ]
        found[slack_user] = entry
    return found


def _integrations(
    translation: Translation, service_names: Mapping[str, str]
) -> tuple[tuple[ImportedIntegration, ...], list[ReportItem]]:
    senders, items = [], []
    for draft in translation.integrations:
        service = service_names.get(draft.service or "")
        name = slug(draft.vendor_name, "integration")[:63]
        if draft.kind is None or draft.kind not in SOURCES.kinds():
            why = f"warroom answers no {draft.vendor_type} integration"
            senders.append(
                ImportedIntegration(draft.vendor_name, draft.vendor_type, None, service, "", why)
            )
            items.append(
                ReportItem(
                    "integration",
                    draft.vendor_id,
                    draft.vendor_name,
                    "not carried",
                    why,
                    "point the sender at a generic integration, or keep it on the old tool",
                )
            )
            continue
        target = service or "SERVICE"
        command = f"warroom integrations create --service {target} --kind {draft.kind}" + (
            f" --name {name}" if NAME.fullmatch(name) else ""
        )
        senders.append(
            ImportedIntegration(draft.vendor_name, draft.vendor_type, draft.kind, service, command)
        )
        todo = f"run `{command}`, then give the sender the URL and key it prints"
        if service is None:
            todo = f"choose its service (SERVICE), {todo}"
        items.append(
            ReportItem(
                "integration",
                draft.vendor_id,
                draft.vendor_name,
                "approximate",
                f"{draft.vendor_type}: warroom's {draft.kind} integration answers it; the sender "
                "needs its new URL and key",
                todo,
            )
        )
    return tuple(sorted(senders)), items
