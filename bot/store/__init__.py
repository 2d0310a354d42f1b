"""Storage: the tables (``models``), the engine and sessions (``db``), migrations, and the
rows that carry work between processes (``jobs``, ``outbox``, ``processed_events``).

May import: ``bot.basics``.
"""
