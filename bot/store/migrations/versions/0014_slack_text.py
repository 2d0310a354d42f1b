"""People's words in one encoding (Slack's), and the name of the app behind another app's post.

Before this revision a person's words were kept as they arrived: message events and slash
commands in Slack's encoding (``&amp;``, ``<@U…>``), a modal's input and an alert's summary
as plain text. From now on every such column holds Slack's encoding (bot.basics.slack_text).
Each row is read as warroom showed it before (Slack's constructs kept, every other piece
decoded once) and encoded: text that was Slack-encoded comes out unchanged, plain text comes
out encoded, and nothing is lost. The rule is copied here, not imported, so that this
revision does the same thing whatever the code becomes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

import html
import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_COLUMNS = (
    ("incident", "title"),
    ("incident", "description"),
    ("timeline_entry", "text"),
    ("action_item", "text"),
    ("channel_message", "text"),
    ("message_revision", "previous_text"),
    ("escalation", "reason"),
)
_BATCH = 1000
_CONSTRUCT = re.compile(r"<([^<>]*)>")
_ID = re.compile(r"^[A-Z][A-Z0-9]{1,31}$")
_ENCODE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _is_slack_construct(inner: str) -> bool:
    target = inner.partition("|")[0]
    if target[:1] in ("@", "#"):
        return bool(_ID.match(target[1:]))
    if target.startswith("!subteam^"):
        return bool(_ID.match(target.removeprefix("!subteam^")))
    if target.startswith("!"):
        return target.startswith("!date^") or target[1:] in ("here", "channel", "everyone")
    return target.startswith(("http://", "https://", "mailto:"))


def _plain(piece: str) -> str:
    return html.unescape(piece).translate(_ENCODE)


def _construct(inner: str) -> str:
    target, bar, label = inner.partition("|")
    kept = _plain(target)
    return f"<{kept}|{_plain(label)}>" if bar and label else f"<{kept}>"


def encoded(stored: str) -> str:
    """A stored text in Slack's encoding, read as warroom used to show it."""
    stored = stored.replace("\r\n", "\n").replace("\r", "\n")
    parts, last = [], 0
    for match in _CONSTRUCT.finditer(stored):
        parts.append(_plain(stored[last : match.start()]))
        inner = match.group(1)
        parts.append(_construct(inner) if _is_slack_construct(inner) else _plain(match.group(0)))
        last = match.end()
    parts.append(_plain(stored[last:]))
    return "".join(parts)


def _rows(connection: sa.Connection, table: str, column: str, after: int) -> list[sa.Row[Any]]:
    query = sa.text(
        f"SELECT id, {column} FROM {table} WHERE id > :after ORDER BY id LIMIT {_BATCH}"
    )
    return list(connection.execute(query, {"after": after}))


def _encode_column(connection: sa.Connection, table: str, column: str) -> None:
    update = sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
    after = 0
    while rows := _rows(connection, table, column, after):
        changed = [
            {"id": row[0], "value": encoded(row[1])}
            for row in rows
            if row[1] is not None and encoded(row[1]) != row[1]
        ]
        if changed:
            connection.execute(update, changed)
        after = rows[-1][0]


def _encode_public_texts(connection: sa.Connection) -> None:
    """Public updates keep their texts as JSON, one per language."""
    update = sa.text("UPDATE public_update SET texts = :value WHERE id = :id").bindparams(
        sa.bindparam("value", type_=sa.JSON())
    )
    after = 0
    while rows := _rows(connection, "public_update", "texts", after):
        for row_id, raw in rows:
            texts = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(texts, dict):
                continue
            new = {language: encoded(str(text)) for language, text in texts.items()}
            if new != texts:
                connection.execute(update, {"id": row_id, "value": new})
        after = rows[-1][0]


def _decode_components(connection: sa.Connection) -> None:
    """Components named in ``/incident public`` are kept as people read them (they are
    matched against Statuspage's names): what Slack sent is decoded once."""
    table = sa.table(
        "public_incident", sa.column("incident_id"), sa.column("components", sa.JSON())
    )
    for incident_id, components in connection.execute(
        sa.select(table.c.incident_id, table.c.components)
    ):
        if not isinstance(components, list):
            continue
        decoded = [_decoded(str(name)) for name in components]
        if decoded != components:
            connection.execute(
                table.update().where(table.c.incident_id == incident_id).values(components=decoded)
            )


def _decoded(name: str) -> str:
    return name.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def upgrade() -> None:
    with op.batch_alter_table("channel_message") as batch:
        batch.add_column(sa.Column("bot_name", sa.String(), nullable=True))
    connection = op.get_bind()
    for table, column in _TEXT_COLUMNS:
        _encode_column(connection, table, column)
    _encode_public_texts(connection)
    _decode_components(connection)


def downgrade() -> None:
    # The encoding stays: Slack text is what the earlier code read best.
    with op.batch_alter_table("channel_message") as batch:
        batch.drop_column("bot_name")
