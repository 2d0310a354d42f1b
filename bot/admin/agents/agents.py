"""``warroom tokens create | list | revoke`` (the tokens agents call /mcp with) and
``warroom mcp`` (the Model Context Protocol on stdio, as the operator)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from bot.admin.listing import add_json_flag, as_json, table

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.models import AgentToken
    from bot.web.agents.handshake import Opening


def add_tokens_arguments(tokens: argparse.ArgumentParser) -> None:
    """``warroom tokens ...``: its actions and options."""
    actions = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="make a token (shown once, kept hashed)",
        description="Prints the token once: warroom keeps only its SHA-256.",
    )
    create.add_argument("--name", required=True, help="what logs and its proposals call it")
    create.add_argument(
        "--scope",
        required=True,
        choices=["read", "propose"],
        help="read: the read tools; propose: those and propose_finding",
    )
    create.add_argument("--private", action="store_true", help="it sees private incidents")
    create.add_argument("--expires", type=int, metavar="DAYS", help="stops working after DAYS")
    listing = actions.add_parser(
        "list", help="every token: scope, expiry, last use (never the value)"
    )
    add_json_flag(listing)
    revoke = actions.add_parser("revoke", help="stop a token now")
    revoke.add_argument("name", metavar="NAME")


def add_mcp_arguments(mcp: argparse.ArgumentParser) -> None:
    """``warroom mcp``: no options; what it does."""
    mcp.description = (
        "Reads JSON-RPC on standard input and answers on standard output; logs go "
        "to standard error. Every incident is visible, private ones included."
    )


def run_tokens(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``warroom tokens``'s action; the exit code."""
    import asyncio  # here: the options above are read by --help and warroom mcp's handshake

    from bot.basics.render import Renderer
    from bot.record.agents import tokens
    from bot.store.columns import utcnow
    from bot.store.db import session_scope
    from bot.store.migrate import command_engine

    renderer = Renderer(settings.incidents.templates_dir)
    zone = settings.incidents.timezone

    async def act() -> str:
        engine = await command_engine(settings.runtime.database_url)
        now = utcnow()
        try:
            async with session_scope(engine) as session:
                if args.tokens_command == "create":
                    row, value = await tokens.create(
                        session,
                        name=args.name,
                        scope=args.scope,
                        private=args.private,
                        expires_days=args.expires,
                        now=now,
                    )
                    await session.commit()
                    return renderer.render_plain(
                        "agents/tokens_cli.j2", made=row, value=value, zone=zone
                    )
                if args.tokens_command == "revoke":
                    row = await tokens.revoke(session, args.name, now=now)
                    await session.commit()
                    return renderer.render_plain("agents/tokens_cli.j2", revoked=row, zone=zone)
                rows = await tokens.every_token(session)
                return token_list(rows, now=now, zone=zone, json_out=args.json)
        finally:
            await engine.dispose()

    try:
        print(asyncio.run(act()))
    except tokens.TokenRefused as refusal:
        print(f"warroom: {refusal}", file=sys.stderr)
        return 1
    return 0


def token_list(rows: list[AgentToken], *, now: datetime, zone: str, json_out: bool) -> str:
    """``tokens list``: a table of every token, or their JSON; never a token's value."""
    from bot.basics.render import local_time
    from bot.record.agents.tokens import works

    if json_out:
        return as_json([_token_fields(row, works(row, now)) for row in rows])
    if not rows:
        return "no token: make one with warroom tokens create --name NAME --scope read|propose"

    def when(moment: datetime | None) -> str:
        return local_time(moment, zone, "%Y-%m-%d %H:%M %Z") if moment else "-"

    def state(row: AgentToken) -> str:
        if row.revoked_at:
            return f"revoked {when(row.revoked_at)}"
        if row.expires_at and row.expires_at <= now:
            return f"expired {when(row.expires_at)}"
        return f"works until {when(row.expires_at)}" if row.expires_at else "works, no expiry"

    return table(
        ("NAME", "SCOPE", "MADE", "STATE", "CALLS", "LAST USE"),
        [
            (
                row.name,
                f"{row.scope}, private too" if row.private else row.scope,
                when(row.created_at),
                state(row),
                str(row.calls),
                when(row.used_at),
            )
            for row in rows
        ],
    )


def _token_fields(row: AgentToken, working: bool) -> dict[str, object]:
    return {
        "name": row.name,
        "scope": row.scope,
        "private": row.private,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "works": working,
        "calls": row.calls,
        "used_at": row.used_at,
    }


def run_mcp(settings: Settings, opening: Opening) -> int:
    """Serve the Model Context Protocol on stdio until the client closes it; ``opening`` is
    what the handshake read (and answered) before anything heavy was imported (bot/cli.py)."""
    import asyncio

    asyncio.run(serve_stdio(settings, opening))
    return 0


async def serve_stdio(settings: Settings, opening: Opening) -> None:
    """The tools /mcp serves, on standard input and output, to the operator: every incident,
    private ones too, and no rate limit (whoever runs this reads the database anyway)."""
    import secrets

    import aiohttp

    from bot.app import build_services
    from bot.record.agents.tokens import OPERATOR
    from bot.store.migrate import command_engine
    from bot.web.agents.server import RateLimit, build_server
    from bot.web.agents.stdio import serve_stdio as serve_on_stdio
    from bot.web.agents.tools import Tools
    from bot.web.context import WebContext
    from bot.web.sessions import Signer
    from bot.web.visibility import Visibility

    engine = await command_engine(settings.runtime.database_url)
    try:
        async with aiohttp.ClientSession() as http:
            services = build_services(settings, engine, http)
            visibility = Visibility(services.slack, engine)
            web_ = WebContext(settings, services, Signer(secrets.token_bytes(32)), visibility)
            server = build_server(
                Tools(web_),
                caller_of=lambda _ctx: OPERATOR,
                limit=RateLimit(settings.agents.calls_per_minute, engine, services.clock),
            )
            await serve_on_stdio(server, opening)
            await services.background.drain(timeout=5.0)
    finally:
        await engine.dispose()
