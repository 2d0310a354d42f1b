"""Leave on a person's page in the web view, over HTTP with people signed in through the
emulator: the person adds leave (a first and a last day, the form's CSRF token checked),
is answered once after a redirect (Post/Redirect/Get), sees it listed and removes it; the
schedule's page and ``/api/oncall`` follow; anyone else sees it and may not change it.

payments is Alice and Bob a week each (Bob's week now, Wednesday 11 March 2026); Bob's zone
is Slack's, UTC.
"""

from __future__ import annotations

import aiohttp

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB
from tests.helpers.web_view import browser, csrf_of, sign_in
from tests.oncall.test_oncall_web import BEARER, oncall_warroom, page, text_of


async def post(session: aiohttp.ClientSession, url: str, form: dict[str, str]) -> tuple[int, str]:
    """Post a form without following its redirect: (status, Location)."""
    async with session.post(url, data=form, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", "")


async def on_call_now(url: str) -> str:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{url}/api/oncall/payments?from=2026-03-11T12:00:00Z", headers=BEARER) as got,
    ):
        body = await got.json()
    return str(body["shifts"][0]["user"]["id"])


async def test_leave_added_and_removed_on_ones_own_page(
    slack: SlackEmulator, database_url: str
) -> None:
    async with oncall_warroom(slack, database_url) as warroom, browser() as bob:
        await sign_in(bob, warroom, BOB)
        mine = f"{warroom.url}/oncall/people/{BOB}"
        status, html = await page(bob, mine)
        assert status == 200 and 'id="add-leave"' in html
        assert "No leave to come." in text_of(html)
        token = csrf_of(html)
        form = {"first": "2026-03-11", "last": "2026-03-12"}
        # Without the page's token, or with another, nothing is kept.
        for refused in (form, {**form, "csrf": "forged"}):
            status, _ = await post(bob, f"{mine}/leave", refused)
            assert status == 403
        status, location = await post(bob, f"{mine}/leave", {**form, "csrf": token})
        assert (status, location) == (303, f"/oncall/people/{BOB}#leave")

        status, html = await page(bob, mine)
        shown = text_of(html)
        assert "Leave #1 kept: 2026-03-11 to 2026-03-12 (UTC). Rotations skip you then" in shown
        assert "#1 2026-03-11 to 2026-03-12 (UTC)" in shown
        # Said once: the page read again no longer says it.
        _, again = await page(bob, mine)
        assert "Leave #1 kept" not in text_of(again) and "#1 2026-03-11" in text_of(again)
        # Alice, the only other person of payments, has Bob's turn while he is away.
        assert await on_call_now(warroom.url) == ALICE

        status, location = await post(bob, f"{mine}/leave/1/remove", {"csrf": token})
        assert status == 303
        _, html = await page(bob, mine)
        assert "Leave #1 (2026-03-11 to 2026-03-12 (UTC)) removed" in text_of(html)
        assert "No leave to come." in text_of(html)
        assert await on_call_now(warroom.url) == BOB


async def test_leave_that_cannot_be_kept_is_refused_in_words(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as bob:
        await sign_in(bob, warroom, BOB)
        mine = f"{warroom.url}/oncall/people/{BOB}"
        _, html = await page(bob, mine)
        token = csrf_of(html)
        refusals = {
            (
                "2026-03-14",
                "2026-03-12",
            ): "Not added: the last day (2026-03-12) is before the first",
            ("", ""): "Not added: give the first and the last day of your leave.",
            ("2026-03-01", "2026-03-02"): "Not added: 2026-03-01 to 2026-03-02 is over",
            ("someday", ""): "Not added: give the first and the last day of your leave.",
        }
        for (first, last), words in refusals.items():
            form = {"first": first, "last": last, "csrf": token}
            status, _ = await post(bob, f"{mine}/leave", form)
            assert status == 303, (first, last)
            status, html = await page(bob, mine)
            assert status == 200 and words in text_of(html), (first, last)
            assert 'role="alert"' in html
        status, _ = await post(bob, f"{mine}/leave/99/remove", {"csrf": token})
        _, html = await page(bob, mine)
        assert "Nothing removed: you have no leave #99." in text_of(html)
        assert "No leave to come." in text_of(html)
        # A leave calendar at an address warroom does not fetch from, or none to remove.
        feed = f"{mine}/leave/feed"
        await post(bob, feed, {"url": "http://127.0.0.1:9/time-off.ics", "csrf": token})
        _, html = await page(bob, mine)
        assert "Not kept: that address is refused: http:// is refused" in text_of(html)
        await post(bob, feed, {"url": "", "csrf": token})
        _, html = await page(bob, mine)
        assert "Nothing removed: you have no leave calendar." in text_of(html)


async def test_others_see_someones_leave_and_cannot_change_it(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as bob:
        await sign_in(bob, warroom, BOB)
        mine = f"{warroom.url}/oncall/people/{BOB}"
        _, html = await page(bob, mine)
        form = {"first": "2026-03-20", "last": "2026-03-20", "csrf": csrf_of(html)}
        assert (await post(bob, f"{mine}/leave", form))[0] == 303
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            status, html = await page(alice, mine)
            shown = text_of(html)
            assert status == 200 and "Leave Rotations skip them on these days" in shown
            assert "#1 2026-03-20 (UTC)" in shown
            assert 'id="add-leave"' not in html and "/leave/1/remove" not in html
            token = csrf_of(html)
            status, _ = await post(alice, f"{mine}/leave", {**form, "csrf": token})
            assert status == 403
            status, _ = await post(alice, f"{mine}/leave/1/remove", {"csrf": token})
            assert status == 403
        _, html = await page(bob, mine)
        assert "#1 2026-03-20 (UTC)" in text_of(html)
