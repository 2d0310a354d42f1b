"""Where a server's time goes: py-spy samples of its CPU, snapshots of what its threads wait
on, and the SQL statements one event costs.

Used by ``bench.ingestion --profile`` and by ``python -m bench --write-results`` when a
target is not met. py-spy (``pip install py-spy``) reads the server's memory from outside,
so the bot is not changed or restarted to be profiled.

The summary groups the CPU samples by the layer of the innermost Python frame (SQLAlchemy,
aiosqlite, asyncio, Bolt, aiohttp, warroom's own code…): SQLAlchemy's async layer runs
queries in greenlets, which py-spy shows as stacks cut off above the greenlet, so
"innermost frame" is the attribution that stays true.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import Server

WAKE_UPS = "the event loop's cross-thread wake-ups (one per hop to the database's thread)"
# Innermost-frame layers, in plain words; the first pattern that matches the frame wins.
LAYERS: list[tuple[str, str]] = [
    ("EpollSelector.select", "waiting for the network (the event loop's select)"),
    ("_connection_worker_thread (aiosqlite", "SQLite itself (aiosqlite's worker threads)"),
    ("(aiosqlite/", "aiosqlite's hand-off of each statement to its thread"),
    ("(sqlalchemy/", "SQLAlchemy (ORM flush, statement compilation, sessions, savepoints)"),
    (
        "<sqlalchemy generated",
        "SQLAlchemy (ORM flush, statement compilation, sessions, savepoints)",
    ),
    ("(sqlmodel/", "SQLModel and pydantic (model construction)"),
    ("(pydantic", "SQLModel and pydantic (model construction)"),
    ("_write_to_self", WAKE_UPS),
    ("_read_from_self", WAKE_UPS),
    ("call_soon_threadsafe", WAKE_UPS),
    ("(asyncio/", "the event loop (scheduling callbacks, futures)"),
    ("(slack_bolt/", "slack-bolt (middleware, listener matching, kwargs injection)"),
    ("(slack_sdk/", "slack-sdk (signature check)"),
    ("(aiohttp/", "aiohttp (HTTP parsing and responses)"),
    ("(bot/", "warroom's own code"),
    ("(commands/", "warroom's own code"),
    ("(json/", "JSON"),
    ("(no Python frame)", "native code with no Python frame on the stack"),
    ("(prometheus_client/", "metrics"),
    ("(logging/", "logging"),
]
OTHER = "other"
RATE = 250  # py-spy's samples a second: each sample stands for 1/RATE s of CPU
# Frames whose inclusive share says something on its own (not cut off by greenlets).
INCLUSIVE = [
    ("Session._flush (sqlalchemy", "ORM flush (turning added objects into INSERTs)"),
    ("SessionTransaction.commit (sqlalchemy", "commits"),
    ("Connection.begin_nested (sqlalchemy", "opening savepoints (insert_once)"),
    ("_release_savepoint_impl (sqlalchemy", "releasing savepoints"),
    ("_compile_w_cache (sqlalchemy", "compiling statements (cache lookups)"),
    ("AsyncApp.async_dispatch (slack_bolt", "Bolt's dispatch, listeners included"),
    ("SignatureVerifier.is_valid (slack_sdk", "the signature check"),
]


@dataclass
class Snapshots:
    """What the database connection threads were doing, from ``py-spy dump --native``."""

    taken: int = 0
    threads: int = 0  # connection threads seen, summed over snapshots
    busy_waiting: int = 0  # of those, asleep in SQLite's busy handler (waiting for the lock)

    def sentence(self) -> str:
        if not self.taken or not self.threads:
            return "no snapshots of the connection threads were taken"
        return (
            f"in {self.taken} snapshots, {self.busy_waiting / self.taken:.1f} of "
            f"{self.threads / self.taken:.1f} database connection threads on average were "
            "asleep inside sqlite3_step, in SQLite's busy handler: waiting for the write lock "
            "another connection held"
        )


@dataclass
class Profile:
    samples: int = 0
    layers: Counter[str] = field(default_factory=Counter)
    leaves: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)
    threads: Counter[str] = field(default_factory=Counter)

    def share(self, count: int) -> str:
        return f"{count / self.samples:.0%}" if self.samples else "-"


def py_spy() -> str:
    return shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def available() -> bool:
    return Path(py_spy()).exists() or shutil.which("py-spy") is not None


@contextlib.asynccontextmanager
async def sampling(
    server: Server, output: Path, snapshots: Snapshots | None = None, every: float = 1.0
) -> AsyncIterator[None]:
    """py-spy records ``server``'s CPU (every thread) while the block runs; with
    ``snapshots``, also dumps its native stacks every ``every`` seconds."""
    recorder = await asyncio.create_subprocess_exec(
        py_spy(),
        "record",
        "--pid",
        str(server.pid),
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "--threads",
        "--nonblocking",
        "--output",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(1.0)  # attached
    dumping = None
    if snapshots is not None:
        dumping = asyncio.get_running_loop().create_task(_dump_every(server, snapshots, every))
    try:
        yield
    finally:
        if dumping is not None:
            dumping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dumping
        recorder.send_signal(signal.SIGINT)
        _, errors = await recorder.communicate()
        if not output.exists():
            raise RuntimeError(f"py-spy failed ({recorder.returncode}): {errors.decode()[-500:]}")


async def _dump_every(server: Server, snapshots: Snapshots, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        dump = await asyncio.create_subprocess_exec(
            py_spy(),
            "dump",
            "--native",
            "--pid",
            str(server.pid),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        output, _ = await dump.communicate()
        count_waits(output.decode(errors="replace"), snapshots)


def count_waits(dump: str, snapshots: Snapshots) -> None:
    """Count connection threads, and those asleep in SQLite's busy handler, in one dump."""
    threads = re.split(r"\n(?=Thread )", dump)
    workers = [t for t in threads if "_connection_worker_thread" in t.splitlines()[0]]
    if not workers:
        return
    snapshots.taken += 1
    snapshots.threads += len(workers)
    snapshots.busy_waiting += sum(
        1 for t in workers if "sqlite3_step" in t and ("usleep" in t or "nanosleep" in t)
    )


