"""Links a reader can trust, end to end as the possible causes'
tests play an incident (tests/postmortem/test_causes.py): Slack is the emulator, the change
comes in over ``POST /api/changes``, and the team's model is the fake OpenAI-compatible server
(emulator/openai_chat.py). The model repeats a link in a cause, citing the entry that holds
it; what is asserted is whether people read that link anywhere in Slack.

The outside review's probe: a link only an incident's title, an alert, a change's app or a
guest wrote was repeated as part of a checked cause. A link is shown when an entry a member of
the workspace wrote holds it (the control: the same link said by Bob is shown), and never when
its host passes for the workspace's own Slack address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from emulator import SlackEmulator
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.conftest import ALICE, BOB
from tests.helpers import verifiers
from tests.postmortem.test_causes import (
    CAUSES,
    DEPLOY,
    GUEST,
    SERVICE,
    causes_messages,
    everywhere,
    play_causes,
)
from tests.postmortem.test_suggestions import START

LINK = "https://status.vendor.example/gw-2.14.1"
# Said in the channel at minute 85, after the causes were first asked.
NOTE = "Vendor notes on gw-2.14.1 broke card validation: {link}"


def repeating(holder: str, link: str) -> Callable[[ChatRequest], dict[str, Any]]:
    """A model that, once a record line holds ``holder``, proposes the release as the cause
    with ``link``, citing that line and Carol's message."""

    def reply(request: ChatRequest) -> dict[str, Any]:
        if not any(holder in line for line in request.lines):
            return {"causes": []}
        cites = [request.ref_of(holder), request.ref_of("gw-2.14.1 at 03:20")]
        text = f"Release gw-2.14.1 broke card validation, as {link} says."
        return {"causes": [{"text": text, "cites": cites}]}

    return reply


async def test_a_link_only_a_changes_app_gave_is_not_repeated(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    deploy = {**DEPLOY, "summary": f"Released gw-2.14.1 to production, notes at {LINK}"}
    model.reply(repeating("notes at", LINK), times=20, to=CAUSES)
    model.verdicts(verifiers.truthful(lambda _: True), times=20)
    async for played in play_causes(people, database_url, model, changes=((SERVICE, deploy),)):
        asked = [r for r in model.accepted if r.format_name == CAUSES]
        assert any(LINK in line for line in asked[0].lines)  # the model read it
        (message,) = causes_messages(played.channel)
        assert "No supported cause of INC-1 yet" in message.text
        assert "status.vendor.example" not in message.text


@pytest.mark.parametrize("who", ["member", "guest", "look-alike"])
async def test_a_link_in_a_cause_is_shown_only_from_a_members_words(
    people: SlackEmulator, database_url: str, model: FakeChatModel, who: str
) -> None:
    """Bob (a member) gives the link: shown. A guest gives it: not. Bob gives a link whose host
    passes for the workspace's Slack address: not either."""
    link = LINK
    if who == "look-alike":
        team = people.team_domain
        link = f"https://{team}.s1ack.com/signin"
    model.reply(repeating("Vendor notes", link), times=30, to=CAUSES)
    model.verdicts(verifiers.truthful(lambda _: True), times=30)
    async for played in play_causes(people, database_url, model):
        author = BOB
        if who == "guest":
            played.slack.add_user(GUEST, "gus")
            played.slack.users[GUEST].is_restricted = True
            played.channel.members.add(GUEST)
            author = GUEST
        await played.at(85)
        moment = START + timedelta(minutes=85)
        said = await played.slack.post_message(
            played.channel.id,
            NOTE.format(link=link),
            user=author,
            ts=f"{moment.timestamp():.0f}.000100",
        )
        await played.slack.add_reaction(played.channel.id, said.ts, "pushpin", user=ALICE)
        await played.at(95)
        asked = [r for r in model.accepted if r.format_name == CAUSES]
        assert any("Vendor notes" in line for line in asked[-1].lines)  # asked again
        (message,) = causes_messages(played.channel)
        shown = "\n".join(m.text for m in causes_messages(played.channel))
        if who == "member":
            assert f"Release gw-2.14.1 broke card validation, as {link} says." in message.text
        else:
            assert "No supported cause of INC-1 yet" in message.text
            host = link.split("//")[1].split("/")[0]
            assert host not in shown
            assert everywhere(people).count(host) == 1  # in the note alone
