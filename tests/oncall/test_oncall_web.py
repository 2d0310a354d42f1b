"""On call in the web view, over HTTP with people signed in through the emulator: the list,
a schedule's timeline with its gaps in red, overrides added and cancelled from the page
(CSRF as every form), the refusals, hours on call in the insights, and the JSON API."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import requests
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from bot.record.oncall.schedules import parse_schedules
from emulator import Message, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.web_view import API_TOKEN, browser, csrf_of, sign_in, visible_text, web_warroom
from tests.oncall.samples import two_schedules

# Wednesday 11 March 2026, 13:00 in Paris.
NOW = datetime(2026, 3, 11, 12, tzinfo=UTC)
BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


@asynccontextmanager
async def oncall_warroom(
    slack: SlackEmulator, database_url: str, now: datetime = NOW, **overrides: Any
) -> AsyncIterator[Warroom]:
    """The web view with two schedules (samples.two_schedules), times in Paris; more settings
    in ``overrides``."""
    async with web_warroom(
        slack,
        database_url,
        Clock(now),
        oncall__schedules=two_schedules(NOW),
        incidents__timezone="Europe/Paris",
        **overrides,
    ) as warroom:
        yield warroom


async def names_learned(warroom: Warroom, *users: str) -> None:
    """Each of ``users`` signs in once, so the record knows their names."""
    for user in users:
        async with browser() as them:
            await sign_in(them, warroom, user)


def add_guest(slack: SlackEmulator) -> str:
    """Gus, a guest of the workspace; his user id."""
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    return guest.id


@asynccontextmanager
async def alice_sees(
    slack: SlackEmulator, database_url: str, schedule: dict[str, Any]
) -> AsyncIterator[tuple[Warroom, aiohttp.ClientSession]]:
    """The bot with one schedule, ``payments`` (as the file would hold it), times in Paris,
    and Alice signed in to the web view."""
    schedules = parse_schedules({"schedules": {"payments": schedule}}, now=NOW)
    async with (
        web_warroom(
            slack,
            database_url,
            Clock(NOW),
            oncall__schedules=schedules,
            incidents__timezone="Europe/Paris",
        ) as warroom,
        browser() as alice,
    ):
        await sign_in(alice, warroom, ALICE)
        yield warroom, alice


async def page(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as answer:
        return answer.status, await answer.text()


async def post(
    session: aiohttp.ClientSession, url: str, form: dict[str, str], *, confirmed: bool = True
) -> tuple[int, str, str]:
    """Post a form without following the answer: (status, Location, body); a refusal's
    redirect (no override added or cancelled) followed to the page that says it: (that
    page's status, Location, that page). ``confirmed``: as the second step of the page's two
    (the preview or the question seen and confirmed, an override's length ticked), which is
    what most tests here are about."""
    if confirmed and url.endswith(("/overrides", "/cancel")):
        form = {"step": "confirm", "long": "yes", **form}
    async with session.post(url, data=form, allow_redirects=False) as answer:
        status, location = answer.status, answer.headers.get("Location", "")
        body = await answer.text()
    if status == 303 and not re.search(r"[?&](added|cancelled)=", location):
        async with session.get(urllib.parse.urljoin(url, location)) as shown:
            return shown.status, location, await shown.text()
    return status, location, body


def dms(slack: SlackEmulator, user: str) -> list[Message]:
    """What the bot said to ``user`` in their DM with it."""
    channel = slack.channels.get("D" + user[1:])
    return list(channel.messages) if channel else []


def text_of(html: str) -> str:
    return " ".join(visible_text(html).split())


async def test_the_list_shows_who_is_on_call_now_and_next_in_the_viewers_zone(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        await names_learned(warroom, BOB)
        status, html = await page(alice, f"{warroom.url}/oncall")
        assert status == 200
        shown = text_of(html)
        # Bob holds payments until Monday 09:00 in Paris, then Alice.
        assert "payments (Europe/Paris) Bob Okafor since Mon 2026-03-09 09:00 CET" in shown
        assert "Mon 2026-03-16 09:00 CET Alice Moreau until Mon 2026-03-23 09:00 CET" in shown
        # Carol's name is not known to the record: asked of Slack, at once when Slack's pace
        # allows (the start-up's handoffs may have spent it), else in the background, and
        # named by id meanwhile only as "a Slack user"; never a bare id.
        support_row = "support (Europe/Paris) {} since Wed 2026-03-11 09:00 CET"
        assert support_row.format("Carol Tanaka") in shown or (
            support_row.format(f"a Slack user ({CAROL})") in shown
        )
        await warroom.finish_background()
        assert support_row.format("Carol Tanaka") in text_of(
            (await page(alice, f"{warroom.url}/oncall"))[1]
        )
        assert "Wed 2026-03-11 18:00 CET nobody (a gap)" in shown
        status, html = await page(alice, f"{warroom.url}/oncall?tz=America/New_York")
        assert "Mon 2026-03-16 04:00 EDT" in text_of(html)
        # A zone that does not exist: refused at its field (400), kept as typed, the times
        # in the team's zone all the same; a schedule's and a person's page alike.
        for where in ("/oncall", "/oncall/payments", f"/oncall/people/{ALICE}"):
            status, html = await page(alice, f"{warroom.url}{where}?tz=Mars/Olympus")
            assert status == 400, where
            assert 'id="tz-problem">There is no time zone called “Mars/Olympus”' in html
            assert 'value="Mars/Olympus" size="24" aria-invalid="true"' in html, where
        # A name is text, never markup: Eve takes support herself, from an hour ago (which is
        # history: it starts now) to 15:00 in Paris.
        slack.add_user("U0EVE", "eve", "Eve <b>Ops</b> & co")
        await names_learned(warroom, "U0EVE")
        async with browser() as carol:  # support's member puts Eve on call
            await sign_in(carol, warroom, CAROL)
            _, html = await page(carol, f"{warroom.url}/oncall/support")
            form = {"csrf": csrf_of(html), "start": "2026-03-11 11:00 UTC", "end": "15:00"}
            form["user"] = "U0EVE"
            status, _, _ = await post(carol, f"{warroom.url}/oncall/support/overrides", form)
            assert status == 303
        _, html = await page(alice, f"{warroom.url}/oncall")
        assert "Eve &lt;b&gt;Ops&lt;/b&gt; &amp; co" in html and "<b>Ops" not in html
        assert "Eve <b>Ops</b> & co since Wed 2026-03-11 13:00 CET Wed 2026-03-11 15:00 CET" in (
            text_of(html)
        )


async def test_a_schedule_page_draws_the_next_two_weeks_with_its_gaps_in_red(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        status, html = await page(alice, f"{warroom.url}/oncall/support")
        assert status == 200
        svg = html[html.index("<svg") : html.index("</svg>")]
        gaps = re.findall(r'<rect [^>]*fill="#C62828"[^>]*data-gap="true"', svg)
        # Nights and weekends of 14 days from Wednesday: a gap before each of the 10
        # weekdays' office hours, and one after the last.
        assert len(gaps) == 11
        assert "Nobody on call: Wed Mar 11 18:00 to Thu Mar 12 09:00 CET" in svg
        # The same gaps in words, for whoever cannot see the colour.
        shown = text_of(html)
        assert "11 gaps: nobody is on call" in shown
        assert "from Wed 2026-03-11 18:00 CET to Thu 2026-03-12 09:00 CET (15 hours)" in shown
        # Day ticks with their dates, and a row per layer, the overrides and the final one.
        assert ">Wed</text>" in svg and ">Mar 11</text>" in svg and ">Mar 24</text>" in svg
        assert ">office-hours</text>" in svg and ">Overrides</text>" in svg
        status, html = await page(alice, f"{warroom.url}/oncall/payments")
        assert "data-gap" not in html and "No gaps" in html
        assert 'data-user="U0BOB"' in html and 'data-user="U0ALICE"' in html
        # In another zone the days follow the viewer's clock.
        status, html = await page(alice, f"{warroom.url}/oncall/payments?tz=Asia/Tokyo")
        assert "Times are shown in Asia/Tokyo" in text_of(html)
        assert "Mon 2026-03-16 17:00 JST" in text_of(html)
        status, html = await page(alice, f"{warroom.url}/oncall/nope")
        assert status == 404 and "There is no on-call schedule called “nope”" in text_of(html)
        # The calendar feeds' addresses are not this page's.
        status, html = await page(alice, f"{warroom.url}/oncall/payments.ics")
        assert status == 404 and "on-call schedule" not in html


async def test_an_override_added_and_cancelled_from_the_page(
    slack: SlackEmulator, database_url: str
) -> None:
    async with oncall_warroom(slack, database_url) as warroom, browser() as bob:
        async with browser() as carol:
            await sign_in(carol, warroom, CAROL)
        await sign_in(bob, warroom, BOB)
        url = f"{warroom.url}/oncall/payments"
        status, html = await page(bob, url)
        token = csrf_of(html)
        form = {"user": CAROL, "start": "2026-03-13 18:00", "end": "2026-03-16 09:00"}
        # Without the form's token, or with another, nothing is kept.
        for refused in (form, {**form, "csrf": "forged"}):
            status, _, _ = await post(bob, f"{url}/overrides", refused)
            assert status == 403
        status, location, _ = await post(bob, f"{url}/overrides", {**form, "csrf": token})
        assert status == 303 and location.startswith("/oncall/payments?added=1")
        # As from Slack, the person put on call is told by DM.
        told = await slack.wait_for(lambda: dms(slack, CAROL))
        assert told[-1].text.startswith(f":pager: <@{BOB}> put you on call for *payments* from")
        status, html = await page(bob, warroom.url + location)
        shown = text_of(html)
        assert (
            "Override 1 added: Carol Tanaka is on call from Fri 2026-03-13 18:00 CET to "
            "Mon 2026-03-16 09:00 CET, taking over from Bob Okafor, Fri 2026-03-13 18:00 CET "
            "to Mon 2026-03-16 09:00 CET."
        ) in shown
        overrides_row = html[html.index("row-overrides") :]
        assert 'data-user="U0CAROL"' in overrides_row[: overrides_row.index("row-final")]
        # The audit trail: who is on call, who made it and when.
        history = text_of(html[html.index('id="override-history"') :])
        assert "1 Carol Tanaka Fri 2026-03-13 18:00 CET Mon 2026-03-16 09:00 CET" in history
        assert "Bob Okafor Wed 2026-03-11 13:00 CET to come" in history
        # The API agrees.
        async with aiohttp.ClientSession() as client:
            shifts_url = f"{warroom.url}/api/oncall/payments?from=2026-03-13T17:00:00Z"
            async with client.get(shifts_url, headers=BEARER) as answer:
                body = await answer.json()
        assert body["shifts"][0]["user"] == {"id": CAROL, "name": "Carol Tanaka"}
        assert body["shifts"][0]["end"] == "2026-03-16T08:00:00Z"
        # Cancelled: the row stays, saying who cancelled it.
        cancel = f"{url}/overrides/1/cancel"
        status, _, _ = await post(bob, cancel, {"tz": "Europe/Paris"})
        assert status == 403
        status, location, _ = await post(bob, cancel, {"csrf": token, "tz": "Europe/Paris"})
        assert status == 303 and "cancelled=1" in location
        told = await slack.wait_for(lambda: dms(slack, CAROL)[1:])
        assert told[-1].text.startswith(f":information_source: <@{BOB}> cancelled override #1")
        status, html = await page(bob, warroom.url + location)
        assert "Override 1 (Carol Tanaka," in text_of(html)
        history = text_of(html[html.index('id="override-history"') :])
        assert "cancelled by Bob Okafor Wed 2026-03-11 13:00 CET" in history
        assert 'data-user="U0CAROL"' not in html
        status, _, body_html = await post(bob, cancel, {"csrf": token})
        assert status == 400 and "was cancelled already" in text_of(body_html)


async def test_the_override_form_picks_a_member_by_name_a_layer_or_nobody(
    slack: SlackEmulator, database_url: str
) -> None:
    async with oncall_warroom(slack, database_url) as warroom, browser() as bob:
        await sign_in(bob, warroom, BOB)
        url = f"{warroom.url}/oncall/payments"
        _, html = await page(bob, url)
        start = html.index('id="override-user"')
        form_html = html[start : html.index("</form>", start)]
        # A list of the schedule's people, not a field for a Slack user id: Bob first as
        # himself, Alice (never seen yet: asked of Slack) by name, then nobody; every layer or one.
        assert "Slack user id" not in form_html
        options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', form_html)
        # Nobody chosen at first: who is put on call is never a default unseen.
        assert options[:3] == [
            ("", "Choose who…"),
            (BOB, "You (Bob Okafor)"),
            (ALICE, "Alice Moreau"),
        ]
        # Then anyone else warroom already knows by name (its start-up may have met some), and
        # nobody last.
        gap_at = options.index(("nobody", "Nobody (a deliberate gap)"))
        assert all(user not in ("", BOB, ALICE) for user, _ in options[3:gap_at])
        assert re.search(r'<option value=""\s+selected>Choose who…', form_html)
        assert ("weekly", "layer weekly only") in options
        # Alice asks /oncall in Slack: she is named from then on, in the list too.
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("payments", command="/oncall", user=ALICE, channel=general.id)
        await warroom.finish_background()
        _, html = await page(bob, url)
        assert f'<option value="{ALICE}">Alice Moreau</option>' in html
        # Nobody on the weekly layer for a night: a deliberate gap, shown as such.
        token = csrf_of(html)
        gap = {"csrf": token, "user": "nobody", "layer": "weekly"}
        gap |= {"start": "2026-03-12 20:00", "end": "2026-03-13 07:00"}
        status, location, _ = await post(bob, f"{url}/overrides", gap)
        assert status == 303 and "added=1" in location
        _, html = await page(bob, warroom.url + location)
        history = text_of(html[html.index('id="override-history"') :])
        assert (
            "1 nobody (a gap) (layer weekly) Thu 2026-03-12 20:00 CET Fri 2026-03-13 07:00 CET"
            in (history)
        )
        async with aiohttp.ClientSession() as client:
            window = f"{warroom.url}/api/oncall/payments?from=2026-03-12T19:00:00Z"
            async with client.get(window + "&to=2026-03-13T06:00:00Z", headers=BEARER) as answer:
                assert (await answer.json())["shifts"][0]["user"] is None
        # A layer the schedule does not have is refused naming its layers, what was chosen kept.
        status, _, html = await post(bob, f"{url}/overrides", {**gap, "layer": "nightly"})
        assert status == 400
        assert "Schedule “payments”, layer: it has no layer “nightly”; its layers are “weekly”" in (
            text_of(html)
        )
        assert '<option value="nobody" selected>' in html


async def test_overrides_that_cannot_be_kept_are_refused_naming_the_schedule_and_field(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as carol:
        await sign_in(carol, warroom, CAROL)
        url = f"{warroom.url}/oncall/payments"
        _, html = await page(carol, url)
        token = csrf_of(html)
        base = {
            "csrf": token,
            "user": CAROL,
            "start": "2026-03-13 18:00",
            "end": "2026-03-14 09:00",
        }
        # Carol is neither a member nor an owner of payments.
        status, _, html = await post(carol, f"{url}/overrides", {**base, "user": ALICE})
        assert status == 400
        assert (
            "Not done: Schedule “payments”, who: only the schedule's members and owners may put "
            "someone else on call"
        ) in text_of(html)
        # Taking a shift herself takes an owner's Accept, and payments has no owner.
        status, _, html = await post(carol, f"{url}/overrides", base)
        assert status == 400 and "the schedule has no owners in the schedule file" in html
        async with browser() as bob:
            await sign_in(bob, warroom, BOB)
            _, html = await page(bob, url)
            bobs = {**base, "csrf": csrf_of(html)}
            # What cannot be kept is refused to Bob, a member, too.
            await _refused_to(bob, url, bobs)
            status, location, _ = await post(bob, f"{url}/overrides", {**bobs, "user": CAROL})
            assert status == 303 and "added=1" in location
            # Someone else's override of someone else is not Carol's to cancel.
            form = {**bobs, "user": ALICE, "start": "2026-03-20 09:00", "end": "2026-03-21 09:00"}
            status, _, _ = await post(bob, f"{url}/overrides", form)
            assert status == 303
        # Alice, seen now for the first time (put on call), is named from Slack from then on.
        await warroom.finish_background()
        _, html = await page(carol, url)
        assert f"{url.removeprefix(warroom.url)}/overrides/1/cancel" in html
        assert f"{url.removeprefix(warroom.url)}/overrides/2/cancel" not in html
        for number, message in (
            (
                "2",
                "Schedule “payments”: override #2 (Alice Moreau, made by Bob Okafor) may be "
                "cancelled only by them or by the schedule's owners.",
            ),
            ("99", "Schedule “payments”, override: there is no override #99 of this schedule."),
            ("x1", "Schedule “payments”, override: “x1” is not an override's number."),
        ):
            status, _, html = await post(carol, f"{url}/overrides/{number}/cancel", base)
            assert status == 400
            assert f"Not done: {message}" in text_of(html), number
        # An override of one schedule is not cancelled through another's page.
        support = f"{warroom.url}/oncall/support/overrides/1/cancel"
        status, _, html = await post(carol, support, base)
        assert status == 400
        assert "Schedule “support”, override: there is no override #1 of this" in text_of(html)
        status, _, _ = await post(carol, f"{warroom.url}/oncall/nope/overrides", base)
        assert status == 404


async def _refused_to(session: aiohttp.ClientSession, url: str, base: dict[str, str]) -> None:
    """Overrides that cannot be kept are refused naming the schedule and the field, and the
    page comes back with what was typed."""
    refusals = {
        "Schedule “payments”, who: “bob” is not a Slack user id": {"user": "bob"},
        "Schedule “payments”, who: U0NOBODY cannot be on call: Slack says they are a bot, "
        "deactivated or unknown": {"user": "U0NOBODY"},
        "schedule 'payments': override end: 2026-03-13 08:00 UTC is not after its start": {
            "end": "2026-03-13 09:00"
        },
        "schedule 'payments': override end: more than a year after its start": {
            "end": "2027-06-01 09:00"
        },
        "Schedule “payments”, from: '2026-10-25 02:30' happens twice in Europe/Paris": {
            "start": "2026-10-25 02:30",
            "end": "2026-10-26 09:00",
        },
        "Schedule “payments”, from: I could not read 'soon' as a time": {"start": "soon"},
        "Schedule “payments”, time zone: there is no time zone called “Mars/Olympus”": {
            "tz": "Mars/Olympus"
        },
        "Schedule “payments”, to: it would end Tue 2026-03-10 09:00 CET, which is past": {
            "start": "2026-03-09 09:00",
            "end": "2026-03-10 09:00",
        },
    }
    for message, change in refusals.items():
        status, _, html = await post(session, f"{url}/overrides", {**base, **change})
        assert status == 400, message
        assert f"Not done: {message}" in text_of(html), message
        # Kept as a native date and time field shows it.
        kept = change.get("start", base["start"]).replace(" ", "T")
        assert f'value="{kept}"' in html


async def test_guests_see_no_schedule(slack: SlackEmulator, sqlite_url: str) -> None:
    guest = add_guest(slack)
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as gus:
        await sign_in(gus, warroom, guest)
        for path in ("/oncall", "/oncall/payments"):
            status, html = await page(gus, warroom.url + path)
            assert status == 403 and "for the workspace's members" in html
        status, html = await page(gus, f"{warroom.url}/insights")
        assert status == 200 and "Hours on call" not in html
        async with gus.get(f"{warroom.url}/api/oncall") as answer:
            assert (await answer.json())["items"] == []
        async with gus.get(f"{warroom.url}/api/oncall/payments") as answer:
            assert answer.status == 404


async def test_insights_count_hours_nights_and_weekends_per_person(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    # 90 days back from Monday 6 April 2026, 10:00 in Paris, is Tuesday 6 January, 09:00:
    # a handoff of the weekly rotation below, which the clocks' change of 29 March crosses.
    now = datetime(2026, 4, 6, 8, tzinfo=UTC)
    for user, zone in ((ALICE, "Europe/Paris"), (BOB, "Europe/Paris"), (CAROL, "Asia/Tokyo")):
        slack.users[user].tz = zone
    document = {
        "schedules": {
            "payments": {
                "timezone": "Europe/Paris",
                "layers": [
                    {
                        "name": "weekly",
                        "start": "2026-01-06 09:00",
                        "rotation": "weekly",
                        "members": [ALICE, BOB],
                    }
                ],
            }
        }
    }
    async with (
        web_warroom(
            slack, sqlite_url, Clock(now), oncall__schedules=parse_schedules(document, now=now)
        ) as warroom,
        browser() as alice,
    ):
        await sign_in(alice, warroom, ALICE)
        async with browser() as bob, browser() as carol:
            await sign_in(bob, warroom, BOB)
            await sign_in(carol, warroom, CAROL)  # Slack says her zone is Tokyo's
        # On the Friday before, Alice gives Carol Saturday 4 April, 00:00 to 12:00 in
        # Paris.
        warroom.clock.now = datetime(2026, 4, 3, 12, tzinfo=UTC)
        _, html = await page(alice, f"{warroom.url}/oncall/payments")
        token = csrf_of(html)
        form = {"csrf": token, "user": CAROL, "start": "2026-04-04 00:00"}
        form["end"] = "2026-04-04 12:00"
        status, _, _ = await post(alice, f"{warroom.url}/oncall/payments/overrides", form)
        assert status == 303
        warroom.clock.now = now
        status, html = await page(alice, f"{warroom.url}/insights")
    assert status == 200 and "<title>Insights · warroom</title>" in html
    assert html.count('id="oncall"') == 1
    section = html[html.index('id="oncall"') :]
    rows = {
        cells[0]: " · ".join(cells[1:])
        for cells in (
            [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr data-user=.*?</tr>", section)
        )
    }
    # Alice: 6 weeks and Tuesday 31 March to now, less Carol's 12 hours; Bob: 6 weeks, the
    # one of the clocks' change an hour short (the night and the weekend of it too).
    assert rows["Alice Moreau"] == "1141 h · 53% · 425 h · 324 h · Europe/Paris"
    assert rows["Bob Okafor"] == "1007 h · 47% · 377 h · 287 h · Europe/Paris"
    # Carol's 12 hours are Saturday 07:00 to 19:00 in Tokyo: no night, all weekend.
    assert rows["Carol Tanaka"] == "12 h · 1% · 0 h · 12 h · Asia/Tokyo"
    svg = section[section.index("<svg") : section.index("</svg>")]
    assert 'data-series="nights" data-hours="377.0"' in svg


async def test_the_api_answers_who_is_on_call_and_the_shifts_of_a_window(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        async with client.get(f"{warroom.url}/api/oncall") as answer:
            assert answer.status == 401
        async with client.get(f"{warroom.url}/api/oncall", headers=BEARER) as answer:
            listed = await answer.json()
        assert listed["at"] == "2026-03-11T12:00:00Z"
        payments, support = listed["items"]
        assert payments == {
            "schedule": "payments",
            "timezone": "Europe/Paris",
            "current": {
                "start": "2026-03-09T08:00:00Z",
                "end": "2026-03-16T08:00:00Z",
                "user": {"id": BOB, "name": "Bob Okafor"},
                "users": [{"id": BOB, "name": "Bob Okafor"}],
            },
            "next": {
                "start": "2026-03-16T08:00:00Z",
                "end": "2026-03-23T08:00:00Z",
                "user": {"id": ALICE, "name": "Alice Moreau"},
                "users": [{"id": ALICE, "name": "Alice Moreau"}],
            },
            "url": "/oncall/payments",
        }
        assert support["next"] == {
            "start": "2026-03-11T17:00:00Z",
            "end": "2026-03-12T08:00:00Z",
            "user": None,
            "users": [],
        }
        window = "from=2026-03-13T00:00:00Z&to=2026-03-14T00:00:00%2B01:00"
        async with client.get(
            f"{warroom.url}/api/oncall/support?{window}", headers=BEARER
        ) as answer:
            body = await answer.json()
        assert body["from"] == "2026-03-13T00:00:00Z" and body["to"] == "2026-03-13T23:00:00Z"
        assert [(s["start"], s["end"], s["user"]) for s in body["shifts"]] == [
            ("2026-03-13T00:00:00Z", "2026-03-13T08:00:00Z", None),
            ("2026-03-13T08:00:00Z", "2026-03-13T17:00:00Z", {"id": CAROL, "name": "Carol Tanaka"}),
            ("2026-03-13T17:00:00Z", "2026-03-13T23:00:00Z", None),
        ]
        refusals = {
            "from=2026-03-14T00:00:00Z&to=2026-03-13T00:00:00Z": "to: 2026-03-13T00:00:00Z is "
            "not after from (2026-03-14T00:00:00Z)",
            "from=2026-03-01T00:00:00Z&to=2027-03-02T00:00:00Z": "to: the window is at most a year",
            "from=yesterday": "from: 'yesterday' is not an ISO 8601 time",
            "to=2026-03-20T00:00:00": "to: give the time with its offset",
            "from=1969-12-31T00:00:00Z": "from: the window must lie between 1970 and 2200",
        }
        for query, message in refusals.items():
            async with client.get(
                f"{warroom.url}/api/oncall/payments?{query}", headers=BEARER
            ) as answer:
                error = await answer.json()
            assert answer.status == 400, query
            assert error["error"] == "bad_window"
            assert error["message"].startswith(f"schedule 'payments': {message}"), error
        async with client.get(f"{warroom.url}/api/oncall/nope", headers=BEARER) as answer:
            assert answer.status == 404 and (await answer.json())["error"] == "not_found"
        async with client.get(f"{warroom.url}/api/openapi.json") as answer:
            document = await answer.json()
        paths = document["paths"]
        assert paths["/api/oncall"]["get"]["operationId"] == "listOncall"
        parameters = paths["/api/oncall/{schedule}"]["get"]["parameters"]
        assert [p["name"] for p in parameters] == ["schedule", "from", "to"]
        assert "OncallShiftsPublic" in document["components"]["schemas"]


# Typed times as people type them, and anything else.
TYPED = st.one_of(
    st.sampled_from(
        [
            "",
            "2026-03-13 18:00",
            "Fri 18:00",
            "tomorrow 09:00",
            "18:00 UTC",
            "2026-03-29 02:30",
            "2026-10-25 02:30",
            "03/04/2026 10:00",
            "9999-12-31 23:59",
            "0001-01-01 00:00 +14:00",
            "10:30 IST",
        ]
    ),
    st.text(st.characters(codec="utf-8"), max_size=40),
)
ZONES = st.one_of(
    st.sampled_from(["", "Europe/Paris", "UTC", "Pacific/Kiritimati", "../../etc/passwd"]),
    st.text(st.characters(codec="utf-8"), max_size=20),
)
USERS = st.one_of(
    st.sampled_from(["", ALICE, "@U0CAROL", "u0erin", "W0ABC", "bob"]),
    st.text(st.characters(codec="utf-8"), max_size=20),
)


def _fuzz_the_forms(base: str, cookies: dict[str, str], token: str) -> None:
    client = requests.Session()
    client.trust_env = False
    client.cookies.update(cookies)

    @settings(max_examples=60, deadline=None, database=None, print_blob=False)
    @seed(26_001)
    @given(user=USERS, start=TYPED, end=TYPED, tz=ZONES, cancel=st.text(max_size=12))
    def forms(user: str, start: str, end: str, tz: str, cancel: str) -> None:
        form = {"csrf": token, "user": user, "start": start, "end": end, "tz": tz}
        answer = client.post(
            f"{base}/oncall/payments/overrides", data=form, allow_redirects=False, timeout=30
        )
        assert answer.status_code in (303, 400), (form, answer.status_code, answer.text[:300])
        assert "Traceback" not in answer.text
        path = urllib.parse.quote(cancel, safe="") or "1"
        answer = client.post(
            f"{base}/oncall/payments/overrides/{path}/cancel",
            data={"csrf": token, "tz": tz},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code in (303, 400, 404), (cancel, answer.status_code)

    try:
        forms()
    finally:
        client.close()


async def test_whatever_is_typed_in_the_forms_gets_an_answer_never_a_5xx(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as bob:
        await sign_in(bob, warroom, BOB)
        _, html = await page(bob, f"{warroom.url}/oncall/payments")
        cookies = {cookie.key: cookie.value for cookie in bob.cookie_jar}
        await asyncio.to_thread(_fuzz_the_forms, warroom.url, cookies, csrf_of(html))
        # What was kept shows on the page, every row with its maker.
        status, html = await page(bob, f"{warroom.url}/oncall/payments")
        assert status == 200


async def test_with_sign_in_off_whoever_runs_warroom_may_change_any_schedule(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        running_warroom(
            slack, sqlite_url, Clock(NOW), web__auth="none", oncall__schedules=two_schedules(NOW)
        ) as warroom,
        browser() as local,
    ):
        url = f"{warroom.url}/oncall/payments"
        _, html = await page(local, url)
        form = {"csrf": csrf_of(html), "user": CAROL, "start": "now", "end": "Fri 18:00"}
        status, location, _ = await post(local, f"{url}/overrides", form)
        assert status == 303 and "added=1" in location
        status, location, _ = await post(local, f"{url}/overrides/1/cancel", form)
        assert status == 303 and "cancelled=1" in location
        # Carol, put on call, is named from Slack (users.info) from then on.
        await warroom.finish_background()
        _, html = await page(local, url)
        history = text_of(html[html.index('id="override-history"') :])
        assert "1 Carol Tanaka Wed 2026-03-11 13:00 CET Fri 2026-03-13 18:00 CET local" in history
        assert "cancelled by local" in history


async def test_with_overlap_all_the_pages_and_the_api_name_everyone_on_call(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A primary and a shadow, cumulative: the list, the schedule's page and its timeline,
    and the API name both, in the layers' order."""
    layer = {"start": "2026-03-02 09:00", "rotation": "weekly"}
    body = {
        "timezone": "Europe/Paris",
        "overlap": "all",
        "layers": [
            {**layer, "name": "primary", "members": [ALICE, BOB]},
            {**layer, "name": "shadow", "members": [CAROL]},
        ],
    }
    async with alice_sees(slack, sqlite_url, body) as (warroom, alice):
        status, html = await page(alice, f"{warroom.url}/oncall")
        assert status == 200
        assert "Bob Okafor + Carol Tanaka since Mon 2026-03-09 09:00 CET" in text_of(html)
        status, html = await page(alice, f"{warroom.url}/oncall/payments")
        assert status == 200
        assert "every one's person is on call (overlap: all)" in text_of(html)
        assert f'data-user="{BOB} {CAROL}"' in html and "No gaps" in html
        async with alice.get(f"{warroom.url}/api/oncall/payments", headers=BEARER) as answer:
            shifts = (await answer.json())["shifts"]
        assert [[person["id"] for person in s["users"]] for s in shifts] == [
            [BOB, CAROL],  # the 14 days from now
            [ALICE, CAROL],
            [BOB, CAROL],
        ]
        assert [s["user"]["id"] for s in shifts] == [BOB, ALICE, BOB]


async def test_the_schedule_page_says_restrictions_across_midnight_and_across_days(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    layer = {"name": "nights", "start": "2026-03-02 09:00", "rotation": "weekly"}
    rules = [
        {"days": ["mon", "tue"], "from": "19:00", "to": "07:00"},
        {"from": "fri 18:00", "to": "mon 08:00"},
    ]
    body = {
        "timezone": "Europe/Paris",
        "layers": [{**layer, "members": [ALICE], "restrictions": rules}],
    }
    async with alice_sees(slack, sqlite_url, body) as (warroom, alice):
        status, html = await page(alice, f"{warroom.url}/oncall/payments")
        assert status == 200
        assert "only Mon/Tue 19:00–07:00 the next morning, Fri 18:00 to Mon 08:00" in text_of(html)


async def test_scripts_put_on_call_and_cancel_through_the_api_with_its_token(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Leave and holidays by script: POST and DELETE /api/oncall/<schedule>/overrides with the
    API token (a browser's session is not enough), through /oncall override's flow."""
    url = "/api/oncall/payments/overrides"
    holiday = {"user": CAROL, "start": "2026-03-12T08:00:00Z", "end": "2026-03-13T08:00:00Z"}
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        # Carol asked /oncall in Slack once: warroom knows her name since.
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("", command="/oncall", user=CAROL, channel=general.id)
        await warroom.finish_background()
        async with alice.post(warroom.url + url, json=holiday) as answer:
            assert answer.status == 401  # the session is not taken for a change
        async with alice.post(warroom.url + url, json=holiday, headers=BEARER) as answer:
            made = await answer.json()
            assert answer.status == 201, made
        assert made["user"] == {"id": CAROL, "name": "Carol Tanaka"} and made["layer"] is None
        assert (made["start"], made["end"], made["created_by"]) == (
            "2026-03-12T08:00:00Z",
            "2026-03-13T08:00:00Z",
            "api",
        )
        assert [s["user"]["id"] for s in made["displaced"]] == [BOB]
        [dm] = await slack.wait_for(lambda: dms(slack, CAROL))
        assert "Someone, through warroom's API, put you on call for *payments*" in dm.text
        async with alice.get(
            f"{warroom.url}/api/oncall/payments?from=2026-03-12T12:00:00Z&to=2026-03-12T13:00:00Z"
        ) as answer:
            assert [s["user"]["id"] for s in (await answer.json())["shifts"]] == [CAROL]

        nobody = {**holiday, "user": None, "layer": "weekly"}
        async with alice.post(warroom.url + url, json=nobody, headers=BEARER) as answer:
            gap = await answer.json()
        assert answer.status == 201 and (gap["user"], gap["layer"]) == (None, "weekly")

        refusals = {
            "not json": "the body must be JSON",
            '{"user": "U0X", "start": "2026-03-12T08:00:00", "end": "2026-03-13T08:00:00Z"}': (
                "start: give the time with its offset"
            ),
            '{"start": "2026-03-12T08:00:00Z", "end": "2026-03-13T08:00:00Z"}': "user: Field "
            "required",
            '{"user": null, "start": "2026-03-12T08:00:00Z", "end": "2026-03-13T08:00:00Z", '
            '"layer": "nights"}': "it has no layer “nights”; its layers are “weekly”",
            '{"user": null, "start": "2026-03-10T08:00:00Z", "end": "2026-03-11T08:00:00Z"}': (
                "which is past: an override must end in the future"
            ),
        }
        for body, message in refusals.items():
            async with alice.post(
                warroom.url + url,
                data=body,
                headers={**BEARER, "Content-Type": "application/json"},
            ) as answer:
                error = await answer.json()
            assert answer.status == 400, body
            assert message in error["message"], (body, error)
        async with alice.post(
            f"{warroom.url}/api/oncall/nope/overrides", json=holiday, headers=BEARER
        ) as answer:
            assert answer.status == 404

        one = f"{warroom.url}{url}/{made['id']}"
        async with alice.delete(one) as answer:
            assert answer.status == 401
        async with alice.delete(one, headers=BEARER) as answer:
            cancelled = await answer.json()
        assert answer.status == 200 and cancelled["cancelled_by"] == "api"
        assert cancelled["cancelled_at"] == "2026-03-11T12:00:00Z"
        async with alice.delete(one, headers=BEARER) as answer:
            assert answer.status == 409
            assert "was cancelled already" in (await answer.json())["message"]
        for missing in ("999", "x", f"{made['id']}0000000000"):
            async with alice.delete(f"{warroom.url}{url}/{missing}", headers=BEARER) as answer:
                assert answer.status == 404, missing
        async with alice.get(f"{warroom.url}/api/openapi.json") as answer:
            paths = (await answer.json())["paths"]
        assert set(paths[url.replace("payments", "{schedule}")]) == {"post"}
        assert paths["/api/oncall/{schedule}/overrides/{override}"]["delete"]["security"] == [
            {"bearer": []}
        ]


async def test_the_schedule_page_shows_an_ical_layer_and_a_layers_own_zone(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    weekly = {"name": "weekly", "start": "2026-03-02 09:00", "rotation": "weekly"}
    # An address warroom never fetches from (not a public one): the page is what is asked.
    feed = {"name": "from-opsgenie", "ical_url": "https://127.0.0.1:9/payments.ics"}
    body = {
        "timezone": "Europe/Paris",
        "layers": [
            {**weekly, "members": [ALICE, "none"], "timezone": "America/New_York"},
            {**feed, "ical_user_map": {"bob@example.com": BOB}},
        ],
    }
    async with alice_sees(slack, sqlite_url, body) as (warroom, alice):
        status, html = await page(alice, f"{warroom.url}/oncall/payments")
        assert status == 200
        shown = text_of(html)
        assert "weekly: weekly from 2026-03-02 09:00 (America/New_York)" in shown
        assert "none (nobody)" in shown
        assert "from-opsgenie: turns from its calendar feed (Europe/Paris)" in shown


async def test_an_override_is_previewed_in_words_then_confirmed(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """ "Sat 09:00 → Fri 09:00" is never saved silently as six days: the first post answers
    the override in words (who covers, from when to when, how long, instead of whom) with a
    Confirm button carrying the form and its token; one longer than a day is kept only with
    its length ticked; nobody is chosen by default; a refusal is at its field."""
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as bob:
        await names_learned(warroom, CAROL, ALICE)
        await sign_in(bob, warroom, BOB)
        url = f"{warroom.url}/oncall/payments"
        _, html = await page(bob, url)
        token = csrf_of(html)
        # As a native date and time field sends it.
        form = {"csrf": token, "user": CAROL, "start": "2026-03-14T09:00"}
        form |= {"end": "2026-03-20T09:00", "tz": "Europe/Paris"}
        status, _, html = await post(bob, f"{url}/overrides", form, confirmed=False)
        assert status == 200
        preview = text_of(html[html.index("<section") : html.index("</section>")])
        assert (
            "Carol Tanaka covers Sat 14 Mar 09:00 to Fri 20 Mar 09:00 CET (6 days), "
            "instead of Bob Okafor and Alice Moreau."
        ) in preview
        assert "This override is longer than a day: 6 days" in preview
        # Nothing is kept yet, and the preview comes first on the page.
        assert "No overrides in the last 90 days or to come." in text_of(html)
        assert html.index('id="preview"') < html.index('id="override"')
        confirm = html[html.index('id="preview"') : html.index("</section>")]
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm))
        assert hidden == {**form, "layer": "", "step": "confirm"}
        # Confirmed without ticking its length: asked again (400), still not kept.
        status, _, html = await post(bob, f"{url}/overrides", hidden, confirmed=False)
        assert status == 400 and 'id="confirm-long"' in html
        assert "No overrides in the last 90 days" in text_of(html)
        status, location, _ = await post(
            bob, f"{url}/overrides", {**hidden, "long": "yes"}, confirmed=False
        )
        assert status == 303 and location.endswith("#notice") and "added=1" in location
        _, html = await page(bob, warroom.url + location)
        assert re.search(r'<p class="notice" role="status" id="notice"', html)
        assert html.index('id="notice"') < html.index('id="next-days"')
        # A day or less needs no tick: the preview's Confirm keeps it.
        night = {**form, "start": "2026-03-21T20:00", "end": "2026-03-22T08:00"}
        status, _, html = await post(bob, f"{url}/overrides", night, confirmed=False)
        assert 'id="confirm-long"' not in html
        assert "covers Sat 21 Mar 20:00 to Sun 22 Mar 08:00 CET (12 hours)" in text_of(html)
        assert "instead of Alice Moreau." in text_of(html)
        status, location, _ = await post(
            bob, f"{url}/overrides", {**night, "step": "confirm"}, confirmed=False
        )
        assert status == 303 and "added=2" in location
        # Nobody chosen: refused at the field, the form kept.
        status, _, html = await post(bob, f"{url}/overrides", {**form, "user": ""})
        assert status == 400
        assert 'aria-invalid="true" aria-describedby="override-user-problem"' in html
        assert "who: choose who from the list (or nobody)" in text_of(html)
        assert 'value="2026-03-14T09:00"' in html
        # An end before its start: refused at "To", before any preview.
        backwards = {**form, "end": "2026-03-13T09:00"}
        status, _, html = await post(bob, f"{url}/overrides", backwards, confirmed=False)
        assert status == 400 and 'id="preview"' not in html
        assert 'id="override-end" name="end" type="datetime-local" value="2026-03-13T09:00"' in (
            html
        )
        assert 'aria-describedby="override-end-problem"' in html
        assert "is not after its start" in text_of(html[html.index('id="override-end-problem"') :])


async def test_cancel_asks_first_and_the_schedule_links_its_calendar(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Cancel on one click only asks (with the override in words, no JavaScript needed);
    "Yes, cancel" cancels. The schedule's page gives the signed-in person its calendar
    feed's link, which the calendar app then reads."""
    async with oncall_warroom(slack, sqlite_url) as warroom, browser() as bob:
        await sign_in(bob, warroom, BOB)
        url = f"{warroom.url}/oncall/payments"
        _, html = await page(bob, url)
        token = csrf_of(html)
        form = {"csrf": token, "user": BOB, "start": "2026-03-21 20:00", "end": "2026-03-22 08:00"}
        status, _, _ = await post(bob, f"{url}/overrides", form)
        assert status == 303
        cancel = f"{url}/overrides/1/cancel"
        status, _, html = await post(
            bob, cancel, {"csrf": token, "tz": "Europe/Paris"}, confirmed=False
        )
        assert status == 200
        question = text_of(html[html.index("<section") : html.index("</section>")])
        assert question.startswith(
            "Cancel override 1? Bob Okafor is on call from Sat 2026-03-21 20:00 CET to "
            "Sun 2026-03-22 08:00 CET."
        )
        assert "Yes, cancel override 1" in question and "No, keep it" in question
        _, html = await page(bob, url)
        assert "cancelled by" not in text_of(html[html.index('id="override-history"') :])
        status, location, _ = await post(
            bob, cancel, {"csrf": token, "tz": "Europe/Paris", "step": "confirm"}, confirmed=False
        )
        assert status == 303 and "cancelled=1" in location and location.endswith("#notice")
        # The calendar feed: a link for the signed-in person, which opens the feed.
        status, _, html = await post(bob, f"{url}/calendar", {"csrf": token}, confirmed=False)
        assert status == 200
        link = re.search(r'<code class="feed-link">([^<]+)</code>', html)
        assert link is not None and "/oncall/payments.ics?token=" in link.group(1)
        async with aiohttp.ClientSession() as client:
            feed = link.group(1)
            feed = feed if feed.startswith("http") else warroom.url + feed
            async with client.get(feed) as answer:
                assert answer.status == 200 and "BEGIN:VCALENDAR" in await answer.text()
        status, _, _ = await post(bob, f"{url}/calendar", {}, confirmed=False)
        assert status == 403
