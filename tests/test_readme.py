"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

from bot.config import configuration_markdown, variables

REPO = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    ci_lines = (REPO / ".ci" / "run").read_text().strip().splitlines()
    (test_command,) = [line for line in ci_lines if line.endswith("python -m pytest")]
    assert f"\n{test_command}\n" in readme


def test_readme_demo_command_runs_the_demo() -> None:
    readme = (REPO / "README.md").read_text()
    assert "&& .venv/bin/warroom demo\n" in readme


def test_ci_and_pre_commit_run_the_same_checks_before_the_tests() -> None:
    """ruff, ruff format and strict mypy: in .ci/run before the suite, and as pre-commit hooks."""
    ci = (REPO / ".ci" / "run").read_text()
    hooks = (REPO / ".pre-commit-config.yaml").read_text()
    checks = (".venv/bin/ruff check", ".venv/bin/ruff format --check", ".venv/bin/mypy")
    suite = ci.index("python -m pytest")
    for check in checks:
        assert -1 < ci.find(f"\n{check}") < suite, check
        assert f"entry: {check}" in hooks, check
    assert "strict = true" in (REPO / "pyproject.toml").read_text()


def test_readme_configuration_tables_are_the_declared_settings() -> None:
    """Every variable the settings declare is in the manual with its meaning and default, as
    declared, and nothing else is: the tables are made from the declarations."""
    section = (REPO / "docs" / "configuration.md").read_text()
    assert configuration_markdown() in section
    for name in variables():
        assert section.count(f"| `{name}` |") == 1, name
