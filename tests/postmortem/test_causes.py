"""Possible causes of an open incident, end to end: Slack is the emulator,
the change is posted to ``POST /api/changes`` with its integration's key, and the team's
model is the fake OpenAI-compatible server (emulator/openai_chat.py), which takes the causes'
request and the verdicts' only as OpenAI's published description allows them
(https://platform.openai.com/docs/api-reference/chat/create, Structured Outputs). What is
asserted is what people read in the channel, and what their buttons keep.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from sqlmodel import col, select

from bot.basics.slack_ids import CauseMessage
from bot.record.alerting import integrations
from bot.record.alerting.services import parse_services
from bot.store.db import session_scope
from bot.store.models import CauseGrade, CauseRequest, CauseVote, TimelineEntry
from emulator import Channel, SlackEmulator
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.agents.test_mcp_http import agent, call, warroom_token
from tests.conftest import ALICE, BOB, CAROL, MODEL, Clock, running_warroom
from tests.helpers import verifiers
from tests.helpers.drafts import draft_page, post_draft_form
from tests.helpers.web_view import browser, sign_in, visible_text, web_settings
from tests.postmortem.test_suggestions import SAID, START, Played, ai

CAUSES = "warroom_causes"
SERVICE = "checkout-gateway"
CATALOG = parse_services({"services": [{"name": SERVICE}, {"name": "search"}]})
DEPLOY = {
    "kind": "deploy",
    "summary": "Released gw-2.14.1 to production",
    "who": "deploy-bot",
    "at": (START - timedelta(minutes=5)).isoformat(),
    "idempotency_key": "release-gw-2.14.1",
}
# A verifier reading every sentence as the record holds it, the controls included.
truthful = verifiers.truthful(lambda _: True)


GUEST = "U0GUEST"


def proposing(request: ChatRequest) -> dict[str, Any]:
    """A model that proposes the release as the cause once Carol said what it broke, and
    nothing before; and a second cause no entry it cites holds (a number of its own)."""
    if not any("gw-2.14.1 at 03:20" in line for line in request.lines):
        return {"causes": []}
    deploy, bulb = request.ref_of("Released gw-2.14.1"), request.ref_of("gw-2.14.1 at 03:20")
    return {
        "causes": [
            {
                "text": "Release gw-2.14.1, deployed to checkout-gateway at 02:55, broke card "
                "validation.",
                "cites": [deploy, bulb],
            },
            {"text": "About 60% of card payments failed after gw-2.14.1.", "cites": [bulb]},
        ]
    }


async def play_causes(
    people: SlackEmulator,
    url: str,
    model: FakeChatModel | None,
    *,
    private: bool = False,
    changes: Sequence[tuple[str, dict[str, Any]]] = ((SERVICE, DEPLOY),),
    **extra: Any,
) -> AsyncIterator[Played]:
    """The incident of the suggestions' tests, on checkout-gateway, its release posted as a
    change five minutes before it was declared (``changes``: each service's change posted)."""
    settings: dict[str, Any] = {"alerting__catalog": CATALOG, **extra}
    if model is not None:
        settings["ai"] = ai(model, private=True, causes=True)
    async with running_warroom(people, url, Clock(START), **settings) as warroom:
        keys: dict[str, str] = {}
        for service, change in changes:
            if service not in keys:
                async with session_scope(warroom.engine) as session:
                    _, keys[service] = await integrations.create(
                        session, kind="changes", service=service, name=None, now=warroom.clock()
                    )
                    await session.commit()
            key = keys[service]
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{warroom.url}/api/changes",
                    json=change,
                    headers={"Authorization": f"Bearer {key}"},
                ) as answer,
            ):
                assert answer.status == 202, await answer.text()
        general = people.channel_by_name("general")
        assert general is not None
        flag = "--private " if private else ""
        await people.send_command(
            f"start {flag}--service {SERVICE} Card payments fail", user=ALICE, channel=general.id
        )
        channel: Channel = await people.wait_for(
            lambda: next((c for c in people.channels.values() if c.name.startswith("inc-")), None)
        )
        await people.wait_for(lambda: channel.pins)
        played = Played(warroom, model or FakeChatModel(), channel)
        for minutes, user, text, reaction in SAID:
            await played.at(minutes)
            moment = START + timedelta(minutes=minutes)
            said = await people.post_message(
                channel.id,
                text,
                user=ALICE if private else user,
                ts=f"{moment.timestamp():.0f}.000100",
            )
            await people.add_reaction(channel.id, said.ts, reaction, user=ALICE)
        await played.at(80)
        yield played


