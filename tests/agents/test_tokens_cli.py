"""``warroom tokens create | list | revoke``, as an operator types them: the token is printed
once, kept as SHA-256 only, listed without its value, and refused once revoked."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.agents import tokens
from bot.store.db import session_scope
from tests.helpers.processes import run_warroom


def test_a_token_is_shown_once_kept_hashed_listed_and_revoked(tmp_path: Path) -> None:
    database = tmp_path / "warroom.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    made = run_warroom(
        "tokens",
        "create",
        "--name",
        "triage-bot",
        "--scope",
        "propose",
        "--expires",
        "30",
        env=env,
        clean=True,
    )
    assert made.returncode == 0, made.stderr
    value = next(line for line in made.stdout.splitlines() if line.startswith("wr_agent_"))
    assert "token triage-bot (propose), works until" in made.stdout
    assert "shown this once" in made.stdout
    with sqlite3.connect(database) as db:
        [(kept,)] = db.execute("SELECT token_hash FROM agent_token").fetchall()
    assert value not in kept and len(kept) == 64

    second = run_warroom(
        "tokens", "create", "--name", "reader", "--scope", "read", env=env, clean=True
    )
    assert second.returncode == 0, second.stderr
    listed = run_warroom("tokens", "list", env=env, clean=True)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == "", "no log lines from the database's pool on a command"
    header, first, other = listed.stdout.splitlines()  # one row a line, under its header
    assert header.split() == ["NAME", "SCOPE", "MADE", "STATE", "CALLS", "LAST", "USE"]
    assert first.startswith("triage-bot  propose ") and " works until " in first
    assert first.split()[-2:] == ["0", "-"]
    assert other.startswith("reader      read ") and "works, no expiry" in other
    assert value not in listed.stdout
    as_json = json.loads(run_warroom("tokens", "list", "--json", env=env, clean=True).stdout)
    assert [(t["name"], t["scope"], t["works"], t["calls"]) for t in as_json] == [
        ("triage-bot", "propose", True, 0),
        ("reader", "read", True, 0),
    ]
    assert as_json[0]["expires_at"].endswith("Z") and as_json[1]["expires_at"] is None
    assert value not in json.dumps(as_json)

    again = run_warroom(
        "tokens", "create", "--name", "triage-bot", "--scope", "read", env=env, clean=True
    )
    assert again.returncode == 1
    assert "a token has it already" in again.stderr

    revoked = run_warroom("tokens", "revoke", "triage-bot", env=env, clean=True)
    assert revoked.returncode == 0, revoked.stderr
    assert "token triage-bot revoked" in revoked.stdout
    assert "revoked" in run_warroom("tokens", "list", env=env, clean=True).stdout
    twice = run_warroom("tokens", "revoke", "triage-bot", env=env, clean=True)
    assert twice.returncode == 1
    assert "was revoked already" in twice.stderr


async def test_a_bad_name_scope_or_expiry_is_refused_with_why(engine: AsyncEngine) -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    cases = [
        ({"name": "two words"}, "name 'two words'"),
        ({"scope": "write"}, "scope 'write': read or propose"),
        ({"expires_days": 0}, "at least 1 day"),
    ]
    for change, said in cases:
        asked: dict[str, Any] = {"name": "bot", "scope": "read", "expires_days": None} | change
        async with session_scope(engine) as session:
            with pytest.raises(tokens.TokenRefused, match=re.escape(said)):
                await tokens.create(session, private=False, now=now, **asked)


async def test_an_expired_token_opens_nothing(engine: AsyncEngine) -> None:
    made_at = datetime(2026, 11, 27, tzinfo=UTC)
    async with session_scope(engine) as session:
        _, value = await tokens.create(
            session, name="short", scope="read", private=False, expires_days=1, now=made_at
        )
        await session.commit()
    async with session_scope(engine) as session:
        caller = await tokens.caller_of(session, value, now=made_at + timedelta(hours=23))
        assert caller is not None and caller.name == "short"
        assert await tokens.caller_of(session, value, now=made_at + timedelta(days=1)) is None
        assert await tokens.caller_of(session, value + "x", now=made_at) is None
