"""Fixtures: databases (SQLite always, PostgreSQL when configured) and a running bot + emulator."""

from __future__ import annotations

import asyncio
import atexit
import gc
import logging
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from hypothesis import settings
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.config import Settings
from bot.keys import engine_key, job_runner_key, outbox_sender_key, services_key
from bot.services import Services
from bot.store.db import create_engine
from bot.store.migrate import upgrade_database
from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from emulator.pushover import FakePushover, new_key
from emulator.statuspage import FakeStatuspage
from tests.helpers.databases import drop_database, new_database
from tests.helpers.logs import Everything

if TYPE_CHECKING:
    from playwright.async_api import Browser

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - depends on the environment
    async_playwright = None

POSTGRES_ENV = "WARROOM_TEST_DATABASE_URL"

# Property tests check what is said, not how fast: Hypothesis's 200 ms deadline an example
# fails a test on a busy CI machine for nothing it checks. Tests that set their own keep them.
settings.register_profile("warroom", deadline=None)
settings.load_profile("warroom")

# slack_sdk copies HTTP(S)_PROXY into its clients and ignores NO_PROXY: loopback must not proxy.
for _proxy_variable in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
    os.environ.pop(_proxy_variable, None)
os.environ.setdefault("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of this test run's own on the configured PostgreSQL server, dropped at the end.

    Separate runs (a developer's and CI's, say) never reset each other's schema.
    """
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        yield None
        return
    try:
        url = asyncio.run(new_database(server_url, "warroom_test"))
    except OSError as error:
        pytest.skip(f"PostgreSQL variant skipped: {POSTGRES_ENV} is set but unreachable ({error})")
    yield url
    asyncio.run(drop_database(server_url, url))


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> str:
    """An empty database: every test using it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warroom.db'}"
    if postgres_url is None:
        pytest.skip(
            f"PostgreSQL variant skipped: set {POSTGRES_ENV} "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    await reset_postgres(postgres_url)
    return postgres_url


# Carol's Pushover user key, known to the fake Pushover.
CAROL_PUSHOVER_KEY = new_key()


@pytest.fixture
async def pushover() -> AsyncIterator[FakePushover]:
    """Pushover's Messages and Receipts APIs, faked on 127.0.0.1 (emulator/pushover.py)."""
    async with FakePushover(users=[CAROL_PUSHOVER_KEY]) as fake:
        yield fake


@pytest.fixture
async def statuspage() -> AsyncIterator[FakeStatuspage]:
    """Statuspage's API, faked on 127.0.0.1 (emulator/statuspage.py)."""
    async with FakeStatuspage() as fake:
        yield fake


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file, for tests whose subject is not the store."""
    return f"sqlite:///{tmp_path / 'warroom.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database engine (SQLite and PostgreSQL)."""
    await migrated_copy(database_url)
    engine = create_engine(database_url)
    await upgrade_database(engine)
    yield engine
    await engine.dispose()


# A SQLite database migrated once in this test process (see ``migrated_copy``).
_MIGRATED_SQLITE: Path | None = None
# PostgreSQL's database as this test process first migrated it, as SQL (``pg_dump``).
_MIGRATED_POSTGRES: str | None = None


async def migrated_copy(database_url: str) -> None:
    """An empty database becomes a copy of one migrated once in this test process: the
    migrations from nothing take 0.2 to 0.4 s of CPU each time on SQLite and seconds on
    PostgreSQL, and most tests start the bot on a new database. SQLite's file is copied;
    PostgreSQL's is replayed from ``pg_dump --inserts`` (the same tables, indexes, sequences
    and the rows the migrations write: tests/store/test_migrations.py compares the
    migrations with the models).
    The bot's start still looks for migrations to run (finding none, as on any restart); the
    tests of the migrations themselves begin from an empty database of their own."""
    url = make_url(database_url)
    if url.drivername.startswith("postgresql"):
        await _migrated_postgres(database_url)
        return
    global _MIGRATED_SQLITE
    if not url.drivername.startswith("sqlite") or not url.database:
        return
    if _MIGRATED_SQLITE is None and not Path(url.database).exists():
        directory = tempfile.mkdtemp(prefix="warroom-migrated-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        template = Path(directory) / "warroom.db"
        engine = create_engine(f"sqlite:///{template}")
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()
        # Everything in the main file, so that one file is the whole database.
        sqlite3.connect(template).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
        _MIGRATED_SQLITE = template
    # Checked again after the wait above: nothing else may have made the file meanwhile.
    if _MIGRATED_SQLITE is not None and not Path(url.database).exists():
        shutil.copyfile(_MIGRATED_SQLITE, url.database)


async def _migrated_postgres(database_url: str) -> None:
    global _MIGRATED_POSTGRES
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            if await connection.run_sync(lambda sync: inspect(sync).get_table_names()):
                return  # not empty: migrated already, or a test's own schema
        if _MIGRATED_POSTGRES is None:
            await upgrade_database(engine)
            _MIGRATED_POSTGRES = await _schema_as_sql(database_url)
            return
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            # One script, outside SQLAlchemy's prepared statements; RESET ALL undoes the
            # dump's empty search_path before the connection goes back to the pool.
            await raw.driver_connection.execute(_MIGRATED_POSTGRES)  # type: ignore[union-attr]
    finally:
        await engine.dispose()


async def _schema_as_sql(database_url: str) -> str:
    """The database as the migrations leave it, as one SQL script: its schema, Alembic's
    stamp and the rows migrations write (``change_stamp``'s slots: without them no page's
    stamp would ever move); "" without pg_dump (the migrations then run for each test)."""
    if shutil.which("pg_dump") is None:
        print("pg_dump not found: each PostgreSQL test runs the migrations", file=sys.stderr)
        return ""
    plain = make_url(database_url).set(drivername="postgresql")
    dump = await asyncio.create_subprocess_exec(
        "pg_dump",
        "--inserts",
        "--no-owner",
        "--no-privileges",
        plain.render_as_string(hide_password=False),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await dump.communicate()
    assert dump.returncode == 0, "pg_dump failed"
    # Lines starting with a backslash are psql's (\restrict), not SQL.
    sql = [line for line in out.decode().splitlines() if not line.startswith("\\")]
    return "\n".join([*sql, "RESET ALL;"])


class Clock:
    """A clock tests set and move by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


BACKGROUND_SECONDS = 30.0


@dataclass
class Warroom:
    """A running bot wired to a running Slack emulator, both on 127.0.0.1."""

    slack: SlackEmulator
    app: web.Application
    url: str
    clock: Clock

    @property
    def services(self) -> Services:
        return self.app[services_key]

    @property
    def engine(self) -> AsyncEngine:
        return self.app[engine_key]

    async def finish_background(self) -> None:
        """Wait for the work requests set off (a command's line, a button's flow) to end. On
        a loaded machine (CI: four workers on two cores, PostgreSQL beside them) that may take
        seconds: what is still running after ``BACKGROUND_SECONDS`` is cancelled, and the
        test fails on what it then misses."""
        await self.services.background.drain(timeout=BACKGROUND_SECONDS)

    async def run_jobs(self) -> None:
        """Run every job due by the test clock now, as the runner's next poll would."""
        while await self.app[job_runner_key].run_due():
            pass
        await self.app[outbox_sender_key].send_due()
        await self.slack.drain()

    async def advance(self, **delta: float) -> None:
        """Move the clock (``minutes=11``) and run what fell due."""
        self.clock.now += timedelta(**delta)
        await self.run_jobs()


async def start_warroom(
    slack: SlackEmulator, database_url: str, clock: Clock | None = None, **settings: object
) -> tuple[web.AppRunner, Warroom]:
    """Start the real application against ``slack``; the caller cleans the runner up."""
    await migrated_copy(database_url)
    config = (
        Settings()
        .changed(
            slack__bot_token=slack.bot_token,
            slack__signing_secret=slack.signing_secret,
            slack__api_url=slack.base_url,
            runtime__database_url=database_url,
            # The bot paces its calls by the emulator's window where a test compresses it, as it
            # would by Slack's minute. Elsewhere the emulator enforces no tier (only the posting
            # limit, which the bot paces by the second whatever the window), and a one-second
            # window keeps a long scenario from waiting out minutes of Tier 2 budget.
            slack__rate_window=slack.rate_window if slack.rate_limits else 1.0,
            # The application in this process runs every job itself (its runner is what the
            # tests drive); a pager would be a process of its own (tests/paging/test_pager.py).
            runtime__pager_process="off",
        )
        .changed(**settings)
    )
    clock = clock or Clock()
    runner = web.AppRunner(create_app(config, clock=clock))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    slack.events_url = f"{url}/slack/events"
    return runner, Warroom(slack=slack, app=runner.app, url=url, clock=clock)


ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    """The Slack emulator with three people and a #general channel."""
    async with SlackEmulator() as emulator:
        emulator.add_user(ALICE, "alice", "Alice Moreau")
        emulator.add_user(BOB, "bob", "Bob Okafor")
        emulator.add_user(CAROL, "carol", "Carol Tanaka")
        emulator.create_channel("general", creator=ALICE, members=[ALICE, BOB, CAROL])
        yield emulator


@asynccontextmanager
async def running_warroom(
    slack: SlackEmulator, database_url: str, clock: Clock | None = None, **settings: object
) -> AsyncIterator[Warroom]:
    """The bot running against ``slack`` until the block ends."""
    earlier = set(threading.enumerate())
    runner, running = await start_warroom(slack, database_url, clock, **settings)
    try:
        yield running
    finally:
        await _within(TEARDOWN_SECONDS, slack.drain(), "the emulator's event deliveries")
        await _within(TEARDOWN_SECONDS, runner.cleanup(), "the app's cleanup")
        await _database_threads_ended(earlier)


# Far beyond what a teardown takes (a second or two): past it, something waits on work that
# will never finish, and the test fails naming every task and where it waits.
TEARDOWN_SECONDS = 120.0


async def _within(seconds: float, work: Coroutine[Any, Any, None], what: str) -> None:
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        return task.result()
    # Stacks first, while every task still waits where it hung; then let go of the work.
    tasks = [other for other in asyncio.all_tasks() if other is not asyncio.current_task()]
    stacks = "\n".join(f"{other!r}: {other.get_stack(limit=8)}" for other in tasks)
    task.cancel()
    raise AssertionError(f"{what} did not end within {seconds:.0f} s; tasks:\n{stacks}")


async def _database_threads_ended(earlier: set[threading.Thread], timeout: float = 5.0) -> None:
    """Let the database threads this bot started finish while the event loop still runs: one
    that finishes after the loop closed fails whichever test comes next.

    A task still running once they had ``timeout`` to finish outlived the app's cleanup, and
    would hang the loop's teardown without a word (seen once in CI): fail here, naming it. A
    thread left with no task is a connection a simulated outage broke (or one that never
    opened), which ends when collected: collected here once the others had a moment, so
    that it ends on this loop.
    """
    began = time.monotonic()
    collected = False
    while time.monotonic() < began + timeout:
        if not any(
            thread.name.endswith("(_connection_worker_thread)") and thread.is_alive()
            for thread in set(threading.enumerate()) - earlier
        ):
            return
        if not collected and time.monotonic() > began + 0.2:
            gc.collect()
            collected = True
        await asyncio.sleep(0.01)
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert not tasks, "tasks outlived the app's cleanup:\n" + "\n".join(
        f"{task!r}: {task.get_stack(limit=5)}" for task in tasks
    )


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """The root logger as before the test: a command run in the test's process installs
    warroom's handler on the stream pytest captured, which closes with the test; threads
    that outlive it (aiosqlite's) would then log into a closed file."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in [h for h in root.handlers if h not in handlers and h.get_name() == "warroom"]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Everything]:
    """The root logger at DEBUG with a handler that keeps every line (caplog keeps records)."""
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


# The one way a test gets a running bot. The ``warroom`` fixture below is the only place
# ``warroom`` is defined (tests/test_tests.py keeps it so). A module whose bot needs settings of
# its own says them in a ``warroom_settings`` fixture (``WarroomFactory``'s keywords:
# ``database_url`` for SQLite and PostgreSQL, ``clock``, ``ready`` for what is done to it once
# it serves); a test that needs a bot of its own calls ``await warroom_with(...)`` in its body.
# Every bot started is stopped at the test's end, before the fakes the test asked for first
# (``warroom_settings`` is set up before ``warroom_with``, so its fakes outlive the bot).
class WarroomFactory:
    """Starts the real application against the test's Slack emulator, on the test's SQLite
    database unless given another; ``stop`` ends every one it started, last first."""

    def __init__(self, slack: SlackEmulator, sqlite_url: str) -> None:
        self.slack = slack
        self.sqlite_url = sqlite_url
        self._running = AsyncExitStack()

    async def __call__(
        self,
        *,
        database_url: str | None = None,
        clock: Clock | None = None,
        ready: Callable[[Warroom], Awaitable[None]] | None = None,
        **settings: object,
    ) -> Warroom:
        """The bot with ``settings`` (``Settings.changed``'s ``frame__name`` keywords) over the
        tests' own, at ``clock`` (a new one at now by default), on ``database_url`` (the
        ``database_url`` fixture runs the test on SQLite and on PostgreSQL); ``ready`` is
        awaited with it once it serves (a fake told its address, rows the test starts from)."""
        running = await self._running.enter_async_context(
            running_warroom(self.slack, database_url or self.sqlite_url, clock, **settings)
        )
        if ready is not None:
            await ready(running)
        return running

    async def stop(self) -> None:
        await self._running.aclose()


@pytest.fixture
async def warroom_with(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[WarroomFactory]:
    """``await warroom_with(**settings)``: the bot with these settings over the tests' own
    (``WarroomFactory``), stopped at the test's end."""
    factory = WarroomFactory(slack, sqlite_url)
    try:
        yield factory
    finally:
        await factory.stop()


@pytest.fixture
def warroom_settings() -> dict[str, object]:
    """What the ``warroom`` of a test's module is started with: none beyond the tests' own
    here. A module (or folder's conftest) that needs its own returns them from a fixture of
    this name: ``warroom_with``'s keywords (``database_url`` for SQLite and PostgreSQL,
    ``clock``, ``ready`` for what is done to the bot once it serves) and settings."""
    return {}


@pytest.fixture
async def warroom(warroom_settings: dict[str, Any], warroom_with: WarroomFactory) -> Warroom:
    """The bot, serving HTTP, talking to the emulator: on SQLite, with the module's
    ``warroom_settings``. Defined here only (tests/test_tests.py)."""
    return await warroom_with(**warroom_settings)


@pytest.fixture
async def warroom_any_db(
    warroom_settings: dict[str, Any], database_url: str, warroom_with: WarroomFactory
) -> Warroom:
    """The same bot on SQLite and on PostgreSQL."""
    return await warroom_with(**{**warroom_settings, "database_url": database_url})


# The team's model, as the postmortem tests and the command tests that hold it ask for it:
# an OpenAI-compatible fake serving MODEL to whoever holds KEY.
MODEL = "llama3.1:8b"
KEY = "sk-local-0000000000000000"


@pytest.fixture
async def model() -> AsyncIterator[FakeChatModel]:
    async with FakeChatModel(models={MODEL}, key=KEY) as fake:
        yield fake


@pytest.fixture
def people(slack: SlackEmulator) -> SlackEmulator:
    """The workspace with Dave and Erin, whom the replayed incidents name, beside the others."""
    slack.add_user("U0DAVE", "dave", "Dave Kowalski")
    slack.add_user("U0ERIN", "erin", "Erin Achebe")
    return slack


# Headless Chromium for the browser tests of every folder (the web view's pages are tested
# with their domain: tests/postmortem/test_browser_draft.py, tests/alerting/…).
CHROMIUM = Path(os.environ.get("WARROOM_TEST_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium, in the test's event loop; skipped, loudly, when it cannot run here."""
    if async_playwright is None:
        pytest.skip(
            "browser tests skipped: the playwright package is missing: pip install playwright"
        )
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests skipped: {CHROMIUM} not found: apt-get install chromium")
    # Chromium's sandbox refuses to start as root (in containers, typically).
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            yield browser
        finally:
            await browser.close()
