"""The two example incidents of ``../shared/examples``, replayed through Slack and the alert
webhooks at their original times; the draft must state their facts as the real postmortems
state them: the duration (impact started to impact ended), each misleading path with what
ruled it out and its minutes, when the mitigation started and what confirmed it, who
answered each escalation and how, each fact on one line, and the alert's labels said once.

Everything goes over real HTTP: Alertmanager and generic webhooks, signed slash commands,
message and reaction events with the original Slack timestamps, the bot's questions in
threads answered (or skipped) by pressing their buttons. The draft is read where people
read it: the channel canvas the bot posted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.basics.slack_ids import RuledOutPrompt, WorkedPrompt
from bot.config import Secret
from emulator import SlackEmulator
from emulator.models import Message
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alertmanager, post_alert
from tests.helpers.gfm import assert_reads_well, every_draft_reads_well
from tests.helpers.records import section
from tests.helpers.replay import Checks, Replay, facts_on_two_lines, label_dumps, part

DAVE, ERIN, FRANK = "U0DAVE", "U0ERIN", "U0FRANK"
ENGINEERING, SENIORS, DBAS, APP_DEVS = "S0ENG", "S0SENIOR", "S0DBA", "S0APPDEV"
# Each replay's warroom: its clock's start and its settings.
NAIROBI_START = datetime(2023, 3, 14, 9, 0, tzinfo=UTC)
NAIROBI: dict[str, object] = {
    "alerting__token": Secret(TOKEN),
    "incidents__timezone": "Africa/Nairobi",
}
NURU_START = datetime(2023, 6, 8, 15, 0, tzinfo=UTC)
NURU: dict[str, object] = {"alerting__token": Secret(TOKEN), "incidents__timezone": "UTC"}


@pytest.fixture
def people(slack: SlackEmulator) -> SlackEmulator:
    return scenario_people(slack)


def scenario_people(slack: SlackEmulator) -> SlackEmulator:
    """The replays' people and user groups, added to the workspace."""
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
    async with running_warroom(people, database_url, Clock(NAIROBI_START), **NAIROBI) as running:
        yield running


