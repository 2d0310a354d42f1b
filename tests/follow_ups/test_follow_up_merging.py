"""Follow-ups that are one task, end to end through the Slack emulator, the fake model and the
web view over HTTP: "Follow-up:" dropped from the task, rephrasings flagged "possibly the same
as" in English and French (different tasks not), the team's model asked when the words do not
say (about a :memo: or the shortcut's follow-up as about a command's), *Merge* making them one
(recorded, who and when; from the channel, the web view or the App Home), a guest refused, and
the wrap-up form giving :memo: tasks an owner."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.basics.slack_ids import memo_owner_input
from bot.basics.slack_text import decode_entities
from bot.config import Settings
from bot.config.ai import AISettings
from bot.config.reading import Secret
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import ActionItem, FollowUpAlike, FollowUpMerge, Incident, Job, TimelineEntry
from emulator import Channel, Message, SlackEmulator
from emulator.models import BotResponse
from emulator.openai_chat import ChatRequest, FakeChatModel
from emulator.trackers import FakeGitHub
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text, web_warroom

MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
GUEST = "U0GUEST"
MODEL, KEY = "llama3.1:8b", "sk-test-key"
SAME = "warroom_same_task"
GITHUB_TOKEN = "ghp_" + "t" * 36
# Two tasks whose words share nothing: only the team's model can read them as one.
DBA, REPLICAS = "page the DBA on replication lag", "tell on-call when replicas fall behind"
WHY = "Both ask for someone to be alerted when replication falls behind."


def said(channel: Channel) -> str:
    return "\n".join(decode_entities(message.text) for message in channel.messages)


def replies(slack: SlackEmulator, user: str) -> str:
    return "\n".join(decode_entities(m.text) for m in slack.ephemeral_for(user))


def with_merge(channel: Channel) -> list[Message]:
    """The channel's messages that carry a *Merge* button."""
    return [
        m
        for m in channel.messages
        if any(
            element.get("action_id") == "merge_follow_up"
            for block in m.blocks or []
            for element in block.get("elements") or []
        )
    ]


async def draft_of(warroom: Warroom) -> str:
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    assert incident.id is not None
    return (await write_draft(warroom.services, incident.id, ask_slack=False)).markdown


def tasks_in(draft: str) -> list[str]:
    return [line for line in draft.splitlines() if line.startswith("- [ ] ")]


async def merges(warroom: Warroom) -> list[FollowUpMerge]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(FollowUpMerge))).all())


async def items(warroom: Warroom) -> list[ActionItem]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(ActionItem).order_by(ActionItem.id))).all())  # type: ignore[arg-type]


async def memo(warroom: Warroom, channel: Channel, text: str, user: str = BOB) -> Message:
    """``user`` says ``text`` and Alice marks it :memo:: a follow-up from a message."""
    message = await warroom.slack.post_message(channel.id, text, user=user)
    await warroom.slack.add_reaction(channel.id, message.ts, "memo", user=ALICE)
    await settle(warroom)
    return message


async def note_actions(warroom: Warroom, channel: Channel, *tasks: str, user: str = ALICE) -> None:
    """``user`` notes each task by ``/incident action``, one after the other."""
    for task in tasks:
        await command(warroom, channel, f"action {task}", user=user)


async def press_merge(warroom: Warroom, channel: Channel, message: Message, user: str) -> None:
    await warroom.slack.click_button(channel.id, message.ts, "merge_follow_up", user=user)
    await settle(warroom)


async def test_the_follow_up_prefix_is_dropped_from_commands_and_memos(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "action @bob Follow-up: add a contract test per card type")
        await memo(warroom, channel, "Follow-up: write the failover runbook")
        assert "owner <@U0BOB>: add a contract test per card type" in said(channel)
        (item,) = await items(warroom)
        assert item.text == "add a contract test per card type"
        tasks = tasks_in(await draft_of(warroom))
        assert any(t.startswith("- [ ] add a contract test per card type") for t in tasks)
        assert any(t.startswith("- [ ] write the failover runbook") for t in tasks)
        assert not any("Follow-up:" in t for t in tasks)


