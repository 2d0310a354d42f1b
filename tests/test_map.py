"""The map stays true: each package's ``__init__.py`` docstring names every module and folder in
it, and the manual's Layout (docs/architecture.md) names every folder of bot/ and commands/
and every module in them, in the row of its folder. A module or folder added without a word
on where it is fails here. No product module (bot/, commands/, emulator/) is over 800 lines,
and no function in them over 80 lines (its own).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOPS = ("bot", "commands")
# In the Layout block (docs/architecture.md) a row is its layer and path, then its
# description from this column.
DESCRIPTION = 28


def packages() -> list[Path]:
    """Every package folder under bot/ and commands/, the two tops included."""
    return sorted(path.parent for top in TOPS for path in (REPO / top).rglob("__init__.py"))


def modules(package: Path) -> list[str]:
    return sorted(path.stem for path in package.glob("*.py") if path.name != "__init__.py")


def folders(package: Path) -> list[str]:
    """Its subfolders, packages or not (``bot/store/migrations/``)."""
    return sorted(
        path.name
        for path in package.iterdir()
        if path.is_dir() and path.name != "__pycache__" and not path.name.startswith(".")
    )


def shown(package: Path) -> str:
    return package.relative_to(REPO).as_posix() + "/"


def names(docstring: str, package: str, name: str) -> bool:
    """Whether the docstring names ``name`` as ``name``, ``name/``, ``name.more`` or
    ``package.name``."""
    pattern = rf"``(?:{re.escape(package)}\.)?{re.escape(name)}(?:/|\.[\w.]*)?``"
    return re.search(pattern, docstring) is not None


def test_every_package_docstring_names_its_modules_and_folders() -> None:
    missing = []
    for package in packages():
        init = package / "__init__.py"
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        dotted = ".".join(package.relative_to(REPO).parts)
        missing += [
            f"{init.relative_to(REPO)}: add ``{name}`` to its docstring, with what it is"
            for name in modules(package)
            if not names(docstring, dotted, name)
        ]
        missing += [
            f"{init.relative_to(REPO)}: add ``{name}/`` to its docstring, with what it is"
            for name in folders(package)
            if not names(docstring, dotted, name)
        ]
    assert missing == [], "the package docstrings miss:\n" + "\n".join(missing)


@dataclass(frozen=True)
class Row:
    """A row of the Layout block (docs/architecture.md): the words before the description
    column (a layer and a path, or a domain folder indented under the row above), the column
    its path begins at, and its description, all its lines."""

    head: tuple[str, ...]
    column: int
    text: str


@cache
def layout_block() -> tuple[Row, ...]:
    section = (REPO / "docs" / "architecture.md").read_text()
    block = section.split("\n```\n")[1]
    rows: list[tuple[list[str], int, list[str]]] = []
    for line in block.split("\n"):
        head = line[:DESCRIPTION].split()
        if head or not rows:
            rows.append((head, line.rindex(head[-1], 0, DESCRIPTION) if head else 0, []))
        rows[-1][2].append(line[DESCRIPTION:])
    return tuple(Row(tuple(head), column, "\n".join(text)) for head, column, text in rows)


def row_of(folder: str) -> Row | None:
    """The row that describes ``folder`` (``bot/record/``, ``bot/record/oncall/``): its own, a
    domain row under its parent's, or its parent's when the parent names it inline."""
    rows = layout_block()
    parent, _, name = folder.removesuffix("/").rpartition("/")
    if not parent or parent == "bot":
        return next((row for row in rows if folder in row.head), None)
    above = row_of(parent + "/")
    if above is None:
        return None
    for row in rows[rows.index(above) + 1 :]:
        if row.column <= above.column:
            break  # the next layer, folder or module: no domain row of ``above`` follows
        if row.head == (name + "/",):
            return row
    return above if _word(name + "/", above.text) else None


def _word(name: str, text: str) -> bool:
    """``name`` as a word (``people``, ``people.py``; not ``bot/people`` or ``people_api``)."""
    return re.search(rf"(?<![\w/]){re.escape(name)}(?![\w])", text) is not None


# The longest a product module may be (#62): past it, a module holds more than one thing, and
# is split into modules of its folder named for what their code is about.
MOST_LINES = 800
PRODUCT = ("bot", "commands", "emulator")


def test_no_product_module_is_over_800_lines() -> None:
    long = [
        f"{path.relative_to(REPO).as_posix()}: {count} lines"
        for top in PRODUCT
        for path in sorted((REPO / top).rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    ]
    assert long == [], f"over {MOST_LINES} lines, split by what the code is about:\n" + "\n".join(
        long
    )


# The longest a product function may be, in its own lines: a function nested in it
# (a closure, as an MCP tool or a route's handler) counts apart. Past it, split the function
# along its roles (docs/adding-a-feature.md). Ruff holds its branches and statements (C901,
# PLR0915 in pyproject.toml); no ruff rule counts lines.
MOST_FUNCTION_LINES = 80
# Longer, each a table written as code rather than logic, held at the length it has.
LONG_DECLARATIONS = {
    "emulator/pagerduty_account.py:documented_account": (167, "PagerDuty's documented examples"),
    "emulator/opsgenie_samples.py:schedules": (122, "Opsgenie's sample schedules, literal"),
}


def own_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Its lines, from ``def`` to its end, less those of the functions and classes in it."""
    nested, below = 0, list(ast.iter_child_nodes(function))
    while below:
        node = below.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([node.lineno] + [each.lineno for each in node.decorator_list])
            nested += (node.end_lineno or node.lineno) - start + 1
        else:
            below.extend(ast.iter_child_nodes(node))
    return (function.end_lineno or function.lineno) - function.lineno + 1 - nested