async def test_the_checkout_page_crash(nairobi: Warroom) -> None:
    """``checkout-page-crash.txt``: 12:00 p.m. to 2:00 p.m. EAT, 20% of users impacted; a
    database path from 12:10 to 12:20; senior engineers and the supplier notified at 1:00;
    the fix at 2:00, when users could reach the checkout page again."""
    play = await play_checkout_crash(nairobi)

    draft = play.canvas()
    assert_reads_well(draft, "the canvas")
    assert play.channel is not None
    services = nairobi.services
    assert (
        await every_draft_reads_well(
            services.engine, services.renderer, play.channel.id, now=services.clock()
        )
        == 6
    )
    timeline = part(draft, "## Timeline (Africa/Nairobi)")
    check = Checks()
    # Duration: impact started to impact ended, proposed from the alert's resolution.
    check.contains(
        "duration",
        draft,
        "**Duration:** 12:00 PM to 2:00 PM EAT, March 14, 2023 (2 hours)\n"
        "The end is proposed from the alerts' resolution, to confirm:",
    )
    check.contains(
        "impact duration",
        draft,
        "| Impact duration | 2 hours | from impact started (March 14, 2023, 12:00 PM EAT) to"
        " impact ended (March 14, 2023, 2:00 PM EAT, proposed, to confirm) |",
    )
    check.contains(
        "impact ended, proposed",
        draft,
        "| Impact ended | March 14, 2023, 2:00 PM EAT | proposed from the alerts' resolution,",
    )
    # Without a model, the summary is written from the record: who noticed,
    # what was affected and for how long, the fix that ended it; each with its entries.
    summary = part(draft, "## Issue summary")
    check.contains(
        "summary: who noticed first",
        summary,
        "Alertmanager noticed it first, at 12:00 PM EAT: “Alertmanager alert firing:"
        " CheckoutErrorSpike · Summary: CheckoutErrorSpike is firing” (12:00 PM, Alertmanager)",
    )
    check.contains(
        "summary: what was affected and for how long, its end to confirm",
        summary,
        "The impact lasted 2 hours, from 12:00 PM to 2:00 PM EAT (its end proposed from the"
        " alerts' resolution, to confirm): “Potential purchases lost: about 20% of users could"
        " not reach the checkout page”. (12:00 PM, Alertmanager; 2:00 PM, Alertmanager; [12:30"
        " PM, Carol Tanaka](",
    )
    check.contains(
        "summary: the fix that ended it, and what confirmed it",
        summary,
        "What ended it: the fix Dave Kowalski started at 1:50 PM, “Deploying the fix: the card"
        " type is handled.”, confirmed to work at 2:00 PM EAT (the alerts resolved). ([1:50 PM,"
        f" Dave Kowalski]({play.link('1:50 PM').split('](')[1]}; 2:00 PM, Alertmanager)",
    )
    # The misleading path: the database, from 12:10 to the payment gateway at 12:20.
    check.contains(
        "misleading path, what ruled it out and its minutes",
        part(draft, "## Misleading investigation paths"),
        "- Looks like the database: checking the DB logs and running queries. "
        f"({play.link('12:10 PM')}, Dave Kowalski) — ruled out {play.link('12:20 PM')}, Dave"
        " Kowalski: “It is really the payment gateway integration: reading its logs and"
        " code.”. 10 minutes.",
    )
    # The mitigation: started at 1:50, confirmed by the alert resolving at 2:00.
    resolution = part(draft, "### Resolution")
    check.contains(
        "mitigation started",
        resolution,
        f"- Mitigation started at {play.link('1:50 PM')}, Dave Kowalski: Deploying the fix",
    )
    check.contains(
        "mitigation confirmed",
        resolution,
        "It worked: confirmed at 2:00 PM EAT, the alerts resolved.",
    )
    check.contains("time to mitigate", draft, "| Time to mitigate | 2 hours |")
    # Escalations: acknowledged, or answered by joining the work.
    escalations = part(draft, "## Escalations")
    check.contains(
        "escalation acknowledged",
        escalations,
        "| @engineering | 12:05 PM | Alice Moreau | 500s on checkout "
        "| 12:06 PM by Dave Kowalski, 1 minute later, acknowledged |",
    )
    check.contains(
        "escalation answered by joining the work",
        escalations,
        "| @senior-engineers | 1:00 PM | Alice Moreau | flaw in the gateway integration | "
        f"{play.link('1:10 PM')} by Erin Achebe, by joining the work, 10 minutes later; no"
        " acknowledgement |",
    )
    # One fact, one line: the resolve typed at 2:10 stands at the 2:00 set for it, and says
    # that the impact ended then.
    check.that("no fact on two lines", not facts_on_two_lines(timeline), timeline)
    check.contains(
        "resolved and impact ended on one line",
        timeline,
        "- **2:00 PM** _resolved_: Incident resolved: Fixed with the gateway supplier (Alice"
        " Moreau) (time set by Alice Moreau) — impact ended? Proposed from the alerts'"
        " resolution, to confirm",
    )
    # A finding recorded with /incident cause: when, in the incident's zone; the time the
    # person wrote is theirs, as written.
    check.that(
        "a finding with its recording time in the incident's zone",
        "- A flaw in the 11:55 gateway integration release crashed checkout for one card"
        " (recorded [2:02 PM]("
        in draft
        and ") EAT by Alice Moreau)" in part(draft, "**Root cause:**"),
        part(draft, "**Root cause:**"),
    )
    # The alert's labels and links once, in Detection; its timeline line names it.
    check.that("no alert label dump", not label_dumps(draft, timeline), timeline)
    check.contains(
        "labels and links once, in Detection",
        part(draft, "**Detection:**"),
        "Alertmanager alert firing: CheckoutErrorSpike · Summary: CheckoutErrorSpike is firing"
        " · Labels: service=checkout, severity=page · Links: [Source](",
    )
    # Follow-ups as the postmortem lists them: each task with its owner, or a gap for one.
    measures = part(draft, "## Corrective and preventive measures")
    check.contains(
        "a follow-up with its owner",
        measures,
        "- [ ] Review every payment gateway integration (owner: Erin Achebe).",
    )
    check.contains(
        "a follow-up without an owner says one is wanted",
        measures,
        "- [ ] Stricter tests for website and integration changes (owner: _to be assigned_).",
    )
    check.done()

    # As before: what the record held all along.
    assert "about 20% of users could not reach the checkout page" in draft
    # Acknowledged when Alice took the lead at 12:05, a minute before Dave's /incident ack.
    assert "| Time to acknowledge | 5 minutes |" in draft
    assert "| Resolved | March 14, 2023, 2:00 PM EAT | set by Alice Moreau |" in draft
    order = [
        "_detection_: Alertmanager alert firing: CheckoutErrorSpike",
        "_escalation_: Escalated to @engineering",
        "_misleading path_: Looks like the database",
        "_investigation_: It is really the payment gateway integration",
        "_root cause_: The checkout page crashes",
        "_escalation_: Escalated to @senior-engineers",
        "_escalation_: Escalated to @Frank Gateway-Supplier",
        "_key event_: Working on a fix",
        "_mitigation_: Deploying the fix",
        "_resolved_: Incident resolved: Fixed with the gateway supplier",
    ]
    positions = [timeline.index(fact) for fact in order]
    assert positions == sorted(positions), timeline
    first = next(line for line in timeline.splitlines() if line.startswith("- "))
    assert first.startswith("- **12:00 PM** _detection_")
    measures = section(draft, "## Corrective and preventive measures")
    assert "- [ ] Review every payment gateway integration (owner: Erin Achebe)." in measures
    assert "A flaw in the 11:55 gateway integration release" in section(
        draft, "## Root cause and resolution"
    )
    # The skipped question says so, and asks no more.
    skipped = play.question("1:50 PM")
    assert "Skipped by <@U0DAVE>" in skipped.text and len(skipped.blocks or []) == 1


