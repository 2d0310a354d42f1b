"""What a PagerDuty account holds beside schedules and escalation policies: services, their
integrations, and each user's notification rules (``bot.record.oncall.importing.pagerduty``
translates the rest). Shapes as PagerDuty's OpenAPI description documents them.

- **Services** (``GET /services?include[]=integrations``): each is a service of
  ``WARROOM_SERVICES`` by the slug of its name, paging its ``escalation_policy``, its id kept
  as ``pagerduty_service_id``.
- **Integrations** (each service's ``integrations``, whole): each becomes the warroom kind
  whose line in the sources' registry names its type (an Events API v2 one,
  ``events_api_v2_inbound_integration``, which most monitoring tools send through, warroom's
  ``pagerduty``; an e-mail one ``email``; CloudWatch's ``cloudwatch``); listed with the
  command that makes it, never made by the import.
- **Notification rules** (``GET /users/{id}/notification_rules?urgency=all&include[]=
  contact_methods``): ``urgency`` high ones become the person's ``rules``, low ones their
  ``low_urgency_rules``, each ``start_delay_in_minutes`` an ``after``, rules of one delay one
  rule; the contact methods they name become the person's ``contacts``: e-mail (``mail``),
  SMS (``sms``: ``+`` ``country_code`` ``address``), phone (``call``, voice). A push
  notification has no warroom equivalent that can be carried (warroom makes ntfy topics
  itself): left out, said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.record.alerting.sources.registry import PAGERDUTY, SOURCES
from bot.record.oncall.importing.drafts import (
    ContactDraft,
    IntegrationDraft,
    PagingDraft,
    Person,
    ReportItem,
    RuleDraft,
    ServiceDraft,
)
from bot.record.oncall.importing.naming import add_contact

Json = Mapping[str, Any]
# A contact method's type → the contacts file's method and the contact's name.
METHODS = {
    "email_contact_method": ("email", "mail"),
    "sms_contact_method": ("sms", "sms"),
    "phone_contact_method": ("voice", "call"),
}


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


def paging(user: str, rules: Sequence[Json]) -> tuple[PagingDraft | None, list[ReportItem]]:
    """A user's notification rules (their contact methods whole) as contacts and rules."""
    contacts: dict[str, ContactDraft] = {}
    by_method: dict[str, str] = {}
    high: dict[int, list[str]] = {}
    low: dict[int, list[str]] = {}
    left_out: set[str] = set()
    for rule in rules:
        method = rule.get("contact_method")
        delay = rule.get("start_delay_in_minutes")
        if not isinstance(method, dict) or not isinstance(delay, int) or delay < 0:
            continue
        name = _contact(method, contacts, by_method)
        if name is None:
            left_out.add(str(method.get("type") or "?").removesuffix("_contact_method"))
            continue
        target = low if rule.get("urgency") == "low" else high
        if name not in target.setdefault(delay, []):
            target[delay].append(name)
    items = []
    if left_out:
        items.append(
            ReportItem(
                "notification rule",
                user,
                user,
                "not carried",
                f"the rules through {', '.join(sorted(left_out))} (no equivalent warroom can "
                "carry: it makes push topics itself)",
                "the person adds their own with /oncall contact add ntfy",
            )
        )
    if not contacts:
        return None, items
    draft = PagingDraft(Person(user), tuple(contacts.values()), _rules(high), _rules(low))
    return draft, items


def _contact(
    method: Json, contacts: dict[str, ContactDraft], by_method: dict[str, str]
) -> str | None:
    """The contact's name for ``method`` (added the first time), None when not carried."""
    ident = str(method.get("id") or "")
    if ident in by_method:
        return by_method[ident]
    kind = METHODS.get(str(method.get("type") or ""))
    address = str(method.get("address") or "").strip()
    if kind is None or not address:
        return None
    if kind[0] in ("sms", "voice"):
        code = method.get("country_code")
        if not isinstance(code, int) or not address.isdigit():
            return None
        address = f"+{code}{address}"
    name = add_contact(contacts, kind[0], address, kind[1])
    by_method[ident] = name
    return name


def _rules(by_delay: Mapping[int, list[str]]) -> tuple[RuleDraft, ...]:
    return tuple(
        RuleDraft(timedelta(minutes=delay), tuple(names))
        for delay, names in sorted(by_delay.items())
    )