@pytest.mark.parametrize(
    ("first", "again", "different"),
    [
        (
            "@bob --due fri Add alert on payment latency",
            "Alerting on payments latency",
            "Rotate the TLS certificates",
        ),
        (
            "@bob --due fri Ajouter une alerte sur la latence des paiements",
            "Suivi : mettre en place des alertes pour la latence de paiement",
            "Documenter la procédure de bascule de la base de données",
        ),
    ],
    ids=["en", "fr"],
)
async def test_a_rephrased_follow_up_is_flagged_and_merge_makes_them_one(
    slack: SlackEmulator, sqlite_url: str, first: str, again: str, different: str
) -> None:
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, f"action {first}")
        await command(warroom, channel, f"action {different}")
        assert not with_merge(channel)  # a different task is not flagged
        await warroom.advance(minutes=5)
        await command(warroom, channel, f"action {again}", user=CAROL)
        (flagged,) = with_merge(channel)
        assert "Possibly the same as" in decode_entities(flagged.text)
        assert "Possibly the same as a follow-up noted earlier" in replies(slack, CAROL)
        draft = await draft_of(warroom)
        assert len(tasks_in(draft)) == 3 and "_Possibly the same as_" in draft

        await press_merge(warroom, channel, flagged, CAROL)
        assert "<@U0CAROL> merged two follow-ups" in said(channel)
        (merge,) = await merges(warroom)
        assert merge.merged_by == CAROL and merge.merged_at >= MORNING
        draft = await draft_of(warroom)
        tasks = tasks_in(draft)
        assert len(tasks) == 2 and "_Possibly the same as_" not in draft
        merged_words = again.split(" ", 2)[2] if again.startswith("Suivi") else again
        (kept_line,) = [t for t in tasks if "Merged with" in t or "Fusionnée avec" in t]
        assert f'Merged with "{merged_words}" by Carol' in kept_line
        async with session_scope(warroom.engine) as session:
            incident = (await session.exec(select(Incident))).one()
        french = await write_draft(warroom.services, incident.id or 0, language="fr")
        assert f"Fusionnée avec « {merged_words} » par Carol" in french.markdown
        kept = next(t for t in tasks if "(owner" in t or "Bob" in t)
        assert first.split(" ", 3)[3] in kept  # the older stays, with its owner
        # Merged once: a second press is told, nothing changes.
        await press_merge(warroom, channel, flagged, CAROL)
        assert "Not merged" in replies(slack, CAROL)
        assert len(await merges(warroom)) == 1


async def test_merge_carries_the_owner_and_due_date_the_older_lacks(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url, Clock(MORNING)) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "action add a circuit breaker to the checkout service")
        await command(
            warroom, channel, "action @bob --due fri add circuit breakers on checkout services"
        )
        (flagged,) = with_merge(channel)
        await press_merge(warroom, channel, flagged, ALICE)
        kept, gone = await items(warroom)
        assert kept.text == "add a circuit breaker to the checkout service"
        assert kept.owner == BOB and kept.due_at is not None
        (merge,) = await merges(warroom)
        assert merge.kept == f"action_item:{kept.id}" and merge.merged == f"action_item:{gone.id}"
        assert merge.carried == "owner,due"
        assert "took its owner (<@U0BOB>), its due date" in said(channel)
        async with session_scope(warroom.engine) as session:
            keys = [job.key for job in (await session.exec(select(Job))).all()]
        assert f"follow_up:{kept.id}:overdue" in keys  # the kept task is reminded now


async def test_a_guest_cannot_merge(slack: SlackEmulator, sqlite_url: str) -> None:
    slack.add_user(GUEST, "gus")
    slack.users[GUEST].is_restricted = True
    async with running_warroom(slack, sqlite_url, Clock(MORNING)) as warroom:
        channel = await open_incident(warroom)
        channel.members.add(GUEST)
        await command(warroom, channel, "action add alert on payment latency")
        await command(warroom, channel, "action alerting on payments latency")
        (flagged,) = with_merge(channel)
        await press_merge(warroom, channel, flagged, GUEST)
        assert "Guests of the workspace cannot merge" in replies(slack, GUEST)
        assert not await merges(warroom)
        assert len(tasks_in(await draft_of(warroom))) == 2


@pytest.fixture
async def model() -> AsyncIterator[FakeChatModel]:
    async with FakeChatModel(models={MODEL}, key=KEY) as fake:
        yield fake