async def test_the_nuru_payment_outage(people: SlackEmulator, database_url: str) -> None:
    """``nuru-payment-outage.md``: June 8, 2023, 3:00 PM to 7:00 PM (UTC); the database
    suspected, then its configuration, until 4:30 PM, when it was found to work; an
    unrelated error in the logs; the database administrators, then the application
    developers brought in; the gateway's configuration corrected, payments restored at 7:00."""
    async with running_warroom(people, database_url, Clock(NURU_START), **NURU) as warroom:
        play = await play_nuru_outage(warroom)
        draft = play.canvas()
        assert_reads_well(draft, "the canvas")
        assert play.channel is not None
        services = play.warroom.services
        assert (
            await every_draft_reads_well(
                services.engine, services.renderer, play.channel.id, now=services.clock()
            )
            == 6
        )

    timeline = part(draft, "## Timeline (UTC)")
    check = Checks()
    check.contains(
        "duration",
        draft,
        "**Duration:** 3:00 PM to 7:00 PM UTC, June 8, 2023 (4 hours)\n\n## Summary",
    )
    check.contains(
        "impact ended, set",
        draft,
        "| Impact ended | June 8, 2023, 7:00 PM UTC | set by Erin Achebe |",
    )
    check.contains("impact duration", draft, "| Impact duration | 4 hours |")
    summary = part(draft, "## Summary")
    check.contains(
        "summary: who noticed first",
        summary,
        "nuru-monitoring noticed it first, at 3:00 PM UTC: “nuru-monitoring alert firing: Nuru"
        " Payment System: transaction requests dropped suddenly · Summary: Nuru Payment System:"
        " transaction requests dropped suddenly” (3:00 PM, nuru-monitoring)",
    )
    check.contains(
        "summary: what was affected and for how long",
        summary,
        "The impact lasted 4 hours, from 3:00 PM to 7:00 PM UTC: “Users could not process"
        " payments: 100% outage”. (3:00 PM, nuru-monitoring; [6:40 PM, Carol Tanaka](",
    )
    check.contains(
        "summary: the fix that ended it, confirmed when its question was answered",
        summary,
        "What ended it: the fix Erin Achebe started at 6:30 PM, “Corrected the gateway"
        " configuration.”, confirmed to work at 7:00 PM UTC (impact ended, set by hand)."
        f" ([6:30 PM, Erin Achebe]({play.link('6:30 PM').split('](')[1]})",
    )
    wrong = part(draft, "### What went wrong")
    check.contains(
        "the database suspected, ruled out at 4:30 (the answer to the question)",
        wrong,
        f"- Database failure after the maintenance? Checking. ({play.link('3:05 PM')}, Bob"
        f" Okafor) — ruled out {play.link('4:30 PM')}, Dave Kowalski: “The database works"
        " properly: ruled out.”. 1 hour 25 minutes.",
    )
    check.contains(
        "its configuration, until the next marked message",
        wrong,
        f"- Going through the recent database configuration changes. ({play.link('3:20 PM')},"
        f" Bob Okafor) — ruled out {play.link('4:30 PM')}, Dave Kowalski: “The database works"
        " properly: ruled out.”. 1 hour 10 minutes.",
    )
    check.contains(
        "the unrelated error, ruled out in its thread",
        wrong,
        f"- Unrelated error in the reporting module logs. ({play.link('5:00 PM')}, Bob"
        " Okafor) — ruled out [5:12 PM](",
    )
    check.contains(
        "... after 12 minutes",
        wrong,
        ", Bob Okafor: “That error is years old, nothing to do with payments.”. 12 minutes.",
    )
    check.that(
        "the refutation is not an idea of its own",
        "The database works properly: ruled out. (" not in wrong,
        wrong,
    )
    check.contains(
        "the idea it ruled out is a misleading path in the timeline too",
        timeline,
        f"- **{play.link('3:05 PM')}** _misleading path_: Database failure after the"
        " maintenance? Checking. (Bob Okafor)",
    )
    resolution = part(draft, "## Resolution")
    check.contains(
        "mitigation started",
        resolution,
        f"- Mitigation started at {play.link('6:30 PM')}, Erin Achebe: Corrected the gateway",
    )
    check.contains(
        "mitigation confirmed",
        resolution,
        "It worked: confirmed at 7:00 PM UTC, impact ended, set by hand.",
    )
    check.contains("time to mitigate", draft, "| Time to mitigate | 4 hours |")
    escalations = part(draft, "### Escalations")
    check.contains(
        "escalation acknowledged",
        escalations,
        "| @dba-team | 3:30 PM | Alice Moreau | database suspected | 3:34 PM by Dave Kowalski,"
        " 4 minutes later, acknowledged |",
    )
    check.contains(
        "escalation answered by joining the work",
        escalations,
        f"| @app-dev-team | 5:15 PM | Alice Moreau | application layer | {play.link('5:18 PM')}"
        " by Erin Achebe, by joining the work, 3 minutes later; no acknowledgement |",
    )
    check.that("no fact on two lines", not facts_on_two_lines(timeline), timeline)
    check.that(
        "impact ended and resolved, two moments: two lines",
        "- **7:00 PM** _impact ended_ (time set by Erin Achebe)\n- **7:05 PM** _resolved_:"
        " Incident resolved: Payments flow again (Alice Moreau) (time set by Alice Moreau)\n"
        in timeline,
        timeline,
    )
    check.that("no alert label dump", not label_dumps(draft, timeline), timeline)
    check.done()

    assert draft.startswith("# INC-1 Postmortem: Nuru Payment System")
    # Acknowledged when Alice took the lead at 3:02, not when the DBAs answered at 3:34.
    assert "| Time to acknowledge | 2 minutes |" in draft
    assert "Users could not process payments: 100% outage" in section(draft, "## Impact")
    facts = [
        "**3:00 PM** _detection_",
        "_misleading path_: Going through the recent database configuration changes.",
        "_escalation_: Escalated to @dba-team: database suspected",
        "_what ruled out an idea_: The database works properly: ruled out.",
        "_misleading path_: Unrelated error in the reporting module logs.",
        "_escalation_: Escalated to @app-dev-team: application layer",
        "_root cause_: Payment gateway integration misconfigured",
        "_mitigation_: Corrected the gateway configuration.",
    ]
    positions = [timeline.index(fact) for fact in facts]
    assert positions == sorted(positions)
    assert "_To be written: the event or change that set the root cause off._" in draft
    assert "- [ ] Audit payment gateway configurations (owner: Bob Okafor)." in draft


