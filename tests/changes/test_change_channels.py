"""Change events heard in the team's change channels and from Argo CD, and put beside every
paged alert and declared incident, at the protocol boundary: the
Slack emulator delivers, signed, the messages apps post in #deploys (each in its sender's
documented shape: ``tests/payloads/vendors/slack_change_notifications.json`` cites each);
Argo CD's webhook service posts its notification over HTTP with an integration's key; an
alert pages and an incident is declared through the emulator and Alertmanager's webhook,
and the one message beside each is read where Slack shows it.

Argo CD's webhook service and template body:
https://argo-cd.readthedocs.io/en/stable/operator-manual/notifications/services/webhook/ and
https://argo-cd.readthedocs.io/en/stable/operator-manual/notifications/templates/.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.config import Secret
from bot.record.alerting import integrations
from bot.record.alerting.services import parse_services
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import ChangeEvent, Job
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.alerts import PAYLOADS, TOKEN, alert, alertmanager, post_alert, routes
from tests.helpers.incidents import declare_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_settings

NOW = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
NOTIFICATIONS = PAYLOADS / "vendors" / "slack_change_notifications.json"
RUNBOOK = "https://wiki.example.com/checkout"
SERVICES = {
    "services": [
        {
            "name": "checkout",
            "runbook": RUNBOOK,
            "depends_on": ["checkout-gateway", "payments-api"],
        },
        {"name": "checkout-gateway", "repositories": ["acme/checkout-gateway"]},
        {"name": "payments-api", "depends_on": ["ledger"]},
        {"name": "ledger"},
        {"name": "search"},
    ]
}
SHAPES = ("github", "gitlab", "argocd", "spinnaker", "jenkins", "flux", "plain")


def notification(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(NOTIFICATIONS.read_text())[name]
    return found


@pytest.fixture
def deploys(slack: SlackEmulator) -> Channel:
    """#deploys: where the deploy tools post (the app is a member)."""
    return slack.create_channel("deploys", creator=ALICE, members=[slack.bot_user_id, ALICE])


@pytest.fixture
def alerts_channel(slack: SlackEmulator) -> Channel:
    return slack.create_channel("ops-alerts", creator=ALICE, members=[slack.bot_user_id, ALICE])


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, deploys: Channel, alerts_channel: Channel
) -> dict[str, object]:
    page = {
        "routes": [
            {
                "name": "checkout",
                "service": "checkout",
                "match": {"alertname": "CheckoutErrors"},
                "action": "page",
                "channel": alerts_channel.id,
            }
        ],
        "default": {"action": "open"},
    }
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(page),
        "alerting__catalog": parse_services(SERVICES),
        "alerting__change_channels": (deploys.id,),
        "alerting__change_hours": 6.0,
        **web_settings(slack),
    }


async def say(warroom: Warroom, channel: Channel, name: str) -> str:
    """The app of notification ``name`` posts it in ``channel``; its ts."""
    said = notification(name)
    posted = await warroom.slack.post_as_app(
        channel.id, said["text"], name=said["app"], attachments=said["attachments"] or None
    )
    return posted.ts


async def kept(warroom: Warroom) -> list[ChangeEvent]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(ChangeEvent).order_by(col(ChangeEvent.id)))
        return list(rows.all())