def ai(model: FakeChatModel) -> AISettings:
    return AISettings(url=model.base_url, model=MODEL, key=Secret(KEY), timeout=5.0, causes=False)


@asynccontextmanager
async def incident_with_model(
    slack: SlackEmulator, database_url: str, model: FakeChatModel
) -> AsyncIterator[tuple[Warroom, Channel]]:
    """The bot asking the team's model (the fake), and INC-1's channel open."""
    async with running_warroom(slack, database_url, Clock(MORNING), ai=ai(model)) as warroom:
        yield warroom, await open_incident(warroom)


def asked_same(model: FakeChatModel) -> list[ChatRequest]:
    """The same-task questions the model was asked and answered."""
    return [r for r in model.accepted if r.format_name == SAME]


def same_as_first(request: ChatRequest) -> dict[str, Any]:
    """A model that reads the new task as the first earlier one when the new one is about
    replicas falling behind; else as none."""
    new = request.texts[1].partition("[NEW]")[2]  # the user message: the tasks, the new last
    if "replicas fall behind" in new:
        return {"same_as": "T1", "reason": WHY}
    return {"same_as": "none", "reason": "Different work."}


async def test_the_model_finds_the_same_task_the_words_do_not(
    slack: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    model.reply(same_as_first, times=5, to=SAME)
    async with incident_with_model(slack, sqlite_url, model) as (warroom, channel):
        await note_actions(warroom, channel, DBA, "add a test for card types", REPLICAS)
        asked = asked_same(model)
        assert len(asked) == 2  # the first had nothing earlier to compare with
        assert "[T1] page the DBA on replication lag" in asked[-1].texts[1]
        assert "[NEW] tell on-call when replicas fall behind" in asked[-1].texts[1]
        (flagged,) = with_merge(channel)
        text = decode_entities(flagged.text)
        assert f"the team's model, llama3.1:8b, reads them as one: {WHY})" in text
        assert '"page the DBA on replication lag"' in text
        draft = await draft_of(warroom)
        (line,) = [t for t in tasks_in(draft) if "replicas fall behind" in t]
        assert "_Possibly the same as_" in line
        await press_merge(warroom, channel, flagged, ALICE)
        assert len(await merges(warroom)) == 1
        tasks = tasks_in(await draft_of(warroom))
        assert not [t for t in tasks if t.startswith("- [ ] tell on-call")]
        assert any('Merged with "tell on-call when replicas fall behind"' in t for t in tasks)


@pytest.mark.parametrize("failure", ["status", "not_schema", "unknown_task"])
async def test_a_model_that_fails_loses_no_task_and_flags_nothing(
    slack: SlackEmulator, sqlite_url: str, model: FakeChatModel, failure: str
) -> None:
    if failure == "status":
        model.fail_for(SAME, 500)
    elif failure == "not_schema":
        model.reply('{"same": true}', to=SAME)
    else:
        model.reply({"same_as": "T9", "reason": "A task it was not sent."}, to=SAME)
    async with incident_with_model(slack, sqlite_url, model) as (warroom, channel):
        await note_actions(warroom, channel, DBA, REPLICAS)
        assert len(model.requests) == 1  # asked once, about the second task
        assert not with_merge(channel)
        assert len(tasks_in(await draft_of(warroom))) == 2
        async with session_scope(warroom.engine) as session:
            assert not (await session.exec(select(FollowUpAlike))).all()


async def by_shortcut(warroom: Warroom, channel: Channel, text: str) -> None:
    """Bob says ``text`` and Alice puts it in the timeline as a follow-up with the "Add to
    timeline" message shortcut: a follow-up from a message, as :memo: makes."""
    slack = warroom.slack
    message = await slack.post_message(channel.id, text, user=BOB)
    await slack.message_shortcut(channel.id, message.ts, "add_to_timeline", user=ALICE)
    view_id = await slack.wait_for(
        lambda: next(
            (i for i, v in slack.views.items() if v["callback_id"] == "add_to_timeline_submit"),
            None,
        )
    )
    chosen = {"type": "static_select", "selected_option": {"value": "follow_up"}}
    answer = await slack.submit_view(view_id, {"kind": {"kind": chosen}}, user=ALICE)
    assert answer.status == 200
    await settle(warroom)


@pytest.mark.parametrize(
    ("made", "says"), [("memo", "same"), ("memo", "different"), ("shortcut", "same")]
)
async def test_a_memo_rephrasing_a_noted_task_is_asked_of_the_model_as_a_command_is(
    slack: SlackEmulator, database_url: str, model: FakeChatModel, made: str, says: str
) -> None:
    # A reason that quotes a task is not shown: the tasks are, as people wrote them.
    why = 'Both say "replicas".'
    model.reply({"same_as": "T1" if says == "same" else "none", "reason": why}, to=SAME)
    async with incident_with_model(slack, database_url, model) as (warroom, channel):
        await command(warroom, channel, "action @carol page the DBA on replication lag")
        mark = memo if made == "memo" else by_shortcut
        await mark(warroom, channel, "Follow-up: tell on-call when replicas fall behind")
        (asked,) = asked_same(model)  # the same question a command's task is asked
        assert "[T1] page the DBA on replication lag" in asked.texts[1]
        assert "[NEW] tell on-call when replicas fall behind" in asked.texts[1]
        async with session_scope(warroom.engine) as session:
            found = (await session.exec(select(FollowUpAlike))).all()
        if says == "different":
            assert not with_merge(channel) and not found
            assert len(tasks_in(await draft_of(warroom))) == 2
            return
        (flagged,) = with_merge(channel)
        text = decode_entities(flagged.text)
        assert '"tell on-call when replicas fall behind"' in text
        assert "the team's model, llama3.1:8b, reads them as one)" in text
        (line,) = [t for t in tasks_in(await draft_of(warroom)) if "replicas fall behind" in t]
        assert "_Possibly the same as_" in line
        await press_merge(warroom, channel, flagged, ALICE)
        (merge,) = await merges(warroom)
        assert merge.merged.startswith("timeline_entry:") and merge.merged_by == ALICE
        (task,) = tasks_in(await draft_of(warroom))
        assert task.startswith("- [ ] page the DBA on replication lag")
        assert 'Merged with "tell on-call when replicas fall behind"' in task


async def home_of(warroom: Warroom, user: str) -> list[str]:
    """``user`` opens the App Home: its lines once warroom has published it."""
    return await republished(warroom, user, warroom.slack.open_app_home(user))


async def press_merge_on_home(warroom: Warroom, user: str) -> list[str]:
    """``user`` presses *Merge* on their Home tab: its lines once published afresh."""
    return await republished(
        warroom, user, warroom.slack.click_home_button(user, "merge_follow_up")
    )


async def republished(
    warroom: Warroom, user: str, request: Awaitable[BotResponse | None]
) -> list[str]:
    """The lines of ``user``'s Home tab once ``request`` (sent to warroom) has it published."""
    published = len(warroom.slack.calls_to("views.publish"))
    answer = await request
    assert answer is not None and answer.status == 200, answer
    await settle(warroom)
    await warroom.slack.wait_for(lambda: len(warroom.slack.calls_to("views.publish")) > published)
    return warroom.slack.home_lines(user)


async def test_the_app_home_flags_a_follow_up_and_merges_it_with_the_channel_s_button(
    slack: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    model.reply(same_as_first, times=3, to=SAME)
    async with incident_with_model(slack, database_url, model) as (warroom, channel):
        await note_actions(warroom, channel, "@bob --due fri page the DBA on replication lag")
        await memo(warroom, channel, "we should tell on-call when replicas fall behind")
        await note_actions(warroom, channel, "@bob add alert on payment latency")
        await note_actions(warroom, channel, "alerting on payments latency", user=CAROL)
        lines = await home_of(warroom, BOB)
        flags = [line for line in lines if "Possibly the same as" in line]
        assert len(flags) == 2  # by the model (a :memo:), by the words (a command's)
        assert any('"we should tell on-call when replicas fall behind"' in f for f in flags)
        assert any('"alerting on payments latency"' in f for f in flags)
        home = slack.home_view(BOB) or {}
        buttons = [
            b["accessory"] for b in home["blocks"] if (b.get("accessory") or {}).get("action_id")
        ]
        assert {b["action_id"] for b in buttons} == {"merge_follow_up"}  # the channel's id

        after = await press_merge_on_home(warroom, BOB)  # the first flagged: the :memo:'s
        (merge,) = await merges(warroom)
        assert merge.merged_by == BOB and merge.merged.startswith("timeline_entry:")
        assert "<@U0BOB> merged two follow-ups" in said(channel)
        assert len([line for line in after if "Possibly the same as" in line]) == 1
        assert not any("replicas fall behind" in line for line in after)

        # Merged meanwhile in the channel: the Home's button says why not, at its top.
        (flagged,) = [m for m in with_merge(channel) if "payments" in decode_entities(m.text)]
        await press_merge(warroom, channel, flagged, CAROL)
        stale = await press_merge_on_home(warroom, BOB)
        assert stale[0].startswith(":warning: Not merged")
        assert len(await merges(warroom)) == 2
        assert not any("Possibly the same as" in line for line in stale)


async def open_wrap_up_form(warroom: Warroom, channel: Channel) -> tuple[str, dict[str, Any]]:
    """Alice opens the wrap-up form from the offer resolving posted; its view id and view."""
    slack = warroom.slack
    offer = next(
        m for m in channel.messages if any(b.get("block_id") == "wrap_up" for b in m.blocks or [])
    )
    before = set(slack.views)
    await slack.click_button(channel.id, offer.ts, "open_wrap_up", user=ALICE)
    found: tuple[str, dict[str, Any]] = await slack.wait_for(
        lambda: next(
            (
                (i, v)
                for i, v in slack.views.items()
                if i not in before and v["callback_id"] == "wrap_up"
            ),
            None,
        )
    )
    return found


@pytest.mark.parametrize(
    ("language", "header"),
    [("en", "Follow-ups without an owner"), ("fr", "Suivis sans responsable")],
)
async def test_the_wrap_up_form_lists_memo_tasks_without_an_owner_and_saves_owners(
    slack: SlackEmulator, database_url: str, language: str, header: str
) -> None:
    async with running_warroom(
        slack, database_url, Clock(MORNING), incidents__language=language
    ) as warroom:
        channel = await open_incident(warroom)
        await memo(warroom, channel, "Follow-up: write the failover runbook")
        await memo(warroom, channel, "we should rotate the signing keys")
        await command(warroom, channel, "action @carol add a test for card types")
        async with session_scope(warroom.engine) as session:
            memos = (
                await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "follow_up"))
            ).all()
        runbook = next(m for m in memos if "runbook" in m.text)
        await command(warroom, channel, "resolve")
        view_id, view = await open_wrap_up_form(warroom, channel)
        texts = [(b.get("text") or {}).get("text") for b in view["blocks"] if b["type"] == "header"]
        assert header in texts
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        listed = blocks[memo_owner_input(runbook.id or 0)]
        assert listed["label"]["text"] == "write the failover runbook"
        assert listed["element"]["type"] == "users_select"
        assert sum(1 for b in blocks if str(b).startswith("memo_owner.")) == 2  # not Carol's

        block = memo_owner_input(runbook.id or 0)
        given = {block: {block: {"type": "users_select", "selected_user": BOB}}}
        answer = await slack.submit_view(view_id, given, user=ALICE)
        assert answer.status == 200
        await settle(warroom)
        owned = next(i for i in await items(warroom) if "runbook" in i.text)
        assert owned.text == "write the failover runbook" and owned.owner == BOB
        assert owned.created_at == runbook.occurred_at  # the task keeps when it was noted
        assert "gave a follow-up of INC-1 an owner" in said(channel)
        tasks = tasks_in(await draft_of(warroom))
        assert len(tasks) == 3  # the memo is that task now, not a second line
        assert next(t for t in tasks if "runbook" in t).count("runbook") == 1
        # Asked again, the form lists only the task still without an owner.
        _, again = await open_wrap_up_form(warroom, channel)
        assert (
            sum(1 for b in again["blocks"] if str(b.get("block_id")).startswith("memo_owner.")) == 1
        )


