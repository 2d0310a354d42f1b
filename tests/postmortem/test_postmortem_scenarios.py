"""The two example incidents of ``../shared/examples``, replayed through Slack and the alert
webhooks at their original times; the draft must state their facts.

Everything goes over real HTTP: Alertmanager and generic webhooks, signed slash commands,
message and reaction events with the original Slack timestamps. The draft is read where
people read it: the channel canvas the bot posted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from dateutil import tz

from bot.config import Secret
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alertmanager, post_alert
from tests.helpers.records import section

DAVE, ERIN, FRANK = "U0DAVE", "U0ERIN", "U0FRANK"
ENGINEERING, SENIORS, DBAS, APP_DEVS = "S0ENG", "S0SENIOR", "S0DBA", "S0APPDEV"


@dataclass
class Replay:
    """Plays an incident minute by minute in the incident's own zone."""

    warroom: Warroom
    zone: str
    day: datetime
    channel: Channel | None = None

    def at(self, clock_time: str) -> datetime:
        """``"12:05 PM"`` on the incident's day, in its zone, as UTC."""
        local = datetime.strptime(clock_time, "%I:%M %p").time()
        moment = datetime.combine(self.day.date(), local, tzinfo=tz.gettz(self.zone))
        return moment.astimezone(UTC)

    async def settle(self) -> None:
        await self.warroom.services.background.drain(timeout=10)
        await self.warroom.run_jobs()

    async def now(self, clock_time: str) -> None:
        self.warroom.clock.now = self.at(clock_time)
        await self.settle()

    async def say(self, clock_time: str, user: str, text: str, reaction: str | None = None) -> None:
        await self.now(clock_time)
        assert self.channel is not None
        moment = self.at(clock_time)
        message = await self.warroom.slack.post_message(
            self.channel.id, text, user=user, ts=f"{int(moment.timestamp())}.000100"
        )
        if reaction:
            await self.warroom.slack.add_reaction(self.channel.id, message.ts, reaction, user=ALICE)
        await self.settle()

    async def run(self, clock_time: str, user: str, text: str) -> None:
        await self.now(clock_time)
        assert self.channel is not None
        await self.warroom.slack.send_command(text, user=user, channel=self.channel.id)
        await self.settle()

    async def press_acknowledge(self, clock_time: str, user: str) -> None:
        await self.now(clock_time)
        await self.run(clock_time, user, "ack")

    async def find_channel(self) -> Channel:
        slack = self.warroom.slack
        self.channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None)
        )
        return self.channel

    def link(self, clock_time: str) -> str:
        """How the draft links a message said at that time."""
        assert self.channel is not None
        ts = f"{int(self.at(clock_time).timestamp())}000100"
        domain = self.warroom.slack.team_domain
        return f"[{clock_time}](https://{domain}.slack.com/archives/{self.channel.id}/p{ts})"

    def canvas(self) -> str:
        assert self.channel is not None
        (canvas,) = [
            c for c in self.warroom.slack.canvases.values() if c["channel_id"] == self.channel.id
        ]
        return str(canvas["markdown"])


@pytest.fixture
def people(slack: SlackEmulator) -> SlackEmulator:
    slack.add_user(DAVE, "dave", "Dave Kowalski")
    slack.add_user(ERIN, "erin", "Erin Achebe")
    slack.add_user(FRANK, "frank", "Frank Gateway-Supplier")
    slack.add_usergroup(ENGINEERING, "engineering", [DAVE])
    slack.add_usergroup(SENIORS, "senior-engineers", [ERIN])
    slack.add_usergroup(DBAS, "dba-team", [DAVE])
    slack.add_usergroup(APP_DEVS, "app-dev-team", [ERIN])
    return slack


@pytest.fixture
async def nairobi(people: SlackEmulator, database_url: str) -> AsyncIterator[Warroom]:
    async with running_warroom(
        people,
        database_url,
        Clock(datetime(2023, 3, 14, 9, 0, tzinfo=UTC)),
        alerting__token=Secret(TOKEN),
        incidents__timezone="Africa/Nairobi",
    ) as running:
        yield running


