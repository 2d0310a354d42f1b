"""Schema migrations with Alembic, run over the application's own async engine."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import create_engine, sqlite_write_problem

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every replica.
_POSTGRES_MIGRATION_LOCK = 7_316_424_001


class SchemaNotUpgraded(SQLAlchemyError):
    """Alembic would not bring the schema up to date (a database newer than this warroom, a
    revision it does not know); the message is Alembic's."""


# What migrations keep and the models do not: the search words' FTS5 tables and their shadow
# tables (SQLite) and expression indexes (PostgreSQL) of 0077_search_words, read by
# bot/record/incident/search.py.
SEARCH_WORDS = ("incident_words", "timeline_entry_words", "action_item_words")


def modelled(_object: object, name: str | None, _kind: str, _reflected: bool, _to: object) -> bool:
    """Whether a comparison of the schema with the models (autogenerate, the tests) looks at
    this object: everything but the search words' tables and indexes."""
    return not name or not any(
        name == words or name.startswith(f"{words}_") or name == f"ix_{words}"
        for words in SEARCH_WORDS
    )


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe when several replicas start at once."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    if revision == "head" and _stamped(connection) == shipped_revisions()[1]:
        # Every start but the first after an upgrade: Alembic would read every migration file
        # to find nothing to do.
        return
    if connection.dialect.name == "postgresql":
        # A migration may rewrite a big table, and waits while another replica migrates: the
        # time-outs that bound the application's waits (bot/store/db.py) are lifted for it.
        connection.execute(text("SET LOCAL statement_timeout = 0"))
        connection.execute(text("SET LOCAL lock_timeout = 0"))
        # Replicas starting together must not run the same migration twice.
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_POSTGRES_MIGRATION_LOCK})"))
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


class DatabaseNotReady(Exception):
    """The database cannot serve a command: unreachable, or its schema is not the one this
    warroom reads (no tables yet, an older revision). Said in words, with what to do, instead
    of the first query's traceback."""


UPGRADE_FIRST = (
    "the database at DATABASE_URL {state}: run `warroom db upgrade` (or start `warroom serve`, "
    "which upgrades it) first"
)
_REVISION = re.compile(r"^revision(?:: str)? = [\"']([^\"']+)[\"']", re.MULTILINE)


def shipped_revisions() -> tuple[tuple[str, ...], str]:
    """(the revision file names this warroom ships, its head), read from the file names and
    the last file's ``revision`` line: Alembic itself reads every migration (a third of a
    second) to say the same, which a command on a database up to date does not need. The
    migrations are numbered, and a revision id is its file's name from 0002 on."""
    stems = tuple(sorted(p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py")))
    found = _REVISION.search((MIGRATIONS_DIR / "versions" / f"{stems[-1]}.py").read_text())
    return stems, found.group(1) if found else stems[-1]


async def database_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: no tables yet); DatabaseNotReady when it cannot
    be reached."""
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_stamped)
    except (OSError, SQLAlchemyError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DatabaseNotReady(
            f"cannot reach the database at DATABASE_URL ({first}): is it running, and is "
            "DATABASE_URL right?"
        ) from None


def _stamped(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def not_ready(current: str | None) -> str | None:
    """Why a database at revision ``current`` cannot serve this warroom's commands; None when
    it can (at the head, or at a revision newer than any this warroom ships: a newer
    warroom's replica upgraded it, and the tables this one reads are there)."""
    stems, head = shipped_revisions()
    if current is None:
        return UPGRADE_FIRST.format(state="has no tables yet")
    known = any(stem == current or stem.startswith(f"{current}_") for stem in stems)
    if known and current != head:
        return UPGRADE_FIRST.format(state=f"is at revision {current}, this warroom needs {head}")
    return None


async def command_engine(database_url: str, *, upgrade_any: bool = False) -> AsyncEngine:
    """The engine a one-off command (``warroom oncall who``, ``alerts``, ``postmortem``) reads
    through. An embedded SQLite file is brought up to date first, as ``warroom serve`` does
    at its start: a fresh file has no tables, and nothing else would create them. PostgreSQL
    is shared by the running replicas, so a command typed on a laptop never changes its schema
    (``warroom serve`` or ``warroom db upgrade`` do), and one not upgraded is refused in words
    (DatabaseNotReady); nor does a command upgrade a SQLite file it cannot write (reading says
    why). ``upgrade_any``: an operator's set-up step (``warroom import``, which keeps
    overrides) upgrades any database first, as ``warroom db upgrade`` does. A database up to
    date is not handed to Alembic at all (``shipped_revisions``)."""
    engine = create_engine(database_url)
    try:
        problem = not_ready(await database_revision(engine))
        writable = engine.dialect.name != "sqlite" or sqlite_write_problem(database_url) is None
        if problem and (engine.dialect.name == "sqlite" or upgrade_any) and writable:
            await _quietly_upgraded(engine)
        elif problem:
            raise DatabaseNotReady(problem)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def _quietly_upgraded(engine: AsyncEngine) -> None:
    """Upgraded, without Alembic's INFO lines (for a server's log, not a person's terminal)."""
    from alembic.util.exc import CommandError

    migrations = logging.getLogger("alembic")
    level = migrations.level
    migrations.setLevel(max(level, logging.WARNING))
    try:
        await upgrade_database(engine)
    except CommandError as error:
        raise SchemaNotUpgraded(str(error)) from None
    finally:
        migrations.setLevel(level)
