"""What an Opsgenie account holds beside schedules and escalations: services, heartbeats and
integrations (``bot.record.oncall.importing.opsgenie`` translates the rest).

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
- **Notification rules** (User Notification Rule API: each user's rules, then each
  ``create-alert`` rule whole with its ``steps``): the person's contacts (``email``,
  ``sms``, ``voice``) and rules (each step's ``sendAfter`` an ``after``); a ``mobile`` step
  is not carried, said.
- **Forwarding rules** (Forwarding Rule API, "List Forwarding Rules": ``data``, each
  ``fromUser``, ``toUser``, ``startDate``, ``endDate``): how an Opsgenie team covers a
  vacation. Each current or future one is leave of its ``fromUser`` for that while
  (approximate: rotations pass them over and the next person in each takes the turn, who need
  not be ``toUser``); one already over is left out, one that cannot be read is said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.record.alerting.sources.registry import OPSGENIE, SOURCES
from bot.record.oncall.importing.drafts import (
    ContactDraft,
    HeartbeatDraft,
    IntegrationDraft,
    LeaveDraft,
    PagingDraft,
    Person,
    PolicyDraft,
    ReportItem,
    RuleDraft,
    ServiceDraft,
)
from bot.record.oncall.importing.naming import add_contact, slug

Json = Mapping[str, Any]
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
    steps = tuple(
        RuleDraft(timedelta(seconds=after), tuple(names))
        for after, names in sorted(by_delay.items())
    )
    # A rule for every alert notifies the same whatever the alert's priority (Opsgenie has
    # no urgency): its steps are the low-urgency rules too, or a P3 alert would only reach
    # the person's push and Slack where Opsgenie texted and called.
    low = steps if _criteria(chosen) == "match-all" else ()
    return PagingDraft(Person(user), tuple(contacts.values()), steps, low), items


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
) -> tuple[dict[int, list[str]], set[str]]:
    """The rule's enabled steps as the contacts' names by their delay in seconds (each
    contact added to ``contacts``), and the methods of the steps left out."""
    by_delay: dict[int, list[str]] = {}
    left_out = set()
    for step in chosen.get("steps") or ():
        if not isinstance(step, dict) or step.get("enabled") is False:
            continue
        contact, after = step.get("contact"), _seconds(step.get("sendAfter"))
        name = _contact(contact, contacts) if isinstance(contact, dict) else None
        if name is None or after is None:
            left_out.add(str(contact.get("method")) if isinstance(contact, dict) else "?")
            continue
        if name not in by_delay.setdefault(after, []):
            by_delay[after].append(name)
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


def leave(rules: Sequence[Json], now: datetime) -> tuple[list[LeaveDraft], list[ReportItem]]:
    """Each forwarding rule not over yet, as leave of the person it forwards from."""
    drafts, items = [], []
    for raw in sorted(rules, key=lambda r: (str(r.get("startDate")), str(r.get("id")))):
        start, end = instant(raw.get("startDate")), instant(raw.get("endDate"))
        giver, taker = raw.get("fromUser") or {}, raw.get("toUser") or {}
        name = f"{giver.get('username') or giver.get('id') or '?'}: {raw.get('startDate')}"
        ident = str(raw.get("alias") or raw.get("id") or "")
        if start is None or end is None or end <= start or not giver.get("id"):
            detail = "its user, start or end cannot be read"
            items.append(ReportItem("forwarding rule", ident, name, "not carried", detail, ""))
            continue
        if end <= now:
            continue  # over: nothing to carry
        drafts.append(LeaveDraft(Person(str(giver["id"])), start, end))
        items.append(
            ReportItem(
                "forwarding rule",
                ident,
                name,
                "approximate",
                f"leave of {giver.get('username') or giver['id']} until "
                f"{end:%Y-%m-%d %H:%M} UTC: rotations pass them over, and the next person in "
                f"each takes the turn, not necessarily {taker.get('username') or 'the one'} "
                "it forwarded to",
                "put that person on call with /oncall override if it must be them",
            )
        )
    return drafts, items


def instant(raw: Any) -> datetime | None:
    """An ISO 8601 instant as Opsgenie writes them (``…Z``), in UTC; None if it is none."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None
