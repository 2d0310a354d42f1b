"""The worklists over HTTP: the incident list says each incident's latest
update, flags an open incident whose stakeholder update is overdue (WARROOM_UPDATE_REMINDER,
30 minutes here) or that nobody leads, finds incidents by words or by reference, and shows
times in the signed-in person's zone; the incident page's timeline is filtered by kind, its
escalations folded until asked for, with links and a form (no JavaScript)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.config import Secret
from emulator import SlackEmulator
from tests.conftest import ALICE, Clock
from tests.helpers.alerts import TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DAVE = "U0DAVE"


def words(html: str) -> str:
    return " ".join(visible_text(html).split())


def card_of(html: str, title: str) -> str:
    """The "Active now" card whose title holds ``title``, as text."""
    cards = re.findall(r'<li class="card active-incident">.*?</li>', html, re.S)
    found = [card for card in cards if title in card]
    assert len(found) == 1, (title, len(cards))
    return words(found[0])


def alerts_open_incidents() -> dict[str, object]:
    """An alert opens an incident (nobody leads it: no person declared it)."""
    return {
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes({"routes": [], "default": {"action": "open"}}),
    }


async def test_the_list_says_the_latest_update_and_flags_what_needs_a_person(
    slack: SlackEmulator, database_url: str
) -> None:
    slack.add_user(DAVE, "dave", "Dave Ndiaye", tz="Asia/Tokyo")
    settings = alerts_open_incidents()
    async with web_warroom(slack, database_url, Clock(NOW), **settings) as warroom:
        down = await open_incident(warroom, "Checkout is down")
        await open_incident(warroom, "Search is slow")
        fired = alertmanager("DiskFull", [alert("DiskFull", "db-1", "2026-03-10T08:58:00Z")])
        status, _ = await post_alert(warroom.url, "alertmanager", fired)
        assert status in (200, 202)
        await settle(warroom)
        await warroom.advance(minutes=40)
        await command(warroom, down, "update Rolled back the deploy\nWatching the error rate")
        async with browser() as dave:
            await sign_in(dave, warroom, DAVE)
            async with dave.get(f"{warroom.url}/") as answer:
                assert answer.status == 200
                html = await answer.text()
        checkout, search = card_of(html, "Checkout is down"), card_of(html, "Search is slow")
        disk = card_of(html, "DiskFull")
        # The latest update's first line, when it was said in Dave's zone (Tokyo), how long ago.
        assert "Latest update, 18:40 JST (less than a minute ago): Rolled back the deploy" in (
            checkout
        ), checkout
        assert "Watching the error rate" not in checkout
        assert "Latest update: none yet" in search
        # No update for 40 minutes, one due every 30: flagged; updated just now: not.
        assert "update overdue" in search and "update overdue" not in checkout
        # An alert's incident has nobody leading it; a declared one has its declarer.
        assert "no commander" in disk and "no commander" not in checkout
        assert "Alice Moreau" in checkout
        assert "Times are in your time zone (Asia/Tokyo)." in words(html)
        # Alice's zone is UTC, as Slack says it: her list is in UTC.
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/") as answer:
                mine = await answer.text()
        assert "Latest update, 09:40 UTC" in card_of(mine, "Checkout is down")


async def test_no_update_overdue_flag_with_reminders_off(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(
        slack, sqlite_url, Clock(NOW), incidents__update_reminder=None
    ) as warroom:
        await open_incident(warroom, "Search is slow")
        await warroom.advance(hours=3)
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/") as answer:
                html = await answer.text()
        assert "Search is slow" in html and "update overdue" not in html
        # The card's title, then its facts: status, severity, age (in words; on a phone
        # short: 3h), commander.
        card = card_of(html, "Search is slow")
        assert card.startswith("INC-1 Search is slow investigating SEV3 open for 3 hours"), card
        assert card.index("for 3h") < card.index("Alice Moreau")


async def test_the_list_finds_incidents_by_words_and_by_reference(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url, Clock(NOW)) as warroom, browser() as alice:
        await open_incident(warroom, "Checkout is down")
        await open_incident(warroom, "Search is slow")
        blip = await open_incident(warroom, "A blip in checkout at 100% load")
        await command(warroom, blip, "resolve it passed")
        await sign_in(alice, warroom, ALICE)

        async def listed(query: str) -> str:
            async with alice.get(f"{warroom.url}/", params={"q": query}) as answer:
                assert answer.status == 200, query
                return await answer.text()

        # Words in the title, any case, in both parts of the list; the box keeps them.
        html = await listed("CHECKOUT")
        assert "Checkout is down" in html and "A blip in checkout" in html
        assert "Search is slow" not in html
        assert 'name="q" value="CHECKOUT"' in html
        assert '<input type="hidden" name="q" value="CHECKOUT">' in html  # the filters keep it
        # A reference is that incident; a percent sign is itself, not a wildcard.
        html = await listed("inc-2")
        assert "Search is slow" in html and "Checkout is down" not in html
        assert "Words found in" not in html  # a reference is no words
        html = await listed("100%")
        assert "A blip in checkout" in html and "Checkout is down" not in html
        html = await listed("nothing like this")
        assert "Checkout is down" not in html and "match the filters" in html
        # The API takes the same search.
        async with alice.get(f"{warroom.url}/api/incidents", params={"q": "INC-1"}) as answer:
            found = await answer.json()
        assert answer.status == 200
        assert [i["reference"] for i in found["items"]] == ["INC-1"], found


async def test_words_are_found_in_any_order_and_where_they_were_said(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url, Clock(NOW)) as warroom, browser() as alice:
        sso = await open_incident(warroom, "Login failures for SSO users")
        await open_incident(warroom, "Checkout is down")
        queue = await open_incident(warroom, "Queue lag on payments")
        await command(warroom, queue, "update Rolling back the Kafka consumer deploy")
        await command(warroom, queue, "note the broker's disk filled at 03:10")
        await command(warroom, sso, "action Rotate the IdP signing certificate before expiry")
        await command(warroom, sso, "resolve certificate renewed")
        await sign_in(alice, warroom, ALICE)

        async def listed(query: str) -> str:
            async with alice.get(f"{warroom.url}/", params={"q": query}) as answer:
                assert answer.status == 200, query
                return words(await answer.text())

        # Every word, in any order, any case, a word's start finding the word: open and
        # resolved incidents alike, and the list says where the words are.
        for typed in ("sso login", "LOGIN sso", "fail sso"):
            html = await listed(typed)
            assert "Login failures for SSO users" in html, typed
            assert "Checkout is down" not in html and "Queue lag" not in html, typed
            assert "Words found in: the title or first report" in html, typed
        assert "Login failures" not in await listed("sso logout")
        # An update's words, a note's, a follow-up's: each incident found, and where.
        html = await listed("kafka rolling")
        assert "Queue lag on payments" in html and "Words found in: updates" in html
        html = await listed("broker disk")
        assert "Queue lag on payments" in html and "Words found in: timeline" in html
        html = await listed("signing certificate")
        assert "Login failures for SSO users" in html and "follow-ups" in html
        # Words spread over places must all be in the incident: title and follow-up, yes;
        # a word no place holds, no.
        assert "Login failures" in await listed("sso rotate")
        assert "Login failures" not in await listed("sso kafka")
        # Punctuation alone is no word: nothing matches rather than everything.
        assert "Checkout is down" not in await listed("%%% ---")


async def test_the_timeline_filters_by_kind_with_escalations_folded(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom, browser() as alice:
        channel = await open_incident(warroom, "Checkout is down")
        await command(warroom, channel, "update Rolling back the deploy")
        await command(warroom, channel, "escalate @bob the database refuses connections")
        await command(warroom, channel, "sev 1")
        await sign_in(alice, warroom, ALICE)

        async def timeline(query: str) -> tuple[str, str]:
            async with alice.get(f"{warroom.url}/incidents/INC-1{query}") as answer:
                assert answer.status == 200, query
                html = await answer.text()
            start = html.index('id="timeline"')
            part = html[start : html.index("</details>", start)]
            return part, words(part)

        # By default the escalation is folded into a line that says so and links to it.
        part, shown = timeline_default = await timeline("")
        assert "kind-escalation" not in part and "kind-update" in part
        assert "kind-severity" in part
        assert "1 escalation and paging line folded" in shown
        assert 'href="?show=messages&amp;show=updates&amp;show=changes&amp;show=paging' in part
        # The form: a checkbox a group, the default ones ticked, with their counts.
        assert '<input type="checkbox" name="show" value="paging"> Escalations' in part
        assert '<input type="checkbox" name="show" value="updates" checked> Updates (1)' in part
        # Asked for: the escalation is a line, and the fold's note is gone.
        part, shown = await timeline("?show=paging")
        assert "kind-escalation" in part and "kind-update" not in part
        assert "kind-severity" not in part and "folded" not in shown
        assert "Back to the usual lines" in shown
        part, shown = await timeline("?show=updates&show=changes")
        assert "kind-update" in part and "kind-severity" in part
        assert "kind-escalation" not in part
        # Every kind; an unknown group is ignored.
        part, _ = await timeline("?show=all")
        assert "kind-escalation" in part and "kind-update" in part
        part, _ = await timeline("?show=nonsense")
        assert part == timeline_default[0]
