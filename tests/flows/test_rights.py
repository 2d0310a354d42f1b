"""Who may act: one table (``bot.record.rights``), checked in the flows
that act (``bot.flows.rights``). Every ``/incident`` and ``/oncall`` subcommand (read from
their routing tables) and every button and form ``commands.register`` and the shortcuts
attach (read from what they register) is tried by a guest of the workspace, of each kind
(``users.info`` ``is_restricted``: multi-channel, ``is_ultra_restricted``: single-channel,
the emulator answering as Slack documents it: https://docs.slack.dev/reference/objects/user-object),
through the Slack emulator; nothing is published (the record, /status, Statuspage, the
subscribers' deliveries), paged, silenced, spent or changed on call. A member then does the
same: where that changes something, the guest must have been told privately, with who may.

The clock stands on Wednesday 11 March 2026, 10:00 UTC. ``payments`` is Alice's and Bob's
(weekly from Monday 2 March: Bob now, Alice the week of 16 March), owned by Owen; SEV1 starts
the ``primary`` policy, which pages Bob, and so does SEV3, the default. Dave is a member in
no schedule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlmodel import SQLModel, select

from bot.basics.slack_ids import (
    CoverMessage,
    DeclareModal,
    EscalationMessage,
    FollowUpMessage,
    ProposedNoteMessage,
    PublicModal,
    PublicUpdateModal,
    Shortcut,
    SuggestionMessage,
    SuggestionModal,
    SwapMessage,
    suggestion_block,
)
from bot.record.escalation.policies import parse_policies
from bot.record.oncall.schedules import parse_schedules
from bot.slack import shortcuts
from bot.store.db import session_scope
from bot.store.models import (
    ContactMethod,
    DrillChoice,
    Escalation,
    FollowUpMerge,
    Incident,
    MaintenanceWindow,
    NotificationRules,
    OncallCalendarToken,
    OncallCoverRequest,
    OncallLeave,
    OncallLeaveFeed,
    OncallOverride,
    OncallSwap,
    Page,
    PageTest,
    PersonPage,
    PostmortemEdit,
    ProposedNote,
    PublicIncident,
    PublicUpdate,
    SectionSuggestion,
    StatusDelivery,
    StatusSubscription,
    SuggestionRequest,
)
from commands import register
from commands.oncall.table import SUBCOMMANDS as ONCALL
from commands.table import SUBCOMMANDS as INCIDENT
from emulator import Channel, Message, SlackEmulator
from emulator.statuspage import FakeStatuspage
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import open_incident, settle
from tests.status_page.test_status_page import statuspage_settings

T0 = datetime(2026, 3, 11, 10, tzinfo=UTC)
OWEN, DAVE, GUEST = "U0OWEN", "U0DAVE", "U0GUEST"
KINDS = ("is_restricted", "is_ultra_restricted")  # multi-channel, single-channel
# What a guest is told: that guests may not, and who may (the workspace's members, or the
# owners among them).
REFUSED = "guests of the workspace"


@dataclass(frozen=True)
class Case:
    """One way a guest may try a subcommand: its words, where, and the member who then does
    the same (None: nobody, as for the last). ``refused``: the guest is told even though
    the member's run changes nothing that is watched (a form opened, a list read)."""

    command: str
    text: str
    where: str = "incident"
    member: str | None = ALICE
    refused: bool = False


