"""Where people act on an alert: its acknowledgement link as a small phone
console, and the App Home's "Your open alerts". Over the wire: the fake ntfy gets the push
(its tap opens the console, its Escalate button POSTs as the ntfy app does), a browser-like
HTTP client (cookies kept) opens the console and sends its forms, the Slack emulator shows
the alert's message and the Home tabs warroom publishes, and sends the Home's block_actions
as Slack does. Times in Carol's zone (Europe/Paris)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.flows.home.publishing import ALERT_HOME_EVERY
from bot.keys import job_runner_key
from bot.web.monitoring import loggable_path
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_own_alerts import (
    NOW,
    PUBLIC_URL,
    RESOLVE_MINE,
    RESOLVED_AT,
    TOPIC,
    alert,
    alert_settings,
    alert_warroom,
    buttons,
    deliver,
    only_message,
    queue_lag,
    the_alert,
)
from tests.conftest import BOB, CAROL, Warroom
from tests.helpers.incidents import settle
from tests.helpers.mail import Mailbox, smtp_server
from tests.helpers.web_view import csrf_of, visible_text


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    slack.users[CAROL].tz = "Europe/Paris"
    return alert_settings(database_url, tmp_path, ops, ntfy)


@asynccontextmanager
async def browser(warroom: Warroom) -> AsyncIterator[aiohttp.ClientSession]:
    """A phone's browser: it keeps cookies, and sends the Secure one (warroom's public
    address is https; a proxy in front of it would take the phone's request there)."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[warroom.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield session


def console_of(warroom: Warroom, ntfy: FakeNtfy, which: int = 0) -> str:
    """Where tapping Carol's push (the ``which``-th) opens, reached on the test's server."""
    push = ntfy.phone(TOPIC)[which]
    assert push.click is not None and push.click.startswith(f"{PUBLIC_URL}/ack/")
    return push.click.replace(PUBLIC_URL, warroom.url, 1)


