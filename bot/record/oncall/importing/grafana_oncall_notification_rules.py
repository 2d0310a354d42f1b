"""A Grafana OnCall user's personal notification rules as their contacts and rules, as Grafana
OnCall's API reference documents them (grafana/oncall ``docs/sources/oncall-api-reference/``:
personal_notification_rules.md); the stack's integrations are ``grafana_oncall_integrations``.

- **Notification rules** (``GET /api/v1/personal_notification_rules/``): a user's default
  rules (``important`` false) in ``position`` order; ``wait`` steps of ``duration`` seconds add
  up to the next step's ``after``; ``notify_by_email`` becomes the ``mail`` contact (the
  address Grafana knows the person by), ``notify_by_slack`` warroom's Slack message. SMS and
  phone calls are not carried (the API gives no phone number), nor Telegram, app pushes or the
  important rules: each is said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.record.oncall.importing.drafts import (
    ContactDraft,
    PagingDraft,
    ReportItem,
    VendorUser,
    paging_draft,
)
from bot.record.oncall.importing.grafana_oncall_fields import Raw
from bot.record.oncall.importing.naming import add_contact

# personal_notification_rules.md, ``type``: the steps warroom carries, as the contact (by its
# name in contacts.yaml; ``slack``: warroom's built-in direct message) each notifies.
CARRIED_STEPS = {"notify_by_email": "mail", "notify_by_slack": "slack"}
# Steps whose contact Grafana's API does not give (users.md has no phone number), or that
# warroom has no equivalent of.
LEFT_STEPS = {
    "notify_by_sms": "the phone number is not in Grafana OnCall's API: add it as an sms contact",
    "notify_by_phone_call": "the phone number is not in Grafana OnCall's API: add it as a "
    "voice contact",
    "notify_by_telegram": "warroom does not notify by Telegram",
    "notify_by_mobile_app": "the person adds their own push with /oncall contact add ntfy",
    "notify_by_mobile_app_critical": "the person adds their own push with /oncall contact add ntfy",
}


def _position(rule: Raw) -> int:
    position = rule.get("position")
    return position if isinstance(position, int) else 0


def paging(user: VendorUser, rules: Sequence[Raw]) -> tuple[PagingDraft | None, list[ReportItem]]:
    """A user's default personal notification rules (personal_notification_rules.md: ``wait``
    steps of ``duration`` seconds between ``notify_by_*`` steps, in ``position`` order) as
    their contacts and rules: e-mail to the address Grafana knows them by, Slack as warroom's
    direct message. Their "important" rules (for escalation steps that notify as important)
    have no warroom equivalent: left out, said."""
    contacts: dict[str, ContactDraft] = {}
    at, left = _steps_at(user, rules, contacts)
    items = [
        ReportItem(
            "notification rule",
            user.vendor_id,
            user.name,
            "not carried",
            f"{kind}: {LEFT_STEPS.get(kind, 'warroom has no such step')}",
        )
        for kind in sorted(left)
    ]
    if any(r.get("important") is True for r in rules):
        items.append(
            ReportItem(
                "notification rule",
                user.vendor_id,
                user.name,
                "not carried",
                "the important rules: warroom pages by urgency, not by Grafana's important steps",
                "give the person low_urgency_rules in contacts.yaml if they differ",
            )
        )
    if not at:
        return None, items
    return paging_draft(user.vendor_id, contacts, at, {}), items


def _steps_at(
    user: VendorUser, rules: Sequence[Raw], contacts: dict[str, ContactDraft]
) -> tuple[dict[timedelta, list[str]], set[str]]:
    """The default rules' contacts by the time after which each is reached (the ``wait``
    steps before it added up; each contact added to ``contacts``), and the kinds of the
    steps left out."""
    at: dict[timedelta, list[str]] = {}
    after, left = timedelta(0), set()
    default = sorted(
        (r for r in rules if r.get("important") is not True),
        key=_position,
    )
    for rule in default:
        kind = str(rule.get("type") or "")
        if kind == "wait":
            wait = rule.get("duration")
            after += timedelta(seconds=wait if isinstance(wait, int) and wait > 0 else 0)
            continue
        name = CARRIED_STEPS.get(kind)
        if name == "mail" and user.email:
            name = add_contact(contacts, "email", user.email, "mail")
        elif name != "slack":
            left.add(kind)
            continue
        if name not in at.setdefault(after, []):
            at[after].append(name)
    return at, left
