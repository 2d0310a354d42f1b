"""Incident types and custom fields end to end: signed requests into the real server, Slack
played by the emulator, the web view and the API read over HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.basics.slack_ids import field_input
from bot.record.escalation.policies import parse_policies
from bot.record.incident import fields
from bot.record.incident.incident_types import (
    IncidentTypes,
    IncidentTypesError,
    parse_incident_types,
)
from bot.store.db import session_scope
from bot.store.models import Escalation, Incident, IncidentFieldChange, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import declare_incident, settle
from tests.helpers.web_view import API_TOKEN

POLICIES = parse_policies({"policies": {"payments": {"levels": [{"targets": [{"user": CAROL}]}]}}})


def types_file(status_channel: str) -> IncidentTypes:
    return parse_incident_types(
        {
            "fields": {
                "customer_impact": {
                    "type": "select",
                    "label": "Customer impact",
                    "options": ["none", "degraded", "outage"],
                    "required_at": "resolve",
                },
                "regions": {"type": "multi_select", "label": "Regions", "options": ["eu", "us"]},
                "affected_users": {"type": "number", "label": "Affected users"},
                "owner": {"type": "user", "label": "Owning engineer"},
                "notes": {"type": "text", "label": "Notes"},
                "breach_vector": {
                    "type": "select",
                    "label": "Breach vector",
                    "options": ["phishing", "leaked key"],
                    "required_at": "declare",
                },
            },
            "types": {
                "customer-facing": {
                    "description": "Customers can see it",
                    "fields": ["customer_impact"],
                    "severity": "SEV2",
                    "announce_channel": status_channel,
                    "policy": "payments",
                    "required_roles": ["comms"],  # the payment outage seed's comms role
                },
                "security": {
                    "description": "A security event",
                    "private": True,
                    "severity": "SEV1",
                    "required_roles": ["comms"],
                    "postmortem_style": "atlassian",
                },
                "data-loss": {"fields": ["breach_vector"]},
            },
        }
    )


@dataclass
class Typed:
    warroom: Warroom
    slack: SlackEmulator
    general: Channel
    status: Channel


@pytest.fixture
async def typed(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[Typed]:
    status = slack.create_channel("status-updates", creator=ALICE, members=[slack.bot_user_id])
    general = slack.channel_by_name("general")
    assert general is not None
    async with running_warroom(
        slack,
        sqlite_url,
        incidents__types=types_file(status.id),
        escalation__policies=POLICIES,
        web__auth="none",
        web__api_token=API_TOKEN,
    ) as warroom:
        yield Typed(warroom, slack, general, status)


async def start(typed: Typed, title: str, user: str = ALICE) -> Channel:
    """``/incident start <title>`` from #general as ``user``; its channel once pinned and
    settled."""
    channel = await declare_incident(typed.slack, title, user=user, pinned=True)
    await settle(typed.warroom)
    return channel


async def command(typed: Typed, channel: Channel, text: str, user: str = ALICE) -> None:
    await typed.slack.send_command(text, user=user, channel=channel.id)
    await settle(typed.warroom)


async def incident_of(typed: Typed, channel: Channel) -> Incident:
    async with session_scope(typed.warroom.engine) as session:
        found = (
            await session.exec(select(Incident).where(Incident.channel_id == channel.id))
        ).one()
    return found


async def values(typed: Typed, channel: Channel) -> dict[str, Any]:
    incident = await incident_of(typed, channel)
    types = typed.warroom.services.settings.incidents.types
    async with session_scope(typed.warroom.engine) as session:
        return await fields.values_of(session, incident.id or 0, types.fields)


def header(channel: Channel) -> Any:
    return next(m for m in channel.messages if m.ts in channel.pins)


def replies(slack: SlackEmulator, user: str = ALICE) -> list[str]:
    return [m.text for m in slack.ephemeral_for(user)]


@pytest.mark.parametrize(
    "text",
    [
        "start --type security --private sev2 Leaked key",
        "start sev2 --private --type=security Leaked key",
        "start --private sev2 --type SECURITY Leaked key",
    ],
)
async def test_start_takes_its_options_in_any_order(typed: Typed, text: str) -> None:
    channel = await start(typed, text.removeprefix("start "))
    incident = await incident_of(typed, channel)
    assert (incident.title, incident.severity, incident.incident_type) == (
        "Leaked key",
        "SEV2",  # said in the command: the type's SEV1 gives way
        "security",
    )
    assert incident.is_private and channel.is_private


async def test_a_type_s_defaults_apply_at_declaration(typed: Typed) -> None:
    channel = await start(typed, "--type customer-facing Checkout returns 500s")
    incident = await incident_of(typed, channel)
    assert (incident.severity, incident.is_private, incident.policy) == ("SEV2", False, "payments")
    assert CAROL in channel.members, "the type's escalation policy brought its level 1 in"
    async with session_scope(typed.warroom.engine) as session:
        (escalation,) = (await session.exec(select(Escalation))).all()
    assert escalation.why == {"because": "type", "type": "customer-facing", "policy": "payments"}
    # Announced in the type's own channel.
    assert any(incident.reference in m.text for m in typed.status.messages)
    assert "*Type:* customer-facing" in header(channel).text

    secret = await start(typed, "--type security Payroll export leaked")
    private = await incident_of(typed, secret)
    assert (private.severity, private.is_private, secret.is_private) == ("SEV1", True, True)
    assert private.postmortem_style == "atlassian"
    assert not any(private.reference in m.text for m in typed.status.messages)
    assert "*Needed:* comms" in header(secret).text
    # The required role is reminded, like updates, until someone holds it.
    await typed.warroom.advance(minutes=31)
    assert any("needs *comms*" in m.text for m in secret.messages)
    await command(typed, secret, "role comms @bob")
    reminded = sum("needs *comms*" in m.text for m in secret.messages)
    await typed.warroom.advance(minutes=31)
    assert sum("needs *comms*" in m.text for m in secret.messages) == reminded
    assert "*Needed:*" not in header(secret).text


async def test_an_unknown_type_is_refused_naming_the_types(typed: Typed) -> None:
    await typed.slack.send_command(
        "start --type outage Checkout", user=ALICE, channel=typed.general.id
    )
    await settle(typed.warroom)
    assert any(
        "no incident type 'outage'" in text and "customer-facing" in text
        for text in replies(typed.slack)
    )
    assert not [c for c in typed.slack.channels.values() if c.name.startswith("inc-")]


async def test_changing_the_type_is_recorded_and_never_makes_private_public(typed: Typed) -> None:
    secret = await start(typed, "--private Payroll export leaked")
    await command(typed, secret, "type customer-facing", user=BOB)
    incident = await incident_of(typed, secret)
    assert incident.incident_type == "customer-facing" and incident.is_private
    assert secret.is_private
    async with session_scope(typed.warroom.engine) as session:
        entries = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "type"))
        ).all()
    assert [(e.author, e.facts) for e in entries] == [
        (BOB, {"type": "customer-facing", "previous_type": None})
    ]
    assert not any(incident.reference in m.text for m in typed.status.messages)

    public = await start(typed, "Checkout slow")
    await command(typed, public, "type security")
    assert any("stays in its public channel" in m.text for m in public.messages)
    assert not (await incident_of(typed, public)).is_private

    await command(typed, public, "type nonsense")
    assert any("no type 'nonsense'" in text for text in replies(typed.slack))


async def test_set_takes_each_kind_of_field_and_refuses_what_it_cannot_be(typed: Typed) -> None:
    channel = await start(typed, "--type customer-facing Checkout returns 500s")
    await command(typed, channel, "set customer_impact Outage")
    await command(typed, channel, "set regions us, eu")
    await command(typed, channel, "set affected_users 1200")
    await command(typed, channel, "set owner @bob")
    await command(typed, channel, "set notes Card payments & refunds <fail>")
    assert await values(typed, channel) == {
        "customer_impact": "outage",
        "regions": ["eu", "us"],
        "affected_users": 1200,
        "owner": BOB,
        "notes": "Card payments &amp; refunds &lt;fail&gt;",  # Slack text, as kept
    }
    shown = header(channel).text
    assert "*Customer impact:* outage" in shown and f"*Owning engineer:* <@{BOB}>" in shown
    assert "Card payments &amp; refunds &lt;fail&gt;" in shown  # encoded once, not twice
    await command(typed, channel, "set customer_impact down")
    await command(typed, channel, "set affected_users lots")
    await command(typed, channel, "set owner bob")
    await command(typed, channel, "set severity_level 2")
    said = replies(typed.slack)
    assert any("customer_impact is one of none, degraded, outage" in t for t in said)
    assert any("affected_users is a number" in t for t in said)
    assert any("owner is a person" in t for t in said)
    assert any("no field 'severity_level'" in t for t in said)
    await command(typed, channel, "set customer_impact degraded", user=BOB)
    async with session_scope(typed.warroom.engine) as session:
        changes = (
            await session.exec(
                select(IncidentFieldChange).where(IncidentFieldChange.field == "customer_impact")
            )
        ).all()
    assert [(c.previous, c.value, c.changed_by) for c in changes] == [
        (None, "outage", ALICE),
        ("outage", "degraded", BOB),
    ]
    assert any("*Customer impact* set to degraded (was outage)" in m.text for m in channel.messages)


async def test_edit_fields_from_the_header(typed: Typed) -> None:
    channel = await start(typed, "--type customer-facing Checkout returns 500s")
    pinned = header(channel)
    answer = await typed.slack.click_button(channel.id, pinned.ts, "edit_fields_button", user=BOB)
    assert answer.status == 200
    view_id, view = await typed.slack.wait_for(
        lambda: next(
            ((i, v) for i, v in typed.slack.views.items() if v["callback_id"] == "edit_fields"),
            None,
        )
    )
    asked = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert field_input("customer_impact") in asked and field_input("breach_vector") not in asked
    bad = await typed.slack.submit_view(
        view_id,
        {
            field_input("affected_users"): {
                field_input("affected_users"): {"type": "number_input", "value": "12x"}
            }
        },
        user=BOB,
    )
    assert field_input("affected_users") in bad.json()["errors"]
    submitted = await typed.slack.submit_view(
        view_id,
        {
            field_input("customer_impact"): {
                field_input("customer_impact"): {
                    "type": "static_select",
                    "selected_option": {"value": "degraded"},
                }
            },
            field_input("affected_users"): {
                field_input("affected_users"): {"type": "number_input", "value": "2.5"}
            },
        },
        user=BOB,
    )
    assert submitted.status == 200 and submitted.text == ""
    await settle(typed.warroom)
    assert await values(typed, channel) == {"customer_impact": "degraded", "affected_users": 2.5}
    assert "*Customer impact:* degraded" in header(channel).text


async def test_resolving_asks_for_missing_fields_then_resolves(typed: Typed) -> None:
    channel = await start(typed, "--type customer-facing Checkout returns 500s")
    await command(typed, channel, "resolve Rolled back")
    assert (await incident_of(typed, channel)).is_open
    assert any("not resolved yet" in t and "Customer impact" in t for t in replies(typed.slack))
    view_id, view = await typed.slack.wait_for(
        lambda: next(
            (
                (i, v)
                for i, v in typed.slack.views.items()
                if v["callback_id"] == "resolve_with_fields"
            ),
            None,
        )
    )
    (block,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert block["block_id"] == field_input("customer_impact") and not block["optional"]
    empty = await typed.slack.submit_view(view_id, {}, user=ALICE)
    assert empty.status == 200 and empty.text  # an error to answer, not a closed form
    submitted = await typed.slack.submit_view(
        view_id,
        {
            field_input("customer_impact"): {
                field_input("customer_impact"): {
                    "type": "static_select",
                    "selected_option": {"value": "outage"},
                }
            }
        },
        user=ALICE,
    )
    assert submitted.status == 200 and submitted.text == ""
    await settle(typed.warroom)
    incident = await incident_of(typed, channel)
    assert not incident.is_open
    assert await values(typed, channel) == {"customer_impact": "outage"}


async def test_a_guest_resolves_nothing_through_the_fields_form(typed: Typed) -> None:
    """Resolving stands the pages down and asks the team's model: the form that
    asks the missing fields resolves nothing for a guest of the workspace, who is told so
    privately, naming who may."""
    channel = await start(typed, "--type customer-facing Checkout returns 500s")
    typed.slack.add_user("U0GUEST", "gus").is_ultra_restricted = True
    channel.members.add("U0GUEST")
    await command(typed, channel, "resolve Rolled back", user="U0GUEST")
    view_id = next(
        i for i, v in typed.slack.views.items() if v["callback_id"] == "resolve_with_fields"
    )
    impact = {"type": "static_select", "selected_option": {"value": "outage"}}
    submitted = await typed.slack.submit_view(
        view_id,
        {field_input("customer_impact"): {field_input("customer_impact"): impact}},
        user="U0GUEST",
    )
    assert submitted.status == 200
    await settle(typed.warroom)
    assert (await incident_of(typed, channel)).is_open
    said = "\n".join(replies(typed.slack, "U0GUEST"))
    assert "Not resolved" in said and "guests of the workspace" in said, said
    assert "members" in said


async def test_the_declare_form_shows_the_chosen_type_s_fields(typed: Typed) -> None:
    slack = typed.slack
    await slack.send_command(
        "start --type data-loss Backups gone", user=ALICE, channel=typed.general.id
    )
    await settle(typed.warroom)
    assert any("needs *Breach vector* first" in t for t in replies(slack))
    view_id, view = await slack.wait_for(lambda: next(iter(slack.views.items()), None))
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[field_input("breach_vector")]["optional"] is False
    assert blocks["title"]["element"]["initial_value"] == "Backups gone"
    assert blocks["incident_type"]["element"]["initial_option"]["value"] == "data-loss"
    # Choosing another type updates the form: its fields, its severity, its privacy.
    answer = await slack.choose_in_view(
        view_id,
        "incident_type",
        {"type": "static_select", "selected_option": {"value": "customer-facing"}},
        user=ALICE,
        values={"title": {"title": {"type": "plain_text_input", "value": "Backups gone"}}},
    )
    assert answer.status == 200
    await settle(typed.warroom)
    view = slack.views[view_id]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert field_input("breach_vector") not in blocks
    assert blocks[field_input("customer_impact")]["optional"] is True  # asked at resolve
    assert blocks["severity"]["element"]["initial_option"]["value"] == "SEV2"
    submitted = await slack.submit_view(
        view_id,
        {
            "title": {"title": {"type": "plain_text_input", "value": "Backups gone"}},
            "incident_type": {
                "incident_type": {
                    "type": "static_select",
                    "selected_option": {"value": "customer-facing"},
                }
            },
            "severity": {
                "severity": {"type": "static_select", "selected_option": {"value": "SEV2"}}
            },
            field_input("customer_impact"): {
                field_input("customer_impact"): {
                    "type": "static_select",
                    "selected_option": {"value": "degraded"},
                }
            },
        },
        user=ALICE,
    )
    assert submitted.status == 200 and submitted.text == ""
    channel: Channel = await slack.wait_for(
        lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None)
    )
    await slack.wait_for(lambda: channel.pins)
    await settle(typed.warroom)
    incident = await incident_of(typed, channel)
    assert (incident.incident_type, incident.severity) == ("customer-facing", "SEV2")
    assert await values(typed, channel) == {"customer_impact": "degraded"}


async def test_a_type_picked_twice_quickly_or_after_closing_the_form_is_no_error(
    typed: Typed, caplog: pytest.LogCaptureFixture
) -> None:
    """Two picks at once carry the same hash: the second update finds the form changed
    (``hash_conflict``); a pick whose form was closed meanwhile finds it gone (``not_found``).
    Each is answered like any pick (HTTP 200), and nothing is logged as an error."""
    slack = typed.slack
    await slack.send_command(
        "start --type data-loss Backups gone", user=ALICE, channel=typed.general.id
    )
    view_id, _ = await slack.wait_for(lambda: next(iter(slack.views.items()), None))

    def pick(kind: str) -> Any:
        selected = {"type": "static_select", "selected_option": {"value": kind}}
        return slack.choose_in_view(view_id, "incident_type", selected, user=ALICE)

    async def close() -> None:
        slack.close_view(view_id)

    with caplog.at_level(logging.ERROR):
        answers = await asyncio.gather(pick("customer-facing"), pick("security"))
        await settle(typed.warroom)
        assert [c.error for c in slack.calls_to("views.update")] == [None, "hash_conflict"]
        closed, _ = await asyncio.gather(pick("customer-facing"), close())
        await settle(typed.warroom)
        assert slack.calls_to("views.update")[-1].error == "not_found"
    assert [a.status for a in [*answers, closed]] == [200, 200, 200]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_draft_web_api_and_insights_show_the_fields(typed: Typed) -> None:
    first = await start(typed, "--type customer-facing Checkout returns 500s")
    await command(typed, first, "set customer_impact outage")
    await command(typed, first, "set owner @bob")
    second = await start(typed, "--type customer-facing Search slow")
    await command(typed, second, "set customer_impact degraded")
    await start(typed, "Disk filling")
    await command(typed, first, "resolve Rolled back")
    await settle(typed.warroom)
    reference = (await incident_of(typed, first)).reference
    url = typed.warroom.url
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_TOKEN}"}) as http:
        async with http.get(f"{url}/api/incidents/{reference}/postmortem") as answer:
            draft = await answer.text()
        assert "| Type | customer-facing |" in draft
        assert "| Customer impact | outage |" in draft and "| Owning engineer | Bob" in draft
        async with http.get(f"{url}/api/incidents/{reference}") as answer:
            body = await answer.json()
        assert body["type"] == "customer-facing"
        assert body["fields"] == {"customer_impact": "outage", "owner": BOB}
        async with http.get(f"{url}/api/incidents?field.customer_impact=OUTAGE") as answer:
            listed = await answer.json()
        assert [item["reference"] for item in listed["items"]] == [reference]
        async with http.get(f"{url}/api/incidents?type=customer-facing") as answer:
            assert (await answer.json())["total"] == 2
        async with http.get(f"{url}/api/incidents?field.customer_impact=down") as answer:
            assert (
                answer.status == 400
                and "none, degraded, outage" in (await answer.json())["message"]
            )
        async with http.get(f"{url}/api/openapi.json") as answer:
            document = await answer.json()
        summary = document["components"]["schemas"]["IncidentSummaryPublic"]["properties"]
        assert {"type", "fields"} <= set(summary)
        parameters = document["paths"]["/api/incidents"]["get"]["parameters"]
        named = {p["name"]: p for p in parameters}
        assert "type" in named
        # Each custom field's filter, with its options where it has them.
        assert named["field.customer_impact"]["schema"]["enum"] == ["none", "degraded", "outage"]
        assert named["field.affected_users"]["schema"] == {"type": "number"}
        assert {"field.regions", "field.owner", "field.notes"} <= set(named)
        async with http.get(f"{url}/?field.customer_impact=degraded") as answer:
            page = await answer.text()
        assert "Search slow" in page and "Checkout returns 500s" not in page
        async with http.get(f"{url}/incidents/{reference}") as answer:
            page = await answer.text()
        assert "Customer impact" in page and "outage" in page
        async with http.get(f"{url}/insights") as answer:
            insights = await answer.text()
    table = insights[insights.index('id="counts-customer_impact"') :].split("</table>")[0]
    count_cell = '<td data-label="Incidents">'  # the count column, named for phones
    assert count_cell in table
    rows = [row for row in table.split("<tr>") if "</td>" in row]
    counts = {
        row.split("</a>")[0].split(">")[-1] if "</a>" in row else "not set": row.split(count_cell)[
            -1
        ].split("</td>")[0]
        for row in rows
    }
    assert counts == {"none": "0", "degraded": "1", "outage": "1", "not set": "1"}


async def test_the_declare_form_has_no_type_select_without_types(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url):
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("", user=ALICE, channel=general.id)
        await slack.wait_for(lambda: slack.views)
    (view,) = slack.views.values()
    assert "incident_type" not in {b.get("block_id") for b in view["blocks"]}


async def test_a_type_asking_the_most_fields_that_fit_opens_its_form_and_more_is_refused(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Slack refuses a form over 250 KB (the emulator too). Ten selects of 100 options of 75
    characters fit and the form opens with every one; an eleventh is refused when the types
    file is read, naming the type and the form's size."""
    options = [f"{n:02d}" + "x" * 73 for n in range(100)]

    def document(count: int) -> dict[str, object]:
        fields = {
            f"f{n}": {
                "type": "select",
                "label": f"Field {n}",
                "options": options,
                "required_at": "declare",  # so declaring opens the form
            }
            for n in range(count)
        }
        return {"fields": fields, "types": {"big": {"fields": list(fields)}}}

    with pytest.raises(IncidentTypesError) as refused:
        parse_incident_types(document(11))
    assert "types: big: its declare form would be about" in str(refused.value)
    assert "of Slack's 250 KB" in str(refused.value)
    types = parse_incident_types(document(10))
    async with running_warroom(slack, sqlite_url, incidents__types=types):
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("start --type big Everything", user=ALICE, channel=general.id)
        opened = await slack.wait_for(lambda: slack.calls_to("views.open"))
    assert opened[-1].ok, opened[-1].error
    (view,) = slack.views.values()
    asked = [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("field")]
    assert len(asked) == 10, "every field the type asks is in the form"
