"""bot/store/db.py: the database URL a person writes gets its async driver."""

from __future__ import annotations

from bot.store.db import async_url


def test_database_urls_get_async_drivers() -> None:
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("postgresql://u@h:5432/d") == "postgresql+asyncpg://u@h:5432/d"
    assert async_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
