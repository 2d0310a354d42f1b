"""The folders are the layers: no module imports from a layer above its own.

Every import of warroom's own code is read from the source (top-level, inside functions and
under ``TYPE_CHECKING`` alike) and checked against ``LAYERS``. A module that no layer claims
fails too, so a new module has to be placed before it can land.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Bottom to top. A module may import its own layer and the layers below. ``name.*`` is a
# package and everything in it; a plain name is that module only.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("basics", ("bot", "bot.basics.*")),
    ("store", ("bot.store.*",)),
    (
        "record",
        ("bot.record.*",),
    ),
    ("settings", ("bot.config", "bot.metrics")),
    ("clients", ("bot.clients.*",)),
    ("services", ("bot.services",)),
    ("flows", ("bot.flows.*",)),
    ("incoming", ("bot.slack.*", "commands.*", "bot.web.*", "bot.keys")),
    ("application", ("bot.app", "bot.server")),
    ("admin", ("bot.admin.*",)),
    ("command line", ("bot.cli", "bot.__main__")),
)
# The Slack emulator stands apart: it imports nothing of the bot, and only the demo (and the
# command line that starts it) imports it, so it can never become part of what runs in Slack.
EMULATOR = "emulator"
EMULATOR_USERS = ("bot.admin", "bot.cli")


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def layer_of(module: str) -> int | None:
    """The rank of the layer that names ``module``; None when none does."""
    for rank, (_, names) in enumerate(LAYERS):
        for name in names:
            package = name.removesuffix(".*")
            if module == package or (name.endswith(".*") and module.startswith(package + ".")):
                return rank
    return None


def own_imports(source: str) -> list[tuple[str, int]]:
    """Every module of ours that ``source`` imports, with its line."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from bot.flows import recorder` imports the module bot.flows.recorder.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name if _is_module(name) else node.module for name in names]
        else:
            continue
        found += [
            (name, node.lineno)
            for name in names
            if name.split(".")[0] in ("bot", "commands", EMULATOR)
        ]
    return found


def _is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(importer: str, source: str) -> list[Violation]:
    """The imports in ``source`` (the module ``importer``) that break the layering."""
    found = []
    for imported, line in own_imports(source):
        if _crosses_emulator(importer, imported):
            found.append(Violation(importer, imported, line))
            continue
        if importer.startswith(EMULATOR) or imported.startswith(EMULATOR):
            continue
        importer_rank, imported_rank = layer_of(importer), layer_of(imported)
        if importer_rank is None or imported_rank is None or imported_rank > importer_rank:
            found.append(Violation(importer, imported, line))
    return found


def _crosses_emulator(importer: str, imported: str) -> bool:
    inside = importer.startswith(EMULATOR)
    if inside:
        return not imported.startswith(EMULATOR)
    return imported.startswith(EMULATOR) and not importer.startswith(EMULATOR_USERS)


def source_modules() -> dict[str, Path]:
    modules = {}
    for top in ("bot", "commands", EMULATOR):
        for path in sorted((REPO / top).rglob("*.py")):
            if "versions" in path.parts and "migrations" in path.parts:
                continue  # Alembic revisions are data, loaded by Alembic
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = [
        name
        for name in source_modules()
        if not name.startswith(EMULATOR) and layer_of(name) is None
    ]
    assert unplaced == [], f"place these in tests/test_layers.py LAYERS: {unplaced}"


def test_no_import_points_upward() -> None:
    found = [
        str(violation)
        for name, path in source_modules().items()
        for violation in violations(name, path.read_text())
    ]
    assert found == [], "imports against the layering:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("bot.record.incidents", "from bot.flows.declare import declare_incident"),
        ("bot.store.models", "import bot.record.timeline"),
        ("bot.clients.slack", "from bot.services import Services"),
        ("bot.record.insights", "def late():\n    from bot.config import Settings\n"),
        ("bot.record.alerting.alerts", "from bot.flows import alert_intake"),
        ("bot.flows.recorder", "from bot.slack import listeners"),
        ("bot.web.pages", "from bot.app import create_app"),
        ("commands.start", "from bot.admin.demo import run_demo"),
        ("emulator.server", "from bot.store.models import Incident"),
        ("bot.flows.declare", "from emulator.client import SlackEmulator"),
        ("bot.newthing", "from bot.basics.numbers import parse_bounded_int"),
    ],
)
def test_a_forbidden_import_is_caught(importer: str, source: str) -> None:
    assert violations(importer, source), f"{importer}: {source!r} should break the layering"


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("bot.flows.declare", "from bot.record import incidents, timeline"),
        ("bot.web.pages", "from bot.flows.postmortem_posting import write_draft"),
        ("bot.slack.bolt", "import commands"),
        ("bot.admin.demo", "from emulator.client import SlackEmulator"),
        ("emulator.api", "from emulator.models import Channel"),
    ],
)
def test_an_allowed_import_passes(importer: str, source: str) -> None:
    assert violations(importer, source) == []


# The Slack SDK stays at the edges: Bolt's incoming side, the outgoing client, the emulator.
SLACK_SDK_ALLOWED = ("bot.slack", "bot.clients", "emulator")


def test_slack_sdk_is_imported_only_at_the_edges() -> None:
    found = [
        f"{name}:{node.lineno}"
        for name, path in source_modules().items()
        if not name.startswith(SLACK_SDK_ALLOWED)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            module.split(".")[0] == "slack_sdk"
            for module in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        )
    ]
    assert found == [], f"slack_sdk imported outside the Slack edges: {found}"


def test_no_slack_error_code_is_matched_above_the_client() -> None:
    """Flows decide on the client's failures (gone, not allowed, ...), never on Slack's codes."""
    from bot.clients import slack_errors

    codes = slack_errors.KNOWN_CODES
    found = [
        f"{name}:{node.lineno} {node.value!r}"
        for name, path in source_modules().items()
        if not name.startswith(("bot.clients", "emulator"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in codes
    ]
    assert found == [], f"Slack error codes matched outside bot.clients: {found}"


def _reads_environment(node: ast.AST) -> bool:
    """``environ.get(...)``, ``environ[...]``, ``os.getenv(...)``: reading, not handing on."""

    def is_environ(value: ast.AST) -> bool:
        return (isinstance(value, ast.Name) and value.id == "environ") or (
            isinstance(value, ast.Attribute) and value.attr == "environ"
        )

    if isinstance(node, ast.Subscript):
        return is_environ(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return (node.func.attr == "get" and is_environ(node.func.value)) or (
            node.func.attr == "getenv"
        )
    return False


def test_only_the_settings_read_the_environment() -> None:
    found = [
        f"{name}:{node.lineno}"
        for name, path in source_modules().items()
        if name != "bot.config" and not name.startswith(EMULATOR)
        for node in ast.walk(ast.parse(path.read_text()))
        if _reads_environment(node)
    ]
    assert found == [], f"read the environment through bot.config instead: {found}"


def test_the_environment_check_sees_a_read() -> None:
    for source in ('os.environ.get("X")', 'environ["X"]', 'os.getenv("X")'):
        assert any(_reads_environment(node) for node in ast.walk(ast.parse(source))), source
    assert not any(_reads_environment(n) for n in ast.walk(ast.parse("f(os.environ)")))
