"""Who may switch alerts off: a maintenance window (a heartbeat's included: its alert carries
``warroom_heartbeat=<name>``) silences what the alerts it matches would have paged, so making
or cancelling one is for those who look after that, as PagerDuty and Opsgenie keep maintenance
to a service's or team's managers.

A window's labels reach the alert routes an alert carrying them could take (the routes file,
after each heartbeat's own route when the window could match its alert; in order: the first
route every such alert matches ends the list; without one, where the alerts no route matches
go is reached too: the own route of the service the window's labels name, else every
service's own route and the default route); each route reaches the policy its incident
starts (the route's, its type's, else the severities'). Those who may: the owners of every
policy reached (its ``owners:`` and the ``owners:`` of each schedule it pages), and whoever
``WARROOM_MAINTENANCE_ALLOWED`` names.
A window that reaches no policy pages nobody now, and a later file could make it: only those
named may make it. A guest of the workspace may do nothing of windows (``Act.MAINTENANCE`` in
the one table, ``bot.record.rights``: Slack is asked afresh each time). The command line is
the operator's and is not asked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.clients.slack.errors import SlackFailure
from bot.flows.rights import require
from bot.record.alerting.heartbeats import LABEL as HEARTBEAT
from bot.record.alerting.heartbeats import SOURCE
from bot.record.alerting.maintenance import WindowRefused
from bot.record.alerting.routes import Route, Routes
from bot.record.alerting.services import LABEL as SERVICE_LABEL
from bot.record.escalation.policies import Policy
from bot.record.oncall.schedules import Schedule
from bot.record.rights import Act
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reach:
    """What a window's alerts would reach: the policies they start, the schedules those page,
    and who owns each policy."""

    policies: tuple[Policy, ...]
    schedules: tuple[Schedule, ...]
    owners: Mapping[str, frozenset[str]]  # a policy's name: its owners

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels of the schedules it silences, each once."""
        return tuple(dict.fromkeys(s.channel for s in self.schedules if s.channel))

    def owns_all(self, user: str) -> bool:
        """Whether ``user`` owns every policy reached (and at least one is)."""
        return bool(self.owners) and all(user in owners for owners in self.owners.values())


def reach(services: Services, labels: Mapping[str, str]) -> Reach:
    """The policies, schedules and owners an alert carrying ``labels`` could reach."""
    settings = services.settings
    policies = settings.escalation.policies
    found: dict[str, Policy] = {}
    for route in routes_reached(labels, _routes(services, labels)):
        for name in _policy_names(services, route):
            policy = policies.get(name)
            if policy is not None:
                found.setdefault(policy.name, policy)
    schedules: dict[str, Schedule] = {}
    owners: dict[str, frozenset[str]] = {}
    for policy in found.values():
        paged = [
            schedule
            for level in policy.levels
            for target in level.targets
            if target.kind == "schedule"
            and (schedule := settings.oncall.schedules.get(target.ref)) is not None
        ]
        schedules.update((schedule.name, schedule) for schedule in paged)
        owners[policy.name] = frozenset(
            [*policy.owners, *(owner for schedule in paged for owner in schedule.owners)]
        )
    return Reach(tuple(found.values()), tuple(schedules.values()), owners)


def _routes(services: Services, labels: Mapping[str, str]) -> Routes:
    """The routes alerts take (each heartbeat's own first, as ``alert_intake.alert_routes``),
    a heartbeat's only when the window could match its alert: its labels are warroom's own."""
    settings = services.settings
    own = tuple(
        spec.route(settings.incidents.default_severity)
        for spec in settings.heartbeats.heartbeats.by_name.values()
        if all({HEARTBEAT: spec.name, "source": SOURCE}.get(k) == v for k, v in labels.items())
    )
    return settings.alerting.routes.before(own)


def routes_reached(labels: Mapping[str, str], routes: Routes) -> list[Route]:
    """The routes, in order, an alert carrying ``labels`` (and any others) could take; then,
    unless a route catches every such alert, where those no route matches go: the own route
    of the service the labels fix, else each service's own route the labels allow and the
    default route."""
    reached: list[Route] = []
    for route in routes.routes:
        if not _may_match(route, labels):
            continue
        reached.append(route)
        if set(route.match) <= set(labels) and set(route.match_re) <= set(labels):
            return reached  # every such alert takes it: none goes further
    if SERVICE_LABEL in labels:
        return [*reached, routes.fallback(labels[SERVICE_LABEL])]
    return [*reached, *routes.own, routes.default]


def _may_match(route: Route, labels: Mapping[str, str]) -> bool:
    """Whether some alert carrying ``labels`` matches ``route``: none of its matchers says
    otherwise about a label the window fixes."""
    return all(labels[k] == v for k, v in route.match.items() if k in labels) and all(
        pattern.fullmatch(labels[k]) for k, pattern in route.match_re.items() if k in labels
    )


def _policy_names(services: Services, route: Route) -> list[str]:
    """The policies an incident the route opens may start: the route's, else its type's,
    else the one its severity starts (any severity's when the alert states it); a ``page``
    route's alert pages its own policy."""
    if route.action == "page" and route.policy:
        return [route.policy]
    if route.action != "open":
        return []
    if route.policy:
        return [route.policy]
    kind = services.settings.incidents.types.get(route.incident_type)
    if kind is not None and kind.policy:
        return [kind.policy]
    by_severity = services.settings.escalation.policies.by_severity
    if route.severity:
        return [by_severity[route.severity]] if route.severity in by_severity else []
    return list(dict.fromkeys(by_severity.values()))


async def check_may_change(services: Services, user: str, labels: Mapping[str, str]) -> Reach:
    """What a window with ``labels`` reaches, once ``user`` may make or cancel it;
    WindowRefused, naming who may, otherwise (a guest: NotTheirs, nothing of windows)."""
    await require(services, user, Act.MAINTENANCE)
    found = reach(services, labels)
    allowed = services.settings.maintenance
    if found.owns_all(user) or user in allowed.people or await _in_group(services, user):
        return found
    raise WindowRefused(
        why="not_allowed",
        owners={name: sorted(owners) for name, owners in found.owners.items()},
        people=sorted(allowed.people),
        group=allowed.group,
    )


async def _in_group(services: Services, user: str) -> bool:
    """Whether ``user`` is in the user group ``WARROOM_MAINTENANCE_ALLOWED`` names (asked
    each time: ``usergroups.users.list``); not when Slack will not say."""
    group = services.settings.maintenance.group
    if group is None:
        return False
    try:
        group_id = group if group.startswith("S") else None
        if group_id is None:
            found = await services.slack.find_usergroup(group.lstrip("@"))
            group_id = found.id if found is not None else None
        if group_id is None:
            log.warning("WARROOM_MAINTENANCE_ALLOWED: no user group %s in Slack", group)
            return False
        return user in await services.slack.usergroup_members(group_id)
    except SlackFailure as error:
        log.info("the maintenance user group could not be read: %s", error.code)
        return False
