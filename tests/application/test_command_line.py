"""The ``warroom`` command line as people expect one: ``warroom --help``
and every command's own ``--help`` answer without importing any feature (measured in CPU
seconds of the child process, which other work on the machine does not inflate), and every
command's options are still all there when that command runs."""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bot.admin.progress import Progress
from bot.cli import FEATURES, build_parser
from tests.helpers.processes import REPO, run_warroom

# What `--help` must not pay for: the database layer, the HTTP stack, Slack's SDK, the flows.
HEAVY = ("sqlalchemy", "sqlmodel", "aiohttp", "slack_bolt", "slack_sdk", "bot.flows", "bot.store")


def _commands() -> list[str]:
    (sub,) = [a for a in build_parser(None)._actions if a.dest == "command"]
    return sorted(sub.choices)  # type: ignore[arg-type]


# Every command: its own --help is read from a light module (the heavy ones' options from
# bot/admin/arguments.py), the feature imported only when the command runs.
LIGHT = ["", *_commands()]
PROBE = """
import json, sys
from bot.cli import main
try:
    main(sys.argv[1:] + ["--help"])
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] if not m.startswith("bot.") else ".".join(m.split(".")[:2])
                for m in sys.modules} & set(json.loads(sys.stdin.readline())))
print("\\nHEAVY " + json.dumps(heavy))
"""


def _help(command: str) -> tuple[str, list[str], float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *command.split()],
        input=json.dumps(list(HEAVY)) + "\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text, _, heavy = done.stdout.rpartition("\nHEAVY ")
    return text, json.loads(heavy), cpu


@pytest.mark.parametrize("command", LIGHT, ids=lambda c: c or "warroom")
def test_help_answers_without_importing_a_feature(command: str) -> None:
    text, heavy, cpu = _help(command)
    assert text.startswith("usage: warroom"), text
    assert heavy == [], f"`warroom {command} --help` imported {heavy}"
    assert cpu <= 0.5, f"`warroom {command} --help` took {cpu:.2f} s of CPU"


def test_the_top_level_help_lists_every_command_with_its_line() -> None:
    text, _, _ = _help("")
    for name, feature in FEATURES.items():
        assert name in text and feature.help[:40] in " ".join(text.split())


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_each_feature_s_options_are_read_when_it_runs(name: str) -> None:
    """The table's stub is replaced by the feature's own options for its command."""
    parser = build_parser(name)
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    own = sub.choices[name]  # type: ignore[index]
    assert own.description or own._actions[1:], f"{name} has no options of its own"
    assert build_parser(None)._actions


def test_the_light_modules_offer_the_features_own_choices() -> None:
    """bot/admin/arguments.py says the heavy commands' choices again, so as not to import
    them for --help: they must stay the features' own."""
    from bot.admin import arguments
    from bot.admin.ai import ai_eval
    from bot.admin.importing import importing
    from bot.record.workflows.definitions import OPEN_FOR, TRIGGERS
    from bot.store.models import SEVERITIES, Status

    assert arguments.SEVERITIES == SEVERITIES
    assert tuple(status.value for status in Status) == arguments.STATUSES
    assert tuple(t.split(".", 1)[1] for t in (*TRIGGERS, OPEN_FOR)) == arguments.WORKFLOW_EVENTS
    assert tuple(sorted(importing.VENDORS)) == arguments.IMPORT_VENDORS
    assert (ai_eval.MIN_PRECISION, ai_eval.MIN_RECALL) == (0.95, 0.8)


def test_progress_is_a_line_in_place_at_a_terminal_and_a_line_a_step_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        progress = Progress("ai eval", stream)
        progress.step(1, 2, "asking the model about INC-1")
        progress.step(2, 2, "asking the model about INC-2")
        progress.end()
    assert piped.getvalue().splitlines() == [
        "ai eval: asking the model about INC-1 (1 of 2)",
        "ai eval: asking the model about INC-2 (2 of 2)",
    ]
    assert "\n" not in terminal.getvalue() and terminal.getvalue().endswith("\r\033[K")


@pytest.mark.parametrize(
    "words",
    [["tokens", "list"], ["maintenance", "list"], ["alerts", "list"], ["mcp"], ["serve"]],
    ids=" ".join,
)
def test_a_command_that_reads_the_database_refuses_without_database_url(
    tmp_path: Path, words: list[str]
) -> None:
    done = run_warroom(*words, cwd=tmp_path, clean=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "DATABASE_URL is not set" in done.stderr
    assert "DATABASE_URL=sqlite:///warroom.db" in done.stderr, "how to make one on purpose"
    assert list(tmp_path.iterdir()) == [], "no ./warroom.db made quietly"


def test_a_command_that_reads_only_files_needs_no_database(tmp_path: Path) -> None:
    schedules = tmp_path / "schedules.yaml"
    schedules.write_text("schedules: []\n")
    done = run_warroom("oncall", "check", str(schedules), cwd=tmp_path, clean=True)
    assert "DATABASE_URL" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedules.yaml"]