async def test_apps_messages_in_a_change_channel_are_read_with_their_senders_shapes(
    warroom: Warroom, deploys: Channel
) -> None:
    slack = warroom.slack
    sent = {name: await say(warroom, deploys, name) for name in (*SHAPES, "unreadable")}
    sent["unknown_service"] = await say(warroom, deploys, "unknown_service")
    # A person saying it, and an app saying it elsewhere: neither is a change.
    await slack.post_message(deploys.id, "deployed checkout 9.9 to production", user=ALICE)
    general = slack.channel_by_name("general")
    assert general is not None
    general.members.add(slack.bot_user_id)
    await slack.post_as_app(general.id, "deployed search 1.0 to production", name="deploybot")
    await settle(warroom)

    rows = {row.slack_ts: row for row in await kept(warroom)}
    assert set(rows) == set(sent.values())
    read = {name: rows[ts] for name, ts in sent.items()}
    assert {name: read[name].service for name in sent} == {
        "github": "checkout-gateway",  # the repository the services file lists
        "gitlab": "payments-api",
        "argocd": "ledger",
        "spinnaker": "search",
        "jenkins": "checkout",  # the job checkout-deploy
        "flux": "search",
        "plain": "checkout-gateway",
        "unreadable": None,  # kept as its text, never guessed into a service
        "unknown_service": None,  # billing-worker: no service of the file
    }
    assert all(row.slack_channel == deploys.id for row in read.values())
    assert all(row.source == "slack" for row in read.values())
    assert {name: read[name].kind for name in SHAPES} == dict.fromkeys(SHAPES, "deploy")
    assert read["github"].summary == "acme/checkout-gateway: 9c1d2e3 to production deployed"
    assert read["github"].who == "erin"
    assert read["github"].link == "https://deploy.example.com/runs/771"
    assert read["gitlab"].summary == (
        "acme/payments-api deployed to production: 7b8c9d0: Raise the ledger client's "
        "timeout to 5 s"
    )
    assert read["gitlab"].who == "Frank Moreau"
    assert read["gitlab"].link == "https://gitlab.example.com/acme/payments-api/-/jobs/4242"
    assert read["argocd"].summary == "ledger synced to revision 5d8e1f0a"
    assert read["argocd"].link == "https://argocd.example.com/applications/ledger"
    assert read["jenkins"].summary == "checkout-deploy #118 built (success)"
    assert read["flux"].summary.startswith("helmrelease/search: Helm upgrade succeeded")
    assert read["flux"].summary.endswith("(revision 2.4.1)")
    assert read["plain"].summary == "erin deployed checkout-gateway 2023.11.07-1 to production"
    assert read["plain"].origin == "plain via deploybot"
    # When: the message's ts.
    ts = float(sent["plain"])
    assert read["plain"].at == datetime.fromtimestamp(ts, UTC).replace(
        microsecond=read["plain"].at.microsecond
    )
    # Not read: its words as they were, the app as who said it, the message's permalink.
    unread = read["unreadable"]
    assert unread.kind == "other" and unread.who == "ci-bot"
    assert unread.summary == "Nightly build is green :tada: details"
    team_url = (await slack_url(warroom)).rstrip("/")
    wanted = f"{team_url}/archives/{deploys.id}/p{sent['unreadable'].replace('.', '')}"
    assert unread.link == wanted
    # The message itself is the change's body.
    body = json.loads(read["gitlab"].body)
    assert body["text"] == "Deploy to production succeeded"
    assert body["attachments"] == notification("gitlab")["attachments"]

    # Slack sends the event again (the app's answer was slow): still one change.
    event = next(e for e, _ in slack.deliveries if e.get("ts") == sent["github"])
    again = await slack.send_event(event, retry_num=1, retry_reason="http_timeout")
    assert again.status == 200
    await settle(warroom)
    assert len(await kept(warroom)) == len(sent)


async def slack_url(warroom: Warroom) -> str:
    await warroom.services.slack.team_id()  # auth.test: the workspace's address
    url = warroom.services.slack.known_workspace_url
    assert url is not None
    return url


# Argo CD's webhook service ------------------------------------------------------------------

ARGO_BODY = {
    "app": "ledger",
    "revision": "5d8e1f0a9b8c7d6e",
    "phase": "Succeeded",
    "finished_at": "2026-11-07T11:40:00Z",
    "initiated_by": "frank",
    "destination": "payments",
    "repo": "https://github.com/acme/ledger-deploy.git",
    "link": "https://argocd.example.com/applications/ledger",
}


async def post(
    warroom: Warroom, path: str, body: dict[str, Any] | bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{warroom.url}{path}",
            data=data,
            headers={"Content-Type": "application/json", **headers},
        ) as answer,
    ):
        return answer.status, await answer.json()


async def test_argo_cds_notifications_are_kept_for_the_application_the_file_names(
    warroom: Warroom,
) -> None:
    async with session_scope(warroom.engine) as session:
        _, key = await integrations.create(
            session, kind="argocd", service="payments-api", name="argo", now=warroom.clock()
        )
        await session.commit()
    bearer = {"Authorization": f"Bearer {key}"}
    # No key, a wrong one: 401, nothing kept.
    for headers in ({}, {"Authorization": "Bearer wr_int_wrong"}):
        status, answer = await post(warroom, "/changes/argocd", ARGO_BODY, headers)
        assert status == 401, answer
    assert await kept(warroom) == []

    status, answer = await post(warroom, "/changes/argocd", ARGO_BODY, bearer)
    assert (status, answer["status"]) == (202, "accepted")
    assert await post(warroom, "/changes/argocd", ARGO_BODY, bearer) == (status, answer)
    (synced,) = await kept(warroom)
    assert synced.service == "ledger"  # the application the file names, not the key's
    assert (synced.kind, synced.who, synced.source) == ("deploy", "frank", "argocd")
    assert synced.summary == "ledger synced to revision 5d8e1f0a9b8c in payments"
    assert synced.at == datetime(2026, 11, 7, 11, 40, tzinfo=UTC)
    assert synced.link == ARGO_BODY["link"]

    # A sync that failed is no change; an application nobody names is the key's service's;
    # Go's "<no value>" for a path the Application lacks is nothing said.
    failed = {**ARGO_BODY, "phase": "Failed", "finished_at": "2026-11-07T11:50:00Z"}
    status, answer = await post(warroom, "/changes/argocd", failed, bearer)
    assert (status, answer["status"]) == (200, "ignored")
    other = {**ARGO_BODY, "app": "ledger-migrations", "initiated_by": "<no value>"}
    assert (await post(warroom, "/changes/argocd", other, bearer))[0] == 202
    latest = (await kept(warroom))[-1]
    assert (latest.service, latest.who) == ("payments-api", None)
    status, answer = await post(warroom, "/changes/argocd", {"revision": "x", "colour": 1}, bearer)
    assert status == 400
    assert "'app' is missing or blank" in answer["problems"]
    assert len(await kept(warroom)) == 2