# In order: each member's run sets up what the next cases act on (a public incident for
# --title and update --public, a window to cancel, an override to cancel).
CASES: tuple[Case, ...] = (
    Case("/incident", "start sev1 Payments down", where="general"),
    Case("/incident", "type none"),
    Case("/incident", "set"),
    Case("/incident", "status identified"),
    Case("/incident", "lead @alice"),
    Case("/incident", "role scribe @alice"),
    Case("/incident", "sev 1"),
    Case("/incident", "escalate @carol checking the database"),
    Case("/incident", "ack", member=CAROL),
    Case("/incident", "public", refused=True),
    Case("/incident", "public checkout, payments API"),
    Case("/incident", "public --title Checkout is slow"),
    Case("/incident", "public --title --lang fr Paiement lent"),
    Case("/incident", "update --public Checkout is slow for some customers"),
    Case("/incident", "update --public --lang fr Le paiement est lent"),
    Case("/incident", "update Looking into the database"),
    Case("/incident", "note The replica lags"),
    Case("/incident", "timeline"),
    Case("/incident", "impact Checkout slow for EU customers"),
    Case("/incident", "cause A bad index"),
    Case("/incident", "action Add an alert on replica lag"),
    Case("/incident", "time detected 09:50"),
    Case("/incident", "timezone Europe/Paris"),
    Case("/incident", "postmortem"),
    Case("/incident", "help"),
    Case("/incident", "alert attach 1", refused=True),
    Case("/incident", "maintenance", where="general", refused=True),
    Case("/incident", "maintenance service=checkout now to 18:00", where="general"),
    Case("/incident", "maintenance cancel 1", where="general"),
    Case("/oncall", "who", where="general", refused=True),
    Case("/oncall", "payments", where="general", refused=True),
    Case("/oncall", "override payments now for 2h", where="general"),
    Case("/oncall", "cancel 1", where="general"),
    Case("/oncall", "swap @bob payments 2026-03-17", where="general"),
    Case("/oncall", "calendar", where="general"),
    Case("/oncall", "leave add 2026-12-24..2026-12-27", where="general"),
    Case("/oncall", "contact", where="general", refused=True),
    Case("/oncall", "contact drill on", where="general"),
    Case("/oncall", "rules 0s slack, 5m slack", where="general"),
    Case("/oncall", "test-page", where="general"),
    Case("/oncall", "help", where="general"),
    Case("/incident", "public off"),
)
LAST = Case("/incident", "resolve Fixed the index", member=None)

# Each button, form and shortcut registered, walked below or said why not here.
WALKED = {
    ("action", EscalationMessage.ACKNOWLEDGE.value),
    ("action", SwapMessage.ACCEPT.value),
    ("action", SwapMessage.DECLINE.value),
    ("action", CoverMessage.ACCEPT.value),
    ("action", CoverMessage.REJECT.value),
    ("view", PublicModal.CALLBACK.value),
    ("view", PublicUpdateModal.CALLBACK.value),
    ("view", DeclareModal.CALLBACK.value),
    ("message_shortcut", Shortcut.DECLARE_FROM_MESSAGE.value),
    ("action", ProposedNoteMessage.ACCEPT.value),
    ("action", SuggestionMessage.ACCEPT.value),
    ("view", SuggestionModal.CALLBACK.value),
}
# Those that reach none of the flows the table guards: they change the incident's own record
# (its channel's words, the draft, follow-ups), never what reaches customers, pages, silences,
# spends or changes on call.
REACHES_NONE = {
    "incident_type": "chooses a type in the open declare form: the form is updated, no more",
    "edit_fields_button": "opens the custom fields' form",
    "edit_fields": "the incident's custom fields",
    "file_follow_up": "a follow-up filed in the team's tracker",
    "mark_follow_up_done": "a follow-up marked done",
    "edit_suggestion": "opens the form of the suggestion's words (its saving is walked)",
    "prompt_ruled_out_idea": "the draft's questions",
    "prompt_ruled_out_skip": "the draft's questions",
    "prompt_rules_out": "the draft's questions",
    "prompt_worked_at": "the draft's questions",
    "prompt_worked_now": "the draft's questions",
    "prompt_worked_skip": "the draft's questions",
    "prompt_worked_form": "the draft's questions",
    "answer_lessons": "the day-after question",
    "skip_lessons": "the day-after question",
    "lessons_answer": "the day-after question",
    "open_wrap_up": "the wrap-up form",
    "skip_wrap_up": "the wrap-up form",
    "wrap_up": "the wrap-up form: the incident's record",
    "add_to_timeline": "the incident's timeline",
    "add_to_timeline_submit": "the incident's timeline",
    "cause_up": "a 👍 on a possible cause: the person's mark on it, no more",
    "cause_down": "a 👎 on a possible cause: the person's mark on it, no more",
}
# Reaches a guarded flow, walked as a guest in another test.
ELSEWHERE = {
    FollowUpMessage.MERGE.value: "merge_follow_ups: tests/follow_ups/test_follow_up_merging.py",
    "resolve_with_fields": "resolve: tests/types/test_types_in_slack.py, a guest resolves nothing",
    "acknowledge_alert": "acknowledge: tests/alerting/test_own_alerts.py (the message) and "
    "test_alert_console_home.py (the App Home), as a guest",
    "escalate_alert": "escalate: tests/alerting/test_own_alerts.py (Next level) and "
    "test_alert_escalate_to_person.py (A person…), as a guest",
    "escalate_alert_to_person": "escalate: tests/alerting/test_alert_escalate_to_person.py, "
    "as a guest (a form opened before the person became one)",
    "snooze_alert": "snooze: tests/alerting/test_own_alerts.py, as a guest",
    "resolve_alert": "resolve: tests/alerting/test_own_alerts.py, as a guest",
    "declare_from_alert": "attach_alert: tests/alerting/test_alert_declare.py, as a guest",
    "alerts_of_mine": "acknowledge, resolve: tests/alerting/test_alert_many.py, as a guest",
    "cause_theory": "accept_proposal: tests/postmortem/test_causes.py, as a guest",
}