async def test_the_web_view_flags_and_merges_with_its_form_and_refuses_a_guest(
    slack: SlackEmulator, database_url: str
) -> None:
    slack.add_user(GUEST, "gus")
    async with web_warroom(slack, database_url, Clock(MORNING)) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "action @bob add alert on payment latency")
        await command(warroom, channel, "action --due fri alerting on payments latency")
        await command(warroom, channel, "action rotate the TLS certificates")
        channel.members.add(GUEST)  # a guest in the channel: sees the incident, merges nothing
        slack.users[GUEST].is_restricted = True
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/follow-ups") as answer:
                html = await answer.text()
            page = visible_text(html)
            assert page.count("Possibly the same as") == 2  # each of the two, not the third
            assert "Possibly the same as “alerting on payments latency”" in page
            first, second = (await items(warroom))[:2]
            form = {
                "csrf": csrf_of(html),
                "first": f"action_item:{second.id}",
                "second": f"action_item:{first.id}",
            }
            url = f"{warroom.url}/incidents/INC-1/follow-ups/merge"
            async with alice.post(
                url, data={**form, "csrf": "wrong"}, allow_redirects=False
            ) as answer:
                assert answer.status == 403  # the form's token is checked
            async with browser() as guest:
                await sign_in(guest, warroom, GUEST)
                async with guest.get(f"{warroom.url}/follow-ups") as answer:
                    token = csrf_of(await answer.text())
                async with guest.post(
                    url, data={**form, "csrf": token}, allow_redirects=False
                ) as answer:
                    assert answer.status == 403
            assert not await merges(warroom)
            async with alice.post(url, data=form, allow_redirects=False) as answer:
                assert answer.status == 303 and answer.headers["Location"] == "/follow-ups"
            async with alice.get(f"{warroom.url}/follow-ups") as answer:
                after = visible_text(await answer.text())
            # The same merge sent again is refused: back on the list, which says why once.
            async with alice.post(url, data=form) as answer:
                assert answer.status == 400 and answer.url.path == "/follow-ups"
                refused = visible_text(await answer.text())
            assert "The follow-ups were not merged" in refused
            async with alice.get(answer.url) as reloaded:  # a reload sends nothing again
                assert reloaded.status == 200
                assert "were not merged" not in visible_text(await reloaded.text())
        assert "Possibly the same as" not in after
        assert "add alert on payment latency" in after and "alerting on payments" not in after
        assert "2 follow-ups not done yet" in after
        (merge,) = await merges(warroom)
        assert merge.merged_by == ALICE
        kept = (await items(warroom))[0]
        assert kept.owner == BOB and kept.due_at is not None  # the due date carried over
        assert "<@U0ALICE> merged two follow-ups" in said(channel)


