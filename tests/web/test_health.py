"""``/livez`` and ``/readyz`` (``/healthz``) over real HTTP on 127.0.0.1, against the Slack
emulator: ready when the database and Slack answer and the token is taken; not ready, with the
reason, when the emulator is down or refuses the token, or when due work waits too long; the
probes' access lines at DEBUG (a real ``warroom serve``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.keys import job_runner_key
from bot.store.db import session_scope
from bot.store.models import Job
from bot.web.health import JOB_LAG_SECONDS
from emulator import SlackEmulator
from tests.conftest import Warroom, running_warroom
from tests.helpers.processes import bot_env, serve


async def probe(warroom: Warroom, path: str = "/readyz") -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as client, client.get(warroom.url + path) as answer:
        return answer.status, dict(await answer.json())


async def test_livez_answers_without_asking_anything(warroom: Warroom) -> None:
    mark = len(warroom.slack.calls)
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
    mark = len(warroom.slack.calls)
    for _ in range(5):
        assert (await probe(warroom))[0] == 200
    assert [call.method for call in warroom.slack.calls[mark:]] == ["auth.test"]


async def test_the_emulator_down_is_slack_unreachable(warroom: Warroom) -> None:
    await warroom.slack.stop()
    status, body = await probe(warroom)
    assert status == 503
    assert body["status"] == "unavailable"
    slack = body["parts"]["slack"]
    assert slack["state"] == "unreachable" and not slack["ready"]
    assert "did not answer auth.test" in slack["reason"]
    assert "127.0.0.1" not in str(body)
    assert body["parts"]["database"]["state"] == "ok"
    # Liveness does not follow Slack: a restart would not bring it back.
    assert (await probe(warroom, "/livez"))[0] == 200


async def test_a_refused_token_is_not_ready_with_slacks_reason(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    wrong = "xoxb-not-the-workspaces-token"
    async with running_warroom(slack, sqlite_url, slack__bot_token=wrong) as warroom:
        status, body = await probe(warroom)
    assert status == 503
    part = body["parts"]["slack"]
    assert part["state"] == "refused" and not part["ready"]
    assert "invalid_auth" in part["reason"]
    assert wrong not in str(body)


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
