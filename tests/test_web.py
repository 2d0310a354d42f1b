"""The web view over HTTP: sign-in with Slack, the list and its filters, an incident's page,
private incidents, editing the draft, the JSON API."""

from __future__ import annotations

import aiohttp

from bot.emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, open_incident
from tests.web import API_TOKEN, browser, csrf_of, sign_in, web_warroom


async def test_a_stranger_is_sent_to_sign_in_and_comes_back_signed_in(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        async with session.get(f"{warroom.url}/", allow_redirects=False) as answer:
            assert answer.status == 302
            assert answer.headers["Location"].startswith("/login?next=/")
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/") as answer:
            page = await answer.text()
        assert answer.status == 200
        assert "Alice Moreau" in page and "No incidents yet" in page
        cookie = next(c for c in session.cookie_jar if c.key == "warroom_session")
        assert cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_list_filter_and_incident_page(slack: SlackEmulator, sqlite_url: str) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom, "Checkout returns 500s")
        await slack.post_message(channel.id, "Orders DB looks slow?", user=BOB)
        await slack.send_command("sev 1", user=ALICE, channel=channel.id)
        await slack.drain()
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/?severity=SEV1") as answer:
            listed = await answer.text()
        assert "INC-1" in listed and "Checkout returns 500s" in listed
        async with session.get(f"{warroom.url}/?severity=SEV2") as answer:
            assert "INC-1" not in await answer.text()
        async with session.get(f"{warroom.url}/?from=yesterday") as answer:
            assert answer.status == 400
            assert "2026-03-14" in await answer.text()
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            page = await answer.text()
        assert answer.status == 200
        assert "Postmortem draft" in page and "Time to acknowledge" in page
        async with session.get(f"{warroom.url}/incidents/INC-1/history") as answer:
            assert "Orders DB looks slow?" in await answer.text()
        async with session.get(f"{warroom.url}/incidents/INC-1/postmortem.md") as answer:
            markdown = await answer.text()
        assert markdown.startswith("# Postmortem: INC-1 Checkout returns 500s")
        async with session.get(f"{warroom.url}/insights") as answer:
            insights = await answer.text()
        assert answer.status == 200 and "<svg" in insights


async def test_private_incident_is_404_outside_its_channel(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    general = slack.channel_by_name("general")
    assert general is not None
    async with web_warroom(slack, sqlite_url, announce_channel=general.id) as warroom:
        await slack.send_command(
            "start --private Payroll export leaked", user=ALICE, channel=general.id
        )
        channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None)
        )
        await slack.wait_for(lambda: channel.pins)
        assert channel.is_private and CAROL not in channel.members
        # Its title alone may say too much: a private incident is never announced.
        assert not any("Payroll" in message.text for message in general.messages)
        async with browser() as carol:
            await sign_in(carol, warroom, CAROL)
            async with carol.get(f"{warroom.url}/incidents/INC-1") as answer:
                assert answer.status == 404
            async with carol.get(f"{warroom.url}/api/incidents/INC-1") as answer:
                assert answer.status == 404
            async with carol.get(f"{warroom.url}/") as answer:
                assert "Payroll" not in await answer.text()
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
                assert answer.status == 200


async def test_edit_a_section_and_keep_it(slack: SlackEmulator, sqlite_url: str) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            token = csrf_of(await answer.text())
        url = f"{warroom.url}/incidents/INC-1/postmortem/sections/fix"
        async with session.post(url, data={"body": "Rolled back.", "csrf": "forged"}) as answer:
            assert answer.status == 403
        async with session.post(
            url, data={"body": "Rolled back <!channel>.", "csrf": token}
        ) as answer:
            page = await answer.text()
        assert answer.status == 200 and "Saved." in page
        # The textarea shows the text as written; the draft shows it as text, never a mention.
        assert "Rolled back &lt;!channel&gt;.</textarea>" in page
        await slack.send_command("resolve done", user=ALICE, channel=channel.id)
        await slack.drain()
        await warroom.run_jobs()
        async with session.get(f"{warroom.url}/api/incidents/INC-1/postmortem") as answer:
            markdown = await answer.text()
        assert "Rolled back &lt;!channel&gt;." in markdown
        assert "Written by Alice Moreau" in markdown


async def test_api_with_token_and_openapi(slack: SlackEmulator, sqlite_url: str) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        await open_incident(warroom)
        async with client.get(f"{warroom.url}/api/incidents") as answer:
            assert answer.status == 401
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with client.get(f"{warroom.url}/api/incidents", headers=headers) as answer:
            body = await answer.json()
        assert body["total"] == 1 and body["items"][0]["reference"] == "INC-1"
        async with client.get(f"{warroom.url}/api/incidents/INC-1", headers=headers) as answer:
            detail = await answer.json()
        assert detail["timeline"][0]["kind"] == "declared"
        async with client.get(f"{warroom.url}/api/openapi.json") as answer:
            assert (await answer.json())["openapi"].startswith("3.")
