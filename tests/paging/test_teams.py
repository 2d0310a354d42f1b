"""Microsoft Teams as a paging method, over the wire: the fake Workflows webhook
(emulator/teams.py) takes only the documented message with a valid Adaptive Card; its
Acknowledge button opens warroom's acknowledgement page; a flow that refuses is a failed
method and the next rule fires at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from emulator import FakeNtfy, FakeTeamsWorkflow
from emulator.teams import message_problem
from tests.conftest import CAROL, Clock, Warroom
from tests.oncall.test_oncall_command import oncall
from tests.paging.scenario import NOW, declare_sev1, paging_settings, person_pages

TOPIC = "carol-7f3a9c"
PUBLIC_URL = "https://warroom.example.com"
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"ops": {"teams": "ops-teams"}, "push": {"ntfy": TOPIC}},
            "rules": [{"after": "0s", "notify": ["ops"]}, {"after": "10m", "notify": ["push"]}],
        }
    }
}


@pytest.fixture
async def services() -> AsyncIterator[tuple[FakeTeamsWorkflow, FakeNtfy]]:
    async with FakeTeamsWorkflow() as teams, FakeNtfy() as ntfy:
        yield teams, ntfy


@pytest.fixture
def warroom_settings(
    tmp_path: Path,
    services: tuple[FakeTeamsWorkflow, FakeNtfy],
) -> dict[str, object]:
    teams, ntfy = services
    hooks = tmp_path / "hooks.yaml"
    hooks.write_text(
        yaml.safe_dump({"destinations": {"ops-teams": {"teams_url_env": "WARROOM_OPS_TEAMS"}}})
    )
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        WARROOM_PAGING_WEBHOOKS=str(hooks),
        WARROOM_OPS_TEAMS=teams.url,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    return {
        "clock": Clock(NOW),
        **settings,
    }


async def test_a_page_posts_an_adaptive_card_whose_acknowledge_button_acknowledges(
    warroom: Warroom, services: tuple[FakeTeamsWorkflow, FakeNtfy]
) -> None:
    teams, ntfy = services
    await declare_sev1(warroom)
    assert teams.refused == []
    (card,) = teams.cards
    assert card["version"] == "1.4"
    assert card["body"][0]["text"] == "INC-1 SEV1 Checkout API returns 500s"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Severity"] == "SEV1"
    assert facts["Paged"] == "Carol Tanaka (rule 1)"
    assert facts["Paged by"] == "Paged by escalation policy primary, level 1"
    buttons = {a["title"]: a["url"] for a in card["actions"]}
    assert buttons["Open in Slack"].startswith("https://slack.com/app_redirect?channel=C")
    assert buttons["Open incident"] == f"{PUBLIC_URL}/incidents/INC-1"
    async with (
        aiohttp.ClientSession() as browser,
        browser.post(buttons["Acknowledge"].replace(PUBLIC_URL, warroom.url)) as pressed,
    ):
        assert pressed.status == 200
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "teams")
    await warroom.advance(minutes=30)
    assert ntfy.phone(TOPIC) == []


async def test_a_flow_refusing_the_card_is_a_failed_method_and_push_goes_at_once(
    warroom: Warroom, services: tuple[FakeTeamsWorkflow, FakeNtfy]
) -> None:
    teams, ntfy = services
    teams.fail(400, times=10)
    channel = await declare_sev1(warroom)
    assert len(ntfy.phone(TOPIC)) == 1
    said = [m.text for m in channel.messages if "instead of at its offset" in m.text]
    assert said == [
        f":rotating_light: Microsoft Teams (ops) to <@{CAROL}> failed: Teams Workflows "
        "answered HTTP 400. Their rule 2 (push) fires now instead of at its offset."
    ]
    assert "s3cr3t" not in warroom.slack.transcript(channel.id)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.update(type="card"), 'type: "message"'),
        (lambda m: m["attachments"][0].update(contentType="text/html"), "contentType"),
        (lambda m: m["attachments"][0]["content"].update(version="2.0"), "version"),
        (lambda m: m["attachments"][0]["content"]["body"].append({"type": "Marquee"}), "Marquee"),
        (
            lambda m: m["attachments"][0]["content"]["actions"].append(
                {"type": "Action.OpenUrl", "title": "x", "url": "slack://channel"}
            ),
            "absolute http(s) url",
        ),
        (
            lambda m: m["attachments"][0]["content"]["actions"].append({"type": "Action.Submit"}),
            "Action.Submit",
        ),
    ],
)
def test_the_fake_refuses_what_teams_would_not_post(change: object, problem: str) -> None:
    from bot.clients.teams import Card, page_card

    message = page_card(Card("INC-1", (("Severity", "SEV1"),), None, None, None, urgent=True))
    assert message_problem(message) is None
    change(message)  # type: ignore[operator]
    assert problem in (message_problem(message) or "")


async def test_contact_test_posts_a_test_card_and_says_why_the_flow_refused_it(
    warroom: Warroom, services: tuple[FakeTeamsWorkflow, FakeNtfy]
) -> None:
    """``/oncall contact test ops``: a card saying it is a test reaches the flow (no button to
    acknowledge: nothing is paged); a flow that refuses is said with its status."""
    teams, _ = services
    said = await oncall(warroom, "contact test ops", user=CAROL)
    assert teams.refused == []
    (card,) = teams.cards
    assert card["body"][0]["text"] == "warroom: a test page"
    assert card["body"][1]["text"].startswith("This is a test from warroom")
    assert card["actions"] == []
    assert ":white_check_mark: ops (Microsoft Teams ops-teams): sent" in said
    await warroom.advance(minutes=1)  # one test page a minute at most
    teams.fail(404, times=1)
    said = await oncall(warroom, "contact test ops", user=CAROL)
    assert ":x: ops (Microsoft Teams ops-teams): Teams Workflows answered HTTP 404" in said
    assert "s3cr3t" not in said and len(teams.cards) == 1