def read_collapsed(path: Path) -> Profile:
    """Parse py-spy's raw output: ``thread (tid): name;frame;frame… count`` per line."""
    profile = Profile()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        thread, *frames = stack.split(";")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in frames] or ["(no Python frame)"]
        profile.samples += count
        profile.threads[re.sub(r"\s*\(\d+\)", "", thread).removeprefix("thread: ")] += count
        leaf = frames[-1]
        profile.leaves[leaf] += count
        profile.layers[layer_of(leaf)] += count
        for pattern, _ in INCLUSIVE:
            if any(pattern in frame for frame in frames):
                profile.inclusive[pattern] += count
    return profile


def layer_of(frame: str) -> str:
    return next((name for pattern, name in LAYERS if pattern in frame), OTHER)


def summary(profile: Profile, snapshots: Snapshots | None = None, top: int = 12) -> list[str]:
    """Markdown lines: layers, the heaviest innermost frames, a few inclusive shares."""
    if not profile.samples:
        return ["(the profile holds no samples)"]
    lines = [
        f"{profile.samples} samples of the server's threads while it was under load "
        "(py-spy, 250 per second, CPU only). Share of the samples by the layer of the "
        "innermost Python frame:",
        "",
    ]
    lines += [f"- {profile.share(count)} {name}" for name, count in profile.layers.most_common()]
    lines += ["", "Heaviest innermost frames (self time):", ""]
    lines += [
        f"- {profile.share(count)} `{frame}`" for frame, count in profile.leaves.most_common(top)
    ]
    lines += ["", "Inclusive shares of a few steps (within the database greenlets):", ""]
    lines += [
        f"- {profile.share(profile.inclusive[pattern])} {name}"
        for pattern, name in INCLUSIVE
        if profile.inclusive[pattern]
    ]
    if snapshots is not None:
        lines += ["", f"Waiting, not computing: {snapshots.sentence()}."]
    return lines


def per_event(mine: Profile, theirs: Profile, events: int, top: int = 15) -> list[str]:
    """Markdown lines: µs of CPU an event by layer and by innermost frame, warroom beside
    bare Bolt (both profiles of the same ``events`` deliveries), the frames warroom adds most
    first: what each would take off warroom's CPU an event."""
    if not events or not mine.samples or not theirs.samples:
        return ["(no samples to compare)"]
    micros = 1e6 / RATE / events  # µs an event for each sample

    def rows(ours: Counter[str], bare: Counter[str]) -> list[str]:
        extra = Counter({name: ours[name] - bare[name] for name in ours.keys() | bare.keys()})
        return [
            f"| {name} | {ours[name] * micros:.1f} | {bare[name] * micros:.1f} "
            f"| {more * micros:+.1f} |"
            for name, more in extra.most_common(top)
        ]

    head = ["| | warroom µs/event | bare Bolt µs/event | added |", "|---|---|---|---|"]
    return [
        f"CPU an event by layer ({events} deliveries to each server, py-spy at {RATE}/s; "
        f"in all {mine.samples * micros:.0f} µs against {theirs.samples * micros:.0f} µs):",
        "",
        *head,
        *rows(mine.layers, theirs.layers),
        "",
        "By innermost frame, what warroom adds most:",
        "",
        *head,
        *rows(mine.leaves, theirs.leaves),
    ]


