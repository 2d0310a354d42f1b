"""The incident page reads only its page of the timeline (``read_timeline_page``), and shows
what it showed when it read the whole draft: the same lines on every page, in the same order
(moments shared by many entries, detections first at their moment, milestones set by hand
between them, impacts left out, a message marked twice one line), and the same summary,
milestones, escalations and tasks.

Each record is written to the database (SQLite and PostgreSQL) and the page rendered both
ways, from the whole draft and from the page alone: the HTML must be the same.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from multidict import MultiDict
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.render import Renderer
from bot.record.incident.timeline import add_entry
from bot.record.postmortem.timeline_page import read_timeline_page
from bot.record.postmortem.written import read_draft
from bot.store.db import session_scope
from bot.store.models import (
    ActionItem,
    Incident,
    Milestone,
    MilestoneChange,
    Person,
    TimelineKind,
)
from bot.web.incident.timeline_kinds import GROUP_KEYS, chosen_kinds, counts_by_group

START = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # New York's clocks go forward at 7:00 UTC
PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL")
PAGE = 7


async def write_record(engine: AsyncEngine, seed: int) -> int:
    """An incident with ``seed``'s entries: many at the same moments, of every kind."""
    rng = random.Random(seed)
    moments = [START + timedelta(minutes=rng.randrange(0, 180)) for _ in range(12)]
    async with session_scope(engine) as session:
        incident = Incident(
            team_id="T1",
            number=seed + 1,
            title=f"Checkout errors {seed}",
            description="Payments fail for <@U0ALICE>'s region &amp; more",
            declared_by="U0ALICE",
            commander=rng.choice(PEOPLE),
            timezone="America/New_York",
            declared_at=START,
            detected_at=rng.choice(moments),
            started_at=rng.choice(moments),
            acknowledged_at=rng.choice([None, *moments]),
            resolved_at=START + timedelta(hours=4),
        )
        session.add(incident)
        await session.flush()
        assert incident.id is not None
        if seed == 0:  # a person whose name the record knows
            session.add(Person(user_id="U0BOB", name="Bob Okafor", updated_at=START))
        for milestone in rng.sample(list(Milestone), rng.randrange(0, 4)):
            session.add(
                MilestoneChange(
                    incident_id=incident.id,
                    milestone=milestone.value,
                    value=getattr(incident, milestone.column) or START,
                    changed_by=rng.choice(PEOPLE),
                    changed_at=START,
                )
            )
        kinds = list(TimelineKind)
        for number in range(rng.randrange(0, 40)):
            add_entry(
                session,
                incident,
                kind=rng.choice(kinds),
                text=f"step {number} by <@{rng.choice(PEOPLE)}>",
                author=rng.choice([None, *PEOPLE]),
                occurred_at=rng.choice(moments),
                slack_channel=f"C0INCIDENT{seed}",
                slack_ts=f"{1772949600 + number}.000100",
            )
        # Stakeholder updates and fixes, some at one moment: the page reads only the latest
        # update (its header) and the first fix (the mitigation's start).
        for number in range(rng.randrange(0, 5)):
            for kind in (TimelineKind.UPDATE, TimelineKind.MITIGATION):
                add_entry(
                    session,
                    incident,
                    kind=kind,
                    text=f"{kind.value} {number}",
                    author=rng.choice(PEOPLE),
                    occurred_at=rng.choice(moments[:3]),
                )
        # A message marked investigation, then a dead end: one line of the whole draft.
        for number in range(rng.randrange(0, 3)):
            said_at = rng.choice(moments)
            for kind in (TimelineKind.INVESTIGATION, TimelineKind.MISLEADING):
                add_entry(
                    session,
                    incident,
                    kind=kind,
                    text=f"idea {number}",
                    author=rng.choice(PEOPLE),
                    occurred_at=said_at,
                    slack_channel=f"C0INCIDENT{seed}",
                    slack_ts=f"{1772959600 + number}.000100",
                )
        for number in range(rng.randrange(0, 3)):
            session.add(
                ActionItem(
                    incident_id=incident.id,
                    text=f"task {number}",
                    owner=rng.choice([None, *PEOPLE]),
                    created_by="U0ALICE",
                    created_at=rng.choice(moments),
                )
            )
        await session.commit()
        return incident.id


async def test_every_page_shows_what_the_whole_draft_showed(engine: AsyncEngine) -> None:
    renderer = Renderer()
    for seed in range(12):
        await same_pages(engine, renderer, await write_record(engine, seed))


async def same_pages(engine: AsyncEngine, renderer: Renderer, incident_id: int) -> None:
    said = {"language": "en", "style": "default", "now": START + timedelta(hours=5)}
    whole = (await read_draft(engine, renderer, incident_id, **said)).draft
    async with session_scope(engine) as session:
        incident = await session.get(Incident, incident_id)
    total = len(whole.timeline)
    pages = max(1, -(-total // PAGE))
    for number in range(1, pages + 2):  # and one page past the end
        start = (number - 1) * PAGE
        page = await read_timeline_page(
            engine, renderer, incident_id, start=start, size=PAGE, **said
        )
        assert page.lines == whole.timeline[start : start + PAGE]
        assert page.total == total
        shown = {
            "nonce": "n",
            "sign_in_off": True,
            "viewer": None,
            "csrf": "",
            "incident": incident,
            "slack_link": "slack://channel?team=T1&id=C1",
            "now": incident.declared_at + timedelta(hours=2),
            "timeline_page": number,
            "timeline_first": start + 1,
            "timeline_total": total,
            "timeline_pages": pages,
            # Every kind shown, as ``?show=all`` asks (the whole draft's timeline has all).
            "kinds": chosen_kinds(MultiDict(show="all")),
            "kind_groups": GROUP_KEYS,
            "kind_counts": counts_by_group(page.kinds),
            # The header's answers and the live parts' (bot/web/incident/pages.py).
            "live_only": False,
            "live_seconds": 5,
            "acknowledged": None,
            "status_link": None,
            "update_overdue": False,
            "update_every": None,
        }
        from_page = renderer.render(
            "web/incident.html.j2", draft=page.draft, timeline=page.lines, **shown
        )
        from_whole = renderer.render(
            "web/incident.html.j2",
            draft=whole,
            timeline=whole.timeline[start : start + PAGE],
            **shown,
        )
        assert from_page == from_whole


async def test_a_page_reads_its_entries_and_the_summarys_not_the_rest(engine: AsyncEngine) -> None:
    """A 300-entry timeline of key events: a 7-line page carries 7 lines' text, and the one
    root cause finding outside it is still in the summary."""
    async with session_scope(engine) as session:
        incident = Incident(team_id="T1", number=1, title="t", declared_by="U1", declared_at=START)
        session.add(incident)
        await session.flush()
        for number in range(300):
            add_entry(
                session,
                incident,
                kind=TimelineKind.ROOT_CAUSE if number == 250 else TimelineKind.KEY_EVENT,
                text=f"step {number}",
                author="U0ALICE",
                occurred_at=START + timedelta(seconds=number),
            )
        await session.commit()
        assert incident.id is not None
        incident_id = incident.id
    page = await read_timeline_page(
        engine,
        Renderer(),
        incident_id,
        start=14,
        size=PAGE,
        language="en",
        style="default",
        now=START,
    )
    assert [line.text for line in page.lines] == [f"step {n}" for n in range(14, 21)]
    assert page.total == 300
    assert [line.text for line in page.draft.causes] == ["step 250"]
    assert len(page.draft.timeline) == 1  # the finding: nothing else of the timeline was read
