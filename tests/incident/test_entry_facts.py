"""warroom's own timeline entries are data: people as user ids, no Slack markup and no sentence
stored; templates say them in the incident's language, mentioning people in Slack and naming
them in the draft, the web page and the API. Rows written before keep their text and show it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.basics.markdown_text import markdown_to_html
from bot.basics.render import Renderer
from bot.flows.postmortem.posting import write_draft
from bot.record.incident import timeline
from bot.record.postmortem.writing import escalation_words
from bot.store.columns import UTCDateTime
from bot.store.db import create_engine, session_scope
from bot.store.migrate import upgrade_database
from bot.store.models import Escalation, Incident, TimelineEntry, TimelineKind
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.escalation.test_escalation import DBA_GROUP
from tests.helpers.incidents import command, open_incident, the_incident
from tests.helpers.records import sentence
from tests.helpers.web_view import API_TOKEN, browser, sign_in, web_warroom

# Slack markup that must never be stored by warroom itself: a mention, a group, a broadcast.
MARKUP = ("<@", "<!subteam^", "<!channel", "<!here")


async def stored_entries(warroom: Warroom) -> list[TimelineEntry]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(TimelineEntry).order_by(TimelineEntry.id))).all())


async def timeline_reply(warroom: Warroom, channel: Channel) -> str:
    """What ``/incident timeline`` shows Alice, privately, in Slack."""
    slack = warroom.slack

    def replies() -> list[str]:
        return [m.text for m in slack.ephemeral_for(ALICE) if "timeline*" in m.text]

    before = len(replies())
    await slack.send_command("timeline", user=ALICE, channel=channel.id)
    await slack.wait_for(lambda: len(replies()) > before)
    return replies()[-1]


async def live_incident(warroom: Warroom) -> Channel:
    """An incident with a new lead, a role, a higher severity, escalations to a person and a
    user group, and an acknowledgement, all made through /incident."""
    warroom.slack.add_usergroup(DBA_GROUP, "dba-team", [CAROL])
    channel = await open_incident(warroom)
    await command(warroom, channel, "lead @bob")
    await command(warroom, channel, "role comms @carol")
    await command(warroom, channel, "sev 1")
    await command(warroom, channel, "escalate @carol knows the gateway")
    await command(warroom, channel, "escalate @dba-team replication lag")
    await command(warroom, channel, "ack", user=CAROL)
    return channel


async def test_entries_are_stored_as_facts_without_slack_markup(warroom: Warroom) -> None:
    await live_incident(warroom)
    rows = await stored_entries(warroom)
    for row in rows:
        stored = row.text + json.dumps(row.facts)
        assert not any(markup in stored for markup in MARKUP), (row.kind, stored)
    by_kind = {row.kind: row for row in rows}
    assert (by_kind["declared"].text, by_kind["declared"].facts) == (
        "Checkout down",
        {"severity": "SEV3"},
    )
    assert by_kind["commander"].facts == {"user": BOB, "previous_user": ALICE}
    assert by_kind["role"].facts == {"role": "comms", "user": CAROL, "previous_user": None}
    assert by_kind["severity"].facts == {
        "severity": "SEV1",
        "previous_severity": "SEV3",
        "direction": "raised",
    }
    person, group = [row for row in rows if row.kind == "escalation"]
    assert (person.facts, person.text) == (
        {"target": {"kind": "user", "id": CAROL}},
        "knows the gateway",
    )
    assert (group.facts, group.text) == (
        {"target": {"kind": "usergroup", "id": DBA_GROUP, "name": "@dba-team"}},
        "replication lag",
    )
    assert by_kind["acknowledged"].facts == {
        "targets": [
            {"kind": "user", "id": CAROL},
            {"kind": "usergroup", "id": DBA_GROUP, "name": "@dba-team"},
        ]
    }
    assert all(row.text == "" for row in rows if row.kind in ("commander", "role", "severity"))


async def test_slack_mentions_people_and_documents_name_them(warroom: Warroom) -> None:
    channel = await live_incident(warroom)

    shown = await timeline_reply(warroom, channel)
    assert "Incident commander: <@U0BOB> (was <@U0ALICE>)" in shown
    assert "comms: <@U0CAROL>" in shown
    assert "Severity raised from SEV3 to SEV1" in shown
    assert "Escalated to <@U0CAROL>: knows the gateway" in shown
    assert "Escalated to <!subteam^S0DBATEAM>: replication lag" in shown
    assert "Acknowledged escalation to <@U0CAROL>, <!subteam^S0DBATEAM>" in shown

    incident = await the_incident(warroom)
    markdown = (await write_draft(warroom.services, incident.id or 0)).markdown
    assert "Incident commander: @Bob Okafor \\(was @Alice Moreau\\)" in markdown
    assert "comms: @Carol Tanaka" in markdown
    assert "Escalated to @Carol Tanaka: knows the gateway" in markdown
    assert "Escalated to @dba-team: replication lag" in markdown
    assert "Acknowledged escalation to @Carol Tanaka, @dba-team" in markdown
    assert not any(markup in markdown for markup in MARKUP)
    page = markdown_to_html(markdown)
    assert "Incident commander: @Bob Okafor (was @Alice Moreau)" in page


async def test_the_french_draft_and_timeline_say_it_in_french(warroom: Warroom) -> None:
    channel = await live_incident(warroom)
    incident = await the_incident(warroom)

    markdown = (await write_draft(warroom.services, incident.id or 0, language="fr")).markdown
    assert "Incident déclaré : Checkout down \\(SEV3\\)" in markdown
    assert "Responsable d'incident : @Bob Okafor \\(auparavant : @Alice Moreau\\)" in markdown
    assert "Gravité relevée de SEV3 à SEV1" in markdown
    assert "Escalade vers @Carol Tanaka : knows the gateway" in markdown
    assert "Prise en compte des escalades vers @Carol Tanaka, @dba-team" in markdown
    assert "Incident commander" not in markdown and "Escalated to" not in markdown

    # The incident's language is the postmortem's: its Slack timeline follows it.
    await command(warroom, channel, "postmortem --lang fr")
    shown = await timeline_reply(warroom, channel)
    assert "Responsable d'incident : <@U0BOB> (auparavant : <@U0ALICE>)" in shown
    assert "Escalade vers <!subteam^S0DBATEAM> : replication lag" in shown


async def test_the_web_page_and_the_api_name_people(slack: SlackEmulator, sqlite_url: str) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        await live_incident(warroom)
        incident = await the_incident(warroom)
        await write_draft(warroom.services, incident.id or 0)  # learns people's names
        await sign_in(session, warroom, ALICE)
        # Every kind of line (escalations are folded by default).
        async with session.get(f"{warroom.url}/incidents/INC-1?show=all") as answer:
            page = await answer.text()
        # The timeline's Entry column (each cell names its column for phones: data-label),
        # its words as Slack shows them, by name: nothing else in the cell.
        entry = '<td data-label="Entry"><div class="mrkdwn"><p>'
        end = "</p></div></td>"
        assert f"{entry}Incident commander: @Bob Okafor (was @Alice Moreau){end}" in page
        assert f"{entry}Escalated to @dba-team: replication lag{end}" in page
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with aiohttp.ClientSession() as client:
            url = f"{warroom.url}/api/incidents/INC-1"
            async with client.get(url, headers=headers) as answer:
                detail = await answer.json()
        # The API gives each line's words as written (people by name), never HTML.
        texts = [line["text"] for line in detail["timeline"]]
        assert "Incident commander: @Bob Okafor (was @Alice Moreau)" in texts
        assert "Escalated to @Carol Tanaka: knows the gateway" in texts


async def test_rows_from_before_facts_show_as_they_always_did(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    incident = await the_incident(warroom)
    async with session_scope(warroom.engine) as session:
        for kind, text in [
            (TimelineKind.COMMANDER, "Incident commander: <@U0BOB> (was <@U0ALICE>)"),
            (TimelineKind.ESCALATION, "Escalated to <@U0CAROL>: knows the gateway"),
        ]:
            timeline.add_entry(
                session, incident, kind=kind, text=text, author=ALICE, occurred_at=warroom.clock()
            )
        await session.commit()

    shown = await timeline_reply(warroom, channel)
    assert "Incident commander: <@U0BOB> (was <@U0ALICE>)" in shown
    assert "Escalated to <@U0CAROL>: knows the gateway" in shown
    markdown = (await write_draft(warroom.services, incident.id or 0)).markdown
    assert "Incident commander: @Bob Okafor \\(was @Alice Moreau\\)" in markdown
    assert "Escalated to @Carol Tanaka: knows the gateway" in markdown
    # Their words were English when written, and stay so in a French draft.
    french = (await write_draft(warroom.services, incident.id or 0, language="fr")).markdown
    assert "Incident commander: @Bob Okafor \\(was @Alice Moreau\\)" in french


async def test_the_migration_keeps_earlier_rows_as_they_were(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine, "0008")
        await _an_entry_of_revision_0008(engine)
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            (row,) = (await session.exec(select(TimelineEntry))).all()
            assert (row.text, row.facts) == ("Incident commander: <@U0BOB>", None)
            incident = await session.get(Incident, row.incident_id)
            assert incident is not None
            timeline.add_entry(
                session,
                incident,
                kind=TimelineKind.SEVERITY,
                facts={"severity": "SEV1", "previous_severity": "SEV3", "direction": "raised"},
                author=ALICE,
                occurred_at=datetime(2026, 1, 1, 10, 5, tzinfo=UTC),
            )
            await session.commit()
        async with session_scope(engine) as session:
            old, new = await timeline.entries(session, row.incident_id)
        assert sentence(old, slack=True) == "Incident commander: <@U0BOB>"
        assert sentence(new) == "Severity raised from SEV3 to SEV1"
        assert new.facts == {"severity": "SEV1", "previous_severity": "SEV3", "direction": "raised"}
    finally:
        await engine.dispose()


async def _an_entry_of_revision_0008(engine: AsyncEngine) -> None:
    """A timeline entry as the bot wrote it before entries kept facts."""
    at = datetime(2026, 1, 1, 10, tzinfo=UTC)
    incident = sa.table(
        "incident",
        *(sa.column(name) for name in ("id", "team_id", "number", "title", "description")),
        *(sa.column(name) for name in ("severity", "status", "declared_by", "timezone")),
        sa.column("declared_at", UTCDateTime()),
    )
    entry = sa.table(
        "timeline_entry",
        *(sa.column(name) for name in ("incident_id", "kind", "text", "author")),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("recorded_at", UTCDateTime()),
    )
    async with engine.begin() as connection:
        await connection.execute(
            incident.insert().values(
                id=1,
                team_id="T0",
                number=1,
                title="Checkout down",
                description="",
                severity="SEV3",
                status="investigating",
                declared_by=ALICE,
                timezone="UTC",
                declared_at=at,
            )
        )
        await connection.execute(
            entry.insert().values(
                incident_id=1,
                kind="commander",
                text="Incident commander: <@U0BOB>",
                author=ALICE,
                occurred_at=at,
                recorded_at=at,
            )
        )


async def test_0010_keeps_earlier_escalations_as_they_were(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine, "0009")
        await _an_entry_of_revision_0008(engine)  # the incident to escalate
        await _an_escalation_of_revision_0009(engine)
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            (row,) = (await session.exec(select(Escalation))).all()
        assert (row.reason, row.why) == ("SEV2 incidents escalate to db-oncall", None)
        for language in ("en", "fr"):
            said = escalation_words(Renderer(), language, {})
            assert said(row)[1] == "SEV2 incidents escalate to db-oncall"
    finally:
        await engine.dispose()


async def _an_escalation_of_revision_0009(engine: AsyncEngine) -> None:
    """A policy's escalation as the bot wrote it before escalations kept why as data."""
    columns = ("incident_id", "target_kind", "target_ref", "target", "policy", "level")
    escalation = sa.table(
        "escalation",
        *(sa.column(name) for name in (*columns, "reason", "notified_users")),
        sa.column("escalated_at", UTCDateTime()),
    )
    async with engine.begin() as connection:
        await connection.execute(
            escalation.insert().values(
                incident_id=1,
                target_kind="policy",
                target_ref="db-oncall",
                target="db-oncall level 1",
                policy="db-oncall",
                level=1,
                reason="SEV2 incidents escalate to db-oncall",
                notified_users="",
                escalated_at=datetime(2026, 1, 1, 10, 1, tzinfo=UTC),
            )
        )
