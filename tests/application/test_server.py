"""The process around the bot: health check, command line, demo, installation."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text
from sqlmodel import col, select

from bot import server
from bot.app import create_app
from bot.basics.render import Renderer
from bot.cli import DEMO_NEEDS_THE_EMULATOR, DEV_NEEDS_THE_EMULATOR
from bot.config import Settings
from bot.server import connect_socket_mode
from bot.store.db import Identity, create_engine, session_scope, sqlite_write_problem
from bot.store.models import Incident
from emulator import SlackEmulator
from tests.conftest import ALICE, Warroom, start_warroom
from tests.helpers.gfm import assert_reads_well, every_draft_reads_well
from tests.helpers.processes import run_warroom

REPO = Path(__file__).resolve().parents[2]


async def test_healthz_is_200_with_the_database_up(warroom: Warroom) -> None:
    async with aiohttp.ClientSession() as client, client.get(f"{warroom.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["parts"]["database"]["state"] == "ok"


async def test_healthz_is_200_while_a_long_write_holds_the_sqlite_connection(
    warroom: Warroom,
) -> None:
    async with session_scope(warroom.engine) as session:
        await session.exec(text("SELECT 1"))  # the pool's one connection, in a write transaction
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{warroom.url}/healthz") as response,
        ):
            assert response.status == 200


async def test_healthz_is_503_with_the_database_down() -> None:
    # Nothing listens on port 9 of loopback: the database is unreachable.
    settings = Settings().changed(
        slack__bot_token="xoxb-x",  # type: ignore[arg-type]
        slack__signing_secret="s",  # type: ignore[arg-type]
        runtime__database_url="postgresql://nobody@127.0.0.1:9/none",
    )
    runner = web.AppRunner(create_app(settings, migrate=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 503
            assert (await response.json())["parts"]["database"]["state"] == "unreachable"
    finally:
        await runner.cleanup()


def test_help_lists_the_commands() -> None:
    result = run_warroom("--help")
    assert result.returncode == 0
    for command in ("serve", "db", "manifest", "demo"):
        assert command in result.stdout


def test_serve_names_missing_configuration_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'warroom.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A ``/data`` owned by root, mode 0755, as a bind mount of a root-owned directory is."""
    data = tmp_path / "data"
    data.mkdir()
    if os.getuid() == 0:
        os.chown(data, 0, 0)
    data.chmod(0o755)
    return data


OPENSHIFT = Identity(uid=1000650000, gids=frozenset({0}))  # an arbitrary uid in group 0


def test_a_data_directory_another_uid_cannot_write_is_named(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'warroom.db'}"
    problem = sqlite_write_problem(url, OPENSHIFT)
    assert problem is not None
    assert problem.startswith(f"cannot write the SQLite database {data_dir / 'warroom.db'}: ")
    owner = data_dir.stat().st_uid
    assert f"{data_dir} is owned by uid {owner} gid " in problem and "mode 0755" in problem
    assert "warroom runs as uid 1000650000 in groups 0" in problem