def _block_of(message: Message, text: str) -> str:
    """The block of the offered idea that quotes ``text``."""
    (block,) = [b for b in message.blocks or [] if text in str(b.get("text", {}).get("text"))]
    return str(block["block_id"])


def _message_id(message: Message, text: str) -> str:
    """The value of the offered idea's button."""
    (block,) = [b for b in message.blocks or [] if text in str(b.get("text", {}).get("text"))]
    return str(block["accessory"]["value"])


async def play_checkout_crash(warroom: Warroom) -> Replay:
    """The checkout page crash played to its draft (``test_the_checkout_page_crash``), on a
    warroom of ``NAIROBI`` settings whose clock starts at ``NAIROBI_START``."""
    play = Replay(warroom, "Africa/Nairobi", datetime(2023, 3, 14))
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
        warroom.url, "alertmanager", alertmanager("CheckoutErrorSpike", [spike])
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
    # Erin, one of the senior engineers, joins the work without acknowledging.
    await play.say("1:10 PM", ERIN, "Reading the gateway integration code with Frank.")
    await play.say("1:30 PM", FRANK, "Working on a fix with your team.", "pushpin")
    await play.say(
        "1:50 PM", DAVE, "Deploying the fix: the card type is handled.", "white_check_mark"
    )
    # The fix's question ("Did it work?") is skipped: the alert will say.
    await play.press("1:51 PM", play.question("1:50 PM"), WorkedPrompt.SKIP, by=DAVE)
    await play.say("2:00 PM", DAVE, "Users can reach the checkout page again.")
    resolved = {**spike, "status": "resolved", "endsAt": "2023-03-14T14:00:00+03:00"}
    status, _ = await post_alert(
        warroom.url, "alertmanager", alertmanager("CheckoutErrorSpike", [resolved])
    )
    assert status == 202
    await play.settle()
    await play.run(
        "2:02 PM",
        ALICE,
        "cause A flaw in the 11:55 gateway integration release crashed checkout for one card",
    )
    await play.run("2:03 PM", ALICE, "action @erin Review every payment gateway integration")
    await play.run("2:03 PM", ALICE, "action Stricter tests for website and integration changes")
    await play.run("2:10 PM", ALICE, "resolve Fixed with the gateway supplier")
    # The incident was resolved in Slack ten minutes after the fix: the record is corrected.
    await play.run("2:12 PM", ALICE, "time resolved 2:00 PM")
    await play.run("2:13 PM", ALICE, "postmortem")
    return play


