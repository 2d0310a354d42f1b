"""A person's on-call page and an escalation policy's page in the web view, over HTTP with
people signed in through the emulator: a person's shifts to come (in their schedule's zone)
and schedules, the calendar link offered to the person themselves, the warning when they are
next on call with no method that rings a phone; a policy's levels, targets, timeouts and
whom each level reaches now; 404 for an unknown person or policy, 403 for guests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.record.escalation.policies import parse_policies
from bot.record.oncall.schedules import parse_schedules
from bot.record.paging import own
from bot.record.paging.contacts import Rule
from bot.store.db import session_scope
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import browser, csrf_of, sign_in, web_warroom
from tests.oncall.test_oncall_web import (
    NOW,
    add_guest,
    names_learned,
    oncall_warroom,
    page,
    text_of,
)

# The DBAs' user group in Slack, named by its id in the databases policy.
DBA_GROUP = "S0DBA00001"
POLICIES = parse_policies(
    {
        "policies": {
            "payments": {
                "levels": [
                    {"timeout": "10m", "targets": [{"schedule": "payments"}, {"user": CAROL}]},
                    {
                        "timeout": "15m",
                        "targets": [
                            {"usergroup": "dba-team"},
                            {
                                "pagerduty": {
                                    "service": "Payments primary",
                                    "routing_key_env": "PAGERDUTY_KEY_PAYMENTS",
                                }
                            },
                        ],
                    },
                ],
                "repeat": 1,
            },
            "checkout": {"levels": [{"targets": [{"user": BOB}]}]},
            "databases": {
                "levels": [{"targets": [{"usergroup": DBA_GROUP}, {"usergroup": "dba-leads"}]}]
            },
        },
        "severities": {"SEV1": "payments"},
    }
)


@asynccontextmanager
async def people_warroom(slack: SlackEmulator, database_url: str) -> AsyncIterator[Warroom]:
    """payments (Alice and Bob a week each; Bob this week), support (Carol on weekdays), the
    payments policy; Bob's verified SMS named in his rules, Carol's verified email only."""
    async with oncall_warroom(slack, database_url, escalation__policies=POLICIES) as warroom:
        async with session_scope(warroom.engine) as session:
            row, code = await own.add_method(
                session, user=BOB, name="phone", kind="sms", address="+15555550123", at=NOW
            )
            assert own.verify(row, code, NOW) == "verified"
            rules = [Rule(timedelta(0), ("slack",)), Rule(timedelta(minutes=2), ("phone",))]
            await own.set_rules(session, BOB, rules, NOW)
            row, code = await own.add_method(
                session, user=CAROL, name="mail", kind="email", address="c@example.com", at=NOW
            )
            assert own.verify(row, code, NOW) == "verified"
            await session.commit()
        yield warroom


async def test_a_persons_page_lists_their_shifts_schedules_and_warns_when_no_phone_rings(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with people_warroom(slack, sqlite_url) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/oncall/people/{ALICE}")
        assert status == 200
        shown = text_of(html)
        # Her next two weeks of payments in 28 days, in the schedule's zone (summer time from
        # 29 March in Paris).
        assert (
            "payments: Mon 2026-03-16 09:00 CET to Mon 2026-03-23 09:00 CET "
            "payments: Mon 2026-03-30 09:00 CEST to Mon 2026-04-06 09:00 CEST"
        ) in shown
        assert "Schedules payments (Europe/Paris)" in shown
        # No method of hers rings a phone: said before anything else.
        assert (
            "Alice Moreau is next on call Mon 2026-03-16 09:00 CET (payments), and no method "
            "of theirs rings a phone." in shown
        )
        assert shown.index("no method of theirs rings") < shown.index("Shifts in the next")
        # Her own page: a calendar link for each of her schedules, through the schedule's form.
        assert 'action="/oncall/payments/calendar"' in html
        form = {"csrf": csrf_of(html)}
        async with alice.post(f"{warroom.url}/oncall/payments/calendar", data=form) as answer:
            assert answer.status == 200
            assert "/oncall/payments.ics?token=" in await answer.text()

        # Bob is on call now, and his SMS (named in his rules) rings: no warning, no calendar
        # button on someone else's page, only where calendar links come from.
        status, html = await page(alice, f"{warroom.url}/oncall/people/{BOB}")
        shown = text_of(html)
        assert status == 200
        assert "payments: Mon 2026-03-09 09:00 CET to Mon 2026-03-16 09:00 CET now" in shown
        assert "rings a phone" not in shown and "/calendar" not in html
        assert "Calendar links are given to each person for themselves" in shown
        # His number is named by its method, never shown whole (no address on a page).
        assert "+15555550123" not in html and "5555550123" not in html

        # Carol is on call now in support, reached by email only: warned.
        status, html = await page(alice, f"{warroom.url}/oncall/people/{CAROL}")
        shown = text_of(html)
        assert "is on call now (support), and no method of theirs rings a phone." in shown
        assert "only through methods that may stay silent" in shown
        assert "support: Wed 2026-03-11 09:00 CET to Wed 2026-03-11 18:00 CET now" in shown
        assert "c@example.com" not in html

        # Someone the bot knows nothing of: 404, as a schedule that does not exist.
        status, html = await page(alice, f"{warroom.url}/oncall/people/U0NOBODY")
        assert status == 404 and "No such person" in html


async def test_a_policy_page_shows_levels_timeouts_and_whom_each_reaches_now(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL], name="Database admins")
    async with people_warroom(slack, sqlite_url) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        await names_learned(warroom, BOB)
        status, html = await page(alice, f"{warroom.url}/oncall/policies/payments")
        assert status == 200
        shown = text_of(html)
        assert "2 levels" in shown and "1 more time at most" in shown
        assert "Incidents of SEV1 start it at once." in shown
        # Level 1: the schedule resolved to whoever is on call now, and Carol.
        assert (
            "Level 1 whoever payments names: now Bob Okafor, until Mon 2026-03-16 09:00 CET "
        ) in shown
        level_1 = html[html.index('id="level-1"') : html.index('id="level-2"')]
        assert f'href="/oncall/people/{CAROL}"' in level_1
        assert "After 10m without an acknowledgement: level 2." in text_of(level_1)
        assert (
            "Level 2 the members of the user group @dba-team, Database admins, (asked of Slack "
            "when the level fires) the PagerDuty service Payments primary (an alert to its own "
            "on-call) "
            "After 15m without an acknowledgement: level 1 again."
        ) in shown
        assert f'href="/oncall/people/{BOB}"' in html and "PAGERDUTY_KEY" not in html
        # A group named by its id is shown by its handle; one Slack does not have, said so.
        _, html = await page(alice, f"{warroom.url}/oncall/policies/databases")
        shown = text_of(html)
        assert "the members of the user group @dba-team, Database admins," in shown
        assert DBA_GROUP not in shown
        assert "the user group dba-leads: Slack has no such user group" in shown
        # Made in Slack since: the next page names it.
        slack.add_usergroup("S0DBA00002", "dba-leads", [ALICE], name="DBA leads")
        _, html = await page(alice, f"{warroom.url}/oncall/policies/databases")
        assert "the members of the user group @dba-leads, DBA leads," in text_of(html)
        # Names ignore case; an unknown policy is a 404.
        status, _ = await page(alice, f"{warroom.url}/oncall/policies/PAYMENTS")
        assert status == 200
        status, html = await page(alice, f"{warroom.url}/oncall/policies/billing")
        assert status == 404 and "No such escalation policy" in html
        # The schedule's page links the policies that page it.
        _, html = await page(alice, f"{warroom.url}/oncall/payments")
        assert 'href="/oncall/policies/payments"' in html
        _, html = await page(alice, f"{warroom.url}/oncall/support")
        assert "/oncall/policies/" not in html


async def test_guests_see_no_person_and_no_policy(slack: SlackEmulator, sqlite_url: str) -> None:
    guest = add_guest(slack)
    async with people_warroom(slack, sqlite_url) as warroom, browser() as gus:
        await sign_in(gus, warroom, guest)
        for path in (f"/oncall/people/{BOB}", "/oncall/people/U0NOBODY", "/oncall/policies/x"):
            status, html = await page(gus, warroom.url + path)
            assert status == 403 and "for the workspace's members" in html
            assert "Bob" not in html


async def test_the_incident_page_links_the_policy_it_started(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with people_warroom(slack, sqlite_url) as warroom, browser() as alice:
        channel = await open_incident(warroom)
        await command(warroom, channel, "escalate checkout the cart is empty")
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/incidents/INC-1")
        assert status == 200
        # The escalation that started the policy links its page.
        assert '<td data-label="To"><a href="/oncall/policies/checkout">' in html


async def test_a_schedules_user_group_is_shown_by_the_name_slack_has_for_it(
    slack: SlackEmulator, database_url: str
) -> None:
    """The schedules file names it by its id (or a handle): the page says Slack's handle and
    name, or that Slack has no such group."""
    slack.add_usergroup("S0PAY00001", "payments-oncall", [BOB], name="Payments on call")
    document = {
        "schedules": {
            name: {
                "timezone": "Europe/Paris",
                "usergroup": group,
                "layers": [
                    {
                        "name": "weekly",
                        "start": "2026-03-02 09:00",
                        "rotation": "weekly",
                        "members": [ALICE],
                    }
                ],
            }
            for name, group in (("payments", "S0PAY00001"), ("support", "support-oncall"))
        }
    }
    schedules = parse_schedules(document, now=NOW)
    async with (
        web_warroom(slack, database_url, Clock(NOW), oncall__schedules=schedules) as warroom,
        browser() as alice,
    ):
        await sign_in(alice, warroom, ALICE)
        _, html = await page(alice, f"{warroom.url}/oncall/payments")
        assert "User group@payments-oncall, Payments on call" in text_of(html)
        assert "S0PAY00001" not in text_of(html)
        _, html = await page(alice, f"{warroom.url}/oncall/support")
        assert "User groupsupport-oncall (Slack has no such user group)" in text_of(html)
