"""A Grafana OnCall account translated into warroom's schedules, policies and overrides.

Pure: it takes the objects the Grafana OnCall HTTP API v1 answers (as
``bot.clients.grafana_oncall`` reads them: users, user groups, schedules with their on-call
shifts, escalation chains with their steps, integrations, personal notification rules) and
returns a ``Translation`` (``bot.record.oncall.importing.drafts``). The fields and their
meaning are those of Grafana's API reference (``docs/sources/oncall-api-reference/`` of
grafana/oncall: schedules.md, on_call_shifts.md, escalation_policies.md, user_groups.md,
users.md, integrations.md, personal_notification_rules.md).

Its schedules and their shifts are ``grafana_oncall_shifts`` (how Grafana's shifts map), its
escalation chains ``grafana_oncall_chains``, its objects' fields ``grafana_oncall_fields``,
its notification rules ``grafana_oncall_notification_rules``, its integrations
``grafana_oncall_integrations``; here, the whole account and its people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.record.oncall.importing import grafana_oncall_notification_rules as notification_rules
from bot.record.oncall.importing.drafts import (
    OverrideDraft,
    PagingDraft,
    PolicyDraft,
    ReportItem,
    ScheduleDraft,
    Translation,
    VendorUser,
)
from bot.record.oncall.importing.grafana_oncall_chains import translate_chain
from bot.record.oncall.importing.grafana_oncall_fields import Raw, object_id, text_field
from bot.record.oncall.importing.grafana_oncall_integrations import by_name, integration
from bot.record.oncall.importing.grafana_oncall_shifts import translate_schedule


@dataclass(frozen=True)
class GrafanaAccount:
    """Every object of a Grafana OnCall account the import reads, as the API answered them;
    ``shifts`` by the id of their schedule, ``steps`` by the id of their escalation chain."""

    users: Sequence[Raw]
    user_groups: Sequence[Raw]
    schedules: Sequence[Raw]
    shifts: Mapping[str, Sequence[Raw]]
    chains: Sequence[Raw]
    steps: Mapping[str, Sequence[Raw]]
    integrations: Sequence[Raw] = ()
    notification_rules: Sequence[Raw] = ()


def translate(account: GrafanaAccount, now: datetime) -> Translation:
    """The account as warroom's drafts, with a report item for each of its objects."""
    users = tuple(_user(raw) for raw in account.users)
    schedules: list[ScheduleDraft] = []
    overrides: list[OverrideDraft] = []
    report: list[ReportItem] = []
    slack_handles = {_slack_id(group): _group_handle(group) for group in account.user_groups}
    for raw in account.schedules:
        shifts = account.shifts.get(object_id(raw), ())
        draft, found, items = translate_schedule(raw, shifts, now, slack_handles)
        schedules += [draft] if draft is not None else []
        overrides += found
        report += items
    handles = {object_id(group): _group_handle(group) for group in account.user_groups}
    report += [_group_item(group) for group in account.user_groups]
    policies: list[PolicyDraft] = []
    for chain in account.chains:
        policy, items = translate_chain(chain, account.steps.get(object_id(chain), ()), handles)
        policies += [policy] if policy is not None else []
        report += items
    paging: list[PagingDraft] = []
    for user in users:
        rules = [r for r in account.notification_rules if r.get("user_id") == user.vendor_id]
        reach, items = notification_rules.paging(user, rules)
        paging += [reach] if reach is not None else []
        report += items
    return Translation(
        users,
        tuple(schedules),
        tuple(policies),
        tuple(overrides),
        tuple(report),
        integrations=tuple(integration(raw) for raw in by_name(account.integrations)),
        paging=tuple(paging),
    )


# -- people -----------------------------------------------------------------------------------


def _user(raw: Raw) -> VendorUser:
    email = raw.get("email")
    return VendorUser(
        object_id(raw), email if isinstance(email, str) else "", text_field(raw, "username")
    )


def _group_handle(raw: Raw) -> str | None:
    slack = raw.get("slack")
    handle = slack.get("handle") if isinstance(slack, Mapping) else None
    return handle if isinstance(handle, str) and handle else None


def _slack_id(raw: Raw) -> str | None:
    """The Slack id of a user group (user_groups.md: ``slack.id``)."""
    slack = raw.get("slack")
    ident = slack.get("id") if isinstance(slack, Mapping) else None
    return ident if isinstance(ident, str) else None


def _group_item(raw: Raw) -> ReportItem:
    handle = _group_handle(raw)
    name = f"@{handle}" if handle else object_id(raw)
    if handle is None:
        return ReportItem(
            "user group",
            object_id(raw),
            name,
            "not carried",
            "Grafana OnCall gives it no Slack handle",
            "name the Slack user group in policies.yaml by hand where it is meant",
        )
    return ReportItem(
        "user group",
        object_id(raw),
        name,
        "exact",
        f"the Slack user group @{handle}, by its handle",
    )
