"""A PagerDuty user's notification rules as their contacts and rules
(``bot.record.oncall.importing.pagerduty`` translates the rest). Shapes as PagerDuty's OpenAPI
description documents them.

- **Notification rules** (``GET /users/{id}/notification_rules?urgency=all&include[]=
  contact_methods``): ``urgency`` high ones become the person's ``rules``, low ones their
  ``low_urgency_rules``, each ``start_delay_in_minutes`` an ``after``, rules of one delay one
  rule; the contact methods they name become the person's ``contacts``: e-mail (``mail``),
  SMS (``sms``: ``+`` ``country_code`` ``address``), phone (``call``, voice). A push
  notification has no warroom equivalent that can be carried (warroom makes ntfy topics
  itself): left out, said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.record.oncall.importing.drafts import (
    ContactDraft,
    Json,
    PagingDraft,
    ReportItem,
    paging_draft,
)
from bot.record.oncall.importing.naming import add_contact

# A contact method's type → the contacts file's method and the contact's name.
METHODS = {
    "email_contact_method": ("email", "mail"),
    "sms_contact_method": ("sms", "sms"),
    "phone_contact_method": ("voice", "call"),
}


def paging(user: str, rules: Sequence[Json]) -> tuple[PagingDraft | None, list[ReportItem]]:
    """A user's notification rules (their contact methods whole) as contacts and rules."""
    contacts: dict[str, ContactDraft] = {}
    by_method: dict[str, str] = {}
    high: dict[timedelta, list[str]] = {}
    low: dict[timedelta, list[str]] = {}
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
        after = timedelta(minutes=delay)
        if name not in target.setdefault(after, []):
            target[after].append(name)
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
    return paging_draft(user, contacts, high, low), items


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