class _Registry:
    """Stands where the Bolt app is, for ``register``: what it attaches, by kind and id."""

    def __init__(self) -> None:
        self.entries: set[tuple[str, str]] = set()

    def __getattr__(self, kind: str) -> Callable[[Any], Callable[[Any], Any]]:
        def attach(key: Any) -> Callable[[Any], Any]:
            self.entries.add((kind, str(key)))
            return lambda listener: listener

        return attach


def registered() -> set[tuple[str, str]]:
    """Every command, action, view and shortcut warroom's commands and shortcuts attach."""
    registry = _Registry()
    register(registry)  # type: ignore[arg-type]
    shortcuts.register(registry)  # type: ignore[arg-type]
    return registry.entries


def test_every_subcommand_button_and_form_is_walked_or_said_why() -> None:
    """A new subcommand, button or form fails here until it is walked (or said why not)."""
    names = {(case.command, case.text.split()[0]) for case in (*CASES, LAST)}
    routed = {("/incident", s.name) for s in INCIDENT} | {("/oncall", s.name) for s in ONCALL}
    assert routed - names == set(), "walk each new subcommand as a guest in CASES"
    unsaid = {
        (kind, key)
        for kind, key in registered()
        if kind != "command"
        and (kind, key) not in WALKED
        and key not in ELSEWHERE
        and key not in REACHES_NONE
    }
    assert unsaid == set(), "walk each new button or form as a guest, or say why not"
    # /alerts (ack, resolve) is walked as a guest in tests/alerting/test_alert_many.py.
    commands = {key for kind, key in registered() if kind == "command"}
    assert commands == {"/incident", "/oncall", "/alerts"}


# -- the walk --------------------------------------------------------------------------------
WATCHED: tuple[type[SQLModel], ...] = (
    PublicIncident,
    PublicUpdate,
    StatusDelivery,
    Escalation,
    Page,
    PersonPage,
    MaintenanceWindow,
    OncallOverride,
    OncallSwap,
    OncallCoverRequest,
    OncallCalendarToken,
    OncallLeave,
    OncallLeaveFeed,
    ContactMethod,
    NotificationRules,
    PageTest,
    DrillChoice,
    FollowUpMerge,
    ProposedNote,
    SectionSuggestion,
    PostmortemEdit,
)


