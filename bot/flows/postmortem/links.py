"""The links a postmortem draft gives to the messages its lines came from.

Slack makes every link of a channel alike (bot/basics/slack_links.py), so one
``chat.getPermalink`` per channel is asked, its form kept in the record, and the links of
that channel's other messages, thread replies included, are made from it: a 10,000-moment
draft takes one call, not 10,000 at ``chat.getPermalink``'s pace. A message the record does
not hold (whether it is a reply is then unknown), or deleted since (it has no link any
more), and every message of a channel whose answer is not of Slack's documented form, is
asked of Slack one by one, as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.basics.slack_links import link_base, message_link
from bot.clients.slack.errors import SlackFailure
from bot.record.incident.message_links import known_bases, threads_of
from bot.record.incident.timeline import EntryRow
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import ActionItem

log = logging.getLogger(__name__)
Row = EntryRow | ActionItem
# Links asked at once when each must be asked: a record of thousands must not flood Slack.
ASK_CONCURRENCY = 8
# Messages of one channel tried for its form before its links are asked one by one: the
# first may have been deleted since it was recorded.
TEACHERS = 3


@dataclass
class Found:
    """Links for rows, and the channels whose form was learned on the way."""

    links: list[tuple[Row, str]] = field(default_factory=list)
    bases: dict[str, str] = field(default_factory=dict)


async def find_links(services: Services, rows: Sequence[Row]) -> Found:
    """The permalinks of the messages ``rows`` came from (those Slack has no link for are
    left out), and the link forms learned, for the caller to keep with them."""
    by_channel: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        assert row.slack_channel is not None and row.slack_ts is not None
        by_channel[row.slack_channel].append(row)
    async with session_scope(services.engine) as session:
        bases = await known_bases(session, by_channel)
        threads = {
            channel: await threads_of(session, channel, [r.slack_ts or "" for r in rows_])
            for channel, rows_ in by_channel.items()
        }
    found, to_ask = Found(), []
    for channel, rows_ in by_channel.items():
        base = bases.get(channel)
        taught: set[int] = set()  # rows whose link came from Slack while learning the form
        if base is None:
            base = await _learn(services, channel, rows_, threads[channel], found)
            taught = {id(row) for row, _ in found.links}
        for row in rows_:
            ts = row.slack_ts or ""
            if id(row) in taught:
                continue
            if base is not None and ts in threads[channel]:
                found.links.append((row, message_link(base, channel, ts, threads[channel][ts])))
            else:
                to_ask.append(row)
    found.links += await _ask_each(services, to_ask)
    return found


async def _learn(
    services: Services,
    channel: str,
    rows: list[Row],
    threads: dict[str, str | None],
    found: Found,
) -> str | None:
    """Ask Slack for one message's link, keep it, and read the channel's form from it."""
    candidates = [row for row in rows if row.slack_ts in threads][:TEACHERS]
    for row in candidates:
        ts = row.slack_ts or ""
        link = await _ask(services, row)
        if not link:
            continue
        found.links.append((row, link))
        base = link_base(link, channel, ts, threads[ts])
        if base is None:
            log.info("%s: chat.getPermalink's answer is not of the documented form", channel)
            return None
        found.bases[channel] = base
        return base
    return None


async def _ask(services: Services, row: Row) -> str:
    """Slack's permalink for the row's message; empty when Slack has none (deleted)."""
    assert row.slack_channel is not None and row.slack_ts is not None
    try:
        return await services.slack.permalink(row.slack_channel, row.slack_ts)
    except SlackFailure as error:
        # A deleted message has no link; the line is still shown, unlinked.
        log.info("no permalink for %s/%s: %s", row.slack_channel, row.slack_ts, error)
        return ""


async def _ask_each(services: Services, rows: Sequence[Row]) -> list[tuple[Row, str]]:
    limit = asyncio.Semaphore(ASK_CONCURRENCY)

    async def one(row: Row) -> tuple[Row, str]:
        async with limit:
            return row, await _ask(services, row)

    answered = await asyncio.gather(*(one(row) for row in rows))
    return [(row, link) for row, link in answered if link]
