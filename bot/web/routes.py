"""The web view's route table: every page, the JSON API, the public status page, the on-call
calendar feeds and /mcp, each with its kind (bot/web/routing.py); bot/app.py adds Slack's, the
webhooks' and health's. Importing this module imports every page: only the application does."""

from __future__ import annotations

from aiohttp import web

from bot.web import audit, auth, form_refused
from bot.web.agents import endpoint as agents
from bot.web.agents import pages as agents_pages
from bot.web.alerting import acts as alert_acts
from bot.web.alerting import integrations as integration_pages
from bot.web.alerting import maintenance
from bot.web.alerting import pages as alert_pages
from bot.web.alerting import services as service_pages
from bot.web.alerting import shadow as shadow_pages
from bot.web.alerting.api import ALERT_OPERATIONS
from bot.web.alerting.services import SERVICE_OPERATIONS
from bot.web.api import docs as api_docs
from bot.web.api import document as api_document
from bot.web.changes import pages as change_pages
from bot.web.changes.pages import CHANGE_OPERATIONS
from bot.web.context import web_context_ctx
from bot.web.follow_ups import pages as follow_ups
from bot.web.incident import notes, pages
from bot.web.incident.api import INCIDENT_OPERATIONS
from bot.web.insights import page as insights_page
from bot.web.oncall import contacts as oncall_contacts
from bot.web.oncall import feeds as oncall_feeds
from bot.web.oncall import leave as oncall_leave
from bot.web.oncall import pages as oncall_pages
from bot.web.oncall import people as oncall_people
from bot.web.oncall import policies as oncall_policies
from bot.web.oncall.api import ONCALL_OPERATIONS
from bot.web.openapi import Operation
from bot.web.postmortem import facts as draft_facts
from bot.web.postmortem import gaps as draft_gaps
from bot.web.postmortem import grades as draft_grades
from bot.web.postmortem import page as draft_page
from bot.web.postmortem import review as draft_review
from bot.web.postmortem import suggestions
from bot.web.routing import Route, RouteKind
from bot.web.status_page import pages as status_page
from bot.web.status_page import subscriptions as status_subscriptions