async def test_the_causes_request_carries_the_dependencies_changes_ranked(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    """Issue 86, items 4 and 5: checkout-gateway depends on payments-db, whose configuration
    changed 20 minutes before the incident: the model reads that change too, and each change
    with its rank and why (the nearer release first: both on what the incident is on)."""
    catalog = parse_services(
        {
            "services": [
                {"name": SERVICE, "depends_on": ["payments-db"]},
                {"name": "payments-db"},
                {"name": "search"},
            ]
        }
    )
    database = {
        "kind": "configuration",
        "summary": "Raised max_connections to 400",
        "who": "dba-bot",
        "at": (START - timedelta(minutes=20)).isoformat(),
        "idempotency_key": "pg-max-connections",
    }
    model.reply({"causes": []}, times=20, to=CAUSES)
    model.verdicts(truthful, times=20)
    changes = ((SERVICE, DEPLOY), ("payments-db", database))
    async for _ in play_causes(
        people, sqlite_url, model, changes=changes, alerting__catalog=catalog
    ):
        first = next(r for r in model.accepted if r.format_name == CAUSES)
    said = [line for line in first.lines if "(change)" in line]
    assert len(said) == 2, first.lines
    (release,) = [line for line in said if "deploy of checkout-gateway" in line]
    assert release.endswith(
        "Released gw-2.14.1 to production (suspect 1 of 2: on the service, 5 min before "
        "impact started, a deploy)"
    ), release
    (database_line,) = [line for line in said if "configuration of payments-db" in line]
    assert database_line.endswith(
        "Raised max_connections to 400 (suspect 2 of 2: on a service it depends on, 20 min "
        "before impact started, a configuration)"
    ), database_line


def causes_messages(channel: Channel) -> list[Any]:
    return [
        m for m in channel.messages if "causes of INC-1" in m.text or "cause of INC-1" in m.text
    ]


def everywhere(people: SlackEmulator) -> str:
    return "\n".join(m.text for c in people.channels.values() for m in c.messages)


async def test_a_truthful_model_proposes_the_release_held_by_its_entries(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    model.reply(proposing, times=20, to=CAUSES)
    model.verdicts(truthful, times=20)
    async for played in play_causes(people, database_url, model):
        (message,) = causes_messages(played.channel)  # one message, updated in place
        text = message.text
        assert "Possible causes of INC-1" in text
        assert (
            "1. Release gw-2.14.1, deployed to checkout-gateway at 02:55, broke card validation."
            " — supported by 2 entries: the 02:55 deploy of checkout-gateway, Carol's 03:50"
            " message; no entry contradicts it."
        ) in text
        assert "60%" not in text  # its number is in no entry it cites: not shown
        # Asked at the declaration (nothing held yet), then as the record changed, at most
        # every WARROOM_CAUSES_MIN_INTERVAL (5 minutes): never once per message.
        asked = [r for r in model.accepted if r.format_name == CAUSES]
        assert 2 <= len(asked) <= 80 // 5 + 1
        first = asked[0]
        assert any(
            "(change) deploy-bot: deploy of checkout-gateway" in line for line in first.lines
        )
        async with session_scope(played.warroom.engine) as session:
            requests = (await session.exec(select(CauseRequest))).all()
            assert len({r.fingerprint for r in requests}) == len(requests)
        # 👍 by Bob, 👎 by Carol then 👍: kept, the message says so; then a working theory.
        cause_id = int(message.blocks[1]["block_id"].split(".")[1])
        for user, action in (
            (BOB, CauseMessage.UP),
            (CAROL, CauseMessage.DOWN),
            (CAROL, CauseMessage.UP),
        ):
            await played.slack.click_button(
                played.channel.id,
                message.ts,
                action,
                user=user,
                value=str(cause_id),
                block_id=f"cause.{cause_id}",
            )
            await played.at(81)
        assert ":+1: 2 :-1: 0" in causes_messages(played.channel)[0].text
        # A guest of the workspace (Slack asked afresh) makes no working theory: told so.
        played.slack.add_user(GUEST, "gus")
        played.slack.users[GUEST].is_restricted = True
        played.channel.members.add(GUEST)
        await played.slack.click_button(
            played.channel.id,
            message.ts,
            CauseMessage.THEORY,
            user=GUEST,
            value=str(cause_id),
            block_id=f"cause.{cause_id}",
        )
        await played.at(82)
        assert played.slack.ephemeral_for(GUEST)
        assert "*Working theory*" not in causes_messages(played.channel)[0].text
        await played.slack.click_button(
            played.channel.id,
            message.ts,
            CauseMessage.THEORY,
            user=BOB,
            value=str(cause_id),
            block_id=f"cause.{cause_id}",
        )
        await played.at(83)
        assert "*Working theory* (accepted by" in causes_messages(played.channel)[0].text
        async with session_scope(played.warroom.engine) as session:
            votes = (await session.exec(select(CauseVote))).all()
            assert sorted((v.user_id, v.vote) for v in votes) == [(BOB, 1), (CAROL, 1)]
            entries = (
                await session.exec(
                    select(TimelineEntry).where(
                        col(TimelineEntry.text).startswith("Working theory")
                    )
                )
            ).all()
            assert [(e.author, e.kind) for e in entries] == [(BOB, "investigation")]


POOL = {
    "kind": "configuration",
    "summary": "Raised the connection pool to 50",
    "who": "config-bot",
    "at": (START + timedelta(minutes=10)).isoformat(),
    "idempotency_key": "pool-50",
}


def proposing_three(request: ChatRequest) -> dict[str, Any]:
    """Once Carol said what broke: the release (held by two entries, nothing against it); the
    orders database, citing the message Dave marked a dead end (❌); the pool's change, made
    ten minutes after impact started."""
    if not any("gw-2.14.1 at 03:20" in line for line in request.lines):
        return {"causes": []}
    deploy, bulb = request.ref_of("Released gw-2.14.1"), request.ref_of("gw-2.14.1 at 03:20")
    slow, dead = request.ref_of("Slow queries"), request.ref_of("Database is healthy")
    pool = request.ref_of("Raised the connection pool")
    return {
        "causes": [
            {"text": "The orders database was slow.", "cites": [slow, dead]},
            {"text": "Raising the connection pool to 50 broke payments.", "cites": [pool]},
            {"text": "Release gw-2.14.1 broke card validation.", "cites": [deploy, bulb]},
        ]
    }


async def test_each_cause_says_what_supports_it_and_what_contradicts_it(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    """Issue 86, item 5: beside each cause, words with a meaning, never a count said as a
    confidence: the entries that hold it, and whether an entry warroom looked for says
    against it (a path people ruled out, a change made after impact started); a cause so
    contradicted comes after those none contradicts."""
    model.reply(proposing_three, times=20, to=CAUSES)
    model.verdicts(truthful, times=20)
    changes = ((SERVICE, DEPLOY), (SERVICE, POOL))
    async for played in play_causes(
        people, database_url, model, changes=changes, **web_settings(people)
    ):
        (message,) = causes_messages(played.channel)
        text = message.text
        async with session_scope(played.warroom.engine) as session:
            request = (await session.exec(select(CauseRequest))).all()[-1]
            assert request.refused == []
        async with browser() as alice:
            await sign_in(alice, played.warroom, ALICE)
            async with alice.get(f"{played.warroom.url}/incidents/INC-1") as answer:
                page = await answer.text()
    causes = visible_text(page.split('id="causes-block"', 1)[1].split("</details>", 1)[0])
    assert "Supported by 1 independent entry (not how likely it is); contradicted by 1" in causes
    assert "Contradicts it (marked a misleading path): 03:42" in causes
    assert "Contradicts it (made after impact started): 03:10" in causes
    assert "Held by" not in text and "held by" not in text
    lines = [line for line in text.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert lines[0] == (
        "1. Release gw-2.14.1 broke card validation. — supported by 2 entries: the 02:55 deploy"
        " of checkout-gateway, Carol's 03:50 message; no entry contradicts it."
    ), lines
    assert lines[1] == (
        "2. The orders database was slow. — supported by 1 entry: Dave's 03:30 message;"
        " *contradicted by Dave's 03:42 message (marked a misleading path)*."
    ), lines
    assert lines[2] == (
        "3. Raising the connection pool to 50 broke payments. — supported by 0 entries;"
        " *contradicted by the 03:10 configuration of checkout-gateway (made after impact"
        " started)*."
    ), lines


def naming_what_was_not_sent(request: ChatRequest) -> dict[str, Any]:
    """A model citing an entry it was never sent, and one naming a release no entry holds."""
    deploy = request.ref_of("Released gw-2.14.1")
    return {
        "causes": [
            {"text": "The cache flush broke card validation.", "cites": ["E999"]},
            {"text": "Release gw-9.9.9 broke card validation.", "cites": [deploy]},
        ]
    }


async def test_a_cause_naming_a_change_or_an_entry_not_sent_is_refused(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    model.reply(naming_what_was_not_sent, times=20, to=CAUSES)
    model.verdicts(truthful, times=20)
    async for played in play_causes(people, database_url, model):
        (message,) = causes_messages(played.channel)
        async with session_scope(played.warroom.engine) as session:
            request = (await session.exec(select(CauseRequest))).all()[-1]
    assert "No supported cause of INC-1 yet" in message.text
    assert "proposed 2, and the record holds none of them" in message.text
    assert "gw-9.9.9" not in message.text and "cache flush" not in message.text
    rules = [[why["rule"] for why in left["why"]] for left in request.refused]
    assert rules == [["unknown_cite"], ["release"]], request.refused


async def test_the_incident_page_answers_the_first_questions_first_causes_with_their_support(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    """Issue 88, item 2: the incident's page in the order a responder asks (state and roles,
    who was paged, what changed before, possible causes with what holds each, then the
    timeline), each block one a reader folds; a cause no entry holds is not on it."""
    model.reply(proposing, times=20, to=CAUSES)
    model.verdicts(truthful, times=20)
    async for played in play_causes(people, sqlite_url, model, **web_settings(people)):
        async with browser() as alice:
            await sign_in(alice, played.warroom, ALICE)
            async with alice.get(f"{played.warroom.url}/incidents/INC-1") as answer:
                assert answer.status == 200
                page = await answer.text()
        blocks = ["summary", "escalations", "changed", "causes", "timeline"]
        at = [
            page.index(f'<details class="card block" id="{block}-block" open>') for block in blocks
        ]
        assert at == sorted(at), dict(zip(blocks, at, strict=True))
        causes = visible_text(page[at[3] : at[4]])
        assert "Release gw-2.14.1, deployed to checkout-gateway at 02:55" in causes
        assert "Supported by 2 independent entries (not how likely it is); no entry" in causes
        assert "Released gw-2.14.1 to production" in causes
        assert "broke card validation: 25% of payments fail" in causes
        assert "60%" not in causes
        assert "Released gw-2.14.1 to production" in visible_text(page[at[2] : at[3]])


async def test_an_agreeable_model_has_its_causes_voided_by_the_controls(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    model.reply(proposing, times=20, to=CAUSES)
    model.verdicts(verifiers.agreeable, times=20)
    async for played in play_causes(people, sqlite_url, model):
        (message,) = causes_messages(played.channel)
        assert "No supported cause of INC-1 yet" in message.text
        assert "failed a control" in message.text
        assert "gw-2.14.1" not in message.text
        assert not [b for b in message.blocks if b["type"] == "actions"]


async def test_a_failing_model_says_why_and_guesses_nothing(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    for _ in range(20):
        model.fail_for(CAUSES, 500)
    async for played in play_causes(people, sqlite_url, model, **web_settings(people)):
        (message,) = causes_messages(played.channel)
        assert "*No possible causes of INC-1*: the model answered HTTP 500." in message.text
        async with browser() as alice:
            await sign_in(alice, played.warroom, ALICE)
            async with alice.get(f"{played.warroom.url}/incidents/INC-1") as answer:
                page = visible_text(await answer.text())
        assert "gave no cause it could support" in page


async def test_without_a_model_no_causes_message(people: SlackEmulator, sqlite_url: str) -> None:
    async for played in play_causes(people, sqlite_url, None):
        assert causes_messages(played.channel) == []
        assert "causes of" not in everywhere(people)


async def test_a_private_incidents_causes_stay_in_its_channel(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    model.reply(proposing, times=20, to=CAUSES)
    model.verdicts(truthful, times=20)
    async for played in play_causes(people, sqlite_url, model, private=True):
        assert causes_messages(played.channel)
        for channel in people.channels.values():
            if channel.id != played.channel.id:
                assert not causes_messages(channel), channel.name
                assert "gw-2.14.1" not in json.dumps([m.text for m in channel.messages])


# -- graded once the root cause is known (item 4) -----------------------------------------------
def grading(request: ChatRequest) -> dict[str, Any]:
    """A model grading each proposal ([P1] …) against the root cause it was given: the
    release that broke card validation is the bullseye, the rest the right area."""
    said = []
    for text in request.texts:
        for line in text.splitlines():
            if line.startswith("[P"):
                number = int(line[2 : line.index("]")])
                right = "gw-2.14.1" in line and "validation" in line
                said.append(
                    {
                        "proposal": number,
                        "grade": 100 if right else 35,
                        "reason": "It names the release." if right else "The right service.",
                    }
                )
    return {"grades": said}


async def test_every_proposal_is_graded_once_published_and_insights_show_it(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    model.reply(proposing, times=20, to=CAUSES)
    finding = "Card validation broke for 25% of payments."
    model.verdicts(verifiers.truthful(lambda _: True, also={finding}), times=30)
    model.reply(grading, to="warroom_grades")
    async for played in play_causes(people, database_url, model, **web_settings(people)):
        warroom = played.warroom
        token = await warroom_token(warroom, "triage-bot")
        async with agent(warroom.url, token) as session:
            timeline = await call(session, "get_timeline", reference="INC-1", per_page=200)
            bulb = next(e["ref"] for e in timeline["entries"] if "gw-2.14.1 at" in e["text"])
            await call(
                session,
                "propose_finding",
                reference="INC-1",
                section="underlying_issue",
                sentences=[{"text": finding, "cites": [bulb]}],
            )
        await played.resolve("Rolled back the gateway release")
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            await post_draft_form(alice, warroom, "/review", {"to": "in_review"})
            status, page = await post_draft_form(
                alice, warroom, "/review", {"to": "published", "confirm": "1"}
            )
            assert status == 200 and ">Published</span>" in page
            await played.at(90)
            page, _ = await draft_page(alice, warroom)
            text = visible_text(page)
            assert "Causes proposed, graded" in text
            assert f"{MODEL} proposes 100 % (bullseye): It names the release." in text
            assert f"{MODEL} proposes 35 % (right area): The right service." in text
            assert "triage-bot (agent): Card validation broke for 25% of payments." in text
            async with session_scope(warroom.engine) as db:
                rows = (await db.exec(select(CauseGrade).order_by(col(CauseGrade.id)))).all()
            assert [(r.proposer_kind, r.proposed) for r in rows] == [("model", 100), ("agent", 35)]
            assert {r.root_cause for r in rows} == {
                "Gateway release gw-2.14.1 at 03:20 broke card validation: 25% of payments fail."
            }
            # Alice confirms the model's grade, and changes the agent's.
            for row, grade in ((rows[0], "100"), (rows[1], "65")):
                status, page = await post_draft_form(
                    alice, warroom, f"/grades/{row.id}", {"grade": grade}
                )
                assert status == 200, visible_text(page)[:300]
            status, page = await post_draft_form(
                alice, warroom, f"/grades/{rows[0].id}", {"grade": "50"}
            )
            assert status == 400 and "Choose a grade of the scale" in visible_text(page)
            text = visible_text((await draft_page(alice, warroom))[0])
            assert "Graded 100 % (bullseye) by" in text and "Graded 65 % (one hop short) by" in text
            async with alice.get(f"{warroom.url}/insights") as answer:
                insights = visible_text(await answer.text())
        assert "Causes proposed by the team's model and agents" in insights
        # Month, helper, proposed, refused by the checks, beyond the three, left unchecked,
        # accepted by people, graded right.
        assert f"March 2025{MODEL} (model)" in insights
        assert "March 2025triage-bot (agent)100001 of 1 graded" in insights