def rights_settings(statuspage: FakeStatuspage) -> dict[str, Any]:
    """The module's schedule and policy, its maintenance allowance, and the status pages with
    Statuspage (what the web view's walk, tests/web/test_rights_forms.py, also runs with)."""
    schedules = {
        "schedules": {
            "payments": {
                "timezone": "Europe/Paris",
                "owners": [OWEN],
                "layers": [
                    {
                        "name": "weekly",
                        "start": "2026-03-02 09:00",
                        "rotation": "weekly",
                        "members": [ALICE, BOB],
                    }
                ],
            }
        }
    }
    policies = {
        "policies": {"primary": {"levels": [{"targets": [{"user": BOB}]}]}},
        "severities": {"SEV1": "primary", "SEV3": "primary"},
    }
    return {
        **statuspage_settings(statuspage, WARROOM_LANGUAGE="en"),
        "oncall__schedules": parse_schedules(schedules, now=T0),
        "escalation__policies": parse_policies(policies),
        "maintenance__allowed": (ALICE,),
    }


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, statuspage: FakeStatuspage
) -> dict[str, object]:
    """On SQLite and PostgreSQL: the module's schedule and policy, the status pages with
    Statuspage and one confirmed subscriber."""
    for user, name in ((OWEN, "owen"), (DAVE, "dave"), (GUEST, "gus")):
        slack.add_user(user, name)
    settings = rights_settings(statuspage)

    async def ready(running: Warroom) -> None:
        async with session_scope(running.engine) as session:
            session.add(
                StatusSubscription(
                    kind="email",
                    address="customer@example.com",
                    address_key="customer",
                    unsubscribe_token="unsubscribe-token",
                    created_at=T0,
                    confirmed_at=T0,
                )
            )
            await session.commit()

    return {
        "database_url": database_url,
        "clock": Clock(T0),
        **settings,
        "ready": ready,
    }


async def watched(warroom: Warroom, statuspage: FakeStatuspage) -> dict[str, Any]:
    """What a guest must leave as it is: every row that publishes, pages, silences, spends or
    changes on call; the incidents' severities and policies; what Statuspage was sent; /status."""
    found: dict[str, Any] = {}
    async with session_scope(warroom.engine) as session:
        for model in WATCHED:
            rows = (await session.exec(select(model))).all()
            found[model.__name__] = sorted(json.dumps(r.model_dump(), default=str) for r in rows)
        incidents = (await session.exec(select(Incident))).all()
        found["incidents"] = sorted((i.id, i.severity, i.policy) for i in incidents)
    found["statuspage"] = [(r.method, r.path) for r in statuspage.requests]
    async with aiohttp.ClientSession() as client, client.get(warroom.url + "/status") as got:
        page = await got.text()
        # What it shows (its head carries a nonce of its own each time).
        found["/status"] = (got.status, page[page.find("<main") : page.find("</main>")])
    return found


def said_to(slack: SlackEmulator, user: str, since: int) -> str:
    return "\n".join(message.text for message in slack.ephemeral_for(user)[since:])


def with_button(messages: list[Message], action_id: str) -> Message:
    """The last of ``messages`` that has the button ``action_id``."""
    found = next((m for m in reversed(messages) if action_id in json.dumps(m.blocks or [])), None)
    assert found is not None, (action_id, [m.text for m in messages[-5:]])
    return found


def last_view(slack: SlackEmulator, callback_id: str) -> str:
    """The id of the last view opened with ``callback_id``."""
    found = next(
        (v for v, view in reversed(slack.views.items()) if view["callback_id"] == callback_id),
        None,
    )
    assert found is not None, (callback_id, [view["callback_id"] for view in slack.views.values()])
    return found


