"""Lines a form of the draft's page added, edited and removed on the web:
an impact line, a cause line and a follow-up each given new words or removed by a person of
the incident, as that person's change. Each change is a row of the record of its own (who,
when, the words before and after; none after: removed), never a silent delete: the removed
line stays in the record, out of the draft and of the lists of follow-ups, its reminders
ended. Each form answers with a redirect (303), refuses empty words at its field, and a line
removed already, or a follow-up filed as an issue, is refused in words."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.record.follow_ups.follow_ups import follow_ups, open_follow_ups
from bot.store.db import session_scope
from bot.store.models import ActionItem, Job, LineChange, TimelineEntry, TrackerIssue
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.drafts import (
    DRAFT,
    draft_page,
    draft_text,
    invite_guest,
    post_draft_form,
    problem_at,
)
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

IMPACT = "Checkout failed for EU customers"
CAUSE = "A connection pool of 5"
TASK = "Raise the pool to 50"


def _line_ids(page: str, prefix: str) -> list[int]:
    return [int(found) for found in re.findall(rf'id="{prefix}-(\d+)-form"', page)]


async def _entries(warroom: Warroom) -> dict[str, TimelineEntry]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(
            select(TimelineEntry).where(TimelineEntry.kind.in_(("impact", "root_cause")))  # type: ignore[attr-defined]
        )
        return {row.kind: row for row in rows.all()}


async def _changes(warroom: Warroom) -> list[LineChange]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(LineChange).order_by(LineChange.id))).all())  # type: ignore[arg-type]


async def test_impact_and_cause_lines_edited_and_removed_as_the_persons_change(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await invite_guest(slack, channel, BOB)  # a member, brought in as anyone is
        await command(warroom, channel, "resolve")
        await sign_in(session, warroom, ALICE)
        status, _ = await post_draft_form(
            session, warroom, "/impact", {"what": IMPACT, "cause": CAUSE}
        )
        assert status == 200
        await settle(warroom)
        page, token = await draft_page(session, warroom)
        entries = await _entries(warroom)
        impact, cause = entries["impact"], entries["root_cause"]
        assert _line_ids(page, "line") == [impact.id, cause.id]

        # Carol, not among the incident's people, may not.
        await sign_in(session, warroom, CAROL)
        _, token = await draft_page(session, warroom)
        async with session.post(
            f"{warroom.url}{DRAFT}/lines/{impact.id}",
            data={"text": "Nothing happened", "csrf": token},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 403
        assert await _changes(warroom) == []
        # Bob, in its channel, edits the impact's words: a redirect, and the draft shows them.
        await sign_in(session, warroom, BOB)
        warroom.clock.now += timedelta(minutes=3)
        _, token = await draft_page(session, warroom)
        async with session.post(
            f"{warroom.url}{DRAFT}/lines/{impact.id}",
            data={"text": "Checkout failed for 1,200 EU customers", "act": "save", "csrf": token},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303, await answer.text()
            assert answer.headers["Location"] == f"{DRAFT}?saved=line&line=edited#lines"
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        said = draft_text(page)
        assert "Checkout failed for 1,200 EU customers" in said
        assert IMPACT + "\n" not in said and f"{IMPACT}." not in said
        listed = visible_text(page.split('id="lines"', 1)[1].split("</ul>", 1)[0])
        assert "changed by Bob" in listed, listed

        # Alice removes the cause: it leaves the draft and the list, and stays in the record.
        await sign_in(session, warroom, ALICE)
        status, page = await post_draft_form(
            session, warroom, f"/lines/{cause.id}", {"text": CAUSE, "act": "remove"}
        )
        assert status == 200 and "Removed, as your change" in visible_text(page)
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert CAUSE not in draft_text(page)
        assert _line_ids(page, "line") == [impact.id]
        kept = await _entries(warroom)
        assert kept["root_cause"].text == CAUSE  # not deleted: the record keeps it
        changes = await _changes(warroom)
        assert [(c.line, c.kind, c.previous, c.text, c.changed_by) for c in changes] == [
            (
                f"timeline_entry:{impact.id}",
                "impact",
                IMPACT,
                "Checkout failed for 1,200 EU customers",
                BOB,
            ),
            (f"timeline_entry:{cause.id}", "cause", CAUSE, None, ALICE),
        ]

        # Removed already: refused in words at the field, nothing recorded.
        status, page = await post_draft_form(
            session, warroom, f"/lines/{cause.id}", {"text": "again", "act": "save"}
        )
        assert status == 400
        assert "not in the record any more" in visible_text(page)
        # Empty words without Remove: refused at the field, the page again.
        status, page = await post_draft_form(
            session, warroom, f"/lines/{impact.id}", {"text": " ", "act": "save"}
        )
        assert status == 400
        assert problem_at(page, f"line-{impact.id}-text") == (
            "Give the line its new words, or remove it."
        )
        assert len(await _changes(warroom)) == 2


async def test_a_follow_up_edited_then_removed_leaves_the_lists_and_its_reminders(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        status, _ = await post_draft_form(
            session, warroom, "/follow-ups", {"task": TASK, "owner": ALICE, "due": "2030-01-10"}
        )
        assert status == 200
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        [item_id] = _line_ids(page, "follow-up-line")
        status, page = await post_draft_form(
            session, warroom, f"/follow-ups/{item_id}", {"text": "Raise the pool to 80"}
        )
        assert status == 200 and "Changed, as your change" in visible_text(page)
        listed = page.split('id="follow-up-list"', 1)[1].split("</ul>", 1)[0]
        assert "Raise the pool to 80" in visible_text(listed)
        assert TASK not in visible_text(listed)
        status, page = await post_draft_form(
            session, warroom, f"/follow-ups/{item_id}", {"text": "", "act": "remove"}
        )
        assert status == 200 and "its reminders are off" in visible_text(page)
        assert 'id="follow-up-list"' not in page
        await settle(warroom)
        async with session_scope(warroom.engine) as db:
            item = await db.get(ActionItem, item_id)
            assert item is not None and item.text == "Raise the pool to 80"  # kept, not deleted
            incident_id = item.incident_id
            assert await follow_ups(db, incident_id) == []
            assert await open_follow_ups(db, team_id=slack.team_id) == []
            reminders = await db.exec(
                select(Job).where(Job.key.startswith(f"follow_up:{item_id}:"))  # type: ignore[attr-defined]
            )
            assert all(job.done_at is not None for job in reminders.all())
        changes = await _changes(warroom)
        assert [(c.kind, c.previous, c.text) for c in changes] == [
            ("follow_up", TASK, "Raise the pool to 80"),
            ("follow_up", "Raise the pool to 80", None),
        ]
        assert TASK not in draft_text((await draft_page(session, warroom))[0])
        assert channel.id


async def test_a_filed_follow_up_changes_in_its_tracker(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        await post_draft_form(session, warroom, "/follow-ups", {"task": TASK})
        await settle(warroom)
        async with session_scope(warroom.engine) as db:
            item = (await db.exec(select(ActionItem))).one()
            db.add(
                TrackerIssue(
                    incident_id=item.incident_id,
                    follow_up=f"action_item:{item.id}",
                    tracker="github",
                    project="acme/checkout",
                    requested_by=ALICE,
                    requested_at=warroom.clock.now,
                )
            )
            await db.commit()
        page, _ = await draft_page(session, warroom)
        assert _line_ids(page, "follow-up-line") == []  # no form offered
        status, page = await post_draft_form(
            session, warroom, f"/follow-ups/{item.id}", {"act": "remove"}
        )
        assert status == 400 and "filed as an issue" in visible_text(page)
        assert await _changes(warroom) == []
