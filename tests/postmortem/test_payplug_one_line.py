"""One fact, one line, when the commander sets the time of someone else's message:
PayPlug's TSR-1532 (tests/status_page/test_status_page_replay.py) as its team would have run it in
the channel. Bob starts the Redis cluster's failover at 16:11 CET, Carol sees payments fail at
16:13 and come back at 16:24, each message marked :pushpin:; Alice, the commander, sets the
impact's start, its detection and its mitigation to those minutes (``/incident time``). The
draft's timeline says each fact once: the marked message, carrying the milestone and who set
its time."""

from __future__ import annotations

from datetime import timedelta

from bot.flows.postmortem.posting import write_draft
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, running_warroom
from tests.helpers.incidents import command, open_incident, settle, the_incident
from tests.helpers.records import section
from tests.status_page.test_status_page import at

# What was said, when (UTC; 16:11 CET is 15:11 UTC), and the milestone Alice sets to it.
SAID = [
    (at(15, 11), BOB, "Bascule du cluster Redis lancée", "started"),
    (at(15, 13), CAROL, "Les paiements échouent en e-commerce et en magasin", "detected"),
    (at(15, 24), CAROL, "Les paiements repassent, le taux d'erreur est normal", "mitigated"),
]
MILESTONE_WORDS = {
    "started": "impact started",
    "detected": "detected",
    "mitigated": "mitigated",
}


async def test_the_commanders_time_on_a_teammates_marked_message_is_that_line(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    clock = Clock(at(15, 5))
    async with running_warroom(slack, sqlite_url, clock, incidents__language="en") as warroom:
        channel = await open_incident(warroom, "Paiements KO: bascule du cluster Redis par Bob")
        await command(warroom, channel, "timezone Europe/Paris")
        for moment, person, text, _ in SAID:
            clock.now = moment
            said = await slack.post_message(
                channel.id, text, user=person, ts=f"{int(moment.timestamp())}.000100"
            )
            await slack.add_reaction(channel.id, said.ts, "pushpin", user=ALICE)
            await settle(warroom)
        clock.now = at(15, 40)
        for moment, _, _, milestone in SAID:
            await command(warroom, channel, f"time {milestone} {moment + timedelta(hours=1):%H:%M}")
        clock.now = at(17, 0)
        await command(warroom, channel, "resolve Redis cluster back on its primary")
        incident = await the_incident(warroom)
        draft = (await write_draft(warroom.services, incident.id or 0, ask_slack=False)).markdown
    timeline = section(draft, "## Timeline (Europe/Paris)")
    lines = [line for line in timeline.splitlines() if line.startswith("- **")]
    for _, _, text, milestone in SAID:
        words = MILESTONE_WORDS[milestone]
        # No line of its own for the milestone: it is said on the message's line.
        assert not [line for line in lines if f"_{words}_" in line], (words, lines)
        (said,) = [line for line in lines if text in line]
        assert f"— {words} (time set by Alice Moreau)" in said, said
    # Each message at its minute, in the incident's zone.
    assert [
        line.split("**")[1].split("]")[0].lstrip("[")
        for line in lines
        if "Alice Moreau)" in line and "time set" in line
    ] == ["4:11 PM", "4:13 PM", "4:24 PM"], lines