async def play_nuru_outage(warroom: Warroom) -> Replay:
    """The Nuru payment outage played to its draft (``test_the_nuru_payment_outage``), on a
    warroom of ``NURU`` settings whose clock starts at ``NURU_START``."""
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
    # Bob marks his own dead end; its question goes unanswered.
    await play.say(
        "3:20 PM", BOB, "Going through the recent database configuration changes.", "x", by=BOB
    )
    await play.run("3:30 PM", ALICE, "escalate @dba-team database suspected")
    await play.press_acknowledge("3:34 PM", DAVE)
    # Dave marks what ruled the database out, and says which idea it rules out.
    await play.say("4:30 PM", DAVE, "The database works properly: ruled out.", "x", by=DAVE)
    question = play.question("4:30 PM")
    await play.press("4:31 PM", question, RuledOutPrompt.RULES_OUT, by=DAVE)
    idea = warroom.slack.find_message(play.channel, play.ts("3:05 PM"))  # type: ignore[arg-type]
    offered = play.question("4:30 PM")
    assert "Database failure after the maintenance? Checking." in str(offered.blocks)
    await play.press(
        "4:31 PM",
        offered,
        RuledOutPrompt.IDEA,
        by=DAVE,
        value=_message_id(offered, idea.text),
        block_id=_block_of(offered, idea.text),
    )
    await play.say("4:45 PM", BOB, "Looking at server logs and network traffic.", "mag")
    await play.say("5:00 PM", BOB, "Unrelated error in the reporting module logs.", "x")
    # Ruled out in its thread.
    await play.say(
        "5:12 PM",
        BOB,
        "That error is years old, nothing to do with payments.",
        thread="5:00 PM",
    )
    await play.run("5:15 PM", ALICE, "escalate @app-dev-team application layer")
    # Erin joins the work without acknowledging.
    await play.say("5:18 PM", ERIN, "Here. Looking at the application layer.")
    await play.say(
        "6:00 PM",
        ERIN,
        "Payment gateway integration misconfigured: no secure connection to processors.",
        "bulb",
    )
    await play.say("6:30 PM", ERIN, "Corrected the gateway configuration.", "white_check_mark")
    await play.run("6:40 PM", CAROL, "impact Users could not process payments: 100% outage")
    # Payments flow again at 7:00: Erin answers the fix's question.
    await play.press("7:00 PM", play.question("6:30 PM"), WorkedPrompt.NOW, by=ERIN)
    # Resolved later, and its time corrected to the end of the watch: the duration is
    # the impact's, to 7:00.
    await play.run("7:20 PM", ALICE, "resolve Payments flow again")
    await play.run("7:21 PM", ALICE, "time resolved 7:05pm")
    await play.run("7:22 PM", ALICE, "action @bob Audit payment gateway configurations")
    await play.run("7:23 PM", ALICE, "postmortem --style sre")
    return play
