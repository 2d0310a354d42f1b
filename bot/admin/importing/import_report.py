"""What ``warroom import`` says of an import, beside ``import-report.md``: people by name, as
the web view names them (never by a bare Slack id), and ``--json``'s document.

A person is named by the name the vendor's account gives the user matched to them (the
import matched them by that user's email); someone no vendor user names keeps their Slack id,
as the web view keeps an id it knows no name for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.record.oncall.importing.carrying import Carried, People
from bot.record.oncall.importing.drafts import Translation

# The words of the exit status, as --json says it.
OUTCOMES = {0: "exact", 3: "approximate"}


@dataclass(frozen=True)
class Done:
    """What an import came to: the carried account, each person's name by Slack id (the
    vendor's name for them), --compare's disagreements, and warroom's URL for each
    integration kind (where a repointed sender goes)."""

    carried: Carried
    names: Mapping[str, str]
    lines: list[str]
    urls: Mapping[str, str]


@dataclass(frozen=True)
class Asked:
    """What the command line asked, as the JSON report says it."""

    vendor: str
    out: Path
    saved_to: Path | None
    read_from: Path | None
    read_at: datetime | None
    dry_run: bool
    compared: bool


def names_by_slack_id(translation: Translation, people: People) -> dict[str, str]:
    """Each matched Slack user's name, from the vendor user matched to them."""
    names: dict[str, str] = {}
    for user in sorted(translation.users):
        slack_user = people.get(user.vendor_id)
        if slack_user and user.name.strip():
            names.setdefault(slack_user, user.name.strip())
    return names


def person(user: str | None, names: Mapping[str, str]) -> dict[str, str] | None:
    """``{"slack_user": id, "name": name}`` (the id when no name is known); None: nobody."""
    return {"slack_user": user, "name": names.get(user, user)} if user else None


def json_report(request: Asked, done: Done, code: int) -> dict[str, Any]:
    """``warroom import --json``: what the summary and ``import-report.md`` say, as data."""
    carried, names = done.carried, done.names
    return {
        "vendor": request.vendor,
        "outcome": OUTCOMES.get(code, "failed"),
        "exit_status": code,
        "out": str(request.out),
        "saved_to": str(request.saved_to) if request.saved_to is not None else None,
        "read_from": str(request.read_from) if request.read_from is not None else None,
        "read_at": request.read_at.isoformat() if request.read_at is not None else None,
        "schedules": sorted(carried.schedules["schedules"]),
        "policies": sorted(carried.policies["policies"]),
        "overrides": _json_overrides(carried, names, kept=not request.dry_run),
        "items": [
            {
                "kind": item.kind,
                "vendor_id": item.vendor_id,
                "name": item.name,
                "carried": item.carried,
                "detail": item.detail,
                "todo": item.todo,
            }
            for item in carried.report
        ],
        "services": carried.services.get("services", []),
        "heartbeats": carried.heartbeats.get("heartbeats", []),
        "integrations": _json_integrations(carried, done.urls),
        "notification_rules": _json_notification_rules(carried, names),
        "disagreements": done.lines if request.compared else None,
    }


def _json_overrides(carried: Carried, names: Mapping[str, str], *, kept: bool) -> list[Any]:
    """The overrides carried, each with its person by name, and whether it was kept."""
    return [
        {
            "schedule": override.schedule,
            "layer": override.layer,
            "who": person(override.user, names),
            "start": override.start.isoformat(),
            "end": override.end.isoformat(),
            "kept": kept,
        }
        for override in sorted(carried.overrides)
    ]


def _json_integrations(carried: Carried, urls: Mapping[str, str]) -> list[Any]:
    """The vendor's senders to repoint, each with warroom's URL for its kind."""
    return [
        {
            "vendor_name": sender.vendor_name,
            "vendor_type": sender.vendor_type,
            "kind": sender.kind,
            "service": sender.service,
            "command": sender.command or None,
            "url": urls.get(sender.kind) if sender.kind else None,
            "why": sender.why or None,
        }
        for sender in carried.integrations
    ]


def _json_notification_rules(carried: Carried, names: Mapping[str, str]) -> list[Any]:
    """Each person's contact methods and rules, without numbers or addresses: those are in
    contacts.yaml only."""
    return [
        {
            "who": person(user, names),
            "contacts": {name: sorted(method) for name, method in entry["contacts"].items()},
            "rules": entry.get("rules", []),
            "low_urgency_rules": entry.get("low_urgency_rules", []),
        }
        for user, entry in sorted(carried.contacts.get("people", {}).items())
    ]
