"""The postmortem commands through Slack: where the draft goes, fixing times, zones, styles."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import ActionItem, MilestoneChange, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import open_incident, the_incident

NOW = datetime(2023, 11, 7, 18, 0, tzinfo=UTC)  # 10:00 AM PST


async def run(warroom: Warroom, channel: Channel, text: str, user: str = ALICE) -> None:
    await warroom.slack.send_command(text, user=user, channel=channel.id)
    await warroom.finish_background()
    await warroom.run_jobs()


def last_private(slack: SlackEmulator, user: str = ALICE) -> str:
    return slack.ephemeral_for(user)[-1].text


async def test_without_canvases_the_draft_is_a_markdown_file(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url, Clock(NOW)) as warroom:
        channel = await open_incident(warroom)
        slack.fail_with_error(
            "conversations.canvases.create", "team_tier_cannot_create_channel_canvases"
        )
        await run(warroom, channel, "impact About 20% of users cannot <b>pay</b>", user=CAROL)
        await run(warroom, channel, "resolve")

    assert not slack.canvases
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    (file,) = slack.files.values()
    assert file["name"] == "INC-1-postmortem-draft.md" and file["channels"] == [channel.id]
    content = file["content"].decode() if isinstance(file["content"], bytes) else file["content"]
    assert "# Postmortem: INC-1 Checkout down" in content
    assert "About 20% of users cannot &lt;b&gt;pay&lt;/b&gt; (" in content
    shared = next(m for m in channel.messages if m.files)
    assert "Postmortem draft: INC-1 Checkout down" in shared.text
    assert "Markdown file below" in shared.text
    assert "Time to resolve: unknown" in shared.text  # declared by hand: impact start unknown


async def test_the_draft_is_the_channel_canvas_and_regenerating_replaces_it(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        channel = await open_incident(warroom)
        await run(warroom, channel, "resolve")
        (canvas,) = slack.canvases.values()
        assert "## Issue summary" in canvas["markdown"]
        await run(warroom, channel, "cause Expired TLS certificate on the gateway")
        await run(warroom, channel, "postmortem --style atlassian")

        (canvas,) = slack.canvases.values()  # replaced, not a second one
        assert canvas["markdown"].startswith("# Incident postmortem: INC-1")
        assert "## Five whys" in canvas["markdown"]
        assert "Expired TLS certificate on the gateway" in canvas["markdown"]
        assert len(slack.calls_to("canvases.edit")) == 1
        assert (await the_incident(warroom)).postmortem_style == "atlassian"

        await run(warroom, channel, "postmortem --style haiku")
        assert "There is no postmortem style 'haiku'" in last_private(slack)
        assert "en: atlassian, default, sre" in last_private(slack)
        await run(warroom, channel, "postmortem now please")
        assert "Usage: `/incident postmortem" in last_private(slack)


async def test_setting_times_after_the_fact(slack: SlackEmulator, database_url: str) -> None:
    async with running_warroom(
        slack, database_url, Clock(NOW), incidents__timezone="America/Los_Angeles"
    ) as warroom:
        channel = await open_incident(warroom)
        await run(warroom, channel, "time started 8:45am")
        said = channel.messages[-1].text
        assert "set *impact started* to 2023-11-07 08:45 PST (it was not in the record)" in said
        await run(warroom, channel, "time started 2023-11-07 16:40 UTC")
        assert "(was 2023-11-07 08:45 PST)" in channel.messages[-1].text

        await run(warroom, channel, "time detected 11:30")
        assert "would be in the future" in last_private(slack)
        await run(warroom, channel, "time detected 8:50 IST")
        assert "`IST` is used by more than one time zone (Asia/Kolkata" in last_private(slack)
        await run(warroom, channel, "time mitigated 03/04/2023 9:00")
        assert "2023-03-04" in last_private(slack) and "2023-04-03" in last_private(slack)
        await run(warroom, channel, "time detected 8:00am")  # before the impact started
        assert "would be before *impact started*" in last_private(slack)
        await run(warroom, channel, "time resolved 9:00")
        assert "not resolved yet" in last_private(slack)
        await run(warroom, channel, "time ended 8:30am")  # before the impact started
        assert "*impact ended* at 2023-11-07 08:30 PST would be before *impact started*" in (
            last_private(slack)
        )
        await run(warroom, channel, "time impact-ended 9:10am")
        assert "set *impact ended* to 2023-11-07 09:10 PST" in channel.messages[-1].text
        await run(warroom, channel, "time declared 8:55am")  # declared late: back-dated
        assert "set *declared* to 2023-11-07 08:55 PST (was " in channel.messages[-1].text
        await run(warroom, channel, "time detected yesterday 23:10")
        assert "would be before *impact started*" in last_private(slack)
        await run(warroom, channel, "time detected 8:50 AM PST")

        incident = await the_incident(warroom)
        assert incident.started_at == datetime(2023, 11, 7, 16, 40, tzinfo=UTC)
        assert incident.detected_at == datetime(2023, 11, 7, 16, 50, tzinfo=UTC)
        assert incident.ended_at == datetime(2023, 11, 7, 17, 10, tzinfo=UTC)
        assert incident.declared_at == datetime(2023, 11, 7, 16, 55, tzinfo=UTC)
        async with session_scope(warroom.engine) as session:
            changes = (await session.exec(select(MilestoneChange))).all()
        assert [(c.milestone, c.changed_by) for c in changes] == [
            ("started", ALICE),
            ("started", ALICE),
            ("ended", ALICE),
            ("declared", ALICE),
            ("detected", ALICE),
        ]
        assert changes[1].previous == datetime(2023, 11, 7, 16, 45, tzinfo=UTC)


async def test_changing_the_time_zone(slack: SlackEmulator, sqlite_url: str) -> None:
    async with running_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        channel = await open_incident(warroom)
        await run(warroom, channel, "timezone Africa/Nairobi")
        assert any(
            "from UTC to *Africa/Nairobi* (it is 9:00 PM EAT there now)" in message.text
            or "from UTC to *Africa/Nairobi* (it is 21:00 EAT there now)" in message.text
            for message in channel.messages
        )
        assert (await the_incident(warroom)).timezone == "Africa/Nairobi"
        await run(warroom, channel, "timezone Mars/Olympus_Mons")
        assert "Mars/Olympus_Mons" in last_private(slack)
        assert (await the_incident(warroom)).timezone == "Africa/Nairobi"
        await run(warroom, channel, "timezone PST")
        assert (await the_incident(warroom)).timezone == "America/Los_Angeles"


async def test_impact_cause_and_action_are_recorded_and_linked(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url, Clock(NOW)) as warroom:
        channel = await open_incident(warroom)
        await run(warroom, channel, "impact 20% of checkouts fail", user=CAROL)
        await run(warroom, channel, "cause Card validation changed in gateway 4.2")
        await run(warroom, channel, "action @bob Add a contract test per card type")
        await run(warroom, channel, "action")
        usage = (
            "Usage: `/incident action [--file[=tracker]] [--due &lt;day&gt;] [@owner] &lt;task&gt;`"
        )
        assert usage in last_private(slack)

        async with session_scope(warroom.engine) as session:
            entries = (await session.exec(select(TimelineEntry))).all()
            (item,) = (await session.exec(select(ActionItem))).all()
        kinds = {entry.kind: entry for entry in entries}
        assert kinds["impact"].text == "20% of checkouts fail"
        assert kinds["impact"].author == CAROL
        assert kinds["root_cause"].text == "Card validation changed in gateway 4.2"
        assert (item.owner, item.created_by, item.text) == (
            BOB,
            ALICE,
            "Add a contract test per card type",
        )
        # Each is tied to the channel message that showed it, which the draft links to.
        shown = {message.ts: message.text for message in channel.messages}
        assert "*Impact* recorded by <@U0CAROL>" in shown[kinds["impact"].slack_ts or ""]
        assert "owner <@U0BOB>" in shown[item.slack_ts or ""]

        await run(warroom, channel, "resolve")
        (canvas,) = slack.canvases.values()
        link = f"https://{slack.team_domain}.slack.com/archives/{channel.id}/p"
        assert f"- 20% of checkouts fail ([{_clock(NOW)}]({link}" in canvas["markdown"]
        assert "(owner: Bob Okafor). Noted [" in canvas["markdown"]


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


async def test_help_lists_the_postmortem_commands(warroom: Warroom) -> None:
    general = warroom.slack.channel_by_name("general")
    assert general is not None
    response = await warroom.slack.send_command("help", user=ALICE, channel=general.id)
    await warroom.finish_background()
    text = last_private(warroom.slack)
    for usage in (
        "impact <who and what is affected>",
        "cause <what caused it>",
        "action [--file[=tracker]] [--due <day>] [@owner] <task>",
        "time <started|detected|declared|acknowledged|mitigated|ended|resolved> <when>",
        "timezone <zone>",
        "postmortem [--style default|sre|atlassian] [--lang en|fr]",
    ):
        escaped = usage.replace("<", "&lt;").replace(">", "&gt;")
        assert f"`/incident {escaped}`" in text
    # The reactions that mark messages, the new one among them.
    assert "*Reactions* on a message in an incident channel put it in the timeline:" in text
    assert ":x: misleading path" in text
    assert ":large_green_circle: recovered (the service is back: when the impact ended)" in text
    assert response.status == 200


async def test_the_command_line_prints_the_draft(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(NOW - timedelta(hours=1))) as warroom:
        channel = await open_incident(warroom)
        await slack.post_message(channel.id, "<script>alert(1)</script> seen", user=BOB)
        await run(warroom, channel, "resolve")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "WARROOM_", "DATABASE_URL"))
    }
    env["DATABASE_URL"] = sqlite_url
    cli = [sys.executable, "-m", "bot", "postmortem"]
    markdown = subprocess.run(
        [*cli, "INC-1"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert markdown.startswith("# Postmortem: INC-1 Checkout down")
    assert "| Commander | Alice Moreau |" in markdown  # the name kept when the bot drafted it
    page = subprocess.run(
        [*cli, "inc-1", "--format", "html", "--style", "sre"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert page.startswith("<!doctype html>") and "<h1>INC-1 Postmortem: Checkout down</h1>" in page
    missing = subprocess.run([*cli, "INC-9"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1 and "no incident INC-9" in missing.stderr
    french = subprocess.run(
        [*cli, "INC-1", "--lang", "xx"], env=env, capture_output=True, text=True
    )
    assert french.returncode == 1 and "no postmortem style" in french.stderr.lower()


@pytest.mark.parametrize("refusal", ["restricted_action", "canvas_editing_failed"])
async def test_a_canvas_slack_will_not_edit_gives_way_to_a_markdown_file(
    slack: SlackEmulator, sqlite_url: str, refusal: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(NOW)) as warroom:
        channel = await open_incident(warroom)
        await run(warroom, channel, "resolve")
        (canvas,) = slack.canvases.values()
        # A free workspace, or one whose settings limit canvases, refuses the edit.
        slack.fail_with_error("canvases.edit", refusal)
        await run(warroom, channel, "cause Expired TLS certificate on the gateway")
        await run(warroom, channel, "postmortem")

    assert len(slack.calls_to("canvases.edit")) == 1
    (file,) = slack.files.values()
    content = file["content"].decode() if isinstance(file["content"], bytes) else file["content"]
    assert "Expired TLS certificate on the gateway" in content
    assert "Expired TLS" not in canvas["markdown"]
