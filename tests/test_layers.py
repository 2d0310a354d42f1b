"""The folders are the layers: no module imports from a layer above its own, nor from a
sibling folder of its own layer unless that import is listed with its reason, and no two
modules import each other, however indirectly. Inside a layer, a folder per domain
(escalation, oncall, paging, status_page, workflows...), in a declared order: a domain imports
the domains before it, never one after it.

Every import of warroom's own code is read from the source (top-level, inside functions and
under ``TYPE_CHECKING`` alike; relative ones resolved, though ruff's TID252 bans them) and
checked against ``LAYERS``. A folder or module that no layer claims fails too, so a new one
has to be placed before it can land.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = ("bot", "commands", "emulator")

# Bottom to top. A layer is its folders (``bot/web/``: the package and everything below it)
# and, for the few modules at the top of bot/, those modules (``bot/metrics.py``). A module
# may import its own layer and the layers below.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("basics", ("bot/basics/", "bot/__init__.py")),
    ("store", ("bot/store/",)),
    ("record", ("bot/record/",)),
    ("settings", ("bot/config/", "bot/metrics.py")),
    ("clients", ("bot/clients/",)),
    ("flows", ("bot/flows/", "bot/services.py")),
    ("incoming", ("bot/slack/", "bot/web/", "commands/", "bot/keys.py")),
    (
        "application",
        (
            "bot/app.py",
            "bot/server.py",
            "bot/pager.py",
            "bot/admin/",
            "bot/cli.py",
            "bot/__main__.py",
        ),
    ),
)
# Inside a layer, a module imports from its own folder, the folders above it and the folders
# below it (bot/record/alerting/ and bot/record/, bot/web/ and bot/keys.py). Sibling folders
# that are not domains of one layer folder (bot/slack/, bot/web/ and commands/) stay apart: an
# import between them is listed here, importer and imported, with its reason. Domains go by
# DOMAINS, below.
SIDEWAYS: Mapping[tuple[str, str], str] = {
    ("bot.store.migrations.env", "bot.store.models"): (
        "Alembic's env registers every table on SQLModel.metadata: models/ is a folder now"
    ),
    ("bot.slack.bolt", "commands"): (
        "the Bolt app registers the /incident listeners (commands.register); commands imports "
        "nothing of bot/slack"
    ),
    (
        "bot.record.alerting.sources.grafana.receiver",
        "bot.record.alerting.sources.alertmanager.shape",
    ): "Grafana's webhook contact point sends Alertmanager's webhook shape, extended",
}
# Inside a layer's folder, its domain folders, in order: a domain may import the domains before
# it and the folder they sit in (the layer's shared modules), never a domain after it; a folder
# there that is not declared fails. "Where is escalation?": one folder per layer, under its name.
#
# One order for the layers that act on the record (the flows, and the incoming layer's web view
# and commands): each takes the domains it has from ORDER, in its order. A new domain is placed
# here once, after every domain it imports in any of them.
ORDER: tuple[str, ...] = (
    "api",
    "home",
    "oncall",
    "insights",
    "follow_ups",
    "postmortem",
    "paging",
    "escalation",
    "incident",
    "alerting",
    "changes",
    "status_page",
    "workflows",
    "agents",
)
ACTING = ("bot/flows/", "bot/web/", "commands/")
# The record keeps what happened; its order is what its modules read, and it differs from ORDER
# for these domains (each pair of domains the record puts the other way round names one of
# them), for these reasons. docs/architecture.md prints the orders side by side (``order_table``).
RECORD_DIFFERS: Mapping[str, str] = {
    "incident": (
        "every domain's record hangs from the incident (its row, its "
        "timeline, its channel's messages); above, declaring and resolving call on follow-ups, "
        "the draft, escalation and paging, so the incident's flows come after them"
    ),
    "escalation": (
        "on call's schedules and importing, and paging's shadow week, read escalation "
        "policies (their names, their levels); above, escalating asks who is on call and pages "
        "them, so it comes after on call and paging"
    ),
    "status_page": (
        "alerting's record writes the status page's notices with a maintenance window (one "
        "transaction); above, publishing reads incidents and alerts, so it comes after them"
    ),
    "alerting": (
        "on call's importing reads alerting's integrations (another tool's account carried "
        "over), and paging reads on call; above, the intake opens incidents and pages people"
    ),
    "oncall": (
        "on call's record reads escalation policies and alerting's integrations; above, most "
        "flows ask who is on call, so it comes early"
    ),
    "postmortem": (
        "the draft is written from every domain's record (alerts, escalations, pages, changes, "
        "status updates, follow-ups), so it comes after them; above, asking for the draft is "
        "a step of declaring and resolving, so the postmortem's flows come before the incident's"
    ),
}
DOMAINS: Mapping[str, tuple[str, ...]] = {
    "bot/record/": (
        "incident",
        "insights",
        "follow_ups",
        "escalation",
        "status_page",
        "alerting",
        "oncall",
        "paging",
        "changes",
        "workflows",
        "postmortem",
        "agents",
    ),
    "bot/clients/": ("slack", "pagerduty", "trackers", "webhook", "teams", "phone"),
    "bot/flows/": (
        "home",
        "oncall",
        "follow_ups",
        "postmortem",
        "paging",
        "escalation",
        "incident",
        "alerting",
        "changes",
        "status_page",
        "workflows",
    ),
    "bot/web/": (
        "api",
        "oncall",
        "insights",
        "follow_ups",
        "postmortem",
        "paging",
        "incident",
        "alerting",
        "changes",
        "status_page",
        "agents",
    ),
    # The command line's verbs, by the domain they act on: importing (moving from another
    # paging tool) reads alerting's integrations; ai and demo are the tools about warroom.
    "bot/admin/": (
        "oncall",
        "postmortem",
        "paging",
        "alerting",
        "changes",
        "workflows",
        "agents",
        "importing",
        "ai",
        "demo",
    ),
    "commands/": (
        "oncall",
        "follow_ups",
        "postmortem",
        "escalation",
        "incident",
        "alerting",
        "status_page",
    ),
}
# A loose module of a layer's folder (bot/flows/channel.py) is what its domains share: it
# imports none of them, or a domain could reach a later one through it. Exceptions, with why.
LOOSE_EXCEPTIONS: Mapping[str, str] = {
    "bot.flows.handlers": (
        "the job table: it maps every kind of job to its handler, in whichever domain it is"
    ),
    "bot.web.routes": "the route table: it mounts every domain's pages and handlers",
    "commands": "registers every subcommand's listeners, every domain's included",
    "commands.table": "the subcommand table: it names every subcommand, in whichever domain",
}
# Folders inside a layer's folder that are parts of it, not domains: no order, and its loose
# modules may import them.
NOT_DOMAINS: Mapping[str, str] = {
    "bot/store/models/": "the tables, a module per domain, that every module of the store reads",
}
# The Slack emulator stands apart, beside bot/ and outside the product's wheel: it imports
# nothing of the bot, and only the demo imports it (its alerts' steps too).
EMULATOR = "emulator"
EMULATOR_USERS = (
    "bot.admin.demo.demo",
    "bot.admin.demo.demo_model",
    "bot.admin.demo.demo_alerts",
    "bot.admin.demo.dev",
    "bot.admin.demo.emulated",
)


@dataclass(frozen=True)
class Import:
    """One import of our own code: ``importer`` (a module) imports ``imported`` (a module)."""

    importer: str
    imported: str
    line: int
    written: str = ""  # a relative import as written, e.g. ``from ..flows import declare``

    def __str__(self) -> str:
        written = f" ({self.written})" if self.written else ""
        return f"{self.importer}:{self.line} imports {self.imported}{written}"


@dataclass(frozen=True)
class Violation:
    found: Import
    why: str

    def __str__(self) -> str:
        return f"{self.found}: {self.why}"


@cache
def _layer_parts() -> tuple[tuple[int, str, bool], ...]:
    """(rank, dotted name, is a folder) for each entry of LAYERS."""
    parts = []
    for rank, (_, entries) in enumerate(LAYERS):
        for entry in entries:
            path = entry.removesuffix("/").removesuffix(".py").removesuffix("/__init__")
            parts.append((rank, path.replace("/", "."), entry.endswith("/")))
    return tuple(parts)


def layer_of(module: str) -> int | None:
    """The rank of the layer that holds ``module``; None when none does."""
    for rank, name, folder in _layer_parts():
        if module == name or (folder and module.startswith(name + ".")):
            return rank
    return None


def _path(module: str) -> Path:
    return REPO.joinpath(*module.split("."))


def is_package(module: str) -> bool:
    return (_path(module) / "__init__.py").is_file()


def _is_module(module: str) -> bool:
    return _path(module).with_suffix(".py").is_file() or is_package(module)


def folder_of(module: str) -> str:
    """The folder a module sits in, dotted: a package is its own folder."""
    return module if is_package(module) else module.rpartition(".")[0]


def own_imports(importer: str, source: str, *, package: bool = False) -> list[Import]:
    """Every module of ours that ``source`` (the module ``importer``; ``package`` when it is a
    package's ``__init__``) imports."""
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        written = ""
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                # `from ..flows import declare` in bot.record.insights: bot.flows.incident.declare.
                base = importer.split(".")[: None if package else -1]
                base = base[: len(base) - (node.level - 1)]
                imported = ", ".join(alias.name for alias in node.names)
                written = f"from {'.' * node.level}{module} import {imported}"
                module = ".".join([*base, *([module] if module else [])])
            # `from bot.flows import recorder` imports the module bot.flows.incident.recorder.
            names = [f"{module}.{alias.name}" for alias in node.names]
            names = [name if _is_module(name) else module for name in names]
        else:
            continue
        found += [
            Import(importer, name, node.lineno, written)
            for name in dict.fromkeys(names)
            if name.split(".")[0] in OURS
        ]
    return found


def violations(importer: str, source: str, *, package: bool = False) -> list[Violation]:
    """The imports in ``source`` (the module ``importer``) that break the layering."""
    return [
        Violation(found, why)
        for found in own_imports(importer, source, package=package)
        if (why := _broken(found))
    ]


def _broken(found: Import) -> str:
    """Why the import breaks the layering; empty when it does not."""
    importer, imported = found.importer, found.imported
    in_emulator = importer.split(".")[0] == EMULATOR
    of_emulator = imported.split(".")[0] == EMULATOR
    if in_emulator or of_emulator:
        if in_emulator and not of_emulator:
            return "the emulator imports nothing of the bot"
        if of_emulator and not in_emulator and importer not in EMULATOR_USERS:
            return f"only {', '.join(EMULATOR_USERS)} imports the emulator"
        return ""
    importer_rank, imported_rank = layer_of(importer), layer_of(imported)
    for module, rank in ((importer, importer_rank), (imported, imported_rank)):
        if rank is None:
            return f"{module} is in no layer: place it in tests/test_layers.py LAYERS"
    assert importer_rank is not None and imported_rank is not None
    if why := _loose_into_domain(importer, imported):
        return why
    if imported_rank > importer_rank:
        return (
            f"the {LAYERS[importer_rank][0]} layer may not import the "
            f"{LAYERS[imported_rank][0]} layer above it"
        )
    if imported_rank == importer_rank and (importer, imported) not in SIDEWAYS:
        here, there = folder_of(importer), folder_of(imported)
        if not (_within(here, there) or _within(there, here)):
            if why := _across_domains(here, there):
                return why if why != "in order" else ""
            return (
                f"{_shown(here)} and {_shown(there)} are sibling folders of the "
                f"{LAYERS[importer_rank][0]} layer: list the import in tests/test_layers.py "
                "SIDEWAYS with its reason, or move what it needs down a layer"
            )
    return ""


def _domain(folder: str) -> tuple[str, int] | None:
    """(the layer folder, the domain's place in its order) of the domain ``folder`` is in."""
    for parent, domains in DOMAINS.items():
        dotted = parent.removesuffix("/").replace("/", ".")
        name = folder.removeprefix(dotted + ".").split(".")[0]
        if folder.startswith(dotted + ".") and name in domains:
            return parent, domains.index(name)
    return None


def _across_domains(here: str, there: str) -> str:
    """ "in order" when ``here`` and ``there`` are domains of one layer folder and ``there``
    comes first; why not when it comes after; empty when they are no two such domains."""
    importer, imported = _domain(here), _domain(there)
    if importer is None or imported is None or importer[0] != imported[0]:
        return ""
    if imported[1] < importer[1]:
        return "in order"
    if imported[1] == importer[1]:
        return ""
    return (
        f"the {_shown(there)} domain comes after {_shown(here)} in tests/test_layers.py DOMAINS: "
        "a domain imports only the domains before it (move what both need into the earlier "
        "one, or the layer's shared modules)"
    )


def _loose_into_domain(importer: str, imported: str) -> str:
    """Why ``importer``, a loose module of a layer's folder, may not import ``imported`` (one
    of that folder's domains); empty when it may or when it is no such import."""
    if importer in LOOSE_EXCEPTIONS:
        return ""
    here = folder_of(importer)
    parent = next(
        (folder for folder in DOMAINS if here == folder.removesuffix("/").replace("/", ".")),
        None,
    )
    domain = _domain(folder_of(imported))
    if parent is None or domain is None or domain[0] != parent:
        return ""
    return (
        f"{importer} is a loose module of {parent}, what its domains share: it imports none "
        "of them (move what it needs into it, or itself into the domain; an exception goes "
        "in tests/test_layers.py LOOSE_EXCEPTIONS with its reason)"
    )


def _within(folder: str, outer: str) -> bool:
    return folder == outer or folder.startswith(outer + ".")


def _shown(folder: str) -> str:
    return folder.replace(".", "/") + "/"


def source_modules() -> dict[str, Path]:
    modules = {}
    for top in OURS:
        for path in sorted((REPO / top).rglob("*.py")):
            if "versions" in path.parts and "migrations" in path.parts:
                continue  # Alembic revisions are data, loaded by Alembic
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def all_imports() -> list[Import]:
    return [
        found
        for name, path in source_modules().items()
        for found in own_imports(name, path.read_text(), package=path.name == "__init__.py")
    ]


def cycles(imports: Iterable[Import]) -> list[list[Import]]:
    """Each group of modules that import each other (directly or through others), as one
    cycle through it: the imports, from the group's first module back to it."""
    graph: dict[str, dict[str, Import]] = {}
    for found in imports:
        if found.importer != found.imported:
            graph.setdefault(found.importer, {}).setdefault(found.imported, found)
    found_cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            found_cycles.append(_cycle_through(min(group), group, graph))
    return sorted(found_cycles, key=lambda cycle: cycle[0].importer)


def _strongly_connected(graph: Mapping[str, Mapping[str, Import]]) -> list[set[str]]:
    """Tarjan's algorithm, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, {}))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, following = work[-1]
            step = next(following, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.get(step, {})))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def _cycle_through(
    start: str, group: set[str], graph: Mapping[str, Mapping[str, Import]]
) -> list[Import]:
    """The shortest way from ``start`` back to itself inside ``group`` (breadth first)."""
    came_by: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, found in sorted(graph.get(node, {}).items()):
                if target not in group or target in came_by:
                    continue
                came_by[target] = found
                if target == start:
                    path = [found]
                    while path[0].importer != start:
                        path.insert(0, came_by[path[0].importer])
                    return path
                following.append(target)
        frontier = following
    raise AssertionError(f"{start} is in a group with no cycle back to it")


def describe(cycle: list[Import]) -> str:
    modules = " -> ".join([cycle[0].importer, *(found.imported for found in cycle)])
    lines = ", ".join(f"{found.importer}:{found.line}" for found in cycle)
    return f"import cycle {modules} ({lines})"


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = [
        name
        for name in source_modules()
        if name.split(".")[0] != EMULATOR and layer_of(name) is None
    ]
    assert unplaced == [], f"place these in tests/test_layers.py LAYERS: {unplaced}"


def test_every_folder_is_one_layer_and_says_what_it_may_import() -> None:
    """Each folder of LAYERS exists, sits in one layer only, and its __init__.py says what it
    may import; each folder of the source is in a layer."""
    entries = [entry for _, layer in LAYERS for entry in layer]
    assert len(entries) == len(set(entries)), "a folder or module named twice in LAYERS"
    for entry in entries:
        assert (REPO / entry).exists(), f"LAYERS names {entry}, which does not exist"
    folders = sorted(path.parent for top in OURS[:2] for path in (REPO / top).rglob("__init__.py"))
    for folder in folders:
        module = ".".join(folder.relative_to(REPO).parts)
        assert layer_of(module) is not None, f"{folder.relative_to(REPO)}/ is in no layer"
        if module == "bot":
            continue  # the distribution's root: nothing but its folders and top modules
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        assert "May import:" in docstring, (
            f"{folder.relative_to(REPO)}/__init__.py: say what the folder may import"
        )


def test_every_domain_folder_is_declared_in_its_order() -> None:
    """Each folder inside a layer's folder is one of its DOMAINS, and each domain exists."""
    for entry in (entry for _, layer in LAYERS for entry in layer if entry.endswith("/")):
        found = {path.parent.name for path in (REPO / entry).glob("*/__init__.py")}
        found -= {
            part.removeprefix(entry).strip("/") for part in NOT_DOMAINS if part.startswith(entry)
        }
        declared = set(DOMAINS.get(entry, ()))
        assert found - declared == set(), f"declare in tests/test_layers.py DOMAINS[{entry!r}]"
        assert declared - found == set(), f"DOMAINS[{entry!r}] names folders that do not exist"


def test_the_acting_layers_take_their_domains_in_one_order() -> None:
    """The flows, the web view and the commands: each layer's domains in ORDER's order."""
    for layer in ACTING:
        assert [d for d in DOMAINS[layer] if d not in ORDER] == [], f"place them in ORDER: {layer}"
        assert DOMAINS[layer] == tuple(d for d in ORDER if d in DOMAINS[layer]), (
            f"DOMAINS[{layer!r}] is not in ORDER's order"
        )


def test_the_records_order_differs_only_where_written_down() -> None:
    """Each pair of domains the record puts the other way round from ORDER names a domain of
    RECORD_DIFFERS, and each domain there is in such a pair."""
    record = DOMAINS["bot/record/"]
    shared = [d for d in ORDER if d in record]
    assert sorted(shared) == sorted(record), "every domain of the record is in ORDER"
    swapped = [
        (first, then)
        for i, first in enumerate(record)
        for then in record[i + 1 :]
        if shared.index(first) > shared.index(then)
    ]
    unexplained = [pair for pair in swapped if not set(pair) & set(RECORD_DIFFERS)]
    assert unexplained == [], f"say why in tests/test_layers.py RECORD_DIFFERS: {unexplained}"
    named = {domain for pair in swapped for domain in pair}
    assert [d for d in RECORD_DIFFERS if d not in named] == [], "it no longer differs"


def order_table() -> str:
    """The domain order of every layer, side by side: a row per domain (ORDER's), its place in
    each layer's folder (docs/architecture.md prints it)."""
    layers = ("bot/record/", *ACTING)
    rows = [
        "| domain | " + " | ".join(f"`{layer}`" for layer in layers) + " |",
        "|---|" + "---|" * len(layers),
    ]
    for domain in ORDER:
        places = [
            str(DOMAINS[layer].index(domain) + 1) if domain in DOMAINS[layer] else ""
            for layer in layers
        ]
        mark = " (record: see below)" if domain in RECORD_DIFFERS else ""
        rows.append(f"| `{domain}`{mark} | " + " | ".join(places) + " |")
    return "\n".join(rows)


def test_the_manual_prints_the_orders_side_by_side() -> None:
    manual = (REPO / "docs" / "architecture.md").read_text()
    assert order_table() in manual, (
        "docs/architecture.md: print tests.test_layers.order_table() in ## Domains in order"
    )


def test_no_import_breaks_the_layering() -> None:
    found = [str(Violation(found, why)) for found in all_imports() if (why := _broken(found))]
    assert found == [], "imports against the layering:\n" + "\n".join(found)


def test_no_module_imports_itself_through_others() -> None:
    found = [describe(cycle) for cycle in cycles(all_imports())]
    assert found == [], "modules that import each other:\n" + "\n".join(found)


def test_every_listed_sideways_import_is_made() -> None:
    """A listed exception that no longer happens is taken off the list."""
    made = {(found.importer, found.imported) for found in all_imports()}
    assert [pair for pair in SIDEWAYS if pair not in made] == []


def test_every_listed_loose_exception_imports_a_domain() -> None:
    """A loose module listed as an exception that no longer imports a domain leaves the list."""
    made = {found.importer for found in all_imports() if _domain(folder_of(found.imported))}
    assert [name for name in LOOSE_EXCEPTIONS if name not in made] == []


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        (
            "bot.record.incident.incidents",
            "from bot.flows.incident.declare import declare_incident",
        ),
        ("bot.store.models", "import bot.record.incident.timeline"),
        ("bot.clients.slack.web_api", "from bot.services import Services"),
        ("bot.record.insights", "def late():\n    from bot.config import Settings\n"),
        ("bot.record.alerting.alerts", "from bot.flows import alert_intake"),
        ("bot.flows.incident.recorder", "from bot.slack import listeners"),
        ("bot.web.incident.pages", "from bot.app import create_app"),
        ("commands.incident.start", "from bot.admin.demo.demo import run_demo"),
        # Relative imports are resolved: these point upward as surely as the absolute ones.
        ("bot.record.insights", "from ..flows import declare"),
        ("bot.record.alerting.alerts", "from ...flows.alert_intake import receive"),
        ("bot.store.models", "from .. import config"),
        # Sibling folders of one layer.
        ("bot.web.incident.pages", "from bot.slack import listeners"),
        ("commands.incident.modal", "from bot.slack.shortcuts import register"),
        ("bot.slack.listeners", "import commands.router"),
        ("bot.record.escalation.escalations", "from bot.record.oncall import schedules"),
        ("bot.record.alerting.routes", "from ..postmortem import draft"),
        # A domain imports only the domains before it in its layer.
        ("bot.flows.oncall.who", "from bot.flows.escalation import targets"),
        ("bot.record.escalation.policies", "from bot.record.workflows import runs"),
        ("bot.web.oncall.pages", "from bot.web.status_page.pages import status_page"),
        # A loose module of a layer's folder imports none of its domains.
        ("bot.flows.replies", "from bot.flows.incident.declare import declare_incident"),
        ("bot.flows.channel", "from bot.flows.escalation import targets"),
        # The emulator.
        ("emulator.server", "from bot.store.models import Incident"),
        ("bot.flows.incident.declare", "from emulator.client import SlackEmulator"),
        ("bot.cli", "import emulator"),
        ("bot.newthing", "from bot.basics.numbers import parse_bounded_int"),
    ],
)
def test_a_forbidden_import_is_caught(importer: str, source: str) -> None:
    assert violations(importer, source), f"{importer}: {source!r} should break the layering"


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("bot.flows.incident.declare", "from bot.record import incidents, timeline"),
        ("bot.flows.incident.declare", "from bot.flows import channel"),
        ("bot.web.incident.pages", "from bot.flows.postmortem.posting import schedule_publication"),
        ("bot.flows.handlers", "from bot.flows.alerting.intake import process_payload"),
        ("bot.flows.incident.declare", "from bot.flows.replies import run_and_reply"),
        ("bot.slack.bolt", "import commands"),
        ("bot.web.api.document", "from bot.keys import services_key"),
        ("bot.record.postmortem.draft", "from bot.record import insights"),
        ("bot.record.postmortem.writing", "from ..milestones import METRICS"),
        ("bot.flows.escalation.targets", "from bot.flows.oncall.handoffs import owners"),
        ("bot.flows.workflows.actions", "from bot.flows.escalation.targets import escalate"),
        ("bot.record.postmortem.writing", "from bot.record.escalation import escalations"),
        ("bot.record.postmortem.writing", "from bot.record.alerting import alerts"),
        ("bot.admin.demo.demo", "from bot.app import create_app"),
        ("bot.admin.demo.demo", "from emulator.client import SlackEmulator"),
        ("emulator.api", "from emulator.models import Channel"),
    ],
)
def test_an_allowed_import_passes(importer: str, source: str) -> None:
    assert violations(importer, source) == []


