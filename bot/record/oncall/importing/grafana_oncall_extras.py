"""What a Grafana OnCall account holds beside schedules and escalation chains (which
``grafana_oncall_shifts`` and ``grafana_oncall_chains`` translate): each user's personal
notification rules and the stack's integrations, as Grafana OnCall's API reference documents them
(grafana/oncall ``docs/sources/oncall-api-reference/``: personal_notification_rules.md,
integrations.md).

- **Notification rules** (``GET /api/v1/personal_notification_rules/``): a user's default
  rules (``important`` false) in ``position`` order; ``wait`` steps of ``duration`` seconds add
  up to the next step's ``after``; ``notify_by_email`` becomes the ``mail`` contact (the
  address Grafana knows the person by), ``notify_by_slack`` warroom's Slack message. SMS and
  phone calls are not carried (the API gives no phone number), nor Telegram, app pushes or the
  important rules: each is said.
- **Integrations** (``GET /api/v1/integrations/``): each becomes the ``integrations create
  --kind`` that answers the same sender, listed with its command, never made; Grafana OnCall has
  no services, so the team names the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.record.alerting.sources.registry import GRAFANA_ONCALL, SOURCES
from bot.record.oncall.importing.drafts import (
    ContactDraft,
    IntegrationDraft,
    PagingDraft,
    Person,
    ReportItem,
    RuleDraft,
    VendorUser,
)
from bot.record.oncall.importing.naming import add_contact

Raw = Mapping[str, Any]


# -- notification rules ------------------------------------------------------------------------

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
    steps = tuple(RuleDraft(delay, tuple(names)) for delay, names in sorted(at.items()))
    return PagingDraft(Person(user.vendor_id), tuple(contacts.values()), steps, ()), items


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


# -- integrations ------------------------------------------------------------------------------


def by_name(raw: Sequence[Raw]) -> list[Raw]:
    return sorted(raw, key=lambda one: (str(one.get("name")), str(one.get("id"))))


def integration(raw: Raw) -> IntegrationDraft:
    """A sender of alerts to Grafana OnCall (integrations.md: ``id``, ``name``, ``type``,
    ``link`` its address), to repoint at warroom. Grafana OnCall has no services: the
    integration's service is the team's to name (``--service SERVICE``). Its ``type`` is
    read in the sources' registry, each line naming the types it answers (none for a
    ``webhook``/``formatted_webhook`` integration: it takes any JSON by Grafana's templates,
    which warroom's generic shape is not)."""
    vendor_type = str(raw.get("type") or "")
    return IntegrationDraft(
        _id(raw),
        _text(raw, "name"),
        vendor_type,
        SOURCES.imported(GRAFANA_ONCALL).get(vendor_type),
        None,
    )


def _id(raw: Raw) -> str:
    return str(raw.get("id") or "")


def _text(raw: Raw, key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""
