"""A live page's refresh (templates/web/_live.html.j2) as its script asks it: the version it
was given sent back, the server answers 304 with no body while nothing the page shows has
changed, dated by the server's clock (the page's "as of" time), and the page itself as soon
as something has: an incident declared or changed in Slack, an alert fired, an update
falling overdue. A minute gone by alone changes nothing the server words (the browser
words the ages), and a write to what a page does not show (an alert, for the incident list)
leaves it 304."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import aiohttp
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (every table in the metadata)
from emulator import FakeNtfy, SlackEmulator
from tests.alerting.test_alert_worklist import deliver, paging_warroom
from tests.conftest import ALICE, Clock, Warroom, migrated_copy
from tests.helpers.alerts import alert, alertmanager
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, web_warroom

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def refresh(
    client: aiohttp.ClientSession, url: str, version: str | None
) -> tuple[int, str, str, str]:
    """(status, body, version, Date) of one refresh sending ``version`` back."""
    held = {"If-None-Match": version} if version else {}
    async with client.get(url, headers=held) as answer:
        body = await answer.text()
        return answer.status, body, answer.headers.get("ETag", ""), answer.headers["Date"]


async def settled(warroom: Warroom, client: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    """(the part, its version) once the server's own work after its start (the outbox's
    messages, their records) has stopped changing it: a few reads at most."""
    status, body, version, _ = await refresh(client, url, None)
    for _ in range(5):
        await settle(warroom)
        status, fresh, again, _ = await refresh(client, url, version)
        if status == 304:
            return body, version
        body, version = fresh, again
    raise AssertionError(f"{url} changed at each of 5 reads with nothing done")


async def test_an_open_list_and_incident_page_are_304_until_something_changes(
    slack: SlackEmulator, database_url: str
) -> None:
    clock = Clock(NOW)
    async with web_warroom(slack, database_url, clock) as warroom, browser() as alice:
        search = await open_incident(warroom, "Search is slow")
        await sign_in(alice, warroom, ALICE)
        listed = f"{warroom.url}/?part=live"
        body, version = await settled(warroom, alice, listed)
        assert "Search is slow" in body
        await warroom.advance(seconds=5)
        status, body, again, dated = await refresh(alice, listed, version)
        assert (status, body, again) == (304, "", version)
        assert parsedate_to_datetime(dated) == NOW.replace(second=5)
        # Declared in Slack: the open list's next refresh is the list, with it.
        await open_incident(warroom, "Checkout is down for card payments")
        await settle(warroom)
        status, body, version, _ = await refresh(alice, listed, version)
        assert status == 200 and "Checkout is down for card payments" in body
        assert (await refresh(alice, listed, version))[0] == 304
        # A minute later the ages have moved, which the browser words: still 304.
        await warroom.advance(minutes=1)
        assert (await refresh(alice, listed, version))[0] == 304
        # Half an hour with no stakeholder update: the clock alone turns it overdue.
        await warroom.advance(minutes=30)
        status, body, version, _ = await refresh(alice, listed, version)
        assert status == 200 and "update overdue" in body

        page = f"{warroom.url}/incidents/INC-1?part=live"
        body, version = await settled(warroom, alice, page)
        assert "SEV1" not in body
        assert (await refresh(alice, page, version))[0] == 304
        await command(warroom, search, "sev 1")
        await settle(warroom)  # the command applied (by its job), not a guess at its pace
        status, body, _, _ = await refresh(alice, page, version)
        assert status == 200 and "SEV1" in body
        # Another session's version is not this one's.
        async with browser() as other:
            await sign_in(other, warroom, ALICE)
            assert (await refresh(other, page, version))[0] == 200


async def test_an_open_incident_pages_timeline_follows_each_new_line(
    slack: SlackEmulator, database_url: str
) -> None:
    """The timeline's order is kept between reads while the incident is unchanged (shared by
    the tabs that show it): a line pinned after the page was read is on its next refresh,
    and on the whole page read by another tab, in its place."""
    async with web_warroom(slack, database_url, Clock(NOW)) as warroom, browser() as alice:
        search = await open_incident(warroom, "Search is slow")
        await sign_in(alice, warroom, ALICE)
        page = f"{warroom.url}/incidents/INC-1?part=live"
        body, version = await settled(warroom, alice, page)
        for said in ("Rolled back the search index", "Latency back under 200 ms"):
            assert said not in body
            message = await slack.post_message(search.id, said, user=ALICE)
            await slack.add_reaction(search.id, message.ts, "pushpin", user=ALICE)
            await settle(warroom)
            status, body, version, _ = await refresh(alice, page, version)
            assert status == 200 and said in body
        assert body.index("Rolled back the search index") < body.index("Latency back under")
        async with browser() as bob:
            await sign_in(bob, warroom, ALICE)
            async with bob.get(f"{warroom.url}/incidents/INC-1") as answer:
                assert "Latency back under 200 ms" in await answer.text()


async def test_the_alerts_list_is_304_until_an_alert_fires(
    slack: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    async with (
        FakeNtfy() as ntfy,
        paging_warroom(slack, database_url, tmp_path, ntfy) as warroom,
        browser() as alice,
    ):
        search = await open_incident(warroom, "Search is slow")
        await sign_in(alice, warroom, ALICE)
        listed = f"{warroom.url}/alerts?part=list"
        body, version = await settled(warroom, alice, listed)
        incidents = f"{warroom.url}/?part=live"
        _, incidents_version = await settled(warroom, alice, incidents)
        assert "QueueLag" not in body
        assert (await refresh(alice, listed, version))[0] == 304
        await deliver(
            warroom,
            alertmanager("QueueLag", [alert("QueueLag", "worker-1", "2026-03-03T01:58:00Z")]),
        )
        await settle(warroom)  # the alert applied (by its job), not a guess at its pace
        status, body, version, _ = await refresh(alice, listed, version)
        assert status == 200 and "QueueLag" in body
        # An alert is not on the incident list: left as its tab holds it.
        assert (await refresh(alice, incidents, incidents_version))[0] == 304
        # An update in an incident is: the list read whole, with it.
        await command(warroom, search, "update Rolled back the search index")
        await settle(warroom)
        status, body, _, _ = await refresh(alice, incidents, incidents_version)
        assert status == 200 and "Rolled back the search index" in body


async def test_a_stranger_is_sent_to_sign_in_whatever_version_it_sends(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(NOW)) as warroom, browser() as alice:
        await sign_in(alice, warroom, ALICE)
        _, _, version, _ = await refresh(alice, f"{warroom.url}/?part=live", None)
        async with aiohttp.ClientSession() as stranger:
            held = {"If-None-Match": version}
            async with stranger.get(
                f"{warroom.url}/?part=live", headers=held, allow_redirects=False
            ) as answer:
                assert answer.status == 302 and answer.headers["Location"].startswith("/login")


# The bookkeeping no page shows, left out of the change stamp (migration 0098).
UNSTAMPED = {
    "job",
    "outbox_lease",
    "outbox_message",
    "processed_event",
    "received_command",
    "agent_token_use",
    "change_stamp",
}


async def test_every_table_a_page_may_show_bumps_the_change_stamp(sqlite_url: str) -> None:
    """A table added later without its trigger would leave open pages unchanged (304) while
    it changes: its migration adds the trigger, or it is bookkeeping no page shows."""
    await migrated_copy(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as database:
        rows = database.execute(
            "SELECT tbl_name, count(*) FROM sqlite_master"
            " WHERE type = 'trigger' AND name LIKE 'change_stamp_%' GROUP BY tbl_name"
        ).fetchall()
    assert dict(rows) == {name: 3 for name in SQLModel.metadata.tables if name not in UNSTAMPED}
