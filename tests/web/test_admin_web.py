"""Admin on the web, with a record, over HTTP into the real server, on
SQLite and PostgreSQL: warroom's admins (``WARROOM_ADMINS``, or the workspace's admins and
owners: ``users.info`` ``is_admin``/``is_owner``, https://docs.slack.dev/reference/objects/user-object,
asked afresh) make and revoke agents' tokens and integrations, the value shown once; a member
sees only the tokens they made and may make none; a person adds, verifies, tests and removes
their own contact method on their page, the code arriving by SMS on the fake Twilio (as the
Slack flow's tests: tests/paging/test_own_contacts.py); an owner puts anyone of the
workspace on call, never a guest; and every change is in the admin record, for admins only.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlmodel import col, select
from yarl import URL

from bot.config import Settings
from bot.record.agents import tokens
from bot.store.db import session_scope
from bot.store.models import AdminChange, AgentToken, Integration, ShownOnce
from bot.web.notices import NOTICE_COOKIE
from emulator import FakeTwilio, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.databases import dumped
from tests.helpers.web_view import (
    browser,
    csrf_of,
    sign_in,
    visible_text,
    web_settings,
)
from tests.oncall.samples import two_schedules
from tests.oncall.test_oncall_web import NOW, add_guest, names_learned

NUMBER = "+14155550199"


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, twilio: FakeTwilio
) -> dict[str, object]:
    """Alice named by WARROOM_ADMINS; SMS through the fake Twilio; two schedules."""
    settings = Settings.from_env(
        {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_FROM": twilio.numbers[0],
            "TWILIO_API_URL": twilio.root,
        }
    )
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        **web_settings(
            slack,
            paging=settings.paging,
            oncall__schedules=two_schedules(NOW),
            web__admins=(ALICE,),
            runtime__scheduler_interval=3600.0,
        ),
    }


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as answer:
        return answer.status, await answer.text()


async def post(
    session: aiohttp.ClientSession, warroom: Warroom, path: str, form: dict[str, str]
) -> tuple[int, str, str]:
    """Post ``form`` with the token of the person's session: (status, Location, body)."""
    _, page = await get(session, f"{warroom.url}/oncall")
    data = {"csrf": csrf_of(page), **form}
    async with session.post(f"{warroom.url}{path}", data=data, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", ""), await answer.text()


async def changes(warroom: Warroom) -> list[AdminChange]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(AdminChange).order_by(col(AdminChange.id)))).all())


