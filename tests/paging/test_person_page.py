"""A person's on-call page in the web view (``/oncall/people/<user id>``), over HTTP with
people signed in through the emulator: how pages reach them, masked, behind sign-in; guests
see none of it. Names in the on-call pages lead to it."""

from __future__ import annotations

from datetime import timedelta

from bot.record.paging import own
from bot.record.paging.contacts import Rule
from bot.store.db import session_scope
from emulator import SlackEmulator
from tests.conftest import ALICE, CAROL, Clock, Warroom
from tests.helpers.web_view import browser, sign_in, web_warroom
from tests.oncall.test_oncall_web import page, text_of
from tests.paging.scenario import NOW

PHONE = "+15555550123"
ADDRESS = "carol@example.com"


async def carol_set_her_own(warroom: Warroom) -> None:
    """What /oncall contact, /oncall rules and /oncall test-page keep (each tested through
    Slack in tests/paging/test_own_contacts.py and test_test_page.py): a verified SMS
    number, an email still waiting for its code, her rules, a test page."""
    async with session_scope(warroom.engine) as session:
        row, code = await own.add_method(
            session, user=CAROL, name="sms", kind="sms", address=PHONE, at=NOW
        )
        assert own.verify(row, code, NOW) == "verified"
        await own.add_method(
            session, user=CAROL, name="mail", kind="email", address=ADDRESS, at=NOW
        )
        rules = [Rule(timedelta(0), ("slack",)), Rule(timedelta(minutes=2), ("sms",))]
        await own.set_rules(session, CAROL, rules, NOW)
        results = [
            {"contact": "slack", "method": "slack", "failure": None},
            {"contact": "sms", "method": "sms", "failure": "Twilio says no (error 21614)"},
        ]
        await own.keep_test(session, CAROL, results, NOW)
        await session.commit()


async def test_a_persons_page_shows_how_pages_reach_them_masked_to_members_only(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        await carol_set_her_own(warroom)
        async with browser() as anyone:
            status, html = await page(anyone, f"{warroom.url}/oncall/people/{CAROL}")
            assert "How pages reach" not in html and "•••" not in html
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            status, html = await page(alice, f"{warroom.url}/oncall/people/{CAROL}")
            assert status == 200
            shown = text_of(html)
            # Each cell names its column (data-label), which a phone shows beside it.
            assert (
                '<td data-label="Name"><code>sms</code></td>'
                '<td data-label="Method">SMS through Twilio</td>'
                '<td data-label="Where">+1 •••• 0123</td><td data-label="Set by">themselves<'
            ) in html
            assert (
                '<td data-label="Name"><code>mail</code></td><td data-label="Method">email</td>'
                '<td data-label="Where">c•••@example.com</td>'
                '<td data-label="Set by">themselves, not verified yet (pages nobody)<'
            ) in html
            assert "Rules (their own): after 0s: slack; after 2m: sms" in shown
            assert (
                "Last test page: Tue 2026-03-03 02:00 UTC, went out through slack; "
                "failed through sms"
            ) in shown
            assert PHONE not in html and ADDRESS not in html
            status, html = await page(alice, f"{warroom.url}/oncall/people/not-a-user")
            assert status == 404
        async with browser() as gus:
            await sign_in(gus, warroom, "U0GUEST")
            status, html = await page(gus, f"{warroom.url}/oncall/people/{CAROL}")
            assert status == 403 and "•••" not in html


async def test_names_on_the_oncall_pages_lead_to_the_persons_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    from tests.oncall.test_oncall_web import oncall_warroom

    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        _, html = await page(alice, f"{warroom.url}/oncall")
        assert f'<a href="/oncall/people/{CAROL}">' in html