def function_lengths() -> dict[str, int]:
    """Every product function's own lines, by ``path:Class.name`` (``path:name``)."""
    lengths: dict[str, int] = {}
    for top in PRODUCT:
        for path in sorted((REPO / top).rglob("*.py")):
            shown_path = path.relative_to(REPO).as_posix()
            if shown_path.startswith("bot/store/migrations/versions/"):
                continue  # history, as it ran
            tree = ast.parse(path.read_text(encoding="utf-8"))
            classes = {
                child: node.name
                for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef)
                for child in node.body
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    name = f"{classes[node]}.{node.name}" if node in classes else node.name
                    lengths[f"{shown_path}:{name}"] = max(
                        own_lines(node), lengths.get(f"{shown_path}:{name}", 0)
                    )
    return lengths


def test_no_product_function_is_over_the_line_limit() -> None:
    lengths = function_lengths()
    long = [
        f"{name}: {count} lines"
        for name, count in sorted(lengths.items())
        if count > LONG_DECLARATIONS.get(name, (MOST_FUNCTION_LINES, ""))[0]
    ]
    assert long == [], f"over {MOST_FUNCTION_LINES} lines, split along its roles:\n" + "\n".join(
        long
    )
    gone = [name for name in LONG_DECLARATIONS if lengths.get(name, 0) <= MOST_FUNCTION_LINES]
    assert gone == [], f"within {MOST_FUNCTION_LINES} lines now: drop from LONG_DECLARATIONS"


def test_the_function_length_limit_counts_a_long_function_and_not_its_closures() -> None:
    body = "\n".join(f"    x{n} = {n}" for n in range(MOST_FUNCTION_LINES))
    (long,) = ast.parse(f"def long():\n{body}\n").body
    closure = "\n".join(f"        x{n} = {n}" for n in range(MOST_FUNCTION_LINES))
    (outer,) = ast.parse(f"def outer():\n    def inner():\n{closure}\n    return inner\n").body
    assert isinstance(long, ast.FunctionDef) and isinstance(outer, ast.FunctionDef)
    assert own_lines(long) == MOST_FUNCTION_LINES + 1
    assert own_lines(outer) == 2