# Beside every alert and incident ------------------------------------------------------------


async def changes_made(warroom: Warroom, deploys: Channel) -> dict[str, str]:
    """Changes of the last hours, said in #deploys at their times."""
    hours = {
        "plain": 0.5,  # checkout-gateway: checkout depends on it
        "gitlab": 2.0,  # payments-api: checkout depends on it
        "jenkins": 3.0,  # checkout itself
        "spinnaker": 1.0,  # search: unrelated
    }
    made = {name: await say(warroom, deploys, name) for name in hours}
    await settle(warroom)
    # Their times, as if said then.
    async with session_scope(warroom.engine) as session:
        for name, hours_ago in hours.items():
            row = (
                await session.exec(select(ChangeEvent).where(ChangeEvent.slack_ts == made[name]))
            ).one()
            row.at = warroom.clock() - timedelta(hours=hours_ago)
            session.add(row)
        session.add(
            ChangeEvent(
                service="checkout",
                kind="deploy",
                at=warroom.clock() - timedelta(hours=9),  # before the window (6 h)
                summary="checkout 41 (too old to show)",
                source="api",
                body="{}",
                key_hash="old",
                received_at=warroom.clock(),
            )
        )
        await session.commit()
    return made


def beside(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if "What changed before" in m.text]


async def test_a_declared_incident_is_told_what_changed_on_its_services_and_dependencies(
    warroom: Warroom, deploys: Channel
) -> None:
    await changes_made(warroom, deploys)
    channel = await declare_incident(warroom.slack, "--service checkout Checkout 500s", pinned=True)
    await settle(warroom)
    [said] = beside(channel)
    lines = said.splitlines()
    assert lines[0].startswith(":arrows_counterclockwise: *What changed before this incident*")
    assert "on checkout and what it depends on (checkout-gateway, payments-api)" in lines[0]
    listed = [line for line in lines if line.startswith("• ")]
    # Newest first; the unrelated service's change and the one before the window left out.
    assert [line.split(" on ")[1].split(":")[0] for line in listed] == [
        "checkout-gateway (a dependency)",
        "payments-api (a dependency)",
        "checkout",
    ]
    assert "search" not in said and "too old" not in said
    assert "erin deployed checkout-gateway 2023.11.07-1 to production" in listed[0]
    # With links: the job's, the build's.
    assert "<https://gitlab.example.com/acme/payments-api/-/jobs/4242|" in listed[1]
    assert "<https://jenkins.example.com/job/checkout-deploy/118/|" in listed[2]
    assert f":books: Runbook: <{RUNBOOK}>" in said

    # The incident's page shows the same list.
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
            assert answer.status == 200
            shown = " ".join(visible_text(await answer.text()).split())
    assert "What changed before" in shown
    assert shown.index("erin deployed checkout-gateway") < shown.index("checkout-deploy #118")
    assert "Spinnaker application" not in shown