async def test_the_checkout_page_crash(nairobi: Warroom) -> None:
    """``checkout-page-crash.txt``: 12:00 p.m. to 2:00 p.m. EAT, 20% of users impacted."""
    play = Replay(nairobi, "Africa/Nairobi", datetime(2023, 3, 14))
    await play.now("12:00 PM")
    spike = {
        "status": "firing",
        "labels": {"alertname": "CheckoutErrorSpike", "service": "checkout", "severity": "page"},
        "annotations": {"summary": "Spike in 500 errors on the checkout page"},
        "startsAt": "2023-03-14T12:00:00+03:00",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph?g0.expr=checkout_5xx",
        "fingerprint": "0c0ffee000000001",
    }
    status, _ = await post_alert(
        nairobi.url, "alertmanager", alertmanager("CheckoutErrorSpike", [spike])
    )
    assert status == 202
    await play.settle()
    await play.find_channel()

    await play.run("12:05 PM", ALICE, "lead @alice")
    await play.run("12:05 PM", ALICE, "escalate @engineering 500s on checkout")
    await play.press_acknowledge("12:06 PM", DAVE)
    await play.say(
        "12:10 PM",
        DAVE,
        "Looks like the database: checking the DB logs and running queries.",
        "x",
    )
    await play.say(
        "12:20 PM",
        DAVE,
        "It is really the payment gateway integration: reading its logs and code.",
        "mag",
    )
    await play.run(
        "12:30 PM",
        CAROL,
        "impact Potential purchases lost: about 20% of users could not reach the checkout page",
    )
    await play.say(
        "12:40 PM",
        DAVE,
        "The checkout page crashes when customers pay with one specific credit card type.",
        "bulb",
    )
    await play.run(
        "1:00 PM",
        ALICE,
        "escalate @senior-engineers flaw in the gateway integration",
    )
    await play.run("1:00 PM", ALICE, "escalate @frank supplier of the payment gateway")
    await play.press_acknowledge("1:04 PM", FRANK)
    await play.say("1:30 PM", FRANK, "Working on a fix with your team.", "pushpin")
    await play.say(
        "2:00 PM",
        DAVE,
        "Fix deployed: the card type is handled, users can reach the checkout page.",
        "white_check_mark",
    )
    await play.run(
        "2:02 PM",
        ALICE,
        "cause A flaw in the payment gateway integration code crashed checkout for one card type",
    )
    await play.run("2:03 PM", ALICE, "action @erin Review every payment gateway integration")
    await play.run("2:03 PM", ALICE, "action Stricter tests for website and integration changes")
    await play.run("2:10 PM", ALICE, "resolve Fixed with the gateway supplier")
    # The incident was resolved in Slack ten minutes after the fix: the record is corrected.
    await play.run("2:12 PM", ALICE, "time resolved 2:00 PM")
    await play.run("2:13 PM", ALICE, "postmortem")

    draft = play.canvas()
    assert "**Duration:** 12:00 PM to 2:00 PM EAT, March 14, 2023 (2 hours)" in draft
    assert "about 20% of users could not reach the checkout page" in draft
    # The alert is the first sign of impact in the record: nothing to measure detection by.
    assert (
        "| Time to detect | unknown | impact started is taken from detected, so there is "
        "nothing to measure |"
    ) in draft
    assert "| Impact started | March 14, 2023, 12:00 PM EAT | taken from the detection" in draft
    assert (
        "| Time to acknowledge | 6 minutes | from declared (March 14, 2023, 12:00 PM EAT) "
        "to acknowledged (March 14, 2023, 12:06 PM EAT) |" in draft
    )
    assert "| Time to mitigate | 2 hours |" in draft
    assert (
        "| Time to resolve | 2 hours | from impact started (March 14, 2023, 12:00 PM EAT) "
        "to resolved (March 14, 2023, 2:00 PM EAT) |" in draft
    )
    assert (
        "| Resolved | March 14, 2023, 2:00 PM EAT | set by Alice Moreau with `/incident time` |"
        in draft
    )

    timeline = section(draft, "## Timeline (Africa/Nairobi)")
    order = [
        "_detection_: Alertmanager alert firing: CheckoutErrorSpike",
        "_escalation_: Escalated to @engineering",
        "_misleading path_: Looks like the database",
        "_investigation_: It is really the payment gateway integration",
        "_root cause_: The checkout page crashes",
        "_escalation_: Escalated to @senior-engineers",
        "_escalation_: Escalated to @Frank Gateway-Supplier",
        "_key event_: Working on a fix",
        "_mitigation_: Fix deployed",
        "_resolved_: Incident resolved: Fixed with the gateway supplier",
    ]
    positions = [timeline.index(fact) for fact in order]
    assert positions == sorted(positions), timeline
    first = next(line for line in timeline.splitlines() if line.startswith("- "))
    assert first.startswith("- **12:00 PM** _detection_")
    assert "- **2:00 PM** _milestone_resolved_" not in timeline
    assert "_resolved_ (time set by Alice Moreau)" in timeline

    misleading = section(draft, "## Misleading investigation paths")
    assert "Looks like the database" in misleading
    assert "(followed for 10 minutes, until the next path at" in misleading
    assert "12:20 PM" in misleading

    escalations = section(draft, "## Escalations")
    assert (
        "| @engineering | 12:05 PM | Alice Moreau | 500s on checkout "
        "| 12:06 PM by Dave Kowalski, 1 minute later |"
    ) in escalations
    assert (
        "| Frank Gateway-Supplier | 1:00 PM | Alice Moreau | supplier of the payment gateway "
        "| 1:04 PM by Frank Gateway-Supplier, 4 minutes later |"
    ) in escalations

    measures = section(draft, "## Corrective and preventive measures")
    assert "- [ ] Review every payment gateway integration (owner: Erin Achebe)." in measures
    assert (
        "- [ ] Stricter tests for website and integration changes (owner: _to be assigned_)."
        in measures
    )
    assert "A flaw in the payment gateway integration code" in section(
        draft, "## Root cause and resolution"
    )
    # Facts from messages link to the message (chat.getPermalink), at its Slack timestamp.
    assert play.link("12:10 PM") in misleading


