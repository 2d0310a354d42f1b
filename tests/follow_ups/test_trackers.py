"""Follow-ups filed as GitHub, Jira and Linear issues: fake trackers over HTTP on 127.0.0.1,
the bot driven through the Slack emulator, closings sent as the trackers sign them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import select

from bot.config import Settings
from bot.flows.postmortem.posting import write_draft
from bot.store.db import session_scope
from bot.store.models import Incident, Job, TrackerIssue
from emulator import SlackEmulator
from emulator.trackers import FakeGitHub, FakeJira, FakeLinear, FakeTracker, hex_hmac
from tests.conftest import BOB, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import API_TOKEN, browser, sign_in, web_warroom

GITHUB_TOKEN = "ghp_" + "t" * 36
JIRA_TOKEN = "ATATT3x" + "j" * 20
LINEAR_KEY = "lin_api_" + "k" * 32
LINEAR_TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"
SECRETS = {"github": "gh-hook-secret", "jira": "jira-hook-secret", "linear": "lin-hook-secret"}
PUBLIC_URL = "https://warroom.example.com"


@dataclass
class Trackers:
    github: FakeGitHub
    jira: FakeJira
    linear: FakeLinear

    def of(self, kind: str) -> FakeTracker:
        return {"github": self.github, "jira": self.jira, "linear": self.linear}[kind]


def tracker_env(trackers: Trackers, **extra: str) -> dict[str, str]:
    """The variables an operator sets (README, "Filing follow-ups in trackers")."""
    return {
        "WARROOM_GITHUB_API_URL": trackers.github.url,
        "WARROOM_GITHUB_TOKEN": GITHUB_TOKEN,
        "WARROOM_GITHUB_REPO": "acme/payments",
        "WARROOM_GITHUB_WEBHOOK_SECRET": SECRETS["github"],
        "WARROOM_JIRA_URL": trackers.jira.url,
        "WARROOM_JIRA_EMAIL": "bot@acme.example",
        "WARROOM_JIRA_API_TOKEN": JIRA_TOKEN,
        "WARROOM_JIRA_PROJECT": "OPS",
        "WARROOM_JIRA_WEBHOOK_SECRET": SECRETS["jira"],
        "WARROOM_LINEAR_API_URL": f"{trackers.linear.url}/graphql",
        "WARROOM_LINEAR_API_KEY": LINEAR_KEY,
        "WARROOM_LINEAR_TEAM": LINEAR_TEAM,
        "WARROOM_LINEAR_WEBHOOK_SECRET": SECRETS["linear"],
        **extra,
    }


def settings_from(env: dict[str, str]) -> dict[str, Any]:
    return {
        "trackers": Settings.from_env(env).trackers,
        "web__public_url": PUBLIC_URL,
        "runtime__scheduler_interval": 3600.0,  # tests run due jobs themselves
    }


@pytest.fixture
async def filing(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers
) -> AsyncIterator[Warroom]:
    settings = settings_from(tracker_env(trackers, WARROOM_TRACKER="github"))
    async with running_warroom(slack, sqlite_url, **settings) as running:
        yield running


async def issues(warroom: Warroom) -> list[TrackerIssue]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(TrackerIssue).order_by(TrackerIssue.id))).all())


async def draft_markdown(warroom: Warroom) -> str:
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
    return (await write_draft(warroom.services, incident.id or 0)).markdown


def auth_header(tracker: str) -> str:
    return {
        "github": f"Bearer {GITHUB_TOKEN}",
        "jira": "Basic "
        + __import__("base64").b64encode(f"bot@acme.example:{JIRA_TOKEN}".encode()).decode(),
        "linear": LINEAR_KEY,
    }[tracker]


@pytest.mark.parametrize(
    ("tracker", "key", "name"),
    [
        ("github", "acme/payments#1", "GitHub"),
        ("jira", "OPS-1", "Jira"),
        ("linear", "ENG-1", "Linear"),
    ],
)
async def test_a_follow_up_filed_linked_both_ways_and_closed_from_the_tracker(
    filing: Warroom, trackers: Trackers, tracker: str, key: str, name: str
) -> None:
    fake = trackers.of(tracker)
    channel = await open_incident(filing)

    await command(filing, channel, f"action --file={tracker} @bob add a replica lag alert")

    (issue,) = fake.issues
    (request,) = fake.requests
    assert request.headers["Authorization"] == auth_header(tracker)
    if tracker == "github":
        assert request.path == "/repos/acme/payments/issues"
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    # The issue links back: the incident's page and the follow-up's message in Slack.
    said = json.dumps(issue.body)
    assert f"{PUBLIC_URL}/incidents/INC-1" in said
    assert "/archives/" in said  # the emulator's permalink
    assert issue.title.startswith("add a replica lag alert")
    (row,) = await issues(filing)
    assert (row.state, row.key, row.url, row.tracker) == ("filed", key, issue.url, tracker)
    transcript = filing.slack.transcript(channel.id)
    assert f":ticket: Follow-up filed in {name} as <{issue.url}|{key}>" in transcript
    assert f"Issue [{key}]({issue.url})".replace("#", "\\#") in await draft_markdown(filing)
    assert "- [ ] add a replica lag alert" in await draft_markdown(filing)

    status = await fake.close_issue(issue, f"{filing.url}/trackers/{tracker}", SECRETS[tracker])  # type: ignore[attr-defined]
    await settle(filing)

    assert status == 200
    (row,) = await issues(filing)
    assert row.state == "closed" and row.closed_at is not None
    assert f"<{issue.url}|{key}> was closed in {name}" in filing.slack.transcript(channel.id)
    draft = await draft_markdown(filing)
    assert "- [x] add a replica lag alert" in draft and ", closed." in draft


async def test_the_button_on_a_follow_up_files_it_in_the_default_tracker(
    filing: Warroom, trackers: Trackers
) -> None:
    channel = await open_incident(filing)
    await command(filing, channel, "action rotate the leaked key")
    message = next(m for m in channel.messages if "Follow-up task" in m.text)
    assert trackers.github.issues == []

    await filing.slack.click_button(channel.id, message.ts, "file_follow_up", user=BOB)
    await settle(filing)

    (issue,) = trackers.github.issues
    assert issue.title.startswith("rotate the leaked key")
    assert any("Filing this follow-up in GitHub" in m.text for m in filing.slack.ephemeral_for(BOB))
    # A second press files nothing more and says where it is.
    await filing.slack.click_button(channel.id, message.ts, "file_follow_up", user=BOB)
    await settle(filing)
    assert len(trackers.github.issues) == 1
    assert any("filed already" in m.text for m in filing.slack.ephemeral_for(BOB))


async def test_a_tracker_outage_is_retried_without_loss_and_said_in_the_channel(
    filing: Warroom, trackers: Trackers
) -> None:
    trackers.github.fail(503, times=2)
    channel = await open_incident(filing)

    await command(filing, channel, "action --file add a canary")

    said = filing.slack.transcript(channel.id)
    assert "Filing the follow-up in GitHub (acme/payments) failed (HTTP 503)" in said
    assert "next in 30 seconds" in said
    assert [row.state for row in await issues(filing)] == ["waiting"]
    await filing.advance(seconds=30)  # 503 again: said once only
    assert filing.slack.transcript(channel.id).count("failed (HTTP 503)") == 1
    assert trackers.github.issues == []
    await filing.advance(seconds=60)

    assert len(trackers.github.issues) == 1
    assert "(after 3 attempts): add a canary" in filing.slack.transcript(channel.id)
    assert [row.state for row in await issues(filing)] == ["filed"]


async def test_a_rate_limit_is_waited_out_as_the_tracker_asks(
    filing: Warroom, trackers: Trackers
) -> None:
    trackers.jira.fail(429, retry_after=120)
    channel = await open_incident(filing)
    await command(filing, channel, "action --file=jira shard the queue")
    assert "next in 120 seconds" in filing.slack.transcript(channel.id)

    await filing.advance(seconds=60)
    assert len(trackers.jira.requests) == 1  # not before the 120 seconds Jira asked for
    await filing.advance(seconds=61)
    assert [issue.key for issue in trackers.jira.issues] == ["OPS-1"]


@pytest.mark.parametrize("form", ["code", "http", "type"])
async def test_linear_rate_limit_uses_its_reset_header(
    filing: Warroom, trackers: Trackers, form: str
) -> None:
    """Each way Linear's SDK reads a rate limit: ``extensions.code``, HTTP 429, and
    ``extensions.type``."""
    trackers.linear.rate_limit_form = form
    trackers.linear.fail(429, retry_after=90)
    channel = await open_incident(filing)
    await command(filing, channel, "action --file=linear cache the token")
    assert "rate limited" in filing.slack.transcript(channel.id)
    await filing.advance(seconds=45)
    assert trackers.linear.issues == []
    await filing.advance(seconds=60)
    assert [issue.key for issue in trackers.linear.issues] == ["ENG-1"]


async def test_a_tracker_refusing_for_good_is_said_clearly_and_not_retried(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers
) -> None:
    env = tracker_env(trackers, WARROOM_TRACKER="github", WARROOM_GITHUB_TOKEN="ghp_wrong")
    async with running_warroom(slack, sqlite_url, **settings_from(env)) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "action --file add a runbook")
        await command(warroom, channel, "action --file=jira:NOPE add a dashboard")
        await warroom.advance(minutes=10)

        said = warroom.slack.transcript(channel.id)
        assert ":x: GitHub refused the follow-up (HTTP 401: Bad credentials)" in said
        assert "Jira refused the follow-up (HTTP 400: project: valid project is required)" in said
        assert [row.state for row in await issues(warroom)] == ["refused", "refused"]
        assert len(trackers.github.requests) == 1 and len(trackers.jira.requests) == 1
        # The follow-ups stay in the postmortem.
        draft = await draft_markdown(warroom)
        assert "add a runbook" in draft and "add a dashboard" in draft


async def test_a_validation_error_is_a_refusal(filing: Warroom, trackers: Trackers) -> None:
    channel = await open_incident(filing)
    await command(filing, channel, f"action --file=linear:{'0' * 8} add an alert")
    assert "Linear refused the follow-up (HTTP 400: Entity not found: Team)" in (
        filing.slack.transcript(channel.id)
    )


async def test_file_all_when_the_postmortem_is_posted(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers
) -> None:
    env = tracker_env(trackers, WARROOM_TRACKER="jira", WARROOM_TRACKER_FILE_ON_POSTMORTEM="true")
    async with running_warroom(slack, sqlite_url, **settings_from(env)) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "action add an index")
        await command(warroom, channel, "action --file split the batch job")
        await command(warroom, channel, "postmortem")
        await settle(warroom)

        assert sorted(issue.title.split(" (")[0] for issue in trackers.jira.issues) == [
            "add an index",
            "split the batch job",
        ]
        assert {row.state for row in await issues(warroom)} == {"filed"}


@pytest.mark.parametrize("tracker", ["jira", "linear"])
async def test_file_all_files_a_refused_follow_up_where_it_was_asked(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers, tracker: str
) -> None:
    env = tracker_env(trackers, WARROOM_TRACKER="github", WARROOM_TRACKER_FILE_ON_POSTMORTEM="true")
    async with running_warroom(slack, sqlite_url, **settings_from(env)) as warroom:
        channel = await open_incident(warroom)
        getattr(trackers, tracker).fail(401)  # credentials: refused for good, until mended
        await command(warroom, channel, f"action --file={tracker} rotate the signing key")
        assert [row.state for row in await issues(warroom)] == ["refused"]

        await command(warroom, channel, "postmortem")
        await settle(warroom)

        assert trackers.github.issues == []
        (filed,) = getattr(trackers, tracker).issues
        assert filed.title.startswith("rotate the signing key")
        assert [(row.tracker, row.state) for row in await issues(warroom)] == [(tracker, "filed")]


async def test_webhooks_refuse_bad_signatures_stale_and_oversized_bodies(
    filing: Warroom, trackers: Trackers
) -> None:
    body = json.dumps({"action": "closed", "issue": {"number": 1}}).encode()
    async with aiohttp.ClientSession() as http:

        async def deliver(tracker: str, data: bytes, headers: dict[str, str]) -> int:
            async with http.post(
                f"{filing.url}/trackers/{tracker}", data=data, headers=headers
            ) as r:
                return r.status

        assert await deliver("github", body, {"X-Hub-Signature-256": "sha256=" + "0" * 64}) == 401
        assert await deliver("github", body, {}) == 401
        signed = "sha256=" + hex_hmac(SECRETS["jira"], body)
        assert await deliver("jira", body + b" ", {"X-Hub-Signature": signed}) == 401
        stale = json.dumps({"type": "Issue", "webhookTimestamp": int((time.time() - 300) * 1000)})
        sig = hex_hmac(SECRETS["linear"], stale.encode())
        assert await deliver("linear", stale.encode(), {"Linear-Signature": sig}) == 401
        huge = b"{" + b" " * (filing.services.settings.runtime.max_body_bytes + 1) + b"}"
        assert await deliver("github", huge, {}) == 413
        assert await deliver("gitlab", body, {}) == 404
        # Signed, but about no issue warroom filed: answered, and ignored.
        ok = {
            "X-Hub-Signature-256": "sha256=" + hex_hmac(SECRETS["github"], body),
            "X-GitHub-Event": "issues",
        }
        assert await deliver("github", body, ok) == 200


@pytest.mark.parametrize(
    ("tracker", "key", "name"),
    [
        ("github", "acme/payments#1", "GitHub"),
        ("jira", "OPS-1", "Jira"),
        ("linear", "ENG-1", "Linear"),
    ],
)
async def test_reopening_the_issue_in_the_tracker_unticks_the_follow_up(
    filing: Warroom, trackers: Trackers, tracker: str, key: str, name: str
) -> None:
    fake: Any = trackers.of(tracker)
    webhook, secret = f"{filing.url}/trackers/{tracker}", SECRETS[tracker]
    channel = await open_incident(filing)
    await command(filing, channel, f"action --file={tracker} add a replica lag alert")
    (issue,) = fake.issues
    assert await fake.close_issue(issue, webhook, secret) == 200
    await settle(filing)
    assert "- [x] add a replica lag alert" in await draft_markdown(filing)

    status = await fake.reopen_issue(issue, webhook, secret)
    await settle(filing)

    assert status == 200
    (row,) = await issues(filing)
    assert (row.state, row.closed_at, row.key) == ("filed", None, key)
    reopened = f"<{issue.url}|{key}> was reopened in {name}"
    assert f"{reopened}" in filing.slack.transcript(channel.id)
    assert "the follow-up is not done any more. add a replica lag alert" in (
        filing.slack.transcript(channel.id)
    )
    draft = await draft_markdown(filing)
    assert "- [ ] add a replica lag alert" in draft and ", closed." not in draft
    # Reopened again (a redelivery): nothing changes, nothing more is said.
    assert await fake.reopen_issue(issue, webhook, secret) == 200
    await settle(filing)
    assert filing.slack.transcript(channel.id).count(reopened) == 1
    # Closed once more: done again. GitHub's times are whole seconds, and the same change
    # twice in one second is taken as one (README, trackers' limits): a person's close comes
    # a second later at least.
    await asyncio.sleep(1.01 - time.time() % 1)
    assert await fake.close_issue(issue, webhook, secret) == 200
    await settle(filing)
    (row,) = await issues(filing)
    assert row.state == "closed" and row.closed_at is not None
    assert "- [x] add a replica lag alert" in await draft_markdown(filing)


async def test_a_late_edit_of_an_open_issue_does_not_reopen_a_done_follow_up(
    filing: Warroom, trackers: Trackers
) -> None:
    """Trackers retry deliveries: an edit made before the issue was closed can arrive after.
    Only a change of status (Jira's changelog, Linear's updatedFrom) reopens."""
    channel = await open_incident(filing)
    await command(filing, channel, "action --file=jira add a dashboard")
    await command(filing, channel, "action --file=linear add an alert")
    jira_issue, linear_issue = trackers.jira.issues[0], trackers.linear.issues[0]
    await trackers.jira.close_issue(jira_issue, f"{filing.url}/trackers/jira", SECRETS["jira"])
    await trackers.linear.close_issue(
        linear_issue, f"{filing.url}/trackers/linear", SECRETS["linear"]
    )
    await settle(filing)
    jira_edit = {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue": {
            "id": jira_issue.external_id,
            "key": jira_issue.key,
            "fields": {
                "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}
            },
        },
        "changelog": {"id": "1", "items": [{"field": "summary", "toString": "renamed"}]},
    }
    linear_edit = {
        "action": "update",
        "type": "Issue",
        "data": {"id": linear_issue.external_id, "state": {"name": "Doing", "type": "started"}},
        "updatedFrom": {"title": "add an alert (INC-1)"},
        "webhookTimestamp": int(time.time() * 1000),
    }
    async with aiohttp.ClientSession() as http:
        for tracker, event, header in (
            ("jira", jira_edit, "X-Hub-Signature"),
            ("linear", linear_edit, "Linear-Signature"),
        ):
            body = json.dumps(event).encode()
            signature = hex_hmac(SECRETS[tracker], body)
            signed = {header: f"sha256={signature}" if tracker == "jira" else signature}
            async with http.post(
                f"{filing.url}/trackers/{tracker}", data=body, headers=signed
            ) as answer:
                assert (answer.status, await answer.json()) == (200, {"status": "ignored"})

    assert [row.state for row in await issues(filing)] == ["closed", "closed"]
    assert "reopened" not in filing.slack.transcript(channel.id)


@pytest.mark.parametrize(
    ("tracker", "key"), [("github", "acme/payments#1"), ("jira", "OPS-1"), ("linear", "ENG-1")]
)
async def test_an_issue_made_but_answered_too_late_is_found_not_filed_again(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers, tracker: str, key: str
) -> None:
    """The tracker makes the issue, then answers after warroom stopped waiting: the retry
    finds the issue by the marker in its body and records it, and files nothing more."""
    fake = trackers.of(tracker)
    env = tracker_env(trackers, WARROOM_TRACKER=tracker, WARROOM_TRACKER_TIMEOUT="0.5")
    async with running_warroom(slack, sqlite_url, **settings_from(env)) as warroom:
        fake.answer_late(3.0)
        channel = await open_incident(warroom)
        await command(warroom, channel, "action --file add a canary")
        assert "no answer within 0.5 seconds" in warroom.slack.transcript(channel.id)
        assert [row.state for row in await issues(warroom)] == ["waiting"]

        await warroom.advance(seconds=31)

        (issue,) = fake.issues
        assert "warroom:" in json.dumps(issue.body) and "/INC-1/action_item:" in (
            json.dumps(issue.body)
        )
        (row,) = await issues(warroom)
        assert (row.state, row.key, row.url) == ("filed", key, issue.url)
        assert f"<{issue.url}|{key}>" in warroom.slack.transcript(channel.id)
        await warroom.advance(minutes=10)
        assert len(fake.issues) == 1


async def test_a_retry_that_finds_nothing_files_the_issue(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers
) -> None:
    """A request that never reached the tracker (it stalled and made nothing): the retry
    searches, finds nothing, and files."""
    env = tracker_env(trackers, WARROOM_TRACKER="github", WARROOM_TRACKER_TIMEOUT="0.5")
    async with running_warroom(slack, sqlite_url, **settings_from(env)) as warroom:
        trackers.github.stall(2.0)
        channel = await open_incident(warroom)
        await command(warroom, channel, "action --file add a canary")
        await warroom.advance(seconds=31)
        assert len(trackers.github.issues) == 1
        assert [r.method for r in trackers.github.requests].count("GET") == 1
        assert [row.state for row in await issues(warroom)] == ["filed"]


class MalformedLinear(FakeLinear):
    """Linear answering success without the issue's identifier (not a documented shape)."""

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        return web.json_response(
            {"data": {"issueCreate": {"success": True, "issue": {"id": "abc"}}}}
        )


