"""Storage: the tables, the engine and sessions, migrations, and the rows that carry work
between processes and replicas.

- ``models/``: every table, a module per domain (re-exported).
- ``columns``: the column types (moments in UTC, people's words as ``SlackText``) and reading
  many rows without SQLAlchemy.
- ``db``: the engine and sessions, one session per unit of work.
- ``pool``: the connection pool: first come, first served (Slack's answers ahead), and its
  waiters look again when a connection fails to open.
- ``sqlite_driver``: SQLite through aiosqlite, one hop to its thread per statement.
- ``direct``: statements handed to the driver as they are: the Slack event batch's path.
- ``migrate`` and ``migrations/``: schema migrations with Alembic.
- ``jobs``: due work as rows: timers and retries, claimed by one replica each.
- ``job_kinds``: every kind of job, named once.
- ``wakeups``: new work told to every replica at once (PostgreSQL's LISTEN/NOTIFY).
- ``liveness``: which replicas are alive (a PostgreSQL lock each holds while it lives), so
  that a dead one's claims are taken at once, not when their lease runs out.
- ``outbox``: what the bot means to write in Slack, kept until Slack has taken it.
- ``received_commands``: each channel's line of commands and button presses, kept until
  applied.
- ``processed_events``: Slack deliveries already applied, so replicas agree.
- ``installation``: whether the Slack app is still installed, as every replica reads it.
- ``change_stamps``: how many transactions changed what the web view shows, by family of
  tables (bumped by triggers), which a live page's refresh compares with those it last read.
- ``episodes``: an alert's episodes as rows (``alert_episode``), written from its group's
  columns by each transaction that changes them, as it commits; a new episode begun fresh.

May import: ``bot.basics``.
"""