async def test_the_nuru_payment_outage(people: SlackEmulator, database_url: str) -> None:
    """``nuru-payment-outage.md``: June 8, 2023, 3:00 PM to 7:00 PM (UTC), two misleading paths,
    escalated to the database administrators and then to the application developers."""
    async with running_warroom(
        people,
        database_url,
        Clock(datetime(2023, 6, 8, 15, 0, tzinfo=UTC)),
        alerting__token=Secret(TOKEN),
        incidents__timezone="UTC",
    ) as warroom:
        play = Replay(warroom, "UTC", datetime(2023, 6, 8))
        drop = {
            "title": "Nuru Payment System: transaction requests dropped suddenly",
            "dedup_key": "nuru-transactions-drop",
            "severity": "SEV1",
            "source": "nuru-monitoring",
            "started_at": "2023-06-08T15:00:00Z",
            "description": "Transaction requests to the Nuru Payment System fell to zero.",
        }
        assert (await post_alert(warroom.url, "generic", drop))[0] == 202
        await play.settle()
        await play.find_channel()
        await play.run("3:02 PM", ALICE, "lead @alice")
        await play.say("3:05 PM", BOB, "Database failure after the maintenance? Checking.", "mag")
        await play.say(
            "3:20 PM", BOB, "Going through the recent database configuration changes.", "x"
        )
        await play.run("3:30 PM", ALICE, "escalate @dba-team database suspected")
        await play.press_acknowledge("3:34 PM", DAVE)
        await play.say("4:30 PM", DAVE, "The database works properly: ruled out.", "pushpin")
        await play.say("4:45 PM", BOB, "Looking at server logs and network traffic.", "mag")
        await play.say("5:00 PM", BOB, "Unrelated error in the reporting module logs.", "x")
        await play.run("5:15 PM", ALICE, "escalate @app-dev-team application layer")
        await play.press_acknowledge("5:20 PM", ERIN)
        await play.say(
            "6:00 PM",
            ERIN,
            "Payment gateway integration misconfigured: no secure connection to processors.",
            "bulb",
        )
        await play.say("6:30 PM", ERIN, "Corrected the gateway configuration.", "white_check_mark")
        await play.run("6:40 PM", CAROL, "impact Users could not process payments: 100% outage")
        await play.run("7:20 PM", ALICE, "resolve Payments flow again")
        await play.run("7:21 PM", ALICE, "time resolved 7:00pm")
        await play.run("7:22 PM", ALICE, "action @bob Audit payment gateway configurations")
        await play.run("7:23 PM", ALICE, "postmortem --style sre")
        draft = play.canvas()

    assert draft.startswith("# INC-1 Postmortem: Nuru Payment System")
    assert "**Duration:** 3:00 PM to 7:00 PM UTC, June 8, 2023 (4 hours)" in draft
    assert "| Time to resolve | 4 hours | from impact started (June 8, 2023, 3:00 PM UTC) " in draft
    assert "| Time to mitigate | 3 hours 30 minutes |" in draft
    assert "| Time to acknowledge | 34 minutes |" in draft
    assert "Users could not process payments: 100% outage" in section(draft, "## Impact")
    timeline = section(draft, "## Timeline (UTC)")
    facts = [
        "**3:00 PM** _detection_",
        "_misleading path_: Going through the recent database configuration changes.",
        "_escalation_: Escalated to @dba-team: database suspected",
        "_key event_: The database works properly: ruled out.",
        "_misleading path_: Unrelated error in the reporting module logs.",
        "_escalation_: Escalated to @app-dev-team: application layer",
        "_root cause_: Payment gateway integration misconfigured",
        "_mitigation_: Corrected the gateway configuration.",
    ]
    positions = [timeline.index(fact) for fact in facts]
    assert positions == sorted(positions)
    wrong = section(draft, "### What went wrong")
    assert "Going through the recent database configuration changes. (followed for " in wrong
    assert "(followed for 1 hour 25 minutes)" in wrong  # until the application layer, at 4:45
    assert "Unrelated error in the reporting module logs. (followed for 1 hour)" in wrong
    assert "_To be written: what went wrong in the response._" in wrong
    assert "_To be written: the event or change that set the root cause off._" in draft
    escalations = section(draft, "### Escalations")
    assert (
        "| @dba-team | 3:30 PM | Alice Moreau | database suspected | 3:34 PM by Dave" in escalations
    )
    assert "| @app-dev-team | 5:15 PM | Alice Moreau | application layer | 5:20 PM by Erin" in (
        escalations
    )
    assert "- [ ] Audit payment gateway configurations (owner: Bob Okafor)." in draft