@pytest.mark.parametrize("kind", KINDS)
async def test_a_guest_publishes_pages_silences_spends_and_changes_nothing(
    warroom: Warroom, statuspage: FakeStatuspage, kind: str
) -> None:
    slack = warroom.slack
    setattr(slack.users[GUEST], kind, True)
    channel = await open_incident(warroom, "Checkout slow")
    channel.members.add(GUEST)  # a guest invited into the incident's channel
    general = slack.channel_by_name("general")
    assert general is not None
    general.members.add(GUEST)
    await settle(warroom)
    refused: list[str] = []
    for case in CASES:
        where = channel if case.where == "incident" else general
        before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(GUEST))
        await slack.send_command(case.text, user=GUEST, channel=where.id, command=case.command)
        await settle(warroom)
        said = said_to(slack, GUEST, heard)
        assert await watched(warroom, statuspage) == before, (case, said)
        if case.member is None:
            continue
        await slack.send_command(
            case.text, user=case.member, channel=where.id, command=case.command
        )
        await settle(warroom)
        if case.refused or await watched(warroom, statuspage) != before:
            assert REFUSED in said.lower() and "members" in said, (case, said)
            assert "<@" not in said, (case, said)  # names nobody, shows no schedule
            refused.append(f"{case.command} {case.text}")
    # The finding: each way of publishing was open to guests.
    for publishing in ("public checkout", "--title", "update --public"):
        assert any(publishing in text for text in refused), (publishing, refused)
    assert len(refused) >= 20, refused
    await _buttons_and_forms(warroom, statuspage, channel, general, kind)
    # Resolving stands every page down and asks the team's model: refused, the incident open.
    before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(GUEST))
    await slack.send_command(LAST.text, user=GUEST, channel=channel.id)
    await settle(warroom)
    assert await watched(warroom, statuspage) == before
    said = said_to(slack, GUEST, heard)
    assert REFUSED in said.lower() and "members" in said and "Not resolved" in said, said
    assert await resolved(warroom) == []


async def _press(
    warroom: Warroom,
    statuspage: FakeStatuspage,
    user: str,
    messages: list[Message],
    channel: Channel,
    action_id: str,
) -> None:
    """``user`` presses ``action_id`` on the last message of ``messages`` that has it: nothing
    watched changes, and they are told why, privately."""
    slack = warroom.slack
    message = with_button(messages, action_id)
    before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(user))
    await slack.click_button(channel.id, message.ts, action_id, user=user)
    await settle(warroom)
    said = said_to(slack, user, heard)
    assert await watched(warroom, statuspage) == before, (action_id, said)
    assert REFUSED in said.lower() and "members" in said, (action_id, said)


