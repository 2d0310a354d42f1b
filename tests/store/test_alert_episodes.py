"""An alert's episodes as rows (``alert_episode``). Migration 0101 gives each existing alert
its current episode as a row of its own: what the alert showed before the upgrade (who
acknowledged it, when it resolved) is its episode's, and the next episode it begins leaves
that one readable; a group of an incident route (no episode) has none. Whatever a
transaction changes of an alert's episode is its row's once it commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.record.alerting.worklist import alert_record
from bot.store.db import create_engine, session_scope
from bot.store.episodes import begin_episode
from bot.store.migrate import alembic_config, upgrade_database
from bot.store.models import AlertEpisode, AlertGroup, EpisodeFacts

T0 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def group_row(number: int, **facts: object) -> dict[str, object]:
    return {
        "source": "alertmanager",
        "key_hash": f"{number:064x}",
        "group_key": f"group-{number}",
        "route": "queues",
        "first_seen_at": T0,
        "last_seen_at": T0,
        **facts,
    }


async def test_each_alert_s_current_episode_becomes_its_row(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine, "0098_change_stamps")
        async with engine.begin() as connection:
            table = AlertGroup.__table__  # type: ignore[attr-defined]
            alerted = group_row(
                1,
                state="resolved",
                episode=3,
                title="QueueLag",
                triggered_at=T0,
                acknowledged_at=T0.replace(minute=2),
                acknowledged_by="U0CAROL",
                acknowledged_via="slack",
                resolved_at=T0.replace(minute=5),
                fired_count=2,
            )
            await connection.execute(insert(table).values(alerted))
            await connection.execute(insert(table).values(group_row(2)))  # no episode
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            rows = (await session.exec(select(AlertEpisode))).all()
            assert [(row.group_id, row.episode, row.state) for row in rows] == [(1, 3, "resolved")]
            (row,) = rows
            assert (row.acknowledged_by, row.acknowledged_via) == ("U0CAROL", "slack")
            assert row.acknowledged_at == T0.replace(minute=2)
            assert row.resolved_at == T0.replace(minute=5)
            assert (row.title, row.fired_count, row.triggered_at) == ("QueueLag", 2, T0)

            # Its next episode begins: the migrated one is its past, as it ended.
            group = await session.get(AlertGroup, 1)
            assert group is not None
            group.episode, group.state, group.triggered_at = 4, "triggered", T0.replace(hour=3)
            group.acknowledged_at = group.acknowledged_by = group.resolved_at = None
            session.add(group)
            await session.commit()
            record = await alert_record(session, 1)
            assert record is not None
            assert [(each.episode, each.acknowledged_by) for each in record.past] == [
                (3, "U0CAROL")
            ]
            latest = (
                await session.exec(select(AlertEpisode).where(col(AlertEpisode.episode) == 4))
            ).one()
            assert (latest.state, latest.acknowledged_by) == ("triggered", None)

        def downgrade(connection: Connection) -> None:
            from alembic import command

            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0098_change_stamps")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        await upgrade_database(engine)
    finally:
        await engine.dispose()


async def test_an_episode_ended_and_followed_in_one_transaction_keeps_its_facts(
    engine: AsyncEngine,
) -> None:
    """Resolved by a person, then firing again before the transaction commits: the ended
    episode's row says who resolved it, the new one's is fresh."""
    async with session_scope(engine) as session:
        group = AlertGroup(**group_row(1), state="triggered", episode=1, triggered_at=T0)
        session.add(group)
        await session.commit()
        group.state, group.acknowledged_by = "acknowledged", "U0CAROL"
        await session.flush()
        group.state, group.resolved_by, group.resolved_at = "resolved", "U0BOB", T0
        await session.flush()
        begin_episode(group, EpisodeFacts(episode=2, state="triggered", triggered_at=T0))
        await session.commit()
        rows = (await session.exec(select(AlertEpisode).order_by(col(AlertEpisode.episode)))).all()
    facts = [(r.episode, r.state, r.acknowledged_by, r.resolved_by) for r in rows]
    assert facts == [(1, "resolved", "U0CAROL", "U0BOB"), (2, "triggered", None, None)]
