"""Search by words: the words of incidents' titles and first reports, timeline
entries (updates among them) and follow-ups, indexed for "words in any order, any case".

SQLite: an FTS5 table per source table, its content read from that table (external content),
kept by triggers. PostgreSQL: a GIN index on the same text's ``tsvector``, read by the query's
identical expression (bot/record/incident/search.py). Punctuation separates words on both,
so
both find the same words.

A later migration that rebuilds one of these tables on SQLite (``batch_alter_table`` copies it)
drops its triggers: it must create them again (``tests/web/test_worklists.py`` finds an
incident by the words of each place at the head revision, so it would fail).

Revision ID: 0077_search_words
Revises: 0076_integrations
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0077_search_words"
down_revision: str | None = "0076_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, its FTS5 table, the columns searched): the same as
# bot/record/incident/search.py's.
SOURCES = (
    ("incident", "incident_words", ("title", "description")),
    ("timeline_entry", "timeline_entry_words", ("text",)),
    ("action_item", "action_item_words", ("text",)),
)
# The PostgreSQL expression, character for character the one the query uses (an index on an
# expression serves only a query with that expression).
PG_WORDS = (
    "to_tsvector('simple'::regconfig, regexp_replace({text}, '[[:punct:][:space:]]+', ' ', 'g'))"
)


def _pg_text(columns: Sequence[str]) -> str:
    return " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, words, columns in SOURCES:
            expression = PG_WORDS.format(text=_pg_text(columns))
            op.execute(f"CREATE INDEX ix_{words} ON {table} USING gin (({expression}))")
        return
    for table, words, columns in SOURCES:
        _sqlite_words(table, words, columns)


def _sqlite_words(table: str, words: str, columns: Sequence[str]) -> None:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    forget = f"INSERT INTO {words}({words}, rowid, {names}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO {words}(rowid, {names}) VALUES (new.id, {new});"
    op.execute(
        f"CREATE VIRTUAL TABLE {words} USING fts5({names}, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
    )
    op.execute(f"CREATE TRIGGER {words}_insert AFTER INSERT ON {table} BEGIN {learn} END")
    op.execute(f"CREATE TRIGGER {words}_delete AFTER DELETE ON {table} BEGIN {forget} END")
    op.execute(
        f"CREATE TRIGGER {words}_update AFTER UPDATE OF {names} ON {table} "
        f"BEGIN {forget} {learn} END"
    )
    op.execute(f"INSERT INTO {words}({words}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for _table, words, _columns in SOURCES:
            op.execute(f"DROP INDEX IF EXISTS ix_{words}")
        return
    for _table, words, _columns in SOURCES:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {words}_{event}")
        op.execute(f"DROP TABLE IF EXISTS {words}")