def test_a_relative_import_is_read_as_the_module_it_names() -> None:
    (found,) = own_imports("bot.record.insights", "from ..flows import replies")
    assert (found.imported, found.written) == ("bot.flows.replies", "from ..flows import replies")
    (found,) = own_imports("bot.web", "from .api import OPERATIONS", package=True)
    assert found.imported == "bot.web.api"


def test_a_cycle_is_found_and_named() -> None:
    def imports(*pairs: str) -> list[Import]:
        return [Import(a, b, 1) for pair in pairs for a, b in [pair.split()]]

    assert cycles(imports("a b", "b c", "c d")) == []
    (cycle,) = cycles(imports("a b", "b a", "c a"))
    assert describe(cycle) == "import cycle a -> b -> a (a:1, b:1)"
    (cycle,) = cycles(imports("x y", "y z", "z x", "z w"))
    assert [found.importer for found in cycle] == ["x", "y", "z"]
    assert len(cycles(imports("a b", "b a", "c d", "d c"))) == 2


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
    from bot.clients.slack import errors as slack_errors

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


# One read outside bot.config, each with its reason: ``warroom mcp`` says a missing
# DATABASE_URL before it answers its client's ``initialize``, which it answers before
# anything heavy is imported (bot.config is seconds of it), so it cannot ask bot.config.
OUTSIDE_THE_SETTINGS = {("bot.cli", "DATABASE_URL")}


def _read_allowed(name: str, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    key = node.args[0]
    return isinstance(key, ast.Constant) and (name, key.value) in OUTSIDE_THE_SETTINGS


def test_only_the_settings_read_the_environment() -> None:
    found = [
        f"{name}:{node.lineno}"
        for name, path in source_modules().items()
        if name != "bot.config" and not name.startswith(("bot.config.", EMULATOR))
        for node in ast.walk(ast.parse(path.read_text()))
        if _reads_environment(node) and not _read_allowed(name, node)
    ]
    assert found == [], f"read the environment through bot.config instead: {found}"


def test_the_environment_check_sees_a_read() -> None:
    for source in ('os.environ.get("X")', 'environ["X"]', 'os.getenv("X")'):
        assert any(_reads_environment(node) for node in ast.walk(ast.parse(source))), source
    assert not any(_reads_environment(n) for n in ast.walk(ast.parse("f(os.environ)")))
