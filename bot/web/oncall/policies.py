"""One escalation policy's page (``/oncall/policies/<name>``): its levels, each level's targets and
timeout, how many times it runs again, and whom each level reaches now. A ``schedule:`` target
is resolved to whoever is on call now by the on-call pages' own reader
(``bot.web.oncall.reading.now_on_call``, the engine /oncall uses); a user group is named by its
handle and name as Slack gives them (``groups_of``), its members asked of Slack when a level
fires, and a PagerDuty service's on-call is PagerDuty's, so the page names no one behind them.
For signed-in members of the workspace, as the on-call pages."""

from __future__ import annotations

from aiohttp import web

from bot.web.auth import viewer_and_csrf
from bot.web.context import web_context
from bot.web.oncall.reading import groups_of, names_of, now_on_call, schedule_for
from bot.web.pages_common import guests_refused, render_page


async def policy_page(request: web.Request) -> web.Response:
    """GET /oncall/policies/<name>: the policy's levels and whom each reaches now."""
    web_ = web_context(request)
    viewer, csrf = viewer_and_csrf(request)
    if viewer.guest:
        return guests_refused(request, "oncall_guests", viewer=viewer, csrf=csrf)
    name = request.match_info["policy"]
    policies = web_.settings.escalation.policies
    policy = policies.get(name)
    if policy is None:
        return render_page(
            request,
            "web/error.html.j2",
            status=404,
            problem="no_policy",
            name=name[:80],
            viewer=viewer,
            csrf=csrf,
        )
    now = web_.services.clock()
    wanted = {t.ref for level in policy.levels for t in level.targets if t.kind == "schedule"}
    schedules = [s for ref in sorted(wanted) if (s := await schedule_for(web_, viewer, ref))]
    board = {entry.schedule.name: entry for entry in await now_on_call(web_, schedules, now)}
    people = {t.ref for level in policy.levels for t in level.targets if t.kind == "user"}
    people |= {user for entry in board.values() for user in entry.now.users}
    people |= set(policy.owners)
    groups = [t.ref for level in policy.levels for t in level.targets if t.kind == "usergroup"]
    severities = sorted(s for s, named in policies.by_severity.items() if named == policy.name)
    return render_page(
        request,
        "web/oncall_policy.html.j2",
        viewer=viewer,
        csrf=csrf,
        policy=policy,
        board={name.lower(): entry for name, entry in board.items()},
        names=await names_of(web_, people),
        groups=await groups_of(web_, groups),
        severities=severities,
        now=now,
    )
