"""The ``teams`` workflow action end to end: a signed ``/incident start`` into the real
server, Slack played by the emulator, and the Teams channel's Workflows webhook by the fake
(emulator/teams.py: the Bot Framework message and Adaptive Card schema Workflows takes,
answered 202; anything else 400)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import MappingProxyType

import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.incident.incident_types import IncidentTypes
from bot.record.workflows.definitions import parse_workflows
from bot.store.db import session_scope
from bot.store.models import TimelineEntry
from emulator import Channel, FakeTeamsWorkflow
from tests.conftest import Warroom
from tests.helpers.incidents import declare_incident, settle

PUBLIC_URL = "https://warroom.example.com"
DOCUMENT = {
    "workflows": {
        "exec-teams": {
            "on": "incident.declared",
            "when": {"severity": "SEV1"},
            "do": [
                {
                    "teams": {
                        "url_env": "WARROOM_EXEC_TEAMS_URL",
                        "text": "Heads-up for the execs: {{ incident.reference }} is a SEV1.",
                    }
                }
            ],
        }
    }
}


@pytest.fixture
async def teams() -> AsyncIterator[FakeTeamsWorkflow]:
    async with FakeTeamsWorkflow() as fake:
        yield fake


@pytest.fixture
def warroom_settings(teams: FakeTeamsWorkflow) -> dict[str, object]:
    return {
        "workflows__definitions": parse_workflows(DOCUMENT),
        "workflows__webhook_secrets": MappingProxyType(
            {"WARROOM_EXEC_TEAMS_URL": Secret(teams.url)}
        ),
        "web__public_url": PUBLIC_URL,
    }


async def start(warroom: Warroom, title: str) -> Channel:
    channel = await declare_incident(warroom.slack, title, pinned=True)
    for _ in range(3):
        await settle(warroom)
    return channel


def said(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if "Microsoft Teams" in m.text]


async def test_a_sev1_posts_its_card_in_teams_once(
    warroom: Warroom, teams: FakeTeamsWorkflow
) -> None:
    channel = await start(warroom, "sev1 Checkout down")
    (card,) = teams.cards
    title, text, facts = card["body"]
    assert title["text"] == "INC-1 SEV1 Checkout down" and title["color"] == "Attention"
    assert text["text"] == "Heads-up for the execs: INC-1 is a SEV1."
    shown = {fact["title"]: fact["value"] for fact in facts["facts"]}
    assert shown["Severity"] == "SEV1" and shown["Workflow"] == "exec-teams"
    buttons = {action["title"]: action["url"] for action in card["actions"]}
    assert buttons == {
        "Open in Slack": f"https://slack.com/app_redirect?channel={channel.id}&team={warroom.slack.team_id}",
        "Open incident": f"{PUBLIC_URL}/incidents/INC-1",
    }
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "workflow"))
        facts_kept = [row.facts for row in rows.all()]
    assert facts_kept == [
        {"workflow": "exec-teams", "action": "teams", "did": "card posted in Microsoft Teams"}
    ]
    await start(warroom, "sev3 Slow search")  # not a SEV1: no card
    await warroom.advance(minutes=20)
    assert len(teams.cards) == 1 and said(channel) == []


async def test_teams_down_is_asked_again_and_a_refusal_is_said_without_the_url(
    warroom: Warroom, teams: FakeTeamsWorkflow
) -> None:
    teams.fail(503)
    await start(warroom, "sev1 Checkout down")
    assert teams.cards == []
    await warroom.advance(seconds=31)
    assert len(teams.cards) == 1  # the retry, taken

    teams.fail(400)
    channel = await start(warroom, "sev1 Payments down")
    assert said(channel) == [
        ":warning: Workflow *exec-teams* could not post a card in Microsoft Teams "
        "(WARROOM_EXEC_TEAMS_URL): Teams Workflows answered HTTP 400."
    ]
    await warroom.advance(minutes=20)
    assert len(teams.cards) == 1 and len(said(channel)) == 1  # given up for good: said once
    assert "sig=" not in warroom.slack.transcript(channel.id)


def test_the_file_names_the_variable_and_the_settings_check_its_url() -> None:
    workflows = parse_workflows(DOCUMENT)
    (workflow,) = workflows.by_name.values()
    assert workflow.reads() == (
        "When an incident is declared with severity SEV1: post a card in Microsoft Teams "
        "(WARROOM_EXEC_TEAMS_URL)"
    )
    assert workflows.secret_envs == frozenset({"WARROOM_EXEC_TEAMS_URL"})

    def problems(url: str) -> list[str]:
        return workflows.problems_with(
            IncidentTypes(),
            policies=(),
            schedules=(),
            secrets={"WARROOM_EXEC_TEAMS_URL": url} if url else {},
        )

    assert problems("https://prod.westus.logic.azure.com/workflows/1?sig=x") == []
    assert problems("") == [
        "workflow 'exec-teams': do #1 (teams): url_env: WARROOM_EXEC_TEAMS_URL is not set"
    ]
    assert problems("http://teams.example.com/workflows/1?sig=x") == [
        "workflow 'exec-teams': do #1 (teams): url_env: WARROOM_EXEC_TEAMS_URL: an https URL"
    ]
    with pytest.raises(ValueError, match="url_env: the environment variable"):
        parse_workflows({"workflows": {"x": {"on": "incident.declared", "do": [{"teams": {}}]}}})