async def _buttons_and_forms(
    warroom: Warroom, statuspage: FakeStatuspage, channel: Channel, general: Channel, kind: str
) -> None:
    """Each button and form of WALKED, pressed or sent by someone who is a guest now (the
    person it was for, made a guest since: Slack is asked afresh)."""
    slack = warroom.slack
    # The forms below are opened on a loaded machine (CI: four workers on two cores beside
    # PostgreSQL), where a command's answer can pass Slack's 3 s trigger limit; what is
    # watched here is who may act. The limit itself: tests/emulator/test_emulator.py.
    slack.trigger_ttl = 30.0
    # Acknowledge: Alice brings Carol in again; Carol, a guest now, presses it.
    await slack.send_command("escalate @carol again", user=ALICE, channel=channel.id)
    await settle(warroom)
    setattr(slack.users[CAROL], kind, True)
    await _press(
        warroom, statuspage, CAROL, channel.messages, channel, EscalationMessage.ACKNOWLEDGE
    )
    # A swap's answer: Bob, asked by Alice (the walk's swap), is a guest now.
    bob = slack.channels["D" + BOB[1:]]
    setattr(slack.users[BOB], kind, True)
    for action in (SwapMessage.ACCEPT, SwapMessage.DECLINE):
        await _press(warroom, statuspage, BOB, bob.messages, bob, action)
    # A cover's answer: Dave, outside the schedule, asks; Owen, its owner, is a guest now.
    await slack.send_command(
        "override payments now for 1h", user=DAVE, channel=general.id, command="/oncall"
    )
    await settle(warroom)
    owen = slack.channels["D" + OWEN[1:]]
    setattr(slack.users[OWEN], kind, True)
    for action in (CoverMessage.ACCEPT, CoverMessage.REJECT):
        await _press(warroom, statuspage, OWEN, owen.messages, owen, action)
    await _accepting_for_someone(warroom, statuspage, channel)
    # The public form: opened by Dave, a member then, saved once he is a guest.
    await slack.send_command("public", user=DAVE, channel=channel.id)
    await settle(warroom)
    view_id = last_view(slack, "public_incident")
    setattr(slack.users[DAVE], kind, True)
    components = {"type": "plain_text_input", "value": "checkout"}
    before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(DAVE))
    await slack.submit_view(
        view_id, {PublicModal.COMPONENTS: {PublicModal.COMPONENTS: components}}, user=DAVE
    )
    await settle(warroom)
    assert await watched(warroom, statuspage) == before
    assert REFUSED in said_to(slack, DAVE, heard).lower()
    # The public update form: opened by Dave, a member again (the incident made public for
    # it), sent once he is a guest.
    setattr(slack.users[DAVE], kind, False)
    await slack.send_command("public checkout", user=DAVE, channel=channel.id)
    await slack.send_command("update --public", user=DAVE, channel=channel.id)
    await settle(warroom)
    view_id = last_view(slack, PublicUpdateModal.CALLBACK)
    setattr(slack.users[DAVE], kind, True)
    typed = {"type": "plain_text_input", "value": "Checkout is back for everyone"}
    chosen = {"type": "static_select", "selected_option": {"value": "monitoring"}}
    before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(DAVE))
    answer = await slack.submit_view(
        view_id,
        {
            PublicUpdateModal.TEXT: {PublicUpdateModal.TEXT: typed},
            PublicUpdateModal.STATUS: {PublicUpdateModal.STATUS: chosen},
        },
        user=DAVE,
    )
    await settle(warroom)
    assert await watched(warroom, statuspage) == before
    told = f"{answer} {said_to(slack, DAVE, heard)}".lower()
    assert REFUSED in told, told
    # The declare form (SEV1), and the message shortcut that declares at once (SEV3): each
    # would page Bob.
    message = await slack.post_message(general.id, "Payments are failing for everyone", user=GUEST)
    await settle(warroom)
    before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(GUEST))
    await slack.send_command("", user=GUEST, channel=general.id)
    await settle(warroom)
    view_id = last_view(slack, DeclareModal.CALLBACK)
    severity = {"type": "static_select", "selected_option": {"value": "SEV1"}}
    await slack.submit_view(
        view_id,
        {
            "title": {"title": {"type": "plain_text_input", "value": "Payments down"}},
            "severity": {"severity": severity},
        },
        user=GUEST,
    )
    await settle(warroom)
    await slack.message_shortcut(general.id, message.ts, Shortcut.DECLARE_FROM_MESSAGE, user=GUEST)
    await settle(warroom)
    said = said_to(slack, GUEST, heard)
    assert await watched(warroom, statuspage) == before, said
    assert said.lower().count(REFUSED) == 2, said


async def resolved(warroom: Warroom) -> list[int]:
    """The incidents resolved."""
    async with session_scope(warroom.engine) as session:
        incidents = (await session.exec(select(Incident))).all()
    return [i.id or 0 for i in incidents if i.resolved_at is not None]