async def test_a_paged_alert_is_told_what_changed_in_its_thread_and_the_page_waits_for_nothing(
    warroom: Warroom, deploys: Channel, alerts_channel: Channel
) -> None:
    await changes_made(warroom, deploys)
    labels = {"alertname": "CheckoutErrors"}
    body = alertmanager(
        "CheckoutErrors",
        [alert("CheckoutErrors", "web-1", "2026-11-07T11:58:00Z", common=labels)],
        common=labels,
    )
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer
    # Nothing of it in the page's own transaction: it is written once the alert's message is.
    async with session_scope(warroom.engine) as session:
        waiting = (await session.exec(select(Job).where(Job.kind == JobKind.CHANGES_BESIDE))).all()
    assert waiting == []
    await settle(warroom)
    alert_message = next(m for m in alerts_channel.messages if not m.is_reply)
    [said] = beside(alerts_channel)
    reply = next(m for m in alerts_channel.messages if m.text == said)
    assert reply.thread_ts == alert_message.ts  # in the alert's thread
    assert said.startswith(":arrows_counterclockwise: *What changed before this alert* on checkout")
    assert said.index("checkout-gateway 2023.11.07-1") < said.index("checkout-deploy #118")
    assert "search" not in said
    # Said once, however often it fires.
    await post_alert(warroom.url, "alertmanager", body)
    await settle(warroom)
    assert len(beside(alerts_channel)) == 1
    # Its job run again, as when the replica running it died before marking it done: the
    # list was kept once for the alert, and is not said twice.
    async with session_scope(warroom.engine) as session:
        (job,) = (await session.exec(select(Job).where(Job.kind == JobKind.CHANGES_BESIDE))).all()
        job.done_at, job.locked_until, job.locked_by = None, None, None
        session.add(job)
        await session.commit()
    await settle(warroom)
    async with session_scope(warroom.engine) as session:
        again = await session.get(Job, job.id)
    assert again is not None and again.done_at is not None and again.attempts == 2
    assert len(beside(alerts_channel)) == 1


async def test_no_service_known_every_change_said_and_a_private_incidents_stay_in_it(
    warroom: Warroom, deploys: Channel
) -> None:
    await changes_made(warroom, deploys)
    plain = await declare_incident(warroom.slack, "Something odd", pinned=True)
    await settle(warroom)
    # No service known: every service's changes, ranked, said so.
    [unfiltered] = beside(plain)
    assert "on every service (it names no service" in unfiltered
    assert "checkout-deploy #118" in unfiltered and "on another service" in unfiltered
    secret = await declare_incident(
        warroom.slack, "--private --service checkout Card data", user=BOB, pinned=True
    )
    await settle(warroom)
    [said] = beside(secret)
    assert "checkout-deploy #118" in said
    outside = [
        m.text
        for c in warroom.slack.channels.values()
        if c.id not in (secret.id, plain.id)
        for m in c.messages
        if "What changed before" in m.text
    ]
    assert outside == []


async def test_a_change_apps_links_name_their_host_and_a_look_alike_of_slack_is_refused(
    warroom: Warroom, deploys: Channel
) -> None:
    """Issue 85, item 3: the app posting in a change channel chooses a link's words, so the
    reader is told where each goes; one whose host passes for the workspace's own Slack
    address (``s1ack.com``: a digit one for the letter l) is not shown as a link at all."""
    team = (await slack_url(warroom)).split("//", 1)[1].split("/", 1)[0]
    fake = team.replace("slack", "s1ack")
    said = notification("gitlab")
    said["attachments"] = [
        {
            **said["attachments"][0],
            "text": said["attachments"][0]["text"].replace(
                "https://gitlab.example.com/acme/payments-api/-/jobs/4242",
                f"https://{fake}/archives/C0DEPLOY",
            ),
        }
    ]
    await warroom.slack.post_as_app(
        deploys.id, said["text"], name=said["app"], attachments=said["attachments"]
    )
    await say(warroom, deploys, "jenkins")
    await settle(warroom)
    async with session_scope(warroom.engine) as session:
        for row in await session.exec(select(ChangeEvent)):
            row.at = warroom.clock() - timedelta(hours=1)  # as if said then
            session.add(row)
        await session.commit()
    channel = await declare_incident(warroom.slack, "--service checkout Checkout 500s", pinned=True)
    await settle(warroom)
    [shown] = beside(channel)
    listed = [line for line in shown.splitlines() if line.startswith("• ")]
    jenkins = next(line for line in listed if "checkout-deploy #118" in line)
    assert "<https://jenkins.example.com/job/checkout-deploy/118/|" in jenkins
    assert "(link to jenkins.example.com)" in jenkins
    gitlab = next(line for line in listed if "acme/payments-api deployed" in line)
    assert fake not in gitlab.split("(its link refused")[0]
    assert f"(its link refused: {fake} passes for {team})" in gitlab, gitlab
    assert f"<https://{fake}" not in shown
    # The web view names the host beside the link too, and refuses the look-alike in
    # Slack's words: on the change list and on the incident's "What changed before".
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        for path in ("/changes", "/incidents/INC-1"):
            async with alice.get(f"{warroom.url}{path}") as answer:
                html = await answer.text()
            page = " ".join(visible_text(html).split())
            assert "checkout-deploy #118 built (success) (link to jenkins.example.com)" in page
            assert 'href="https://jenkins.example.com/job/checkout-deploy/118/"' in html
            assert f"(its link refused: {fake} passes for {team})" in page, path
            assert f'href="https://{fake}' not in html, path
