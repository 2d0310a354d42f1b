"""A newcomer's first commands, typed as the manual says (a fresh SQLite file, a fresh
PostgreSQL database, only the manual's variables): none refuses for a reason that is untrue,
none answers with a traceback.

- a routes file without ``WARROOM_ALERT_TOKEN`` is no refusal: integrations carry their own
  keys, and without either intake is off (never open);
- a database with no tables is answered "run `warroom db upgrade`" by every command that reads
  it (a SQLite file is upgraded by the command itself, as ``warroom serve`` does);
- an e-mail integration without ``WARROOM_BOUNCE_DOMAIN`` is refused in words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.alerting.test_integrations_cli import migrated
from tests.helpers.processes import run_warroom

ROUTES = "routes:\n  - name: checkout\n    match: {service: checkout}\n"


def routes_file(tmp_path: Path) -> str:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES)
    return str(path)


async def test_a_routes_file_without_the_global_token_refuses_nothing(
    database_url: str, tmp_path: Path
) -> None:
    await migrated(database_url)
    env = {"DATABASE_URL": database_url, "WARROOM_ALERT_ROUTES": routes_file(tmp_path)}
    made = run_warroom(
        "integrations",
        "create",
        "--service",
        "checkout",
        "--kind",
        "pagerduty",
        env=env,
        clean=True,
    )
    assert made.returncode == 0, made.stderr
    assert "accept anyone" not in made.stderr
    listed = run_warroom("integrations", "list", env=env, clean=True)
    assert listed.returncode == 0, listed.stderr
    assert "checkout" in listed.stdout
    services = run_warroom("services", "list", env=env, clean=True)
    assert services.returncode == 0, services.stderr
    assert "WARROOM_ALERT_TOKEN" not in services.stderr


NEEDS_THE_DATABASE = [
    ("integrations", "list"),
    ("integrations", "create", "--service", "checkout", "--kind", "opsgenie"),
    ("alerts", "list"),
    ("tokens", "list"),
    ("maintenance", "list"),
    ("changes", "list"),
    ("postmortem", "INC-1"),
]


@pytest.mark.parametrize("words", NEEDS_THE_DATABASE, ids=lambda words: "-".join(words[:2]))
async def test_a_database_with_no_tables_is_answered_in_words(
    database_url: str, tmp_path: Path, words: tuple[str, ...]
) -> None:
    done = run_warroom(*words, env={"DATABASE_URL": database_url}, cwd=tmp_path, clean=True)
    assert "Traceback" not in done.stderr, done.stderr
    assert "sqlalchemy" not in done.stderr.lower(), done.stderr
    if database_url.startswith("sqlite"):
        # A fresh SQLite file is upgraded by the command itself, as serve does at its start.
        assert "db upgrade" not in done.stderr, done.stderr
        return
    assert done.returncode == 1, done.stdout + done.stderr
    assert "has no tables yet: run `warroom db upgrade`" in done.stderr


def test_an_unreachable_database_is_said_so() -> None:
    done = run_warroom(
        "integrations",
        "list",
        env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
        clean=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot reach the database at DATABASE_URL" in done.stderr


async def test_an_email_integration_without_its_domain_is_refused_in_words(
    database_url: str,
) -> None:
    await migrated(database_url)
    done = run_warroom(
        "integrations",
        "create",
        "--service",
        "checkout",
        "--kind",
        "email",
        env={"DATABASE_URL": database_url},
        clean=True,
    )
    assert done.returncode == 1, done.stdout
    assert "@WARROOM_BOUNCE_DOMAIN" not in done.stdout + done.stderr
    assert "set WARROOM_BOUNCE_DOMAIN" in done.stderr
    assert run_warroom(
        "integrations", "list", env={"DATABASE_URL": database_url}, clean=True
    ).stdout.startswith("no integration"), "nothing made"


def test_the_head_a_command_compares_with_is_alembic_s() -> None:
    from alembic.script import ScriptDirectory

    from bot.store.migrate import alembic_config, shipped_revisions

    assert (
        shipped_revisions()[1] == ScriptDirectory.from_config(alembic_config()).get_current_head()
    )
