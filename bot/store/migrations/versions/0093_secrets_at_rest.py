"""Secrets at rest: no key in the bodies kept, and values shown once kept sealed.

Before this revision a body was kept as its sender sent it, its key in it: PagerDuty's
``routing_key`` (alert and change events alike), an e-mail integration's address (its local
part is the key) in the message's headers. From now on the key's place holds the
integration's id (``integration-7``; ``integration-default`` for WARROOM_ALERT_TOKEN's), as
``bot.basics.key_digest.without_key`` writes it; this revision rewrites the rows kept.

A key is kept only as its SHA-256, so one is recognised in a row two ways: any text of a
key's shape warroom makes (``wr_int_…``) whose SHA-256 is an integration's (any case: an
e-mail key is lowercase, a relay may write it otherwise); and a PagerDuty body's
``routing_key``, which is the key of the integration the row names, or the default key when
it names none (the body was let in by it). The rule is copied here, not imported, so that
this revision does the same thing whatever the code becomes.

``shown_once``: the values shown once on the web (a new token, a new key), kept sealed on the
server for two minutes instead of in a cookie.

Revision ID: 0093_secrets_at_rest
Revises: 0092_notification_reported
Create Date: 2026-11-29
"""

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0093_secrets_at_rest"
down_revision: str | None = "0092_notification_reported"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500
# A key warroom makes: its prefix and token_urlsafe(24) (32 characters) or, for e-mail,
# token_hex(20) (40): 20 or more after the prefix, read greedily.
_MADE_KEY = re.compile(r"wr_int_[A-Za-z0-9_-]{20,}", re.IGNORECASE)
_ANYWHERE_FROM = 16


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _stand_in(integration_id: int | None) -> str:
    return f"integration-{'default' if integration_id is None else integration_id}"


def _without_key(text: str, key: str, instead: str) -> str:
    escaped = json.dumps(key)[1:-1]
    whole = re.compile(f'"(?:{re.escape(key)}|{re.escape(escaped)})"')
    text = whole.sub(lambda _: json.dumps(instead), text)
    if len(key) < _ANYWHERE_FROM:
        return text
    forms = sorted({key, escaped}, key=len, reverse=True)
    anywhere = re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)
    return anywhere.sub(lambda _: instead, text)


def _routing_key(body: str) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    key = document.get("routing_key") if isinstance(document, dict) else None
    return key if isinstance(key, str) and key else None


def kept_without_keys(
    source: str, body: str, integration_id: int | None, hashes: dict[str, int]
) -> str:
    """The body without the keys it holds: each of a made key's shape whose SHA-256 (as
    written, or lowercased) is an integration's (``hashes``: SHA-256 to id), and a PagerDuty
    body's ``routing_key`` (the row's integration's key, or the default one)."""
    for found in {match.group(0) for match in _MADE_KEY.finditer(body)}:
        holder = next((hashes[h] for h in map(_digest, (found, found.lower())) if h in hashes), None)
        if holder is not None:
            body = _without_key(body, found, _stand_in(holder))
    if source == "pagerduty":
        key = _routing_key(body)
        if key is not None and not key.startswith("integration-"):
            body = _without_key(body, key, _stand_in(integration_id))
    return body


def _rewrite(connection: sa.Connection, table: str, hashes: dict[str, int]) -> None:
    """Every row of ``table`` that may hold a key, read in batches by id, written back
    changed."""
    after = 0
    query = sa.text(
        f"SELECT id, source, body, integration_id FROM {table} "
        "WHERE id > :after AND (source = 'pagerduty' OR lower(body) LIKE '%wr_int_%') "
        "ORDER BY id LIMIT :batch"
    )
    write = sa.text(f"UPDATE {table} SET body = :body WHERE id = :id")
    while True:
        rows: list[Any] = list(connection.execute(query, {"after": after, "batch": _BATCH}))
        if not rows:
            return
        for row in rows:
            kept = kept_without_keys(row.source, row.body, row.integration_id, hashes)
            if kept != row.body:
                connection.execute(write, {"body": kept, "id": row.id})
        after = rows[-1].id


def upgrade() -> None:
    op.create_table(
        "shown_once",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("handle_hash", sa.String(), nullable=False, unique=True),
        sa.Column("session_hash", sa.String(), nullable=False),
        sa.Column("value_hash", sa.String(), nullable=True),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
    )
    connection = op.get_bind()
    hashes = {
        row.key_hash: row.id
        for row in connection.execute(sa.text("SELECT id, key_hash FROM integration"))
    }
    for table in ("alert_payload", "change_event"):
        _rewrite(connection, table, hashes)


def downgrade() -> None:
    # The keys are not put back: warroom never had them but as their SHA-256.
    op.drop_table("shown_once")
