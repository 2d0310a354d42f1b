"""A person's Opsgenie notification rules as their contacts and rules
(``bot.record.oncall.importing.opsgenie`` translates the rest).

- **Notification rules** (User Notification Rule API: each user's rules, then each
  ``create-alert`` rule whole with its ``steps``): the person's contacts (``email``,
  ``sms``, ``voice``) and rules (each step's ``sendAfter`` an ``after``); a ``mobile`` step
  is not carried, said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.record.oncall.importing.drafts import (
    ContactDraft,
    Json,
    PagingDraft,
    ReportItem,
    paging_draft,
)
from bot.record.oncall.importing.naming import add_contact

# A step's contact method → the contacts file's method and the contact's name (User Contact
# API: email, sms, voice; "mobile", the app's push, has no equivalent warroom can carry).
METHODS = {"email": ("email", "mail"), "sms": ("sms", "sms"), "voice": ("voice", "call")}
_TIME_UNITS = {"minutes": 60, "hours": 3600, "days": 86_400, "seconds": 1}


def paging(user: str, rules: Sequence[Json]) -> tuple[PagingDraft | None, list[ReportItem]]:
    """A user's notification rules for new alerts (``actionType`` create-alert, enabled; the
    first by ``order`` that matches every alert, else the first) as their contacts and
    rules, high and low urgency alike when the rule matches every alert (Opsgenie has no
    urgency; a rule with conditions is carried as the high-urgency rules only)."""
    chosen, items = _chosen_rule(rules)
    if chosen is None:
        return None, []
    contacts: dict[str, ContactDraft] = {}
    by_delay, left_out = _steps_by_delay(chosen, contacts)
    if left_out:
        items.append(
            ReportItem(
                "notification rule",
                str(chosen.get("id") or ""),
                str(chosen.get("name") or ""),
                "not carried",
                f"its steps through {', '.join(sorted(left_out))} (the app's push has no "
                "equivalent warroom can carry: it makes push topics itself)",
                "the person adds their own with /oncall contact add ntfy",
            )
        )
    if not contacts:
        return None, items
    # A rule for every alert notifies the same whatever the alert's priority (Opsgenie has
    # no urgency): its steps are the low-urgency rules too, or a P3 alert would only reach
    # the person's push and Slack where Opsgenie texted and called.
    low = by_delay if _criteria(chosen) == "match-all" else {}
    return paging_draft(user, contacts, by_delay, low), items


def _chosen_rule(rules: Sequence[Json]) -> tuple[Json | None, list[ReportItem]]:
    """The rule for new alerts (``actionType`` create-alert, enabled): the first by
    ``order`` that matches every alert, else the first, said as approximate; None if none."""
    new_alert = sorted(
        (
            r
            for r in rules
            if r.get("actionType") == "create-alert" and r.get("enabled") is not False
        ),
        key=lambda r: (r.get("order") if isinstance(r.get("order"), int) else 0, str(r.get("id"))),
    )
    if not new_alert:
        return None, []
    every = [r for r in new_alert if _criteria(r) == "match-all"]
    chosen = (every or new_alert)[0]
    if every:
        return chosen, []
    return chosen, [
        ReportItem(
            "notification rule",
            str(chosen.get("id") or ""),
            str(chosen.get("name") or ""),
            "approximate",
            f"its conditions ({_criteria(chosen)}) are not carried: the rule pages for every alert",
            "set low_urgency_rules in contacts.yaml if it was meant for some alerts only",
        )
    ]


def _steps_by_delay(
    chosen: Json, contacts: dict[str, ContactDraft]
) -> tuple[dict[timedelta, list[str]], set[str]]:
    """The rule's enabled steps as the contacts' names by their delay (each
    contact added to ``contacts``), and the methods of the steps left out."""
    by_delay: dict[timedelta, list[str]] = {}
    left_out = set()
    for step in chosen.get("steps") or ():
        if not isinstance(step, dict) or step.get("enabled") is False:
            continue
        contact, after = step.get("contact"), _seconds(step.get("sendAfter"))
        name = _contact(contact, contacts) if isinstance(contact, dict) else None
        if name is None or after is None:
            left_out.add(str(contact.get("method")) if isinstance(contact, dict) else "?")
            continue
        at = timedelta(seconds=after)
        if name not in by_delay.setdefault(at, []):
            by_delay[at].append(name)
    return by_delay, left_out


def _criteria(rule: Json) -> str:
    criteria = rule.get("criteria")
    return str(criteria.get("type")) if isinstance(criteria, dict) else "match-all"


def _seconds(duration: Any) -> int | None:
    if not isinstance(duration, dict) or not isinstance(duration.get("timeAmount"), int):
        return None
    unit = _TIME_UNITS.get(str(duration.get("timeUnit") or "minutes"))
    amount = duration["timeAmount"]
    return amount * unit if unit is not None and amount >= 0 else None


def _contact(contact: Json, contacts: dict[str, ContactDraft]) -> str | None:
    """The contact's name (added the first time it is seen), None when not carried. An SMS
    or voice ``to`` is the country code, a dash and the number (``1-5555550123``)."""
    kind = METHODS.get(str(contact.get("method") or ""))
    to = str(contact.get("to") or "").strip()
    if kind is None or not to:
        return None
    if kind[0] in ("sms", "voice"):
        digits = to.replace("-", "").replace(" ", "").removeprefix("+")
        if not digits.isdigit():
            return None
        to = f"+{digits}"
    return add_contact(contacts, kind[0], to, kind[1])