async def _proposals(warroom: Warroom, channel: Channel) -> tuple[int, int]:
    """An agent's proposed note and the team's model's suggested section for the channel's
    incident, as their flows keep them (the ids their messages' buttons carry)."""
    async with session_scope(warroom.engine) as session:
        incident = (
            await session.exec(select(Incident).where(Incident.channel_id == channel.id))
        ).one()
        note = ProposedNote(
            incident_id=incident.id or 0,
            text="The replica lagged from 09:52",
            occurred_at=T0,
            proposed_by="triage-bot",
            proposed_at=T0,
        )
        request = SuggestionRequest(
            incident_id=incident.id or 0, key="walk", model="m", asked_at=T0, outcome="answered"
        )
        session.add_all((note, request))
        await session.flush()
        suggestion = SectionSuggestion(
            request_id=request.id or 0,
            incident_id=incident.id or 0,
            section="fix",
            sentences=[{"text": "Alice rebuilt the index.", "cites": []}],
            unsupported=[],
            made_at=T0,
        )
        session.add(suggestion)
        await session.commit()
        return note.id or 0, suggestion.id or 0


async def _accepting_for_someone(
    warroom: Warroom, statuspage: FakeStatuspage, channel: Channel
) -> None:
    """Accept on an agent's note and on the model's section, and the Edit form's save: a
    guest is refused each, privately; a member then accepts both."""
    slack = warroom.slack
    note, suggestion = await _proposals(warroom, channel)
    message = channel.messages[-1]
    presses = (
        (ProposedNoteMessage.ACCEPT, ProposedNoteMessage.BLOCK, note),
        (SuggestionMessage.ACCEPT, suggestion_block(suggestion), suggestion),
    )
    for action, block, value in presses:
        before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(GUEST))
        await slack.click_button(
            channel.id, message.ts, action, user=GUEST, block_id=block, value=str(value)
        )
        await settle(warroom)
        said = said_to(slack, GUEST, heard)
        assert await watched(warroom, statuspage) == before, (action, said)
        assert REFUSED in said.lower() and "Not accepted" in said, (action, said)
    # Edit opens the form (words, no more); saving it accepts: refused.
    await slack.click_button(
        channel.id,
        message.ts,
        SuggestionMessage.EDIT,
        user=GUEST,
        block_id=suggestion_block(suggestion),
        value=str(suggestion),
    )
    await settle(warroom)
    view_id = last_view(slack, SuggestionModal.CALLBACK)
    text = {"type": "plain_text_input", "value": "Alice rebuilt the index at 10:05."}
    before, heard = await watched(warroom, statuspage), len(slack.ephemeral_for(GUEST))
    await slack.submit_view(
        view_id, {SuggestionModal.TEXT: {SuggestionModal.TEXT: text}}, user=GUEST
    )
    await settle(warroom)
    said = said_to(slack, GUEST, heard)
    assert await watched(warroom, statuspage) == before, said
    assert REFUSED in said.lower() and "Not accepted" in said, said
    # A member accepts both: the presses were ones that act.
    for action, block, value in presses:
        before = await watched(warroom, statuspage)
        await slack.click_button(
            channel.id, message.ts, action, user=ALICE, block_id=block, value=str(value)
        )
        await settle(warroom)
        assert await watched(warroom, statuspage) != before, action


async def test_a_french_team_tells_its_guest_in_french(
    slack: SlackEmulator, sqlite_url: str, statuspage: FakeStatuspage
) -> None:
    """The refusal is in the team's language (``WARROOM_LANGUAGE=fr``), naming who may."""
    slack.add_user(GUEST, "gus").is_ultra_restricted = True
    async with running_warroom(
        slack, sqlite_url, Clock(T0), **statuspage_settings(statuspage)
    ) as warroom:
        channel = await open_incident(warroom, "Paiements lents")
        before = await watched(warroom, statuspage)
        await slack.send_command("public paiements", user=GUEST, channel=channel.id)
        await settle(warroom)
        said = said_to(slack, GUEST, 0)
        assert "Rien n'a été publié" in said and "Les membres de l'espace de travail" in said
        assert await watched(warroom, statuspage) == before
