"""``warroom ai eval --replay``: its options read, then for each model (WARROOM_AI_MODEL, or
each ``--model``) the shipped seeds (bot/admin/ai/ai_replay.py) and the team's own closed
incidents from the database (bot/admin/ai/ai_replay_incidents.py, when DATABASE_URL is given)
replayed, and a table printed for each: the share graded 100 % or 65 %, the abstentions,
the median time to the first right cause. Exit 2 on a usage error or a model never reached,
1 when a model proposed a right cause at too few of the seeds' cut-offs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin.ai.ai_replay import (
    SEEDS_SAID,
    Played,
    figures,
    minutes_of,
    never_reached,
    play_seeds,
    table,
    too_few_right,
)
from bot.admin.ai.ai_replay_incidents import Chosen, replay_incidents
from bot.config import Settings
from bot.config.runtime import database_url_given
from bot.store.migrate import command_engine

SEEDS, INCIDENTS = "seeds", "incidents"
INCIDENTS_SAID = "the team's closed incidents"
MOST_INCIDENTS = 500
# The options that choose the team's incidents: meaningless without a database.
_CHOOSING = ("since", "team")


@dataclass(frozen=True)
class Replaying:
    """What to replay: the cut-offs, the models, the seeds, the team's incidents."""

    minutes: list[int]
    models: list[str]
    seeds: bool
    incidents: Chosen | None


def run_replay(args: argparse.Namespace) -> int:
    """Run ``warroom ai eval --replay``; the exit code."""
    settings = Settings.from_env(os.environ)
    if not settings.ai.enabled:
        print("warroom: ai eval: set WARROOM_AI_URL and WARROOM_AI_MODEL", file=sys.stderr)
        return 2
    try:
        replaying = replaying_of(args, settings.ai.model, database=database_url_given(os.environ))
    except ValueError as error:
        print(f"warroom: ai eval --replay: {error}", file=sys.stderr)
        return 2
    if replaying.incidents is None and args.only is None:
        print("warroom: ai eval --replay: the team's incidents not replayed: no DATABASE_URL")
    return asyncio.run(replay_chosen(settings, replaying, args.out))


def replaying_of(args: argparse.Namespace, model: str, *, database: bool) -> Replaying:
    """The options as what to replay; ValueError naming the option that is wrong."""
    try:
        minutes = minutes_of(args.minutes)
    except ValueError as error:
        raise ValueError(f"--minutes: {error}") from None
    only = args.only
    if only == INCIDENTS and not database:
        raise ValueError("--only incidents: set DATABASE_URL to the database to read them from")
    if only == SEEDS and (args.limit is not None or any(getattr(args, o) for o in _CHOOSING)):
        raise ValueError("--since, --limit and --team choose incidents: not with --only seeds")
    chosen = None
    if database and only != SEEDS:
        chosen = Chosen(since=_since(args.since), limit=_limit(args.limit), team=args.team)
    elif args.limit is not None or any(getattr(args, o) for o in _CHOOSING):
        raise ValueError("--since, --limit and --team choose incidents: set DATABASE_URL")
    models = list(dict.fromkeys(args.model or [model]))
    return Replaying(minutes, models, only != INCIDENTS, chosen)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since: expected a date like 2026-09-01, got {text[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _limit(text: str | None) -> int:
    if text is None:
        return Chosen().limit
    if not text.strip().isdigit() or not 1 <= int(text) <= MOST_INCIDENTS:
        raise ValueError(f"--limit: a number of incidents from 1 to {MOST_INCIDENTS}")
    return int(text)


async def replay_chosen(settings: Settings, replaying: Replaying, out: Path | None) -> int:
    """Each model over what was chosen; the tables printed; the exit code (2: a model was
    never reached, said)."""
    code, runs = 0, []
    engine = None
    if replaying.incidents is not None:
        engine = await command_engine(settings.runtime.database_url)
    try:
        async with aiohttp.ClientSession() as http:
            for model in replaying.models:
                ai = replace(settings.ai, model=model)
                sets = await _replay_sets(replace(settings, ai=ai), engine, http, replaying)
                played = [each for _, played in sets for each in played]
                if why := never_reached(played):
                    print(
                        f"warroom: ai eval --replay: model {model} was not reached ({why})",
                        file=sys.stderr,
                    )
                    code = 2
                    continue
                for what, each in sets:
                    print(table(each, model, what))
                    runs.append(_run(model, what, figures(each)))
                    if what == SEEDS_SAID and too_few_right(each, model):
                        code = max(code, 1)
    finally:
        if engine is not None:
            await engine.dispose()
    if out is not None:
        out.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    return code


async def _replay_sets(
    settings: Settings,
    engine: AsyncEngine | None,
    http: aiohttp.ClientSession,
    replaying: Replaying,
) -> list[tuple[str, list[Played]]]:
    """One model's replays, the seeds' then the team's, each set named."""
    sets = []
    if replaying.seeds:
        sets.append((SEEDS_SAID, await play_seeds(http, settings.ai, replaying.minutes)))
    if engine is None or replaying.incidents is None:
        return sets
    own = await replay_incidents(settings, engine, http, replaying.incidents, replaying.minutes)
    for why in own.skipped:
        print(f"not replayed: {why}")
    if own.played:
        sets.append((INCIDENTS_SAID, own.played))
    else:
        print(f"{INCIDENTS_SAID}: none to replay")
    return sets


def _run(model: str, what: str, said: dict[str, Any]) -> dict[str, Any]:
    return {"model": model, "replayed": INCIDENTS if what == INCIDENTS_SAID else SEEDS, **said}
