"""``/livez`` and ``/readyz`` (``/healthz``) over real HTTP on 127.0.0.1, against the Slack
emulator: ready when the database answers and due work does not wait too long, whatever Slack
says (its state said in the body: down since when, the token refused); not ready, with the
reason, when due work waits too long; the probes' access lines at DEBUG (a real ``warroom
serve``)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.keys import job_runner_key, outbox_sender_key
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.models import Job
from bot.web.health import JOB_LAG_SECONDS, OUTBOX_LAG_SECONDS, SLACK_CHECK_SECONDS
from emulator import SlackEmulator
from tests.conftest import Warroom, WarroomFactory, running_warroom
from tests.helpers.metrics import scrape, value
from tests.helpers.processes import bot_env, serve


async def probe(warroom: Warroom, path: str = "/readyz") -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as client, client.get(warroom.url + path) as answer:
        return answer.status, dict(await answer.json())


async def started(warroom: Warroom) -> int:
    """How many Slack calls were made once the start's own has come (auth.test, asked in the
    background to learn the workspace): what a probe asks is counted from there."""
    slack = warroom.slack
    await slack.wait_for(lambda: any(call.method == "auth.test" for call in slack.calls))
    return len(slack.calls)


async def test_livez_answers_without_asking_anything(warroom: Warroom) -> None:
    mark = await started(warroom)
    assert await probe(warroom, "/livez") == (200, {"status": "ok"})
    assert warroom.slack.calls[mark:] == []


async def test_readyz_is_ready_part_by_part_and_healthz_says_the_same(
    warroom_any_db: Warroom,
) -> None:
    status, body = await probe(warroom_any_db)
    assert status == 200, body
    assert body["status"] == "ok"
    states = {name: part["state"] for name, part in body["parts"].items()}
    assert states == {
        "database": "ok",
        "slack": "ok",
        "jobs": "ok",
        "outbox": "ok",
        "pager": "off",
    }
    assert await probe(warroom_any_db, "/healthz") == (200, body)


async def test_slack_is_asked_once_however_many_probes(warroom: Warroom) -> None:
    mark = await started(warroom)
    for _ in range(5):
        assert (await probe(warroom))[0] == 200
    assert [call.method for call in warroom.slack.calls[mark:]] == ["auth.test"]


async def test_the_emulator_down_is_slack_unreachable_and_still_ready(warroom: Warroom) -> None:
    await warroom.slack.stop()
    status, body = await probe(warroom)
    # Alerts still come in and page by phone: a load balancer must keep sending them here.
    assert status == 200, body
    assert body["status"] == "degraded"
    slack = body["parts"]["slack"]
    assert slack["state"] == "unreachable" and slack["ready"]
    since = f"{warroom.clock.now:%H:%M} UTC"
    assert slack["reason"].startswith("Slack unreachable (auth.test: ")
    assert slack["reason"].endswith(f" since {since}; pages go by phone")
    assert "127.0.0.1" not in str(body)
    assert body["parts"]["database"]["state"] == "ok"
    assert await probe(warroom, "/healthz") == (200, body)
    # Since when stays the outage's start as the probes go on.
    warroom.clock.now += timedelta(minutes=5)
    later = (await probe(warroom))[1]["parts"]["slack"]["reason"]
    assert later.endswith(f" since {since}; pages go by phone")
    # Liveness does not follow Slack: a restart would not bring it back.
    assert (await probe(warroom, "/livez"))[0] == 200


async def test_slack_answering_again_is_said_at_its_next_check(warroom: Warroom) -> None:
    warroom.slack.outage(503)
    status, body = await probe(warroom)
    assert (status, body["parts"]["slack"]["state"]) == (200, "unreachable")
    assert "auth.test: service_unavailable" in body["parts"]["slack"]["reason"]
    assert value(await scrape(warroom), "warroom_slack_up") == 0
    warroom.slack.outage_over()
    warroom.clock.now += timedelta(seconds=SLACK_CHECK_SECONDS)
    status, body = await probe(warroom)
    assert (status, body["status"], body["parts"]["slack"]) == (
        200,
        "ok",
        {"state": "ok", "reason": "", "ready": True},
    )
    assert value(await scrape(warroom), "warroom_slack_up") == 1


async def test_a_refused_token_is_ready_with_slacks_reason(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    wrong = "xoxb-not-the-workspaces-token"
    async with running_warroom(slack, sqlite_url, slack__bot_token=wrong) as warroom:
        status, body = await probe(warroom)
    assert status == 200, body
    assert body["status"] == "degraded"
    part = body["parts"]["slack"]
    assert part["state"] == "refused" and part["ready"]
    assert "invalid_auth" in part["reason"] and "pages go by phone" in part["reason"]
    assert wrong not in str(body)


async def test_the_outbox_waiting_for_slack_is_not_a_stuck_outbox(
    warroom_any_db: Warroom,
) -> None:
    warroom = warroom_any_db
    await warroom.app[outbox_sender_key].stop()
    late = warroom.clock.now - timedelta(seconds=OUTBOX_LAG_SECONDS + 60)
    async with session_scope(warroom.engine) as session:
        await outbox.post_once(session, channel="C0LATE", text="late", now=late, after="late")
        await session.commit()
    # Slack answers: five minutes behind is a stuck outbox.
    status, body = await probe(warroom)
    assert status == 503 and body["parts"]["outbox"]["state"] == "lagging", body
    # Slack down: the write waits for Slack, and the replica still pages.
    warroom.slack.outage(503)
    warroom.clock.now += timedelta(seconds=SLACK_CHECK_SECONDS)
    status, body = await probe(warroom)
    assert status == 200, body
    assert body["parts"]["outbox"]["state"] == "waiting"


async def test_a_due_job_waiting_too_long_is_not_ready(warroom_any_db: Warroom) -> None:
    warroom = warroom_any_db
    # A replica whose runner has stopped claiming (what the probe is for). A running one's
    # next poll would claim the job first on a loaded machine, and nothing would be late.
    await warroom.app[job_runner_key].stop()
    late = warroom.clock.now - timedelta(seconds=JOB_LAG_SECONDS + 60)
    async with session_scope(warroom.engine) as session:
        session.add(Job(kind="update_reminder", key="late", due_at=late))
        await session.commit()
    status, body = await probe(warroom)
    assert status == 503, body
    jobs = body["parts"]["jobs"]
    assert jobs["state"] == "lagging" and not jobs["ready"]
    assert f"over {JOB_LAG_SECONDS:.0f} s" in jobs["reason"]


async def test_probes_are_logged_at_debug_and_other_requests_at_info(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    env = {**bot_env(slack, f"sqlite:///{tmp_path / 'warroom.db'}"), "WARROOM_LOG_LEVEL": "INFO"}
    async with serve(env, log) as bot, aiohttp.ClientSession() as client:
        for path in ("/livez", "/readyz", "/healthz", "/metrics", "/nothing-here"):
            async with client.get(bot.url + path) as answer:
                await answer.read()
        # The access line is written once the answer has left: the last request's shows up.
        await slack.wait_for(lambda: "GET /nothing-here 404" in log.read_text(), timeout=10)
        lines = log.read_text()
    for path in ("/livez", "/readyz", "/healthz", "/metrics"):
        assert f"GET {path} " not in lines, path


class DatabaseLine:
    """A TCP line between warroom and PostgreSQL on 127.0.0.1 that the test cuts: the
    database unreachable as a replica sees it when its network or the server goes away."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._carry, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()


async def test_with_the_database_down_a_page_says_so_in_a_503(
    warroom_with: WarroomFactory, postgres_url: str | None
) -> None:
    if postgres_url is None:
        pytest.skip("set WARROOM_TEST_DATABASE_URL: the line cut is PostgreSQL's")
    url = make_url(postgres_url)
    line = DatabaseLine(url.host or "127.0.0.1", url.port or 5432)
    port = await line.start()
    warroom = await warroom_with(
        database_url=url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False),
        web__auth="none",  # sign-in off: the page answered on 127.0.0.1
    )
    async with aiohttp.ClientSession() as client:
        async with client.get(warroom.url + "/") as answer:
            assert answer.status == 200, await answer.text()
        line.cut()
        async with client.get(warroom.url + "/") as answer:
            page = await answer.text()
    assert answer.status == 503, page
    assert "The database is unreachable" in page
    assert "Traceback" not in page and "asyncpg" not in page
