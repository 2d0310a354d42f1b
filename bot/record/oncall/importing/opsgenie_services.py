"""What an Opsgenie account's teams run beside schedules and escalations: services, heartbeats
and integrations (``bot.record.oncall.importing.opsgenie`` translates the rest; people's
notification rules are ``opsgenie_notification_rules``, their forwarding rules
``opsgenie_forwarding_rules``).

- **Services**: an Opsgenie team that owns an escalation (``ownerTeam``) is a service of
  ``WARROOM_SERVICES`` named by the team's slug, paging that escalation's policy (when it owns
  several, the first by name; the others said). A team that owns none is no service.
- **Heartbeats** (Heartbeat API, "List Heartbeats": ``data.heartbeats``, each ``name``,
  ``interval``, ``intervalUnit`` minutes, hours or days, ``enabled``; the documentation's
  example also gives ``ownerTeam``): an enabled one is a heartbeat of ``WARROOM_HEARTBEATS``
  by the slug of its name, its interval the same, its policy its owner team's escalation's; a
  disabled one is not carried, said.
- **Integrations** (Integration API, "List Integrations": ``data``, each ``id``, ``name``,
  ``enabled``, ``type``, ``teamId``): each enabled one is listed with the warroom integration
  to make for it (``warroom integrations create --service … --kind …``: the import makes no
  key itself), its kind by its ``type`` (``API`` → ``opsgenie``, ``Prometheus`` →
  ``alertmanager``...). A type warroom does not speak is not carried, said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.record.alerting.sources.registry import OPSGENIE, SOURCES
from bot.record.oncall.importing.drafts import (
    HeartbeatDraft,
    IntegrationDraft,
    Json,
    PolicyDraft,
    ReportItem,
    ServiceDraft,
)
from bot.record.oncall.importing.naming import slug

_UNITS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1)}


def services(
    teams: Sequence[Json], escalations: Sequence[Json], policies: Sequence[PolicyDraft]
) -> tuple[list[ServiceDraft], list[ReportItem]]:
    """A service per team that owns a carried escalation."""
    carried = {policy.vendor_id for policy in policies}
    owned: dict[str, list[Json]] = {}
    for raw in sorted(escalations, key=lambda e: (str(e.get("name")), str(e.get("id")))):
        owner = raw.get("ownerTeam")
        if isinstance(owner, dict) and owner.get("id") and str(raw.get("id")) in carried:
            owned.setdefault(str(owner["id"]), []).append(raw)
    drafts, items = [], []
    for team in sorted(teams, key=lambda t: str(t.get("id"))):
        ident, name = str(team.get("id") or ""), str(team.get("name") or team.get("id") or "")
        if not ident or ident not in owned:
            continue
        first, *others = owned[ident]
        drafts.append(
            ServiceDraft(ident, name, str(team.get("description") or ""), str(first["id"]))
        )
        detail = f"the service {slug(name, 'service')!r}, paging {first.get('name')!r}"
        if others:
            more = ", ".join(repr(str(o.get("name"))) for o in others)
            items.append(
                ReportItem(
                    "service",
                    ident,
                    name,
                    "approximate",
                    f"{detail}; the team also owns {more}",
                    "give those alerts routes of their own (WARROOM_ALERT_ROUTES)",
                )
            )
        else:
            items.append(ReportItem("service", ident, name, "exact", detail))
    return drafts, items


def heartbeats(
    raw: Sequence[Json], services_of_teams: Sequence[ServiceDraft]
) -> tuple[list[HeartbeatDraft], list[ReportItem]]:
    """Each enabled heartbeat, its policy its owner team's."""
    policy_of_team = {service.vendor_id: service.policy for service in services_of_teams}
    drafts, items = [], []
    for beat in sorted(raw, key=lambda b: str(b.get("name"))):
        name = str(beat.get("name") or "")
        interval, unit = beat.get("interval"), _UNITS.get(str(beat.get("intervalUnit")))
        if not name or not isinstance(interval, int) or interval < 1 or unit is None:
            items.append(
                ReportItem("heartbeat", name, name or "?", "not carried", "no name or interval")
            )
            continue
        if beat.get("enabled") is False:
            items.append(
                ReportItem(
                    "heartbeat",
                    name,
                    name,
                    "not carried",
                    "disabled in Opsgenie",
                    "add it to the heartbeats file if the job still runs",
                )
            )
            continue
        owner = beat.get("ownerTeam")
        team = str(owner.get("id")) if isinstance(owner, dict) else ""
        policy = policy_of_team.get(team)
        drafts.append(HeartbeatDraft(name, interval * unit, policy))
        todo = (
            f"end the job with a check-in to warroom: POST /heartbeats/{slug(name, 'heartbeat')} "
            "(docs/heartbeats.md)"
        )
        items.append(
            ReportItem(
                "heartbeat",
                name,
                name,
                "exact",
                f"checked in every {interval} {beat.get('intervalUnit')}",
                todo,
            )
        )
    return drafts, items


def integrations(
    raw: Sequence[Json], services_of_teams: Sequence[ServiceDraft]
) -> tuple[list[IntegrationDraft], list[ReportItem]]:
    """Each enabled integration, with the warroom kind it becomes and its team's service
    (whether warroom answers that kind is the core's to say)."""
    service_ids = {service.vendor_id for service in services_of_teams}
    drafts, items = [], []
    for one in sorted(raw, key=lambda i: (str(i.get("name")), str(i.get("id")))):
        ident, name = str(one.get("id") or ""), str(one.get("name") or "")
        vendor_type = str(one.get("type") or "")
        if one.get("enabled") is False:
            items.append(
                ReportItem(
                    "integration", ident, name, "not needed", f"{vendor_type}, disabled in Opsgenie"
                )
            )
            continue
        # What Opsgenie calls its integration types, in the sources' registry: the kind
        # warroom answers as that type's sender does.
        kind = SOURCES.imported(OPSGENIE).get(vendor_type)
        team = str(one.get("teamId") or "")
        service = team if team in service_ids else None
        drafts.append(IntegrationDraft(ident, name, vendor_type, kind, service))
    return drafts, items
