"""Schema migrations with Alembic, run over the application's own async engine."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import create_engine, sqlite_write_problem

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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe when several replicas start at once."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # A migration may rewrite a big table, and waits while another replica migrates: the
        # time-outs that bound the application's waits (bot/store/db.py) are lifted for it.
        connection.execute(text("SET LOCAL statement_timeout = 0"))
        connection.execute(text("SET LOCAL lock_timeout = 0"))
        # Replicas starting together must not run the same migration twice.
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_POSTGRES_MIGRATION_LOCK})"))
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def command_engine(database_url: str, *, upgrade_any: bool = False) -> AsyncEngine:
    """The engine a one-off command (``warroom oncall who``, ``alerts``, ``postmortem``) reads
    through. An embedded SQLite file is brought up to date first, as ``warroom serve`` does
    at its start: a fresh file has no tables, and nothing else would create them. PostgreSQL
    is shared by the running replicas, so a command typed on a laptop never changes its schema
    (``warroom serve`` or ``warroom db upgrade`` do); nor does one whose SQLite file it cannot
    write (reading says why). ``upgrade_any``: an operator's set-up step (``warroom import``,
    which keeps overrides) upgrades any database first, as ``warroom db upgrade`` does."""
    engine = create_engine(database_url)
    writable = engine.dialect.name != "sqlite" or sqlite_write_problem(database_url) is None
    if (engine.dialect.name == "sqlite" or upgrade_any) and writable:
        # Alembic's INFO lines are for a server's log, not for a person's terminal.
        migrations = logging.getLogger("alembic")
        level = migrations.level
        migrations.setLevel(max(level, logging.WARNING))
        try:
            await upgrade_database(engine)
        except CommandError as error:
            await engine.dispose()
            raise SchemaNotUpgraded(str(error)) from None
        except BaseException:
            await engine.dispose()
            raise
        finally:
            migrations.setLevel(level)
    return engine