async def test_a_task_filed_in_a_tracker_is_never_dropped_by_a_merge(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with FakeGitHub(token=GITHUB_TOKEN, repos={"acme/payments"}) as github:
        env = {
            "WARROOM_GITHUB_API_URL": github.url,
            "WARROOM_GITHUB_TOKEN": GITHUB_TOKEN,
            "WARROOM_GITHUB_REPO": "acme/payments",
            "WARROOM_TRACKER": "github",
        }
        trackers = Settings.from_env(env).trackers
        async with running_warroom(slack, sqlite_url, Clock(MORNING), trackers=trackers) as warroom:
            channel = await open_incident(warroom)
            await command(warroom, channel, "action --file add alert on payment latency")
            await command(warroom, channel, "action --file alerting on payments latency")
            (both,) = with_merge(channel)
            await press_merge(warroom, channel, both, ALICE)
            assert (
                "Not merged: both follow-ups are filed in the tracker "
                "(acme/payments#1 and acme/payments#2)" in replies(slack, ALICE)
            )
            assert not await merges(warroom)

            await command(warroom, channel, "action add a canary for the checkout service")
            await command(warroom, channel, "action --file add canaries for checkout services")
            (one,) = [m for m in with_merge(channel) if "canar" in m.text]
            await press_merge(warroom, channel, one, ALICE)
            (merge,) = await merges(warroom)
            assert merge.carried == "issue"
            assert "took its issue acme/payments#3" in said(channel)
            (line,) = [t for t in tasks_in(await draft_of(warroom)) if "canar" in t]
            assert line.startswith("- [ ] add a canary for the checkout service")
            assert "#3" in line  # the older task carries the filed issue
