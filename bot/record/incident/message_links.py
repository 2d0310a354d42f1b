"""Links to the messages a record came from: how each channel's links look (learned once
from Slack, kept for every replica and every later draft), which thread a message is in,
and the links found, kept on their rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.db import insert_once
from bot.store.models import ActionItem, ChannelLinks, ChannelMessage, TimelineEntry

# Timestamps looked up per query: well under SQLite's 32,766 bound parameters.
CHUNK = 900


async def known_bases(session: AsyncSession, channels: Iterable[str]) -> dict[str, str]:
    """What each channel's message links start with, for the channels whose form is known."""
    wanted = sorted(set(channels))
    if not wanted:
        return {}
    rows = await session.exec(select(ChannelLinks).where(col(ChannelLinks.channel).in_(wanted)))
    return {row.channel: row.base for row in rows.all()}


async def remember_base(session: AsyncSession, channel: str, base: str, at: datetime) -> None:
    """Keep how ``channel``'s links start (the caller commits); a replica that learned it
    first keeps its own."""
    await insert_once(session, ChannelLinks(channel=channel, base=base, learned_at=at))


async def threads_of(
    session: AsyncSession, channel: str, timestamps: Sequence[str]
) -> dict[str, str | None]:
    """For the messages of ``channel`` the record holds, by ts: the ts of the thread each
    is a reply in, or None for a message of the channel itself. A message the record does
    not hold is left out (whether it is a reply is not known here), and so is one deleted
    since (Slack has no link for it any more)."""
    found: dict[str, str | None] = {}
    for start in range(0, len(timestamps), CHUNK):
        rows = await session.exec(
            select(ChannelMessage.ts, ChannelMessage.thread_ts).where(
                ChannelMessage.channel == channel,
                col(ChannelMessage.ts).in_(timestamps[start : start + CHUNK]),
                col(ChannelMessage.deleted_at).is_(None),
            )
        )
        for ts, thread_ts in rows.all():
            found[ts] = thread_ts if thread_ts and thread_ts != ts else None
    return found


async def keep_links(
    session: AsyncSession, table: type[TimelineEntry] | type[ActionItem], links: dict[int, str]
) -> None:
    """Keep each row's permalink, by row id: one statement for them all (the caller commits)."""
    if not links:
        return
    rows = SQLModel.metadata.tables[str(table.__tablename__)]
    statement = (
        update(rows).where(rows.c.id == bindparam("row_id")).values(permalink=bindparam("link"))
    )
    connection = await session.connection()
    await connection.execute(
        statement, [{"row_id": row_id, "link": link} for row_id, link in links.items()]
    )