async def opened(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as answer:
        return answer.status, await answer.text()


async def sent(
    session: aiohttp.ClientSession, url: str, page: str, **fields: str
) -> tuple[int, str]:
    """A console's form sent as the browser sends it (with the page's CSRF token)."""
    async with session.post(url, data={"csrf": csrf_of(page), **fields}) as answer:
        return answer.status, await answer.text()


def said(page: str) -> str:
    return " ".join(visible_text(page).split())


async def test_the_push_opens_the_console_and_its_escalate_pages_the_next_level(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = ntfy.phone(TOPIC)
    labels = [action["label"] for action in push.actions]
    assert labels == ["Acknowledge", "Escalate", "Snooze or resolve"]
    assert "Escalate to page the next level now" in push.message
    assert warroom.slack.direct_messages(BOB) == []

    assert await ntfy.tap(push, "Escalate", reach=(PUBLIC_URL, warroom.url)) == 200
    # warroom serve's access log keeps the path without the link's token.
    path = push.action("Escalate")["url"].removeprefix(PUBLIC_URL)
    assert loggable_path(path) == "/ack/[redacted]/escalate"
    await warroom.run_jobs()
    (to_bob,) = warroom.slack.direct_messages(BOB)
    assert "you are paged by its escalation policy queues" in to_bob.text
    assert re.search(rf"Escalated by hand to level 2 by <@{CAROL}> at ", only_message(ops).text)

    # The console says so; a second Escalate (the last level) is said, nobody more paged.
    async with browser(warroom) as session:
        status, page = await opened(session, console_of(warroom, ntfy))
        assert status == 200
        assert "Escalated to level 2 by you at 03:00 CET." in said(page)
        assert "Who else is paged @Bob Okafor by Slack DM" in said(page)
    assert await ntfy.tap(push, "Escalate", reach=(PUBLIC_URL, warroom.url)) == 409
    await warroom.advance(minutes=10)
    assert len(warroom.slack.direct_messages(BOB)) == 1


async def test_the_console_acknowledges_snoozes_and_says_it_on_a_second_visit(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    url = console_of(warroom, ntfy)
    message = only_message(ops)
    async with browser(warroom) as session:
        status, page = await opened(session, url)
        assert status == 200
        text = said(page)
        assert "Alert SEV3 QueueLag is firing" in text
        assert "Triggered" in text
        assert "Firing since 03:00 CET; level 1 of escalation policy queues is paged." in text
        assert "Nobody else: only you." in text
        link = f"https://{warroom.slack.team_domain}.slack.com/archives/{ops.id}/p"
        assert f'href="{link}{message.ts.replace(".", "")}"' in page
        assert ">Open in Slack</a>" in page
        # Issue 88, item 5: the alert's page one tap away; no navigation to the rest of
        # warroom for whoever holds the link.
        assert re.search(r'<a class="button" id="alert-page" href="/alerts/\d+">', page)
        assert 'aria-label="Main"' not in page and 'href="/incidents' not in page

        # A snooze longer than the route allows: refused in words, nothing changed.
        status, page = await sent(session, url, page, do="snooze", minutes="480")
        assert status == 200
        assert (
            "Not snoozed: this alert's route (queues) allows a snooze of at most 4h, and 8h"
            " was chosen." in said(page)
        )
        # A form without this session's token is refused (and does nothing).
        async with session.post(url, data={"do": "acknowledge", "csrf": "forged"}) as answer:
            assert answer.status == 403

        # Acknowledge: the paging stops, Slack's message says who and how. Pressed as her
        # 03:02 DM falls due: the runner is stopped so that no look of it sends the DM first
        # (a loaded machine's), and the jobs are run by hand after the press.
        await warroom.app[job_runner_key].stop()
        warroom.clock.now = NOW.replace(minute=2)
        status, page = await sent(session, url, page, do="acknowledge")
        assert status == 200
        assert "Acknowledged: the paging has stopped." in said(page)
        await warroom.run_jobs()
        assert f"*Acknowledged* by <@{CAROL}> (ntfy)" in only_message(ops).text
        await warroom.advance(minutes=10)
        assert warroom.slack.direct_messages(CAROL) == []
        assert warroom.slack.direct_messages(BOB) == []

    # A second visit (a new browser): what she did, in her zone, not "No such link".
    async with browser(warroom) as session:
        status, page = await opened(session, url)
        assert status == 200
        assert "You acknowledged at 03:02 CET (push)." in said(page)
        assert "No such link" not in page
        # Never "who else is paged" under "nobody is paged for it now".
        assert "Nobody is paged for it now." in said(page)
        assert "Who else is paged" not in said(page) and "Who was paged" in said(page)
        # Snoozed from the console: the message says it, the console too.
        status, page = await sent(session, url, page, do="snooze", minutes="60")
        assert "Snoozed: nobody is paged until it ends." in said(page)
        assert "You snoozed it until 04:12 CET." in said(page)
        await warroom.run_jobs()
        assert f"*Snoozed* by <@{CAROL}> until " in only_message(ops).text
        assert buttons(only_message(ops)) == ["Resolve", "Declare incident", RESOLVE_MINE]


async def test_once_resolved_the_link_says_when_and_by_whom_and_acts_no_more(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    url = console_of(warroom, ntfy)
    async with browser(warroom) as session:
        _, page = await opened(session, url)
        warroom.clock.now = NOW.replace(minute=1)
        await deliver(warroom, queue_lag(resolved=True))
        status, page_after = await sent(session, url, page, do="acknowledge")
        assert status == 200
        assert "The alert resolved at 03:01 CET, as its source said." in said(page_after)
        assert "<form" not in page_after.split("Sign out")[-1]  # nothing left to press
        # The push's own Acknowledge: nothing to do, said the same way.
        (push,) = ntfy.phone(TOPIC)
        assert await ntfy.tap(push, "Acknowledge", reach=(PUBLIC_URL, warroom.url)) == 200
    assert "*Resolved* by its source" in only_message(ops).text

    # It fires again: a new alert, a new push; the old link only says the old one resolved.
    await deliver(warroom, queue_lag() | {"alerts": [alert("QueueLag", "worker-1", RESOLVED_AT)]})
    async with browser(warroom) as session:
        _, old = await opened(session, url)
        assert "it has fired again since" in said(old)
        assert "<form" not in old.split("Sign out")[-1]
        _, new = await opened(session, console_of(warroom, ntfy, 1))
        assert "Triggered" in said(new)
        # Neither a made-up token nor a cut one opens anything.
        for wrong in (url[:-4], f"{warroom.url}/ack/{'A' * 43}"):
            status, gone = await opened(session, wrong)
            assert (status, "No such link" in gone) == (404, True)


async def test_the_pushs_third_button_opens_the_console_which_resolves_and_says_so_after(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    """ntfy takes three buttons: Acknowledge and Escalate POST; the third, a ``view``
    action, opens the console, where Resolve is the message's Resolve, as Carol."""
    await deliver(warroom, queue_lag())
    (push,) = ntfy.phone(TOPIC)
    view = push.action("Snooze or resolve")
    assert (view["action"], view["url"]) == ("view", push.click)
    url = view["url"].replace(PUBLIC_URL, warroom.url, 1)
    async with browser(warroom) as session:
        _, before = await opened(session, url)
        assert "Resolve</button>" in before
        # Pressed as level 2 (Bob) falls due: the runner is stopped so that no look of it
        # pages Bob first; the jobs are run by hand after the press.
        await warroom.app[job_runner_key].stop()
        warroom.clock.now = NOW.replace(minute=7)
        status, page = await sent(session, url, before, do="resolve")
        assert status == 200
        assert "Resolved: nobody is paged for it any more." in said(page)
        assert "The alert resolved at 03:07 CET, by you." in said(page)
        await warroom.run_jobs()
        assert f"*Resolved* by <@{CAROL}>" in only_message(ops).text
        assert buttons(only_message(ops)) == []
        # A press from a page opened before it resolved: said, nothing changed.
        status, again = await sent(session, url, before, do="resolve")
        assert status == 200
        assert "The alert resolved at 03:07 CET, by you." in said(again)
    # A second visit (a new browser): who resolved it and when, in her zone; nothing to press.
    async with browser(warroom) as session:
        status, page = await opened(session, url)
        assert status == 200
        assert "The alert resolved at 03:07 CET, by you." in said(page)
        assert "<form" not in page.split("Sign out")[-1]
    assert await ntfy.tap(push, "Escalate", reach=(PUBLIC_URL, warroom.url)) == 200
    await warroom.advance(minutes=10)
    assert warroom.slack.direct_messages(BOB) == []
    assert (await the_alert(warroom)).resolved_by == CAROL


async def test_two_resolves_at_once_from_the_console_make_one_change(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    url = console_of(warroom, ntfy)
    async with browser(warroom) as first, browser(warroom) as second:
        _, page_one = await opened(first, url)
        _, page_two = await opened(second, url)
        answers = await asyncio.gather(
            sent(first, url, page_one, do="resolve"), sent(second, url, page_two, do="resolve")
        )
    texts = [said(page) for _, page in answers]
    assert sum("Resolved: nobody is paged for it any more." in text for text in texts) == 1
    assert all("The alert resolved at 03:00 CET, by you." in text for text in texts)
    await warroom.run_jobs()
    assert len(re.findall(r"\*Resolved\*", only_message(ops).text)) == 1


async def home_after(warroom: Warroom, user: str, published: int) -> list[str]:
    """``user``'s Home tab once warroom has published it afresh (after ``published``
    views.publish calls): a Home follows its alerts within a few seconds."""
    await warroom.advance(seconds=int(ALERT_HOME_EVERY.total_seconds()))
    await settle(warroom)
    await warroom.slack.wait_for(lambda: len(warroom.slack.calls_to("views.publish")) > published)
    await settle(warroom)
    return warroom.slack.home_lines(user)


def publishes(warroom: Warroom) -> int:
    return len(warroom.slack.calls_to("views.publish"))


async def test_the_home_lists_her_open_alerts_follows_them_and_acknowledges(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    before = publishes(warroom)
    await deliver(warroom, queue_lag())
    lines = await home_after(warroom, CAROL, before)
    group = await the_alert(warroom)
    assert lines[0] == "Your open alerts"
    assert lines[1] == (
        "*SEV3 Alert: QueueLag is firing*\n:rotating_light: Triggered · since Tue 03 Mar 03:00"
        f" CET · fired 1 time · <#{ops.id}> · <{PUBLIC_URL}/alerts/{group.id}|its page>"
    )
    assert slack.home_view(BOB) is None  # not paged (yet): nothing published for him

    # It fires again: her Home says so without her opening it.
    before = publishes(warroom)
    await deliver(warroom, queue_lag())
    assert "fired 2 times" in (await home_after(warroom, CAROL, before))[1]

    # A guest of the workspace may not acknowledge from there either: said at the top.
    slack.users[CAROL].is_restricted = True
    before = publishes(warroom)
    await slack.click_home_button(CAROL, "acknowledge_alert")
    lines = await home_after(warroom, CAROL, before)
    assert lines[0].startswith(":no_entry: Not acknowledged: guests of the workspace cannot")
    await warroom.run_jobs()
    assert buttons(only_message(ops))[0] == "Acknowledge"

    # Carol (a member again) acknowledges on her Home: the message's flow, said everywhere.
    slack.users[CAROL].is_restricted = False
    before = publishes(warroom)
    await slack.click_home_button(CAROL, "acknowledge_alert")
    await home_after(warroom, CAROL, before)
    await warroom.run_jobs()
    await settle(warroom)
    assert f"*Acknowledged* by <@{CAROL}>" in only_message(ops).text
    lines = slack.home_lines(CAROL)
    assert lines[0] == "Your open alerts"
    assert "Acknowledged by you · since Tue 03 Mar 03:00 CET" in lines[1]
    view = slack.home_view(CAROL) or {}
    assert not [b for b in view["blocks"] if (b.get("accessory") or {}).get("text")]
    await warroom.advance(minutes=10)
    assert slack.direct_messages(BOB) == []

    # Resolved: it leaves her Home.
    before = publishes(warroom)
    await deliver(warroom, queue_lag(resolved=True))
    lines = await home_after(warroom, CAROL, before)
    assert "Your open alerts" not in lines
    assert lines[0] == "Your incidents"


async def test_a_guest_paged_may_not_escalate_snooze_nor_resolve_from_the_phone(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    warroom.slack.users[CAROL].is_ultra_restricted = True  # a guest since she was paged
    url = console_of(warroom, ntfy)
    async with browser(warroom) as session:
        _, page = await opened(session, url)
        status, page = await sent(session, url, page, do="escalate")
        assert status == 200
        assert "Not done: you may not do that to this alert. Nothing changed." in said(page)
        status, page = await sent(session, url, page, do="snooze", minutes="30")
        assert status == 200
        assert "Not done: you may not do that to this alert. Nothing changed." in said(page)
        status, page = await sent(session, url, page, do="resolve")
        assert status == 200
        assert "Not done: you may not do that to this alert. Nothing changed." in said(page)
    await warroom.run_jobs()
    assert (await the_alert(warroom)).state == "triggered"
    assert warroom.slack.direct_messages(BOB) == []


async def test_the_mails_link_opens_the_console_a_scanner_changes_nothing(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> None:
    mailbox = Mailbox()
    by_mail = {CAROL: {"contacts": {"mail": {"email": "carol@example.com"}},
                       "rules": [{"after": "0s", "notify": ["mail"]}]}}  # fmt: skip
    with smtp_server(mailbox) as port:
        async with alert_warroom(
            slack,
            database_url,
            tmp_path,
            ops,
            ntfy,
            {"people": by_mail},
            WARROOM_SMTP_URL=f"smtp://127.0.0.1:{port}",
            WARROOM_SMTP_FROM="warroom@example.com",
            WARROOM_SMTP_PLAINTEXT="true",
        ) as warroom:
            await deliver(warroom, queue_lag())
            (mail,) = mailbox.messages
            text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
            (link,) = re.findall(
                r"Acknowledge, escalate, snooze or resolve it on its page: (\S+)",
                text.get_payload(decode=True).decode(),
            )
            url = link.replace(PUBLIC_URL, warroom.url, 1)
            async with browser(warroom) as session:
                # A mail scanner following the link twice: it reads, nothing happens.
                for _ in range(2):
                    status, page = await opened(session, url)
                    assert (status, "Triggered" in said(page)) == (200, True)
                assert (await the_alert(warroom)).state == "triggered"
                status, page = await sent(session, url, page, do="acknowledge")
                assert "Acknowledged: the paging has stopped." in said(page)
            await warroom.run_jobs()
            assert f"*Acknowledged* by <@{CAROL}> (email)" in only_message(ops).text