async def test_a_malformed_success_answer_is_refused_said_and_can_be_filed_again(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers
) -> None:
    async with MalformedLinear(api_key=LINEAR_KEY, teams={LINEAR_TEAM: "ENG"}) as linear:
        env = tracker_env(
            trackers, WARROOM_TRACKER="linear", WARROOM_LINEAR_API_URL=f"{linear.url}/graphql"
        )
        async with running_warroom(slack, sqlite_url, **settings_from(env)) as warroom:
            channel = await open_incident(warroom)
            await command(warroom, channel, "action add a replica")
            message = next(m for m in channel.messages if "Follow-up task" in m.text)
            await warroom.slack.click_button(channel.id, message.ts, "file_follow_up", user=BOB)
            await settle(warroom)
            await warroom.advance(minutes=30)

            said = warroom.slack.transcript(channel.id)
            assert "Linear refused the follow-up (HTTP 200: the issue's identifier, url" in said
            assert [row.state for row in await issues(warroom)] == ["refused"]
            assert len(linear.requests) == 1
            # Asked again, it is sent again.
            await warroom.slack.click_button(channel.id, message.ts, "file_follow_up", user=BOB)
            await settle(warroom)
            assert len(linear.requests) == 2


async def test_a_follow_up_left_waiting_by_an_ended_job_can_be_filed_again(
    filing: Warroom, trackers: Trackers
) -> None:
    """A follow-up whose filing job ended without filing it (an older release's crash) is
    not stuck: asking again files it."""
    trackers.github.fail(503)
    channel = await open_incident(filing)
    await command(filing, channel, "action add a canary")
    message = next(m for m in channel.messages if "Follow-up task" in m.text)
    await filing.slack.click_button(channel.id, message.ts, "file_follow_up", user=BOB)
    await settle(filing)
    async with session_scope(filing.engine) as session:
        (job,) = (await session.exec(select(Job).where(Job.kind == "file_issue"))).all()
        job.done_at, job.last_error = job.due_at, "RuntimeError: gone"
        session.add(job)
        await session.commit()
    await filing.advance(minutes=10)
    assert trackers.github.issues == []

    await filing.slack.click_button(channel.id, message.ts, "file_follow_up", user=BOB)
    await settle(filing)
    (issue,) = trackers.github.issues
    assert issue.title.startswith("add a canary")
    assert [row.state for row in await issues(filing)] == ["filed"]