def test_a_group_writable_data_directory_lets_any_uid_of_group_0_write(data_dir: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give the directory to group 0")
    os.chown(data_dir, 10001, 0)
    data_dir.chmod(0o775)  # the image's /data: uid 10001's, writable by group 0
    url = f"sqlite:///{data_dir / 'warroom.db'}"
    assert sqlite_write_problem(url, OPENSHIFT) is None
    database = data_dir / "warroom.db"
    database.touch(mode=0o644)  # left by another uid: the file itself is not group-writable
    os.chown(database, 10001, 0)
    problem = sqlite_write_problem(url, OPENSHIFT)
    assert problem is not None and f"{database} is owned by uid 10001 gid 0" in problem


def test_serve_says_in_one_line_where_the_database_cannot_be_written(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-volume" / "warroom.db"
    result = run_warroom("serve", env={"DATABASE_URL": f"sqlite:///{missing}"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"warroom: cannot write the SQLite database {missing}: {missing.parent} is not a directory"
    ]


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    result = run_warroom("db", "upgrade", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w.db").exists()
    again = run_warroom("db", "upgrade", env={"DATABASE_URL": url})
    assert again.returncode == 0, again.stderr


@pytest.mark.timeout(900)
def test_demo_plays_an_incident_and_writes_the_postmortem(tmp_path: Path) -> None:
    # Its database kept where the test can read it: its draft in every style and language.
    database_url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        capture_output=True,
        text=True,
        timeout=600,  # a hang's guard, not its pace: at a load of 24 the demo took over 120 s
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Postmortem draft written to" in result.stdout
    path = Path(result.stdout.split("Postmortem draft written to")[1].strip().splitlines()[0])
    assert path.parent == tmp_path and path.exists()
    postmortem = path.read_text()
    assert "# Postmortem: INC-3 Checkout page returns 500s" in postmortem
    assert "Incident declared" in postmortem and "Incident resolved" in postmortem
    # What a person must write is asked for: suggested by the model and not accepted yet.
    assert "not yet accepted**: accept or edit it in Slack or in the web view." in postmortem
    assert "Seeing a spike in 500s" in result.stdout  # the transcript was printed
    # One follow-up filed in the fake GitHub, its address shown, and linked in the draft.
    filed = re.search(
        r"acme/checkout#1: (http://127\.0\.0\.1:\d+/acme/checkout/issues/1)", result.stdout
    )
    assert filed and f"]({filed.group(1)})" in postmortem
    assert re.search(
        r"Incident page .*: http://127\.0\.0\.1:\d+/incidents/INC-3 \(answered 200\)", result.stdout
    )
    assert re.search(
        r"Public status page \(no sign-in\): http://127\.0\.0\.1:\d+/status \(answered 200\)",
        result.stdout,
    )
    assert "## Status page updates" in postmortem
    assert "Some card payments fail at checkout." in postmortem
    # On call: Alice asks who is on call (Bob); Bob hands over to Carol with an override; the
    # error rate alert's policy reaches the schedule at its level 1, so Carol, told by DM; the
    # incident declared from the alert brings her in without paging her again.
    assert re.search(r"\*checkout-primary\*: @Bob Okafor until .* then @Carol", result.stdout)
    assert "Override #1: @Carol Tanaka is on call for *checkout-primary*" in result.stdout
    assert "On call for *checkout-primary*: @Carol Tanaka (told by DM)" in result.stdout
    assert (
        "*SEV2 Alert* Checkout page returns 500s (high urgency): you are paged by its escalation"
        " policy checkout-oncall."
    ) in result.stdout
    # Carol's phone: the push at once, the SMS, then the call in which she presses 1, each
    # the alert's (high urgency), acknowledging it.
    assert "push (priority 5): SEV2 Alert: Checkout page returns 500s: High urgency." in (
        result.stdout
    )
    assert "SMS: SEV2 Alert: Checkout page returns 500s (high urgency). Paged by escalation" in (
        result.stdout
    )
    assert "after her keypress it said: Acknowledged the alert Checkout page returns 500s." in (
        result.stdout
    )
    assert "was acknowledged by @Carol Tanaka by keypress (@Carol Tanaka)" in result.stdout
    assert "was acknowledged by @Carol Tanaka by keypress" in postmortem
    assert r"checkout-primary \(on call: @Carol Tanaka\)" in postmortem
    # A typed incident with a field, and workflows acting on it: Alice declares it
    # customer-facing, its workflow posts the comms checklist, Carol's field sets off another.
    assert "| Type | customer-facing |" in postmortem
    assert "| Customer impact | degraded |" in postmortem
    assert "Customers can see INC-3: name a comms lead" in result.stdout
    assert "Workflow customer-comms: posted in the incident channel" in result.stdout
    assert "- [ ] Write to the customers who saw INC-3" in postmortem
    # The team's model (a fake on 127.0.0.1) suggests the written sections; Carol accepts the
    # summary, which is the draft's summary with her name; a sentence no cited entry holds
    # is listed, not written.
    assert "What the team's model (llama3.1:8b, a fake on 127.0.0.1) was sent:" in result.stdout
    assert "carol presses Accept on the suggested summary" in result.stdout
    summary = postmortem.split("## Issue summary")[1].split("**Impact:**")[0]
    assert re.search(
        r"About 20% of checkouts failed with a card error\. \(\[\d+:\d\d [AP]M, Carol Tanaka\]",
        summary,
    ), summary
    assert "_Suggested by llama3.1:8b, accepted by Carol Tanaka," in summary
    assert '- "The rollback took 5 minutes." (cites [' in postmortem
    # The model, asked again, finds a sentence wrong in meaning, and says which words
    # contradict it; the sentences kept show the words that prove them.
    # Its 8 kept sentences, and a control made from each among them.
    assert "then 16 sentences, each with the entries it cites" in result.stdout
    assert re.search(
        r'Left out for its meaning: "The orders database was overloaded, which slowed '
        r'checkout\." \(cites .*\): llama3\.1:8b found it contradicted by \[\d+:\d\d [AP]M\]'
        r"\(.*\), Dave Kowalski: “Database is healthy”\.",
        result.stdout,
    ), result.stdout
    assert "meaning checked by llama3.1:8b against the quoted words" in postmortem
    assert "> _— “Rolling back the payment gateway release.” ([" in postmortem
    # Dave marks his refutation a dead end and answers its question: it rules out his idea of
    # twelve minutes before, and the draft shows that path from the idea to the refutation.
    assert "dave answers the question under the :x:: it rules out an earlier idea" in (
        result.stdout
    )
    paths = postmortem.split("## Misleading investigation paths")[1].split("\n## ")[0]
    assert re.search(
        r"- Slow queries on the orders database\? Checking the DB logs\. \(\[\d+:\d\d [AP]M\]"
        r"\(.*\), Dave Kowalski\) — ruled out \[\d+:\d\d [AP]M\]\(.*\), Dave Kowalski: “Database is"
        r" healthy, that was a dead end\.”\. 12 minutes\.",
        paths,
    ), paths
    # The impact ends at the alert's resolution (proposed, to confirm), before the resolve.
    assert "The end is proposed from the alerts' resolution, to confirm" in postmortem
    # The duration is the time between the corrected start and that proposed end, as shown
    # (the demo's steps set both, so the figure follows them rather than a constant).
    duration = postmortem.split("**Duration:**")[1].splitlines()[0]
    shown = re.search(
        r"(\d+):(\d\d) ([AP]M)\b.*? to .*?(\d+):(\d\d) ([AP]M)\b.*\((\d+) hours? (\d+) minutes?\)",
        duration,
    )
    assert shown, duration

    def minutes(hour: str, minute: str, half: str) -> int:
        return (int(hour) % 12 + (12 if half == "PM" else 0)) * 60 + int(minute)

    between = (minutes(*shown.group(4, 5, 6)) - minutes(*shown.group(1, 2, 3))) % (24 * 60)
    assert between == int(shown.group(7)) * 60 + int(shown.group(8)) and between > 60, duration
    # An agent, the MCP SDK's client on the demo's /mcp with a token the demo made, reads the
    # incident, asks for related ones, proposes a finding citing an entry; Carol accepts it.
    agent = result.stdout.split("An agent (triage-bot, the MCP SDK's client on /mcp")[1]
    # The workspace's history holds two earlier checkout incidents: the channel offered them
    # as the incident opened, and the agent finds them, each with why and its root cause.
    assert "The workspace's history: INC-1, INC-2, earlier checkout incidents" in result.stdout
    assert ":mag: *2 earlier incidents on checkout:*" in result.stdout
    assert "related_incidents: 2 earlier incidents: INC-2, INC-1" in agent
    assert "INC-1 Checkout 500s after the payment gateway's config push: shares the alert" in agent
    # The team's model (a fake) checked the proposal's meaning, as it checks its own.
    assert "its meaning: checked" in agent
    assert "meaning checked by the team's model against the quoted words" in agent
    assert re.search(
        r"proposed for the lessons: Every supported card type needs an integration test\. "
        r"\(cites E\d+\)",
        agent,
    ), agent
    assert "in the channel: :memo: *Proposed by triage-bot (an agent" in agent
    assert "carol presses Accept on the proposal by triage-bot" in agent
    lessons = postmortem.split("## Lessons learned")[1].split("\n## ")[0]
    assert "Every supported card type needs an integration test." in lessons
    assert r"_Suggested by triage-bot \(agent\), accepted by Carol Tanaka" in lessons
    # The paging drill reaches Carol, who opted in, through each provider; the Paging panel's
    # figures are printed beside the insights' address.
    drill = result.stdout.split("warroom paging drill (Carol opted in):")[1]
    assert re.search(r"Paging drill of \d{4}-\d\d-\d\d \d\d:\d\d UTC \(run by hand\):", drill)
    for check in ("ntfy ntfy: ok", "twilio sms: ok", "twilio voice: ok"):
        assert f"{check} (through U0CAROL)" in drill, drill
    assert re.search(
        r"Paging panel \(http://127\.0\.0\.1:\d+/insights\), last 7 days: pages \d+", drill
    )
    # Paced under Slack's limits: never answered 429, so nothing said about rate limits.
    assert "rate-limited" not in result.stderr, result.stderr
    # Read as GitHub reads Markdown, its draft and the draft in every style and language.
    assert_reads_well(postmortem, "the demo's draft")
    assert asyncio.run(_every_demo_draft(database_url)) == 6


async def _every_demo_draft(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_scope(engine) as session:
            # The demo's own incident: the workspace's history has two earlier ones.
            (incident,) = (
                await session.exec(select(Incident).where(col(Incident.channel_id).is_not(None)))
            ).all()
        assert incident.channel_id is not None and incident.resolved_at is not None
        return await every_draft_reads_well(
            engine, Renderer(), incident.channel_id, now=incident.resolved_at
        )
    finally:
        await engine.dispose()


def test_demo_serve_keeps_the_incident_page_open_until_interrupted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert demo.stdout is not None
        page = ""
        for line in demo.stdout:
            if line.startswith("Incident page"):
                page = line.split(": ", 1)[1].split(" ")[0]
            if line.startswith("Serving the web view"):
                break
        assert page, "the demo printed no incident page"
        with urllib.request.urlopen(page, timeout=10) as answer:
            html = answer.read().decode()
        assert "INC-3: Checkout page returns 500s" in html and "Postmortem draft" in html
        with urllib.request.urlopen(page.rsplit("/incidents/", 1)[0] + "/", timeout=10) as answer:
            assert "INC-3" in answer.read().decode()
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=20) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


INSTALLS = pytest.mark.skipif(
    os.environ.get("WARROOM_TEST_INSTALL") != "1",
    reason="installs into a fresh venv (slow); .ci/run sets WARROOM_TEST_INSTALL=1",
)


def fresh_venv(tmp_path: Path, *install: str) -> Path:
    """A new virtual environment with ``pip install <install>`` done; its bin directory."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = venv / "bin" / "pip"
    result = subprocess.run(
        [str(pip), "install", "--quiet", *install], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return venv / "bin"


# The installed command sees none of this run's database or import path (a checkout on
# PYTHONPATH would lend the wheel the emulator it must not hold).
SET_BY_THE_RUN = ("DATABASE_URL", "PYTHONPATH")


def run_installed(
    bin_dir: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "warroom"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k not in SET_BY_THE_RUN}, **(env or {})},
    )


@INSTALLS
def test_the_wheel_holds_no_emulator_and_its_demo_says_where_to_get_it(tmp_path: Path) -> None:
    """The product's wheel is bot/ and commands/ (with templates/): the Slack emulator stays in
    the repository, and `warroom demo` from the wheel says so in one line."""
    wheels = tmp_path / "wheels"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    build = subprocess.run(
        [*pip_wheel, "-w", str(wheels), str(REPO)], capture_output=True, text=True, timeout=600
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("warroom-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert [name for name in names if "emulator" in name.split("/")[0]] == []
    assert {name.split("/")[0] for name in names if name.endswith(".py")} == {"bot", "commands"}
    assert "bot/templates/postmortem/en/language.yaml" in names
    # Exactly what git tracks: nothing a working tree collects (a .env, a database) ships.
    tracked = subprocess.run(
        ["git", "ls-files", "bot", "commands", "templates"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    shipped = {name for name in names if ".dist-info/" not in name}
    assert shipped == {
        path.replace("templates/", "bot/templates/", 1) if path.startswith("templates/") else path
        for path in tracked
    }
    bin_dir = fresh_venv(tmp_path, str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    demo = run_installed(bin_dir, elsewhere, "demo")
    assert demo.returncode == 1
    assert demo.stderr == DEMO_NEEDS_THE_EMULATOR + "\n"
    assert demo.stdout == "" and not list(elsewhere.iterdir())
    dev = run_installed(bin_dir, elsewhere, "dev")
    assert dev.returncode == 1
    assert dev.stderr == DEV_NEEDS_THE_EMULATOR + "\n"
    assert dev.stdout == "" and not list(elsewhere.iterdir())
    # The rest of the command line works from the wheel, out of the repository.
    url = f"sqlite:///{elsewhere / 'w.db'}"
    upgrade = run_installed(bin_dir, elsewhere, "db", "upgrade", env={"DATABASE_URL": url})
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]


@INSTALLS
def test_the_readme_install_runs_the_demo_from_elsewhere(tmp_path: Path) -> None:
    """The README's install (the lock, then `pip install --no-deps -e .`) puts the repository
    on sys.path: the emulator is importable and the demo runs from any directory."""
    bin_dir = fresh_venv(tmp_path, "-r", str(REPO / "requirements.lock"))
    installed = subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", "--no-deps", "-e", str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_installed(bin_dir, elsewhere, "demo")
    assert result.returncode == 0, result.stderr[-2000:]
    assert list(elsewhere.glob("warroom-demo-postmortem-INC-*.md"))


async def test_socket_mode_serves_the_same_listeners(slack: SlackEmulator, sqlite_url: str) -> None:
    runner, warroom = await start_warroom(slack, sqlite_url, slack__app_token=slack.app_token)
    slack.events_url = None  # nothing reaches the bot over HTTP now
    handler = await connect_socket_mode(warroom.app)
    try:
        slack.transport = "socket"
        await slack.wait_for(slack.socket_connected)
        general = slack.channel_by_name("general")
        assert general is not None
        response = await slack.send_command("start Socket checkout", user=ALICE, channel=general.id)
        assert response.status == 200
        channel = await slack.wait_for(lambda: slack.channel_by_name("inc-1-socket-checkout"))
        await slack.wait_for(lambda: channel.pins and ALICE in channel.members)
        reply = await slack.wait_for(
            lambda: [m for m in slack.ephemeral_for(ALICE) if m.via == "response_url"]
        )
        assert "INC-1" in reply[0].text
    finally:
        await handler.close_async()
        await runner.cleanup()


async def test_a_task_that_will_not_end_cannot_hold_the_shutdown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After the server stops, a task that ignores its cancellation gets LEFTOVER_SECONDS and
    is named with where it waits (asyncio.run would wait on it without end, and SIGTERM would
    not end the process)."""

    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            try:
                await released.wait()
            except asyncio.CancelledError:
                continue  # a task that swallows its cancellation

    task = asyncio.get_running_loop().create_task(stubborn(), name="stubborn work")
    await asyncio.sleep(0)
    began = time.monotonic()
    await server._end_leftover_tasks()
    assert time.monotonic() - began < server.LEFTOVER_SECONDS + 1.0
    assert "task stubborn work did not end at shutdown" in caplog.text
    assert "stubborn" in caplog.text.split("waits at:", 1)[1]
    released.set()
    await task