async def test_an_admin_makes_and_revokes_a_token_shown_once_and_a_member_cannot(
    warroom: Warroom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with browser() as alice, browser() as bob:
        await sign_in(alice, warroom, ALICE)
        await sign_in(bob, warroom, BOB)
        # Without a reason: refused in words on the page it came from, once, nothing made.
        status, location, _ = await post(
            alice, warroom, "/agents", {"name": "triage", "scope": "read"}
        )
        assert (status, location) == (303, "/agents")
        status, page = await get(alice, f"{warroom.url}/agents")
        assert status == 400 and "Say why" in visible_text(page)
        assert 'role="alert"' in page and 'value="triage"' in page
        status, page = await get(alice, f"{warroom.url}/agents")
        assert status == 200 and "Say why" not in visible_text(page)
        form = {"name": "triage", "scope": "read", "expires": "30", "reason": "triage agent"}
        status, location, _ = await post(alice, warroom, "/agents", form)
        assert (status, location) == (303, "/agents")
        _, page = await get(alice, f"{warroom.url}/agents")
        (value,) = re.findall(r'value="(wr_agent_[A-Za-z0-9_-]+)"', page)
        async with session_scope(warroom.engine) as session:
            caller = await tokens.caller_of(session, value, now=warroom.clock.now)
            row = await tokens.by_name(session, "triage")
        assert caller is not None and caller.name == "triage" and caller.scope == "read"
        assert row is not None and row.created_by == ALICE
        # Shown once: the next page has it no more, nor does any log line.
        _, page = await get(alice, f"{warroom.url}/agents")
        assert value not in page and "triage" in page
        assert all(value not in record.getMessage() for record in caplog.records)
        # A member sees no token of anyone else's, no form, and may make none.
        _, page = await get(bob, f"{warroom.url}/agents")
        assert "triage" not in page and 'action="/agents"' not in page
        assert "You have made no token" in visible_text(page)
        status, _, page = await post(bob, warroom, "/agents", {**form, "name": "bobs"})
        assert status == 403 and "Only warroom's admins may do that" in visible_text(page)
        status, _, _ = await post(bob, warroom, "/agents/triage/revoke", {"reason": "mine now"})
        assert status == 403
        status, _ = await get(bob, f"{warroom.url}/admin/audit")
        assert status == 403
        # A name taken: refused in words.
        status, location, _ = await post(alice, warroom, "/agents", form)
        assert (status, location) == (303, "/agents")
        status, page = await get(alice, f"{warroom.url}/agents")
        assert status == 400 and "a token has it already" in visible_text(page)
        # Revoked by the admin, with a reason; it opens nothing any more.
        status, _, _ = await post(alice, warroom, "/agents/triage/revoke", {"reason": "leaked"})
        assert status == 303
        async with session_scope(warroom.engine) as session:
            assert await tokens.caller_of(session, value, now=warroom.clock.now) is None
        status, page = await get(alice, f"{warroom.url}/admin/audit")
        shown = " ".join(visible_text(page).split())
        assert status == 200
        assert "agent token made" in shown and "triage agent" in shown
        assert "agent token revoked" in shown and "leaked" in shown and "Alice Moreau" in shown
        assert value not in page
    assert [(c.by, c.what, c.subject) for c in await changes(warroom)] == [
        (ALICE, "agent_token_made", "triage"),
        (ALICE, "agent_token_revoked", "triage"),
    ]


async def test_a_workspace_admin_is_asked_afresh_and_a_member_sees_the_tokens_they_made(
    warroom: Warroom,
) -> None:
    """Carol, an admin of the workspace (users.info is_admin), makes a token; made a member
    again, she sees that token alone (not Alice's) and may make no other."""
    warroom.slack.users[CAROL].is_admin = True
    async with browser() as carol, browser() as alice:
        await sign_in(carol, warroom, CAROL)
        await sign_in(alice, warroom, ALICE)
        made = {"scope": "propose", "reason": "our notes bot"}
        assert (await post(carol, warroom, "/agents", {**made, "name": "carols"}))[0] == 303
        assert (await post(alice, warroom, "/agents", {**made, "name": "alices"}))[0] == 303
        _, page = await get(carol, f"{warroom.url}/agents")
        assert "carols" in page and "alices" in page
        warroom.slack.users[CAROL].is_admin = False
        _, page = await get(carol, f"{warroom.url}/agents")
        assert 'id="token-carols"' in page and "alices" not in page
        assert 'action="/agents"' not in page
        status, _, _ = await post(carol, warroom, "/agents", {**made, "name": "again"})
        assert status == 403
        warroom.slack.users[CAROL].is_owner = True  # an owner is an admin too
        status, _, _ = await post(carol, warroom, "/agents", {**made, "name": "again"})
        assert status == 303
    async with session_scope(warroom.engine) as session:
        rows = (await session.exec(select(AgentToken))).all()
    assert {(row.name, row.created_by) for row in rows} == {
        ("carols", CAROL),
        ("alices", ALICE),
        ("again", CAROL),
    }


async def test_an_admin_makes_and_revokes_an_integration_its_key_shown_once(
    warroom: Warroom,
) -> None:
    async with browser() as alice, browser() as bob:
        await sign_in(alice, warroom, ALICE)
        await sign_in(bob, warroom, BOB)
        form = {"kind": "generic", "service": "checkout", "reason": "checkout's monitors"}
        status, location, _ = await post(alice, warroom, "/integrations", {**form, "kind": "fax"})
        assert (status, location) == (303, "/integrations")
        status, page = await get(alice, f"{warroom.url}/integrations")
        assert status == 400 and "kind 'fax'" in visible_text(page)
        assert 'role="alert"' in page and "checkout&#39;s monitors" in page
        status, page = await get(alice, f"{warroom.url}/integrations")
        assert status == 200 and "kind 'fax'" not in visible_text(page)
        status, location, _ = await post(alice, warroom, "/integrations", form)
        assert (status, location) == (303, "/integrations")
        _, page = await get(alice, f"{warroom.url}/integrations")
        (key,) = re.findall(r'value="(wr_int_[A-Za-z0-9_-]+)"', page)
        assert re.search(r'value="http://[^"]+/alerts/generic"', page)
        _, page = await get(alice, f"{warroom.url}/integrations")
        assert key not in page and "checkout-generic" in page
        # A member reads the list, with no form; their post is refused.
        _, page = await get(bob, f"{warroom.url}/integrations")
        assert "checkout-generic" in page and 'action="/integrations"' not in page
        status, _, _ = await post(bob, warroom, "/integrations/checkout-generic/revoke", {})
        assert status == 403
        status, _, page = await post(
            alice, warroom, "/integrations/checkout-generic/revoke", {"reason": "moved"}
        )
        assert status == 303
    async with session_scope(warroom.engine) as session:
        (row,) = (await session.exec(select(Integration))).all()
    assert row.created_by == ALICE and row.revoked_at is not None
    assert [(c.what, c.subject, c.reason) for c in await changes(warroom)] == [
        ("integration_made", "checkout-generic", "checkout's monitors"),
        ("integration_revoked", "checkout-generic", "moved"),
    ]


def notice_cookie(session: aiohttp.ClientSession, url: str) -> str:
    """The value of the cookie the form's redirect left for the page at ``url``."""
    return session.cookie_jar.filter_cookies(URL(url))[NOTICE_COOKIE].value


async def test_a_key_shown_once_is_kept_sealed_and_a_second_read_or_another_session_gets_none(
    warroom: Warroom,
) -> None:
    """Issue 85, item 2 (the probe: the key rode in a signed cookie, base64 gave it, and the
    same cookie sent again within 120 s showed it again). The cookie holds a random handle
    alone; the key waits on the server, sealed, nowhere in the database in clear; another
    session sending the cookie, a second read, the cookie copied and sent again: each is told
    the key was shown already, and shown nothing; the page is ``Cache-Control: no-store``. A
    token nobody read in its two minutes is dropped by its job, then said shown already."""
    async with browser() as alice, browser() as bob:
        await sign_in(alice, warroom, ALICE)
        await sign_in(bob, warroom, BOB)
        form = {"kind": "opsgenie", "service": "checkout", "reason": "checkout's scripts"}
        assert (await post(alice, warroom, "/integrations", form))[0] == 303
        page_url = f"{warroom.url}/integrations"
        cookie = notice_cookie(alice, page_url)
        body, _ = cookie.split(".")
        carried = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        assert set(carried) == {"sid", "handle", "exp"}
        everything = "\n".join((await dumped(warroom.engine)).values())
        assert "wr_int_" not in everything  # waiting, sealed
        # Bob's session sends Alice's cookie first: told it was shown, shown nothing.
        bob.cookie_jar.update_cookies({NOTICE_COOKIE: cookie}, URL(page_url))
        _, page = await get(bob, page_url)
        assert "This key was shown already" in visible_text(page) and "wr_int_" not in page
        async with alice.get(page_url) as answer:
            page = await answer.text()
            assert answer.headers["Cache-Control"] == "no-store"
        (key,) = re.findall(r'value="(wr_int_[A-Za-z0-9_-]+)"', page)
        # The same cookie again (a reload that kept it, a copy): shown already.
        alice.cookie_jar.update_cookies({NOTICE_COOKIE: cookie}, URL(page_url))
        _, page = await get(alice, page_url)
        assert "This key was shown already" in visible_text(page) and key not in page
        assert key not in "\n".join((await dumped(warroom.engine)).values())

        # A token made and not read in its two minutes: its job drops it.
        form = {"name": "triage", "scope": "read", "reason": "triage agent"}
        assert (await post(alice, warroom, "/agents", form))[0] == 303
        await warroom.advance(minutes=2, seconds=1)
        async with session_scope(warroom.engine) as session:
            rows = (await session.exec(select(ShownOnce).order_by(col(ShownOnce.id)))).all()
        # The key's, shown; the token's, never shown and dropped all the same.
        assert [(row.sealed, row.shown_at is not None) for row in rows] == [
            (None, True),
            (None, False),
        ]
        _, page = await get(alice, f"{warroom.url}/agents")
        assert "This token was shown already" in visible_text(page)
        assert "wr_agent_" not in page


async def test_a_person_adds_verifies_tests_and_removes_their_own_number(
    warroom: Warroom, twilio: FakeTwilio
) -> None:
    page_of = f"/oncall/people/{CAROL}"
    async with browser() as carol, browser() as bob:
        await sign_in(carol, warroom, CAROL)
        await sign_in(bob, warroom, BOB)
        _, page = await get(carol, warroom.url + page_of)
        assert "Your contact methods" in page and 'value="sms"' in page
        # Someone else's page has no such form, and their post is refused.
        _, page = await get(bob, warroom.url + page_of)
        assert "Your contact methods" not in page
        form = {"kind": "sms", "address": NUMBER}
        status, _, page = await post(bob, warroom, f"{page_of}/contacts", form)
        assert status == 403 and f"only {CAROL} adds" in visible_text(page)
        assert twilio.phone(NUMBER).messages == []
        # A number that is no number: refused in words, as in Slack, what was typed kept once.
        status, location, _ = await post(
            carol, warroom, f"{page_of}/contacts", {"kind": "sms", "reason": "my phone"}
        )
        _, page = await get(carol, warroom.url + location.split("#")[0])
        assert "Not added: /oncall contact add sms needs the number" in visible_text(page)
        assert '<option value="sms" selected>' in page and 'value="my phone"' in page
        _, page = await get(carol, warroom.url + page_of)
        assert "Not added" not in visible_text(page) and 'value="my phone"' not in page
        status, location, _ = await post(
            carol, warroom, f"{page_of}/contacts", {**form, "reason": "my phone"}
        )
        assert (status, location) == (303, f"{page_of}#contacts")
        _, page = await get(carol, warroom.url + page_of)
        shown = " ".join(visible_text(page).split())
        assert "A code went to your sms +1 •••• 0199" in shown and NUMBER not in page
        assert "not verified yet" in shown
        (code,) = re.findall(r"code is (\d{6})", twilio.phone(NUMBER).messages[0])
        # The answer is said once.
        _, page = await get(carol, warroom.url + page_of)
        assert "A code went to" not in page
        await post(carol, warroom, f"{page_of}/contacts/sms/verify", {"code": "000000"})
        _, page = await get(carol, warroom.url + page_of)
        assert "That is not the code sent to your sms: 4 tries left" in visible_text(page)
        await post(carol, warroom, f"{page_of}/contacts/sms/verify", {"code": code})
        _, page = await get(carol, warroom.url + page_of)
        assert "Your sms +1 •••• 0199 is verified" in visible_text(page)
        await post(carol, warroom, f"{page_of}/contacts/sms/test", {})
        _, page = await get(carol, warroom.url + page_of)
        assert "sms (SMS +1 •••• 0199): sent" in visible_text(page)
        assert twilio.phone(NUMBER).messages[-1].startswith("This is a test from warroom")
        # A second test at once: the same limit as in Slack.
        await post(carol, warroom, f"{page_of}/contacts/sms/test", {})
        _, page = await get(carol, warroom.url + page_of)
        assert "No test sent: one test page every" in visible_text(page)
        await post(carol, warroom, f"{page_of}/contacts/sms/remove", {"reason": "new phone"})
        _, page = await get(carol, warroom.url + page_of)
        assert "Your sms is removed" in visible_text(page)
        assert "You have added no method yourself" in visible_text(page)
    assert [(c.by, c.what, c.reason, c.detail) for c in await changes(warroom)] == [
        (CAROL, "contact_added", "my phone", "+1 •••• 0199"),
        (CAROL, "contact_verified", "", "+1 •••• 0199"),
        (CAROL, "contact_tested", "", "sms: sent"),
        (CAROL, "contact_removed", "new phone", "+1 •••• 0199"),
    ]
    assert all(NUMBER not in f"{c.subject} {c.detail}" for c in await changes(warroom))


async def test_an_owner_puts_anyone_of_the_workspace_on_call_never_a_guest(
    warroom: Warroom,
) -> None:
    """Bob looks after payments (Alice and Bob): Carol, of another schedule, is offered and
    put on call; a guest, offered or typed, is refused at the field in words."""
    guest = add_guest(warroom.slack)
    await names_learned(warroom, CAROL, guest)
    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        _, page = await get(bob, f"{warroom.url}/oncall/payments")
        start = page.index('id="override-user"')
        offered = page[start : page.index("</select>", start)]
        others = offered[offered.index("Anyone else of the workspace") :]
        assert f'<option value="{CAROL}">Carol Tanaka</option>' in others
        assert guest not in offered  # Slack said so when he signed in
        assert "you may put anyone of the workspace on call (no guest)" in page
        form = {"start": "2026-03-13 18:00", "end": "2026-03-14 09:00"}
        form |= {"step": "confirm", "long": "yes"}
        status, location, _ = await post(
            bob, warroom, "/oncall/payments/overrides", {**form, "user": CAROL}
        )
        assert status == 303 and "added=1" in location
        status, location, _ = await post(
            bob, warroom, "/oncall/payments/overrides", {**form, "user": guest}
        )
        assert status == 303 and location.startswith("/oncall/payments?tz=")
        status, page = await get(bob, f"{warroom.url}{location}")
        assert status == 400 and "guest" in visible_text(page).lower()