async def signed(
    url: str, tracker: str, event: object, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST ``event`` to warroom signed as ``tracker`` signs it; the status and JSON answer."""
    body = json.dumps(event).encode()
    signature = hex_hmac(SECRETS[tracker], body)
    header = {
        "github": ("X-Hub-Signature-256", f"sha256={signature}"),
        "jira": ("X-Hub-Signature", f"sha256={signature}"),
        "linear": ("Linear-Signature", signature),
    }[tracker]
    sent = {header[0]: header[1], **(headers or {})}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/trackers/{tracker}", data=body, headers=sent) as answer,
    ):
        return answer.status, await answer.json()


async def test_signed_events_of_the_wrong_shape_are_answered_400(filing: Warroom) -> None:
    now = int(time.time() * 1000)
    github = {"X-GitHub-Event": "issues"}
    for tracker, event, headers in (
        ("github", {"action": "closed", "issue": "number"}, github),
        ("github", {"action": "closed", "issue": {"id": 1}, "repository": "x"}, github),
        ("github", {"action": "closed", "issue": [1]}, github),
        ("jira", {"webhookEvent": "jira:issue_updated", "issue": [1]}, {}),
        ("linear", {"type": "Issue", "action": "update", "data": [1], "webhookTimestamp": now}, {}),
    ):
        status, answer = await signed(filing.url, tracker, event, headers)
        assert status == 400, (tracker, event)
        assert answer["error"].startswith(f"not a {tracker} issue event: ")
        assert "is not a JSON object" in answer["error"]


def github_closing(issue: Any, repository: str, action: str = "closed") -> dict[str, Any]:
    return {
        "action": action,
        "issue": {"id": 1_000_000 + int(issue.external_id), "number": int(issue.external_id)},
        "repository": {"full_name": repository},
        "sender": {"login": "octocat"},
    }


@pytest.mark.parametrize("repository", ["Acme/Payments", "acme-corp/payments-v2"])
async def test_a_github_close_is_matched_by_the_issue_id_whatever_the_repository_is_called(
    filing: Warroom, trackers: Trackers, repository: str
) -> None:
    """GitHub names the repository in its own case, and by its new name after a rename or a
    transfer: the issue's id does not change."""
    channel = await open_incident(filing)
    await command(filing, channel, "action --file add a canary")
    (issue,) = trackers.github.issues
    event = github_closing(issue, repository)

    status, answer = await signed(filing.url, "github", event, {"X-GitHub-Event": "issues"})
    await settle(filing)

    assert (status, answer) == (200, {"status": "closed"})
    assert [row.state for row in await issues(filing)] == ["closed"]


@pytest.mark.parametrize("tracker", ["github", "jira", "linear"])
@pytest.mark.parametrize("delivery_id", ["a-new-id", None])
async def test_a_captured_close_sent_again_under_any_id_changes_nothing(
    filing: Warroom, trackers: Trackers, tracker: str, delivery_id: str | None
) -> None:
    """The delivery id is outside the signature: what the change says decides (the issue's
    state and time in the payload), so a replayed "closed" never closes a reopened issue."""
    fake: Any = trackers.of(tracker)
    webhook, secret = f"{filing.url}/trackers/{tracker}", SECRETS[tracker]
    channel = await open_incident(filing)
    await command(filing, channel, f"action --file={tracker} add a canary")
    (issue,) = fake.issues
    assert await fake.close_issue(issue, webhook, secret) == 200
    assert await fake.reopen_issue(issue, webhook, secret) == 200
    await settle(filing)

    assert await fake.replay(0, delivery_id) == 200
    await settle(filing)

    assert [row.state for row in await issues(filing)] == ["filed"]
    assert filing.slack.transcript(channel.id).count("was closed in") == 1


async def test_concurrent_copies_of_closes_post_one_message_each(
    slack: SlackEmulator, database_url: str, trackers: Trackers
) -> None:
    """Eight issues closed, each delivery captured and sent six times at once under new ids
    (on PostgreSQL, 50 such deliveries once posted 31 messages where 8 were due)."""
    settings = settings_from(tracker_env(trackers, WARROOM_TRACKER="github"))
    async with running_warroom(slack, database_url, **settings) as warroom:
        channel = await open_incident(warroom)
        for number in range(8):
            await command(warroom, channel, f"action --file follow-up {number}")
        webhook, secret = f"{warroom.url}/trackers/github", SECRETS["github"]
        for issue in trackers.github.issues:  # captured on their way: warroom has none yet
            assert await trackers.github.close_issue(issue, f"{webhook}-x", secret) == 404
        copies = [
            trackers.github.replay(number, f"copy-{number}-{n}", to=webhook)
            for number in range(8)
            for n in range(6)
        ]
        assert set(await asyncio.gather(*copies)) == {200}
        await settle(warroom)

        assert warroom.slack.transcript(channel.id).count("was closed in GitHub") == 8
        assert {row.state for row in await issues(warroom)} == {"closed"}


async def test_a_replayed_github_delivery_is_ignored(filing: Warroom, trackers: Trackers) -> None:
    """A signed "closed" sent again after the issue was reopened does not close it again."""
    channel = await open_incident(filing)
    await command(filing, channel, "action --file add a canary")
    (issue,) = trackers.github.issues
    closing = github_closing(issue, "acme/payments")
    first = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-1"}
    assert await signed(filing.url, "github", closing, first) == (200, {"status": "closed"})
    await trackers.github.reopen_issue(issue, f"{filing.url}/trackers/github", SECRETS["github"])
    await settle(filing)
    assert [row.state for row in await issues(filing)] == ["filed"]

    assert await signed(filing.url, "github", closing, first) == (200, {"status": "ignored"})
    await settle(filing)

    assert [row.state for row in await issues(filing)] == ["filed"]
    assert filing.slack.transcript(channel.id).count("was closed in GitHub") == 1


async def test_a_private_incident_keeps_its_title_and_people_out_of_the_issue(
    filing: Warroom, trackers: Trackers
) -> None:
    channel = await open_incident(filing, "--private Payroll export leaked")
    await command(filing, channel, "action --file @bob rotate the export key")

    (issue,) = trackers.github.issues
    body = str(issue.body)
    assert "Payroll export leaked" not in body and "Payroll" not in issue.title
    assert "Noted by" not in body and "Owner" not in body
    assert "rotate the export key" in body and "INC-1" in body
    assert f"{PUBLIC_URL}/incidents/INC-1" in body


@pytest.fixture
async def filing_on_the_web(
    slack: SlackEmulator, sqlite_url: str, trackers: Trackers
) -> AsyncIterator[Warroom]:
    """Filing in GitHub, with sign-in and an API token as in production (and no public URL:
    signing in comes back to where the bot listens)."""
    settings = settings_from(tracker_env(trackers, WARROOM_TRACKER="github")) | {
        "web__public_url": ""
    }
    async with web_warroom(slack, sqlite_url, **settings) as running:
        yield running


async def test_the_api_and_the_web_view_show_the_issue_and_whether_it_is_done(
    filing_on_the_web: Warroom, trackers: Trackers
) -> None:
    warroom = filing_on_the_web
    channel = await open_incident(warroom)
    await command(warroom, channel, "action --file add a canary")
    (issue,) = trackers.github.issues
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}

    async with browser() as http:

        async def api_action() -> dict[str, Any]:
            async with http.get(f"{warroom.url}/api/incidents/INC-1", headers=bearer) as answer:
                assert answer.status == 200
                (action,) = (await answer.json())["actions"]
                return action

        async def page() -> str:
            async with http.get(f"{warroom.url}/incidents/INC-1") as answer:
                assert answer.status == 200
                return await answer.text()

        filed = await api_action()
        assert filed["done"] is False
        assert filed["issue"]["filed_at"] is not None
        assert {k: v for k, v in filed["issue"].items() if k != "filed_at"} == {
            "tracker": "github",
            "key": "acme/payments#1",
            "url": issue.url,
            "state": "filed",
            "closed_at": None,
            "error": None,
        }
        await sign_in(http, warroom, BOB)
        link = f'<a class="issue" href="{issue.url}">acme/payments#1</a>'
        assert f'add a canary <span class="muted">(no owner yet)</span> {link}' in (
            html := await page()
        )
        assert f'{link} <span class="muted">(open)</span>' in html
        # The follow-ups worklist links the issue too, naming its tracker to screen readers.
        async with http.get(f"{warroom.url}/follow-ups") as answer:
            worklist = await answer.text()
        assert (
            f'add a canary <a class="issue" href="{issue.url}">acme/payments#1'
            '<span class="visually-hidden"> in github</span></a>'
        ) in worklist

        await trackers.github.close_issue(
            issue, f"{warroom.url}/trackers/github", SECRETS["github"]
        )
        await settle(warroom)

        closed = await api_action()
        assert closed["done"] is True
        assert closed["issue"]["state"] == "closed" and closed["issue"]["closed_at"] is not None
        html = await page()
        assert "<s>add a canary</s>" in html
        assert f'{link} <span class="muted">(closed: done)</span>' in html

        await trackers.github.reopen_issue(
            issue, f"{warroom.url}/trackers/github", SECRETS["github"]
        )
        await settle(warroom)
        reopened = await api_action()
        assert reopened["done"] is False
        assert (reopened["issue"]["state"], reopened["issue"]["closed_at"]) == ("filed", None)
        assert "<s>add a canary</s>" not in await page()
