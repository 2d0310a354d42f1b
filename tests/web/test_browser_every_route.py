"""Every page of the web view and of the status page, listed from the route table (a page
added later is caught: it must be given an address here, or a reason it is no page), in
Chromium at 1280 and 375 px: axe-core (WCAG 2.2 AA and best practices) finds no serious or
critical violation, no page scrolls sideways, no text is under 12 px (computed sizes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from bot.config import Secret
from bot.record import audit
from bot.record.agents import tokens
from bot.record.alerting import integrations
from bot.record.alerting.services import parse_services
from bot.store.db import session_scope
from bot.store.models import StatusSubscription
from bot.web.routes import WEB_ROUTES
from bot.web.routing import RouteKind
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import web_warroom
from tests.oncall.samples import two_schedules
from tests.oncall.test_oncall_web import NOW
from tests.oncall.test_people_and_policies_web import POLICIES
from tests.status_page.test_status_page import SMALLEST_TEXT_PX
from tests.web.test_browser import (
    WIDTHS,
    axe_violations,
    described,
    scrolls_sideways,
    sign_in_with_slack,
    smallest_text,
    watched_page,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

MANAGE_TOKEN = "a-subscribers-manage-token"
RUNBOOK = "https://wiki.example.com/display/OPS/Runbooks/storage/disks-filling-up-on-the-primary-database-hosts"
# Where each page of the route table is seen (by its canonical path).
ADDRESSES = {
    "/": "/",
    "/incidents/{reference}": "/incidents/INC-1",
    "/incidents/{reference}/history": "/incidents/INC-1/history",
    "/incidents/{reference}/postmortem": "/incidents/INC-1/postmortem",
    "/insights": "/insights",
    "/follow-ups": "/follow-ups",
    "/agents": "/agents",
    "/admin/audit": "/admin/audit",
    "/oncall": "/oncall",
    "/oncall/people/{user}": f"/oncall/people/{ALICE}",
    "/oncall/policies/{policy}": "/oncall/policies/payments",
    "/oncall/{schedule}": "/oncall/payments",
    "/alerts": "/alerts",
    "/alerts/{alert}": "/alerts/1",
    "/services": "/services",
    "/services/{service}": "/services/disks",
    "/changes": "/changes",
    "/integrations": "/integrations",
    "/shadow": "/shadow",
    "/maintenance": "/maintenance",
    "/maintenance/{window}": "/maintenance/1",
    "/api/docs": "/api/docs",
    "/status": "/status",
    "/status/subscribe": "/status/subscribe",
    "/status/confirm/{token}": "/status/confirm/a-confirmation-token",
    "/status/unsubscribe/{token}": f"/status/unsubscribe/{MANAGE_TOKEN}",
    "/status/manage/{token}": f"/status/manage/{MANAGE_TOKEN}",
}
# Seen before signing in (it sends a signed-in person on).
SIGNED_OUT = {"/login": "/login"}
# GET routes of the table that are not pages a person reads (the API's are JSON).
NOT_PAGES = {
    "/incidents/{reference}/postmortem.md": "the draft as a Markdown file",
    "/auth/slack": "a redirect to Slack's sign-in",
    "/auth/slack/callback": "Slack's sign-in coming back: a redirect",
    "/status/feed.atom": "the Atom feed (XML)",
    "/status/logo": "the company's logo (an image)",
    "/oncall/people/{user}.ics": "an iCalendar feed",
    "/oncall/{schedule}.ics": "an iCalendar feed",
    "/mcp": "the Model Context Protocol endpoint (JSON-RPC)",
    "/form-refused": "an unreadable form's refusal, once after its redirect (else the list)",
}


def test_every_get_route_is_a_page_checked_or_said_to_be_none() -> None:
    """A page added to the route table without an address here fails this test."""
    routes = {
        route.canonical
        for route in WEB_ROUTES
        if route.method == "GET" and route.kind is not RouteKind.API
    }
    assert routes - ADDRESSES.keys() - SIGNED_OUT.keys() - NOT_PAGES.keys() == set()
    assert ADDRESSES.keys() | SIGNED_OUT.keys() | NOT_PAGES.keys() <= routes


@asynccontextmanager
async def filled_warroom(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[Warroom]:
    """A public SEV1 with an update, a follow-up, a public maintenance window, two schedules and
    the payments policy, a subscriber (for the manage page), and an alert paged by that
    policy without an incident (alert 1), of the service disks."""
    ops = slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])
    page_route = {"name": "disks", "match": {"alertname": "DiskFull"}, "action": "page"}
    async with web_warroom(
        slack,
        sqlite_url,
        Clock(NOW),
        oncall__schedules=two_schedules(NOW),
        escalation__policies=POLICIES,
        maintenance__allowed=(ALICE,),
        web__admins=(ALICE,),
        runtime__scheduler_interval=3600.0,
        alerting__token=Secret(TOKEN),
        alerting__catalog=parse_services(
            {
                "services": [
                    {
                        "name": "disks",
                        "policy": "payments",
                        # A long runbook address, the alerts' channel and an owner Slack
                        # cannot name: the service page lays them out at 375 px.
                        "owners": [{"user": BOB}, {"user": "U0ERIN0000"}],
                        "runbook": RUNBOOK,
                        "channel": ops.id,
                    }
                ]
            }
        ),
        alerting__routes=routes(
            {"routes": [{**page_route, "service": "disks", "channel": ops.id}]}
        ),
    ) as warroom:
        fired = alertmanager("DiskFull", [alert("DiskFull", "db-1", "2026-03-10T08:58:00Z")])
        assert (await post_alert(warroom.url, "alertmanager", fired))[0] == 202
        await warroom.run_jobs()
        channel = await open_incident(warroom, "Checkout returns 500s")
        await command(warroom, channel, "sev 1")
        await command(warroom, channel, "public Payments, Card terminals")
        await command(warroom, channel, "update --public Card payments fail for some customers.")
        await command(warroom, channel, "action @bob --due fri write the runbook")
        await command(warroom, channel, "maintenance db=main now to 23:00 --public DB work")
        async with session_scope(warroom.engine) as session:
            # An integration for disks: the integrations' table on /integrations and its page.
            await integrations.create(
                session, kind="datadog", service="disks", name=None, now=warroom.clock.now
            )
            # A token made on the web and a change in the admin record (/agents, /admin/audit).
            made, _ = await tokens.create(
                session, name="triage-bot", scope="read", private=False, expires_days=30,
                now=warroom.clock.now,
            )  # fmt: skip
            made.created_by = ALICE
            audit.record(
                session, at=warroom.clock.now, by=ALICE, what=audit.Change.TOKEN_MADE,
                subject="triage-bot", reason="the triage agent reads open incidents",
                detail="read",
            )  # fmt: skip
            session.add(
                StatusSubscription(
                    kind="email",
                    address="dana.customer@example.com",
                    address_key="dana",
                    components=["Payments"],
                    unsubscribe_token=MANAGE_TOKEN,
                    created_at=warroom.clock.now,
                    confirmed_at=warroom.clock.now,
                )
            )
            await session.commit()
        yield warroom


async def problems_of(page: Page) -> list[str]:
    found = []
    if violations := await axe_violations(page):
        found.append(described(violations))
    if overflow := await scrolls_sideways(page):
        found.append(f"scrolls sideways: {overflow}")
    if (smallest := await smallest_text(page)) < SMALLEST_TEXT_PX:
        found.append(f"text of {smallest} px: {await small_texts(page)}")
    return found


async def small_texts(page: Page) -> list[str]:
    """A few elements whose own text is under 12 px: tag, size and words."""
    found: list[str] = await page.evaluate(
        """limit => Array.from(document.body.querySelectorAll('*'))
            .filter(e => Array.from(e.childNodes).some(
                n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
            .filter(e => e.getClientRects().length > 0)
            .filter(e => parseFloat(getComputedStyle(e).fontSize) < limit)
            .slice(0, 5)
            .map(e => `${e.tagName} ${getComputedStyle(e).fontSize} ${e.textContent.trim()
                .slice(0, 30)}`)""",
        SMALLEST_TEXT_PX,
    )
    return found


async def visit(page: Page, url: str) -> None:
    answer = await page.goto(url)
    assert answer is not None and answer.status < 400, (url, answer and answer.status)
    await page.locator("h1").first.wait_for()


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_every_page_at_both_widths(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser, width: str
) -> None:
    problems: dict[str, list[str]] = {}
    async with (
        filled_warroom(slack, sqlite_url) as warroom,
        watched_page(chromium, warroom, **WIDTHS[width]) as page,
    ):
        for route, path in SIGNED_OUT.items():
            await visit(page, warroom.url + path)
            problems[route] = await problems_of(page)
        await sign_in_with_slack(page, warroom)
        for route, path in ADDRESSES.items():
            await visit(page, warroom.url + path)
            problems[route] = await problems_of(page)
    failing = {route: found for route, found in problems.items() if found}
    said = "\n".join(
        f"{route} ({ADDRESSES.get(route, route)}) at {width} px:\n  " + "\n  ".join(found)
        for route, found in failing.items()
    )
    assert not failing, said


async def test_the_status_page_has_a_skip_link_a_focus_ring_and_44_px_targets_on_a_phone(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    """Issue 88, item 6: the public status page at 375 px. The first Tab reaches "Skip to the
    content", shown with a ring of 2 px at least (WCAG 2.4.7, 2.4.11), and Enter moves the focus
    to the content; the zone's field and button are 44 px high (2.5.8)."""
    async with (
        web_warroom(slack, sqlite_url, Clock(NOW)) as warroom,
        watched_page(chromium, warroom, **WIDTHS["375"]) as page,
    ):
        await visit(page, f"{warroom.url}/status")
        await page.keyboard.press("Tab")
        focused = page.locator(":focus")
        assert await focused.inner_text() == "Skip to the content"
        assert await focused.is_visible()
        ring = await focused.evaluate(
            "e => [getComputedStyle(e).outlineStyle, parseFloat(getComputedStyle(e).outlineWidth)]"
        )
        assert ring[0] != "none" and ring[1] >= 2, ring
        await page.keyboard.press("Enter")
        await page.wait_for_function("() => document.activeElement.id === 'main'")
        for target in ("form.zone input[name=tz]", "form.zone button"):
            box = await page.locator(target).bounding_box()
            assert box is not None and box["height"] >= 44, (target, box)