# -- statements per event ----------------------------------------------------------------
async def statements_per_event() -> dict[str, list[str]]:
    """The SQL statements warroom runs for one message, one plain reaction and one reaction
    that promotes its message: the application in this process, on SQLite, with SQLite's trace
    of its connection (the same code the server runs; nothing in the bot is changed)."""
    from emulator import SlackEmulator
    from tests.conftest import ALICE, BOB, CAROL, running_warroom
    from tests.helpers.incidents import open_incident

    seen: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        async with SlackEmulator() as slack:
            for user, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
                slack.add_user(user, name, name.title())
            slack.create_channel("general", creator=ALICE, members=[ALICE, BOB, CAROL])
            async with running_warroom(slack, f"sqlite:///{Path(tmp) / 'w.db'}") as warroom:
                channel = await open_incident(warroom)
                channel.members.update({BOB, CAROL})
                await slack.drain()
                log = StatementLog()
                await log.listen(warroom.engine)
                said = await slack.post_message(channel.id, "p99 is 2 s", user=BOB)
                await slack.add_reaction(channel.id, said.ts, "eyes", user=CAROL)
                await slack.add_reaction(channel.id, said.ts, "mag", user=CAROL)
                await slack.drain()
                await log.remove()
                seen["message"] = log.transaction_of("INSERT channel_message")
                reactions = log.transactions_of("INSERT reaction")
                seen["reaction"] = reactions[0] if reactions else []
                seen["reaction that promotes"] = reactions[1] if len(reactions) > 1 else []
    return seen


class StatementLog:
    """The statements SQLite's one connection runs, in order, as SQLite itself traces them
    (``sqlite3.Connection.set_trace_callback``): what SQLAlchemy sends and what goes to the
    driver as it is (bot/store/direct.py, which SQLAlchemy's events never see) alike."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._raw: Any = None

    async def listen(self, engine: Any) -> None:
        async with engine.connect() as connection:
            self._raw = (await connection.get_raw_connection()).driver_connection
        await self._raw.set_trace_callback(lambda sql: self.statements.append(short_sql(sql)))

    async def remove(self) -> None:
        await self._raw.set_trace_callback(None)

    def transactions_of(self, marker: str) -> list[list[str]]:
        """Each transaction holding ``marker``: from its BEGIN to its COMMIT or ROLLBACK."""
        found, current = [], list[str]()
        for statement in self.statements:
            if statement.startswith("BEGIN"):
                current = []
            current.append(statement)
            if statement in ("COMMIT", "ROLLBACK"):
                if marker in current:
                    found.append(current)
                current = []
        return found

    def transaction_of(self, marker: str) -> list[str]:
        transactions = self.transactions_of(marker)
        return transactions[0] if transactions else []


def short_sql(sql: str) -> str:
    """``SELECT incident``, ``INSERT processed_event``, ``SAVEPOINT``…"""
    words = sql.split()
    verb = words[0].upper() if words else ""
    if verb == "SELECT" and (found := re.search(r'\bFROM\s+"?(\w+)', sql, re.IGNORECASE)):
        return f"SELECT {found.group(1)}"
    if verb == "INSERT" and len(words) > 2:
        return f"INSERT {words[2].strip(chr(34))}"
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1].strip(chr(34))}"
    if verb == "RELEASE":
        return "RELEASE SAVEPOINT"
    return " ".join(words[:2]) if verb == "BEGIN" else verb


def statements_summary(seen: dict[str, list[str]]) -> list[str]:
    lines = []
    for kind, statements in seen.items():
        lines.append(f"- {kind}: {len(statements)} statements: {', '.join(statements)}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m bench.profiling [FILE]``: summarise a py-spy raw profile;
    ``python -m bench.profiling FILE BARE EVENTS``: warroom's CPU an event beside bare Bolt's."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        for line in statements_summary(asyncio.run(statements_per_event())):
            print(line)
        return
    if len(args) == 3:  # warroom's profile, bare Bolt's, the deliveries each received
        mine, theirs = read_collapsed(Path(args[0])), read_collapsed(Path(args[1]))
        for line in per_event(mine, theirs, int(args[2])):
            print(line)
        return
    for line in summary(read_collapsed(Path(args[0]))):
        print(line)


if __name__ == "__main__":
    main()
