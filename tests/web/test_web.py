"""The web view over HTTP: sign-in with Slack, the list and its filters, an incident's page,
private incidents, editing the draft, the JSON API."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import socket
import threading
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import select

from bot.app import ROUTES, create_app
from bot.config import Settings
from bot.record.incident.timeline import add_entry
from bot.server import listen_address
from bot.store.db import session_scope
from bot.store.models import Incident, TimelineKind
from bot.web.alerting.webhooks import source_routes
from bot.web.auth import safe_next
from bot.web.routing import RouteKind
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, _database_threads_ended, running_warroom
from tests.helpers.html_checker import html_errors
from tests.helpers.incidents import declare_incident, open_incident
from tests.helpers.web_view import (
    API_TOKEN,
    browser,
    csrf_of,
    sign_in,
    visible_text,
    web_warroom,
)


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
        await warroom.finish_background()
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
    async with web_warroom(slack, sqlite_url, incidents__announce_channel=general.id) as warroom:
        channel = await declare_incident(slack, "--private Payroll export leaked", pinned=True)
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
        assert "Rolled back &lt;\\!channel&gt;." in markdown
        assert "Written by Alice Moreau" in markdown


async def test_api_with_token_and_openapi(slack: SlackEmulator, sqlite_url: str) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        await open_incident(warroom)
        async with client.get(f"{warroom.url}/api/incidents") as answer:
            assert answer.status == 401
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with client.get(f"{warroom.url}/api/incidents", headers=headers) as answer:
            body = await answer.json()
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert body["total"] == 1 and body["items"][0]["reference"] == "INC-1"
        async with client.get(f"{warroom.url}/api/incidents/INC-1", headers=headers) as answer:
            detail = await answer.json()
        assert detail["timeline"][0]["kind"] == "declared"
        async with client.get(f"{warroom.url}/api/openapi.json") as answer:
            assert (await answer.json())["openapi"].startswith("3.")


async def test_the_api_docs_page_shows_the_whole_document_to_anyone(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    """/api/docs, public as /api/openapi.json is: every operation with its parameters, request
    body and answers, and every schema with each of its fields, linked from the navigation,
    in HTML the W3C checker accepts and with nothing from elsewhere."""
    async with web_warroom(slack, sqlite_url) as warroom, aiohttp.ClientSession() as client:
        async with client.get(f"{warroom.url}/api/openapi.json") as answer:
            document = await answer.json()
        async with client.get(f"{warroom.url}/api/docs", allow_redirects=False) as answer:
            assert answer.status == 200, "the docs need no sign-in, as the JSON document"
            assert answer.content_type == "text/html"
            assert "script-src" not in answer.headers["Content-Security-Policy"]
            page = await answer.text()
    shown = visible_text(page)
    assert '<a href="/api/docs">API</a>' in page, "the navigation links to the docs"
    assert not re.search(r"""(src|href)="(https?:)?//""", page), "something from elsewhere"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in shown
            assert f'id="op-{operation["operationId"]}"' in page
            assert operation["summary"] in shown
            for parameter in operation["parameters"]:
                assert parameter["name"] in shown
            for status, response in operation["responses"].items():
                assert f'<td data-label="Status">{status}</td>' in page
                assert response["description"] in shown
    body = document["paths"]["/api/oncall/{schedule}/overrides"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/OverrideCreate")
    assert 'JSON: <a href="#schema-OverrideCreate">OverrideCreate</a>.' in page
    for name, schema in document["components"]["schemas"].items():
        section = page.split(f'id="schema-{name}"', 1)[1].split("</section>", 1)[0]
        for field in schema.get("properties", {}):
            assert f"<code>{field}</code>" in section, (name, field)
        for value in schema.get("enum", ()):
            assert f"<code>{value}</code>" in section, (name, value)
    assert await html_errors({"api-docs": page}, tmp_path) == []


async def test_with_sign_in_off_everything_shows_and_forms_still_need_their_token(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with running_warroom(slack, sqlite_url, web__auth="none") as warroom:
        general = slack.channel_by_name("general")
        assert general is not None
        await declare_incident(slack, "--private Payroll")
        async with browser() as session:
            async with session.get(f"{warroom.url}/login", allow_redirects=False) as answer:
                assert answer.status == 302 and answer.headers["Location"] == "/"
            async with session.get(f"{warroom.url}/api/incidents/INC-1") as answer:
                assert answer.status == 200 and (await answer.json())["private"] is True
            url = f"{warroom.url}/incidents/INC-1/postmortem/sections/fix"
            async with session.post(url, data={"body": "Rolled back."}) as answer:
                assert answer.status == 403  # no page visited yet: no session, no token
            async with session.get(f"{warroom.url}/incidents/INC-1/postmortem") as answer:
                token = csrf_of(await answer.text())
            async with session.post(url, data={"body": "Rolled back.", "csrf": token}) as answer:
                assert answer.status == 200 and "Rolled back.</textarea>" in await answer.text()
        async with warroom.engine.connect() as connection:
            rows = (
                await connection.exec_driver_sql("SELECT author, body FROM postmortem_edit")
            ).all()
        assert [tuple(row) for row in rows] == [("local", "Rolled back.")]


async def test_a_signed_out_form_post_goes_to_sign_in_then_the_list(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        url = f"{warroom.url}/incidents/INC-1/postmortem/sections/fix"
        async with session.post(url, data={"body": "x"}, allow_redirects=False) as answer:
            assert answer.status == 302 and answer.headers["Location"] == "/login?next=/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/incidents/INC-7?x=1", "/incidents/INC-7?x=1"),
        ("//evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("evil.example", "/"),
        ("", "/"),
    ],
)
def test_after_sign_in_only_paths_of_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


async def test_sign_in_refuses_forged_cookies_wrong_state_and_other_workspaces(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        async with browser() as session:
            await sign_in(session, warroom, ALICE)
            cookie = next(c for c in session.cookie_jar if c.key == "warroom_session")
            body, mac = cookie.value.split(".")
        async with aiohttp.ClientSession() as client:
            forged = {"Cookie": f"warroom_session={body}.{mac[:-2]}AA"}
            async with client.get(f"{warroom.url}/", headers=forged, allow_redirects=False) as r:
                assert r.status == 302 and r.headers["Location"].startswith("/login")
            # A callback that is not this browser's sign-in (no state cookie, or another state).
            url = f"{warroom.url}/auth/slack/callback?code=x&state=y"
            async with client.get(url, allow_redirects=False) as answer:
                assert answer.headers["Location"] == "/login?failed=expired"
        slack.team_id = "T0OTHER"  # the person signs in to another workspace than the bot's
        async with browser() as stranger:
            async with stranger.get(f"{warroom.url}/auth/slack", allow_redirects=False) as a:
                # Slack's page lets a person pick another workspace than the one asked for.
                authorize = re.sub(r"&team=[^&]*", "", a.headers["Location"])
            async with stranger.get(f"{authorize}&login_hint={BOB}", allow_redirects=False) as a:
                callback = a.headers["Location"]
            async with stranger.get(callback, allow_redirects=False) as answer:
                assert answer.headers["Location"] == "/login?failed=workspace"


async def test_sign_out_needs_the_form_token_and_ends_the_browser_session(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/") as answer:
            token = csrf_of(await answer.text())
        async with session.post(f"{warroom.url}/logout", data={}) as answer:
            assert answer.status == 403
        async with session.post(f"{warroom.url}/logout", data={"csrf": token}) as answer:
            assert answer.url.path == "/login"
        async with session.get(f"{warroom.url}/", allow_redirects=False) as answer:
            assert answer.status == 302


async def test_a_private_incident_is_hidden_everywhere_from_non_members(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    general = slack.channel_by_name("general")
    assert general is not None
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await declare_incident(slack, "--private Payroll", pinned=True)
        said = await slack.post_message(channel.id, "Payroll export cron is a dead end", user=ALICE)
        await slack.add_reaction(channel.id, said.ts, "x", user=ALICE)
        await slack.drain()
        async with browser() as carol:
            await sign_in(carol, warroom, CAROL)
            for path in ("/incidents/INC-1/history", "/incidents/INC-1/postmortem.md"):
                async with carol.get(warroom.url + path) as answer:
                    assert answer.status == 404, path
            async with carol.get(f"{warroom.url}/") as answer:
                token = csrf_of(await answer.text())
            url = f"{warroom.url}/incidents/INC-1/postmortem/sections/fix"
            async with carol.post(url, data={"body": "x", "csrf": token}) as answer:
                assert answer.status == 404
            async with carol.get(f"{warroom.url}/insights") as answer:
                assert "dead end" not in await answer.text()
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/insights") as answer:
                assert "dead end" in await answer.text()


async def test_with_sign_in_off_only_requests_to_this_machine_are_answered(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        running_warroom(slack, sqlite_url, web__auth="none") as warroom,
        aiohttp.ClientSession() as client,
    ):
        rebound = {"Host": "attacker.example"}
        async with client.get(f"{warroom.url}/api/incidents", headers=rebound) as answer:
            assert answer.status == 421
        async with client.get(f"{warroom.url}/healthz", headers=rebound) as answer:
            assert answer.status == 200  # not the web view: load balancers may ask
        async with client.get(f"{warroom.url}/api/incidents") as answer:
            assert answer.status == 200


async def test_with_sign_in_off_every_route_is_answered_as_its_kind_says(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Issue 24, item 7: the loopback rule goes by the route table, not by a list of paths, so
    a tracker's webhook (from a proxy or tunnel, under the public name) is not refused 421."""
    secret = "tracker-webhook-secret-0123456789"
    trackers = Settings.from_env({"WARROOM_GITHUB_WEBHOOK_SECRET": secret}).trackers
    samples = {"reference": "INC-1", "section": "fix", "source": "generic", "tracker": "github"}
    samples |= {"schedule": "payments-primary", "user": "U0ALICE", "override": "1"}
    samples |= {
        "window": "1",
        "alert": "1",
        "name": "nightly",  # a heartbeat's, a token's or a contact method's name
        "suggestion": "1",
        "token": "x" * 43,
    }
    samples |= {
        "item": "1",
        "policy": "payments",
        "note": "1",
        "service": "checkout",
        "identifier": "an-alias",
        "requestId": "a-request",
        "key": "an-integration-key",
        "integration": "acme-github",
        "entry": "1",
        "grade": "1",
        "leave": "1",
    }
    public = {"Host": "warroom.example.com"}
    # The table, and the alert sources' own paths the registry adds (PagerDuty's /v2/enqueue).
    table = [*ROUTES, *source_routes()]
    async with (
        running_warroom(slack, sqlite_url, web__auth="none", trackers=trackers) as warroom,
        aiohttp.ClientSession() as client,
    ):
        registered = {resource.canonical for resource in warroom.app.router.resources()}
        assert registered == {route.canonical for route in table}, "a route outside the table"
        for route in table:
            path = route.canonical.format_map(samples)
            async with client.request(route.method, warroom.url + path, headers=public) as answer:
                refused = answer.status == 421
            assert refused == (route.kind is not RouteKind.MACHINE), (route, answer.status)
        body = json.dumps({"action": "opened", "issue": {"id": 1}}).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {**public, "X-GitHub-Event": "issues", "X-Hub-Signature-256": signature}
        url = f"{warroom.url}/trackers/github"
        async with client.post(url, data=body, headers=headers) as answer:
            assert (answer.status, await answer.json()) == (200, {"status": "ignored"})


def sign_in_off(slack: SlackEmulator, database_url: str) -> Settings:
    """Settings of a bot with sign-in off, for tests that build the application themselves."""
    return Settings().changed(
        slack__bot_token=slack.bot_token,
        slack__signing_secret=slack.signing_secret,
        slack__api_url=slack.base_url,
        runtime__database_url=database_url,
        web__auth="none",
    )


async def test_a_route_added_outside_the_table_is_taken_for_a_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Fail closed: a route someone adds around the table gets the loopback rule."""
    settings = sign_in_off(slack, sqlite_url)
    app = create_app(settings)

    async def extra(request: web.Request) -> web.Response:
        return web.Response(text="incident data")

    app.router.add_get("/extra", extra)
    earlier = set(threading.enumerate())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/extra"
        async with aiohttp.ClientSession() as client:
            async with client.get(url, headers={"Host": "attacker.example"}) as answer:
                assert answer.status == 421
            async with client.get(url) as answer:
                assert answer.status == 200
    finally:
        await runner.cleanup()
        await _database_threads_ended(earlier)


def _address_beyond_loopback() -> str | None:
    """This machine's address on the interface a route out would take (nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the interface
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


async def test_with_sign_in_off_the_web_view_answers_only_this_machine_on_every_address(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Issue 29, point 6: with sign-in off, ``serve --host 0.0.0.0`` (a container's) listens
    there, so a published port reaches Slack's endpoint and /healthz; the pages and the API
    still answer only requests from this machine, whatever Host header they carry."""
    beyond = _address_beyond_loopback()
    if beyond is None:
        pytest.skip("SKIPPED: this machine has no address beyond loopback to ask from")
    settings = sign_in_off(slack, sqlite_url)
    assert listen_address(settings, "0.0.0.0") == "0.0.0.0"
    earlier = set(threading.enumerate())
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, listen_address(settings, "0.0.0.0"), 0)
    await site.start()
    port = runner.addresses[0][1]
    loopback = {"Host": f"127.0.0.1:{port}"}
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/api/incidents") as answer:
                assert answer.status == 200
            outside = f"http://{beyond}:{port}"
            async with client.get(f"{outside}/api/incidents", headers=loopback) as answer:
                assert answer.status == 421
            async with client.get(f"{outside}/", headers=loopback) as answer:
                assert answer.status == 421
            async with client.get(f"{outside}/healthz") as answer:
                assert answer.status == 200
    finally:
        await runner.cleanup()
        await _database_threads_ended(earlier)


async def test_a_web_edit_quietly_brings_the_channel_canvas_up_to_date(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await slack.send_command("resolve", user=ALICE, channel=channel.id)
        await warroom.finish_background()
        await warroom.run_jobs()
        [canvas] = slack.canvases.values()
        messages = len(channel.messages)
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            token = csrf_of(await answer.text())
        url = f"{warroom.url}/incidents/INC-1/postmortem/sections/fix"
        async with session.post(url, data={"body": "Rolled back the deploy.", "csrf": token}):
            pass
        await warroom.run_jobs()
        assert "Rolled back the deploy." in canvas["markdown"]
        assert len(channel.messages) == messages  # no new message for an edit


async def test_a_long_timeline_is_read_a_page_at_a_time(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """The incident page shows 500 entries at a time, oldest first, and never writes the
    postmortem (a page of its own): 1,201 entries make three pages."""
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        await open_incident(warroom)
        async with session_scope(warroom.engine) as session_db:
            incident = (await session_db.exec(select(Incident))).one()
            start = incident.declared_at
            for number in range(1, 1201):
                add_entry(
                    session_db,
                    incident,
                    kind=TimelineKind.KEY_EVENT,
                    text=f"step {number:04d}",
                    author=ALICE,
                    occurred_at=start + timedelta(seconds=number),
                )
            await session_db.commit()
        await sign_in(session, warroom, ALICE)

        pages = []
        for number in (1, 2, 3):
            async with session.get(f"{warroom.url}/incidents/INC-1?timeline={number}") as answer:
                assert answer.status == 200
                pages.append(await answer.text())
        async with session.get(f"{warroom.url}/incidents/INC-1?timeline=0") as answer:
            refused = answer.status

    steps = [re.findall(r"step (\d{4})", page) for page in pages]
    assert [len(found) for found in steps] == [499, 500, 201]  # and the declaration's entry
    assert steps[0][0] == "0001" and steps[2][-1] == "1200"
    assert "Entries 1 to 500 of 1201, oldest first." in pages[0]
    assert 'href="?timeline=2#timeline">Later' in pages[0] and "Earlier" not in pages[0]
    assert 'href="?timeline=2#timeline">← Earlier' in pages[2] and "Later →" not in pages[2]
    assert all('id="draft"' not in page for page in pages)
    assert 'href="/incidents/INC-1/postmortem">Read the draft' in pages[0]
    assert refused == 400


async def test_the_incident_page_lists_earlier_incidents_of_its_service_and_why(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    from bot.store.models import IncidentFieldValue

    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        first = await open_incident(warroom, "Checkout returns 500s")
        await slack.send_command(
            "action @bob Add a canary for checkout", user=ALICE, channel=first.id
        )
        warroom.clock.now += timedelta(days=2)
        await open_incident(warroom, "Checkout slow again")
        warroom.clock.now += timedelta(days=1)
        await open_incident(warroom, "Search is down")
        await warroom.finish_background()
        # The incident types' custom field `service` (set as /incident set service would).
        async with session_scope(warroom.engine) as db:
            for number, service in ((1, "checkout"), (2, "checkout"), (3, "search")):
                incident = (await db.exec(select(Incident).where(Incident.number == number))).one()
                db.add(IncidentFieldValue(incident_id=incident.id, field="service", value=service))
            await db.commit()
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/incidents/INC-2") as answer:
            page = await answer.text()
        assert answer.status == 200, page
        related = visible_text(page).split("Related incidents")[1].split("Postmortem draft")[0]
        assert "INC-1 Checkout returns 500s" in related
        assert "shares service checkout" in related
        assert "1 follow-up still open" in related
        assert "INC-3" not in related and 'href="/incidents/INC-1"' in page
        # The first of its service has nothing earlier: no section at all.
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            assert "Related incidents" not in await answer.text()