def test_every_folder_is_in_the_readme_layout() -> None:
    missing = [
        f"docs/architecture.md: add {shown(package)}"
        + (
            ""
            if package.parent in (REPO, REPO / "bot")
            else f" as {package.name}/ under (or in) the row of {shown(package.parent)}"
        )
        for package in packages()
        if package != REPO / "bot" and row_of(shown(package)) is None
    ]
    assert missing == [], "the Layout misses folders:\n" + "\n".join(missing)


def test_every_module_is_in_the_readme_layout() -> None:
    block = "\n".join(" ".join(row.head) + " " + row.text for row in layout_block())
    missing = []
    for package in packages():
        folder = shown(package)
        if folder == "bot/":
            missing += [
                f"docs/architecture.md: add bot/{name}.py"
                for name in modules(package)
                if f"bot/{name}.py" not in block
            ]
            continue
        row = row_of(folder)
        if row is None:
            continue  # the folder test names it
        if package.parent not in (REPO, REPO / "bot") and row is row_of(shown(package.parent)):
            where = f"the row of {shown(package.parent)}, beside {package.name}/"
        else:
            where = f"the row of {folder}"
        missing += [
            f"docs/architecture.md: add {name} to {where}"
            for name in modules(package)
            if not _word(name, row.text)
        ]
    assert missing == [], "the Layout misses modules:\n" + "\n".join(missing)


# The suite's root holds the checks of the whole repository and nothing else (tests/__init__.py).
TESTS_ROOT = {"conftest", "test_layers", "test_manual", "test_map", "test_readme", "test_tests"}


def suite_folders() -> list[str]:
    return folders(REPO / "tests")


def layout_row_of_tests() -> str:
    """The tests/ row of the manual's Layout (docs/architecture.md) block, all its lines."""
    readme = (REPO / "docs" / "architecture.md").read_text()
    start = readme.index("\ntests/ ")
    lines = readme[start + 1 :].split("\n")
    return "\n".join([lines[0], *_continued(lines[1:])])


def _continued(lines: list[str]) -> list[str]:
    taken = []
    for line in lines:
        if not line.startswith(" "):
            break
        taken.append(line)
    return taken


def test_the_tests_root_holds_only_the_repo_wide_checks() -> None:
    extra = sorted(set(modules(REPO / "tests")) - TESTS_ROOT)
    assert extra == [], (
        f"tests/: move {extra} into the folder of what each tests (tests/<layer or feature>/), "
        "its helpers into tests/helpers/"
    )


def test_every_tests_folder_is_named_in_its_docstring_and_the_readme_layout() -> None:
    docstring = ast.get_docstring(ast.parse((REPO / "tests" / "__init__.py").read_text())) or ""
    row = layout_row_of_tests()
    missing = [
        f"tests/__init__.py: add ``{name}/`` to its docstring"
        for name in suite_folders()
        if not names(docstring, "tests", name)
    ] + [
        f"docs/architecture.md: add {name}/ to the row of tests/"
        for name in suite_folders()
        if not _word(name + "/", row)
    ]
    assert missing == [], "\n".join(missing)


def _fixtures_of(path: Path) -> set[str]:
    """The names a test module defines as pytest fixtures."""
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any("fixture" in ast.unparse(each) for each in node.decorator_list)
    }


def test_no_test_module_imports_another_ones_fixtures() -> None:
    """Fixtures shared by several modules live in the conftest.py of the folder they share."""
    fixtures = {
        ".".join(path.relative_to(REPO).with_suffix("").parts): _fixtures_of(path)
        for path in (REPO / "tests").rglob("test_*.py")
    }
    imported = [
        f"{path.relative_to(REPO)} imports the fixture {alias.name} of {node.module}"
        for path in (REPO / "tests").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module in fixtures
        for alias in node.names
        if alias.name in fixtures[node.module]
    ]
    assert imported == []
