"""Follow-ups with owners and due dates, end to end through the Slack emulator: the due date
read in the incident's zone, the owner reminded by DM before it is due and again once it is
overdue, "Mark done" in that DM, possible duplicates flagged (merged by a person), and the draft,
the App Home and the web view listing them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import select

from bot.basics.slack_text import decode_entities
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import ActionItem, Incident, Job
from emulator import Channel, Message, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import API_TOKEN, browser, csrf_of, sign_in, visible_text, web_warroom

# A Tuesday morning in Paris.
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def dms(slack: SlackEmulator, user: str) -> list[Message]:
    return slack.direct_messages(user)


def replies(slack: SlackEmulator, user: str, before: int = 0) -> str:
    """What ``user`` saw privately since ``before``, as Slack shows it."""
    return "\n".join(decode_entities(m.text) for m in slack.ephemeral_for(user)[before:])


def said(channel: Channel) -> str:
    return "\n".join(decode_entities(message.text) for message in channel.messages)


async def draft_of(warroom: Warroom) -> str:
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.id is not None
    return (await write_draft(warroom.services, incident.id, ask_slack=False)).markdown


async def reminder_jobs(warroom: Warroom) -> list[Job]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(
            select(Job).where(Job.kind == "follow_up_reminder").order_by(Job.id)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def paris_incident(warroom: Warroom) -> Channel:
    channel = await open_incident(warroom)
    await command(warroom, channel, "timezone Europe/Paris")
    return channel


async def test_a_follow_up_due_tomorrow_is_reminded_before_and_when_overdue_then_marked_done(
    slack: SlackEmulator, database_url: str
) -> None:
    slack.users[BOB].tz = "America/New_York"  # the DMs say Bob's own time
    async with running_warroom(slack, database_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        await command(warroom, channel, "action @bob --due tomorrow add an alert on gateway 5xx")
        # Tomorrow in Paris, at the end of the working day (a day alone is due at 17:00).
        assert "owner <@U0BOB>, due Wed 2026-03-11 17:00 CET: add an alert" in said(channel)
        jobs = await reminder_jobs(warroom)
        assert sorted(job.key.rsplit(":", 1)[1] for job in jobs) == ["overdue", "soon"]
        assert not dms(slack, BOB)

        await warroom.advance(hours=6, minutes=59)  # 15:59 UTC: not a day before yet
        assert not dms(slack, BOB)
        await warroom.advance(minutes=1)  # 16:00 UTC, 17:00 CET: due in 24 hours
        (soon,) = dms(slack, BOB)
        assert "is due Wed 2026-03-11 12:00 EDT: add an alert on gateway 5xx" in soon.text
        assert "INC-1" in soon.text

        await warroom.advance(hours=24)
        soon_again, overdue = dms(slack, BOB)
        assert soon_again.ts == soon.ts
        assert "was due Wed 2026-03-11 12:00 EDT and is not done yet" in overdue.text
        assert "**overdue**" in await draft_of(warroom)

        dm_channel = next(c for c in slack.channels.values() if overdue in c.messages)
        await slack.click_button(dm_channel.id, overdue.ts, "mark_follow_up_done", user=BOB)
        await settle(warroom)
        assert "Done: your follow-up from *INC-1*" in dms(slack, BOB)[-1].text
        assert "<@U0BOB> marked a follow-up done: add an alert on gateway 5xx" in said(channel)
        draft = await draft_of(warroom)
        assert "- [x] add an alert on gateway 5xx (owner: Bob Okafor; due March 11, 2026" in draft
        assert "Marked done by Bob Okafor." in draft
        assert "**overdue**" not in draft

        # A second press (a stale DM) is told, nothing changes.
        before = len(slack.ephemeral_for(BOB))
        await slack.click_button(dm_channel.id, soon.ts, "mark_follow_up_done", user=BOB)
        await settle(warroom)
        assert "marked done already by <@U0BOB>" in replies(slack, BOB, before)


async def test_skipping_the_reminder_leaves_the_overdue_one_and_done_silences_both(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        # Due sooner than a day: its owner was just given it, so only the overdue reminder.
        await command(warroom, channel, 'action --due "today 18:00" @carol roll back')
        await command(warroom, channel, "action @bob --due fri write the runbook")
        await command(warroom, channel, "action --due fri nobody owns this")
        assert [j.key.rsplit(":", 1)[1] for j in await reminder_jobs(warroom)] == [
            "overdue",
            "soon",
            "overdue",
        ]
        await warroom.advance(hours=8)  # 17:00 UTC, 18:00 CET
        (overdue,) = dms(slack, CAROL)
        assert "was due Tue 2026-03-10 17:00 UTC" in overdue.text  # Carol's own zone
        async with session_scope(warroom.engine) as session:
            item = (await session.exec(select(ActionItem).where(ActionItem.owner == BOB))).one()
        assert item.due_at == datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
        await warroom.advance(days=2)  # Thursday 17:00 UTC: the day before Friday's 17:00 CET
        (soon,) = dms(slack, BOB)  # Bob marks his done from it: no overdue reminder comes
        bob_dm = next(c for c in slack.channels.values() if soon in c.messages)
        await slack.click_button(bob_dm.id, soon.ts, "mark_follow_up_done", user=BOB)
        await settle(warroom)
        await warroom.advance(days=2)
        assert len(dms(slack, BOB)) == 1  # the overdue reminder found it done
        assert not dms(slack, ALICE)  # the follow-up without an owner reminds nobody


async def test_a_due_date_that_cannot_be_read_or_is_past_is_refused_with_what_works(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        for typed, expected in (
            ("action --due 2026-03-01 fix it", "is already past (2026-03-01 17:00 CET)"),
            ("action --due yesterday fix it", "is already past"),
            ("action --due soonish fix it", "I could not read `soonish` as a time"),
            ("action --due Dec 4 fix it", 'words in quotes: `--due "Dec 4"`'),
            ("action --due", "Give `--due` a day"),
            ('action --due "Dec 4 fix it', "Give `--due` a day"),
        ):
            before = len(slack.ephemeral_for(ALICE))
            await command(warroom, channel, typed)
            assert expected in replies(slack, ALICE, before), typed
        async with session_scope(warroom.engine) as session:
            assert not (await session.exec(select(ActionItem))).all()


async def test_a_follow_up_that_reads_like_an_earlier_one_is_flagged_never_merged(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        await command(warroom, channel, "action @bob Add alert on payment gateway 5xx")
        await warroom.advance(minutes=5)
        await command(warroom, channel, "action add a test for card types")
        before = len(slack.ephemeral_for(ALICE))
        assert "Possibly the same" not in replies(slack, ALICE)
        await command(warroom, channel, "action add an alert for payment gateway 5xx errors")
        reply = replies(slack, ALICE, before)
        new = "add an alert for payment gateway 5xx errors"
        assert f'"{new}" reads like "Add alert on payment gateway 5xx"' in reply
        assert (
            "Possibly the same as a follow-up noted earlier in INC-1 (2026-03-10 10:00 CET)"
            in reply
        )
        draft = await draft_of(warroom)
        assert draft.count("- [ ] ") == 3  # both kept
        (flagged,) = [line for line in draft.splitlines() if "_Possibly the same as_" in line]
        assert flagged.startswith("- [ ] add an alert for payment gateway 5xx errors")
        assert '("Add alert on payment gateway 5xx")' in flagged


async def test_the_web_view_lists_open_follow_ups_overdue_first_to_those_who_may_see_them(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        await command(warroom, channel, "action @bob --due fri write the runbook")
        await command(warroom, channel, 'action @carol --due "today 12:00" roll back the flag')
        await command(warroom, channel, "action fix the card type check")
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("start --private Leaked key", user=BOB, channel=general.id)
        secret = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-2")), None)
        )
        await settle(warroom)
        await command(warroom, secret, "action @bob rotate the signing key", user=BOB)
        await warroom.advance(hours=3)  # 12:00 UTC, 13:00 CET: Carol's is overdue
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/follow-ups") as answer:
                assert answer.status == 200
                page = visible_text(await answer.text())
            async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
                incident_page = visible_text(await answer.text())
        assert "3 follow-ups not done yet, 1 overdue" in page
        assert page.index("roll back the flag") < page.index("write the runbook")
        assert page.index("write the runbook") < page.index("fix the card type check")
        # Overdue as one pill, due dates relative and in the viewer's zone (Alice's is not
        # known: WARROOM_TIMEZONE's), the exact time beside.
        shown = " ".join(page.split())
        assert "1 hour overdue (Tue 10 Mar 11:00 UTC) roll back the flag" in shown
        assert "due in 3 days (Fri 13 Mar 16:00 UTC) write the runbook" in shown
        assert "no due date" in page
        assert "rotate the signing key" not in page  # Bob's private incident
        assert "due 2026-03-10 12:00 CET, overdue" in incident_page
        async with browser() as bob:
            await sign_in(bob, warroom, BOB)
            async with bob.get(f"{warroom.url}/follow-ups?mine=1") as answer:
                mine = visible_text(await answer.text())
        assert "2 follow-ups not done yet owned by you, 0 overdue" in mine
        assert "rotate the signing key" in mine and "write the runbook" in mine
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with (
            browser() as api,
            api.get(f"{warroom.url}/api/incidents/INC-1", headers=headers) as answer,
        ):
            actions = (await answer.json())["actions"]
        overdue = next(a for a in actions if a["text"] == "roll back the flag")
        assert overdue["due_at"] == "2026-03-10T11:00:00Z" and overdue["overdue"] is True
        assert overdue["done"] is False and overdue["reads_like"] is None


async def test_the_follow_ups_list_filters_by_owner_and_marks_done(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """The owner filter and ``?tz=``; Mark done from the list, by the owner or someone who may
    edit the incident (the channel is told, as from the reminder's button); not by others."""
    async with web_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await paris_incident(warroom)
        await command(warroom, channel, "action @bob --due fri write the runbook")
        await command(warroom, channel, 'action @carol --due "today 12:00" roll back the flag')
        await warroom.advance(hours=3)
        async with browser() as dave:
            slack.add_user("U0DAVE", "dave", "Dave Stone")
            await sign_in(dave, warroom, "U0DAVE")
            async with dave.get(f"{warroom.url}/follow-ups?owner=U0CAROL&tz=Europe/Paris") as r:
                shown = " ".join(visible_text(await r.text()).split())
            assert "roll back the flag" in shown and "write the runbook" not in shown
            assert "1 hour overdue (Tue 10 Mar 12:00 CET)" in shown
            # A zone that does not exist: refused at its field (400), kept as typed.
            async with dave.get(f"{warroom.url}/follow-ups?tz=Mars/Olympus") as r:
                assert r.status == 400
                refused = await r.text()
            assert 'value="Mars/Olympus" size="20" aria-invalid="true"' in refused
            assert 'id="tz-problem">There is no time zone called “Mars/Olympus”' in refused
            async with dave.get(f"{warroom.url}/follow-ups") as answer:
                html = await answer.text()
            # Dave owns neither and is not among the incident's people: refused.
            done = re.search(r'action="(/incidents/INC-1/follow-ups/(\d+)/done)"', html)
            assert done is not None
            form = {"csrf": csrf_of(html)}
            async with dave.post(warroom.url + done[1], data=form, allow_redirects=False) as r:
                assert r.status == 403
        async with browser() as bob:
            await sign_in(bob, warroom, BOB)
            async with bob.get(f"{warroom.url}/follow-ups?mine=1") as answer:
                html = await answer.text()
            [path] = re.findall(r'action="(/incidents/INC-1/follow-ups/\d+/done)"', html)
            form = {"csrf": csrf_of(html), "mine": "1"}
            async with bob.post(warroom.url + path, data=form, allow_redirects=False) as answer:
                assert answer.status == 303
                assert answer.headers["Location"] == "/follow-ups?mine=1"
            await settle(warroom)
            async with bob.get(f"{warroom.url}/follow-ups") as answer:
                shown = visible_text(await answer.text())
            assert "write the runbook" not in shown and "roll back the flag" in shown
        assert any("write the runbook" in m.text for m in channel.messages[-3:])
