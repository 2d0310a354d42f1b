"""A PagerDuty account's services and their integrations (``bot.record.oncall.importing.
pagerduty`` translates the rest; each user's notification rules are
``pagerduty_notification_rules``). Shapes as PagerDuty's OpenAPI description documents them.

- **Services** (``GET /services?include[]=integrations``): each is a service of
  ``WARROOM_SERVICES`` by the slug of its name, paging its ``escalation_policy``, its id kept
  as ``pagerduty_service_id``.
- **Integrations** (each service's ``integrations``, whole): each becomes the warroom kind
  whose line in the sources' registry names its type (an Events API v2 one,
  ``events_api_v2_inbound_integration``, which most monitoring tools send through, warroom's
  ``pagerduty``; an e-mail one ``email``; CloudWatch's ``cloudwatch``); listed with the
  command that makes it, never made by the import.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.record.alerting.sources.registry import PAGERDUTY, SOURCES
from bot.record.oncall.importing.drafts import IntegrationDraft, Json, ReportItem, ServiceDraft


def services(raw: Sequence[Json]) -> tuple[list[ServiceDraft], list[IntegrationDraft]]:
    """Each service, and each of its integrations."""
    drafts, senders = [], []
    for service in sorted(raw, key=lambda s: str(s.get("id"))):
        ident, name = str(service.get("id") or ""), str(service.get("name") or "")
        if not ident:
            continue
        policy = service.get("escalation_policy")
        policy_id = str(policy.get("id")) if isinstance(policy, dict) else None
        description = str(service.get("description") or "")
        drafts.append(ServiceDraft(ident, name or ident, description, policy_id, ident))
        for one in service.get("integrations") or ():
            if not isinstance(one, dict):
                continue
            kind_name = str(one.get("type") or "")
            vendor = one.get("vendor")
            shown = str(vendor.get("summary")) if isinstance(vendor, dict) else kind_name
            senders.append(
                IntegrationDraft(
                    str(one.get("id") or ""),
                    str(one.get("name") or one.get("summary") or ""),
                    shown or kind_name,
                    SOURCES.imported(PAGERDUTY).get(kind_name),
                    ident,
                )
            )
    return drafts, senders


def service_items(drafts: Sequence[ServiceDraft], policies: set[str]) -> list[ReportItem]:
    """A report line per service: exact when its policy is carried."""
    items = []
    for draft in drafts:
        if draft.policy in policies:
            items.append(ReportItem("service", draft.vendor_id, draft.vendor_name, "exact"))
        else:
            items.append(
                ReportItem(
                    "service",
                    draft.vendor_id,
                    draft.vendor_name,
                    "approximate",
                    "its escalation policy is not carried: the service has none",
                    "give it a policy in services.yaml",
                )
            )
    return items