PAGE, API, MACHINE = RouteKind.PAGE, RouteKind.API, RouteKind.MACHINE
# The API's table: every domain's operations. The route table registers them and the OpenAPI
# document (bot/web/api/document.py, which the application hands it) describes them.
API_OPERATIONS: tuple[Operation, ...] = (
    *INCIDENT_OPERATIONS,
    *ONCALL_OPERATIONS,
    *ALERT_OPERATIONS,
    *SERVICE_OPERATIONS,
    *CHANGE_OPERATIONS,
)
# The web view's rows of the route table (bot/app.py adds Slack's, the webhooks', health's).
WEB_ROUTES: tuple[Route, ...] = (
    Route("GET", "/", pages.incident_list, PAGE),
    Route("GET", "/incidents/{reference}", pages.incident_page, PAGE),
    Route("GET", "/incidents/{reference}/history", pages.incident_history, PAGE),
    Route("GET", "/incidents/{reference}/postmortem", draft_page.postmortem_page, PAGE),
    Route("GET", "/incidents/{reference}/postmortem.md", pages.postmortem_markdown, PAGE),
    Route("POST", "/incidents/{reference}/postmortem/sections/{section}", pages.save_section, PAGE),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/suggestions/{suggestion}/accept",
        suggestions.accept_page,
        PAGE,
    ),
    Route("POST", "/incidents/{reference}/postmortem/impact", draft_facts.save_impact, PAGE),
    Route("POST", "/incidents/{reference}/postmortem/follow-ups", draft_facts.add_follow_up, PAGE),
    Route("POST", "/incidents/{reference}/postmortem/misleading", draft_gaps.save_path_end, PAGE),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/escalations",
        draft_gaps.save_escalation_answer,
        PAGE,
    ),
    Route("POST", "/incidents/{reference}/postmortem/brought-in", draft_gaps.save_brought_in, PAGE),
    Route("POST", "/incidents/{reference}/postmortem/mitigation", draft_gaps.save_mitigation, PAGE),
    Route("POST", "/incidents/{reference}/postmortem/marks", draft_gaps.save_mark, PAGE),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/follow-ups/{item:[0-9]+}/file",
        draft_facts.file_follow_up,
        PAGE,
    ),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/follow-ups/{item:[0-9]+}",
        draft_facts.change_noted,
        PAGE,
    ),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/lines/{entry:[0-9]+}",
        draft_facts.change_said,
        PAGE,
    ),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/figures/{entry:[0-9]+}",
        draft_facts.change_figures,
        PAGE,
    ),
    Route("POST", "/incidents/{reference}/postmortem/review", draft_review.review_page, PAGE),
    Route(
        "POST",
        "/incidents/{reference}/postmortem/grades/{grade:[0-9]+}",
        draft_grades.grade_page,
        PAGE,
    ),
    Route("POST", "/incidents/{reference}/notes/{note}/accept", notes.accept_note_page, PAGE),
    Route("GET", "/insights", insights_page.insights_page, PAGE),
    Route("GET", "/follow-ups", follow_ups.follow_ups_page, PAGE),
    Route("POST", "/incidents/{reference}/follow-ups/merge", follow_ups.merge_form, PAGE),
    Route(
        "POST",
        "/incidents/{reference}/follow-ups/{item:[0-9]+}/done",
        follow_ups.mark_done_form,
        PAGE,
    ),
    Route("GET", "/oncall", oncall_pages.oncall_list, PAGE),
    # A Slack user id, never a schedule's page (whose names have no "/").
    Route("GET", "/oncall/people/{user:[UW][A-Z0-9]+}", oncall_people.person_page, PAGE),
    Route("GET", "/oncall/policies/{policy:[A-Za-z0-9_-]+}", oncall_policies.policy_page, PAGE),
    # A person's own contact methods, on their own page (a method's name is its kind).
    Route(
        "POST",
        "/oncall/people/{user:[UW][A-Z0-9]+}/contacts",
        oncall_contacts.add_contact_form,
        PAGE,
    ),
    Route(
        "POST",
        "/oncall/people/{user:[UW][A-Z0-9]+}/contacts/{name:[a-z]+}/verify",
        oncall_contacts.verify_contact_form,
        PAGE,
    ),
    Route(
        "POST",
        "/oncall/people/{user:[UW][A-Z0-9]+}/contacts/{name:[a-z]+}/test",
        oncall_contacts.test_contact_form,
        PAGE,
    ),
    Route(
        "POST",
        "/oncall/people/{user:[UW][A-Z0-9]+}/contacts/{name:[a-z]+}/remove",
        oncall_contacts.remove_contact_form,
        PAGE,
    ),
    # A person's own leave, on their own page.
    Route("POST", "/oncall/people/{user:[UW][A-Z0-9]+}/leave", oncall_leave.add_leave_form, PAGE),
    Route(
        "POST", "/oncall/people/{user:[UW][A-Z0-9]+}/leave/feed", oncall_leave.leave_feed_form, PAGE
    ),
    Route(
        "POST",
        "/oncall/people/{user:[UW][A-Z0-9]+}/leave/{leave:[0-9]+}/remove",
        oncall_leave.remove_leave_form,
        PAGE,
    ),
    # A schedule's name has no dot (bot.record.escalation.policies.NAME), so the calendar feeds'
    # /oncall/<schedule>.ics never reaches this page.
    Route("GET", "/oncall/{schedule:[A-Za-z0-9_-]+}", oncall_pages.schedule_page, PAGE),
    Route(
        "POST", "/oncall/{schedule:[A-Za-z0-9_-]+}/overrides", oncall_pages.add_override_form, PAGE
    ),
    Route(
        "POST",
        "/oncall/{schedule:[A-Za-z0-9_-]+}/overrides/{override}/cancel",
        oncall_pages.cancel_override_form,
        PAGE,
    ),
    Route(
        "POST", "/oncall/{schedule:[A-Za-z0-9_-]+}/calendar", oncall_pages.calendar_link_form, PAGE
    ),
    Route("GET", "/alerts", alert_pages.alerts_page, PAGE),
    Route("GET", "/alerts/{alert:[0-9]+}", alert_pages.alert_page, PAGE),
    Route("POST", "/alerts", alert_acts.act_on_selected, PAGE),
    Route("GET", "/services", service_pages.services_page, PAGE),
    Route("GET", "/shadow", shadow_pages.shadow_page, PAGE),
    Route("GET", "/services/{service:[A-Za-z0-9_-]+}", service_pages.service_page, PAGE),
    Route("GET", "/changes", change_pages.changes_page, PAGE),
    Route("GET", "/integrations", integration_pages.integrations_page, PAGE),
    Route("POST", "/integrations", integration_pages.create_integration_form, PAGE),
    Route(
        "POST",
        "/integrations/{name:[A-Za-z0-9._-]+}/revoke",
        integration_pages.revoke_integration_form,
        PAGE,
    ),
    # The admin record: warroom's admins only.
    Route("GET", "/admin/audit", audit.audit_page, PAGE),
    Route("GET", "/maintenance", maintenance.maintenance_list, PAGE),
    Route("POST", "/maintenance", maintenance.add_window_form, PAGE),
    Route("GET", "/maintenance/{window}", maintenance.window_page, PAGE),
    Route("POST", "/maintenance/{window}/cancel", maintenance.cancel_window_form, PAGE),
    Route("GET", form_refused.FORM_REFUSED_PATH, form_refused.form_refused_page, PAGE),
    Route("GET", "/login", auth.sign_in_page, PAGE),
    Route("GET", "/auth/slack", auth.start_sign_in, PAGE),
    Route("GET", auth.CALLBACK_PATH, auth.finish_sign_in, PAGE),
    Route("POST", "/logout", auth.sign_out, PAGE),
    # The API's table is also what the OpenAPI document describes.
    *(Route(op.method, op.path, op.handler, API) for op in API_OPERATIONS),
    Route("GET", "/api/openapi.json", api_document.openapi, API),
    # The same document for people: a page (HTML errors), public as the JSON is.
    Route("GET", "/api/docs", api_docs.api_docs_page, PAGE),
    # The public status page is for anyone, at any address, with no sign-in.
    Route("GET", "/status", status_page.status_page, MACHINE),
    Route("GET", "/status/feed.atom", status_page.status_feed, MACHINE),
    Route("GET", "/status/logo", status_page.status_logo, MACHINE),
    # Subscribing: public too; the form carries an anonymous session's CSRF token, the
    # confirm and unsubscribe links their own random tokens.
    Route("GET", "/status/subscribe", status_subscriptions.subscribe_page, MACHINE),
    Route("POST", "/status/subscribe", status_subscriptions.subscribe_form, MACHINE),
    Route("GET", "/status/confirm/{token}", status_subscriptions.confirm_page, MACHINE),
    Route("POST", "/status/confirm/{token}", status_subscriptions.confirm_form, MACHINE),
    Route("GET", "/status/unsubscribe/{token}", status_subscriptions.unsubscribe_page, MACHINE),
    Route("GET", "/status/manage/{token}", status_subscriptions.manage_page, MACHINE),
    Route("POST", "/status/manage/{token}", status_subscriptions.manage_form, MACHINE),
    Route("POST", "/status/unsubscribe/{token}", status_subscriptions.unsubscribe_form, MACHINE),
    # On-call calendar feeds: calendar apps subscribe from anywhere, with the feed's own
    # secret token in the address. Before any /oncall/{schedule} page, which would match too.
    Route("GET", "/oncall/people/{user}.ics", oncall_feeds.person_calendar, MACHINE),
    Route("GET", "/oncall/{schedule}.ics", oncall_feeds.schedule_calendar, MACHINE),
    # Agents over the Model Context Protocol: each request's bearer token checked afresh.
    Route("GET", "/agents", agents_pages.agents_page, PAGE),
    Route("POST", "/agents", agents_pages.create_token_form, PAGE),
    Route("POST", "/agents/{name:[A-Za-z0-9._-]+}/revoke", agents_pages.revoke_token_form, PAGE),
    Route("POST", "/mcp", agents.mcp_endpoint, MACHINE),
    Route("GET", "/mcp", agents.mcp_endpoint, MACHINE),
    Route("DELETE", "/mcp", agents.mcp_endpoint, MACHINE),
)


def add_web_view(app: web.Application) -> None:
    """What the pages and the API need around them (after the services exist: see create_app);
    their routes are WEB_ROUTES."""
    app[api_document.operations_key] = API_OPERATIONS
    app.cleanup_ctx.append(web_context_ctx)
    app.cleanup_ctx.append(agents.mcp_ctx)
    app.middlewares.append(pages.web_view_rules)


__all__ = ["API_OPERATIONS", "WEB_ROUTES", "add_web_view"]
