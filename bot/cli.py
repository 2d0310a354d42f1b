"""The ``warroom`` command line: serve, pager, db upgrade, alerts, postmortem, manifest, oncall,
workflows, import, ai eval, tokens, mcp, demo, dev."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.admin.listing import add_json_flag
from bot.basics.version import version_line

if TYPE_CHECKING:
    from bot.config import Settings

    # The parser's commands, as add_subparsers returns them.
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

# Each command imports what only it runs, when it runs (below): the web server, the Slack app,
# its flows and aiohttp were most of every command's start (measured: bench/RESULTS.md, "Figures
# behind the code's choices"), and the on-call and workflow commands, which people type, need
# none of them. asyncio too: half of this module's import, and `warroom mcp` answers its
# client's `initialize` before anything but this module is imported.

DEMO_NEEDS_THE_EMULATOR = (
    "warroom: the demo needs the Slack emulator, which is not in this installation: install "
    "warroom from its repository (git clone, then pip install -e .) to run the demo"
)
DEV_NEEDS_THE_EMULATOR = (
    "warroom: dev needs the Slack emulator, which is not in this installation: install "
    "warroom from its repository (git clone, then pip install -e .) to run `warroom dev`"
)


@dataclass(frozen=True)
class Feature:
    """A command whose options its own module declares (``add_arguments``, in ``module``):
    imported only when that command is run or its own ``--help`` asked, so ``warroom --help``
    lists every command from this table alone."""

    module: str
    add_arguments: str
    help: str


FEATURES: dict[str, Feature] = {
    "oncall": Feature(
        "bot.admin.arguments",
        "add_oncall_arguments",
        "on-call schedules: who is on call, check a file",
    ),
    "maintenance": Feature(
        "bot.admin.alerting.maintenance",
        "add_maintenance_arguments",
        "maintenance windows: alerts that match open no incident meanwhile",
    ),
    "services": Feature(
        "bot.admin.alerting.services",
        "add_services_arguments",
        "the services file: list it, import from Backstage",
    ),
    "integrations": Feature(
        "bot.admin.arguments",
        "add_integrations_arguments",
        "the ways alerts reach warroom, one key each",
    ),
    "changes": Feature(
        "bot.admin.changes.changes",
        "add_changes_arguments",
        "what changed on the services: deploys, flags, configuration",
    ),
    "paging": Feature(
        "bot.admin.paging.paging",
        "add_paging_arguments",
        "paging people: check a contacts file, drill, the SLO report",
    ),
    "workflows": Feature(
        "bot.admin.arguments",
        "add_workflows_arguments",
        "workflows: check the file, test an event",
    ),
    "import": Feature(
        "bot.admin.arguments",
        "add_import_arguments",
        "carry schedules, escalation policies and overrides over from another tool",
    ),
    "shadow": Feature(
        "bot.admin.importing.shadow",
        "add_shadow_arguments",
        "a shadow week: whom the vendor notified beside whom warroom would have",
    ),
    "ai": Feature(
        "bot.admin.arguments", "add_ai_arguments", "the team's model (WARROOM_AI_*): measure it"
    ),
    "config": Feature(
        "bot.admin.config_check",
        "add_config_arguments",
        "check the configuration as serve reads it: what is set, defaulted, wrong",
    ),
    "tokens": Feature(
        "bot.admin.agents.agents", "add_tokens_arguments", "the tokens agents call /mcp with"
    ),
    "mcp": Feature(
        "bot.admin.agents.agents",
        "add_mcp_arguments",
        "the Model Context Protocol server on stdio (for a local agent), as the operator",
    ),
}


# The commands that read or write warroom's database, with the actions that do where only some
# do: without DATABASE_URL they refuse rather than quietly make ./warroom.db and answer from it.
OPENS_THE_DATABASE: dict[str, frozenset[str] | None] = {
    "db": None,
    "alerts": None,
    "postmortem": None,
    "maintenance": None,
    "tokens": None,
    "mcp": None,
    "integrations": None,
    "changes": None,
    "paging": frozenset({"drill", "report"}),
}


def opens_the_database(args: argparse.Namespace) -> bool:
    if args.command not in OPENS_THE_DATABASE:
        return False
    actions = OPENS_THE_DATABASE[args.command]
    return actions is None or getattr(args, f"{args.command}_command", None) in actions


def command_of(argv: Sequence[str]) -> str | None:
    """The command a command line names: its first word that is not an option (``warroom``'s
    own options, ``--help`` and ``--version``, take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; a feature's own options only for ``command`` (None: every one)."""
    parser = argparse.ArgumentParser(
        prog="warroom",
        description="Slack incident-response bot: opens the war room, keeps the record, "
        "drafts the postmortem. Configuration comes from the environment (see README).",
    )
    parser.add_argument("--version", action="version", version=version_line())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_serving(sub)
    _add_manifest(sub)
    _add_alerts_and_postmortem(sub)

    for name, feature in FEATURES.items():
        parser_of = sub.add_parser(name, help=feature.help)
        if command is None or command == name:
            getattr(import_module(feature.module), feature.add_arguments)(parser_of)

    _add_emulated(sub)
    return parser


def _add_serving(sub: Subcommands) -> None:
    """``warroom serve``, ``pager`` and ``db``: running the bot and its database."""
    serve = sub.add_parser("serve", help="run the bot (HTTP endpoint, or Socket Mode)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default $PORT or 3000)")
    serve.add_argument(
        "--socket-mode",
        action="store_true",
        help="receive Slack over Socket Mode (SLACK_APP_TOKEN)",
    )

    sub.add_parser(
        "pager",
        help="run a replica's paging work (serve starts it on PostgreSQL; docs/deploying.md)",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the schema migrations")


def _add_emulated(sub: Subcommands) -> None:
    """``warroom demo`` and ``dev``: warroom against the Slack emulator (from the repository)."""
    demo = sub.add_parser(
        "demo", help="play a whole incident against the Slack emulator (from the repository)"
    )
    demo.add_argument("--output", help="where to write the postmortem draft")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="keep serving the web view (127.0.0.1, sign-in off) until Ctrl-C",
    )
    dev = sub.add_parser(
        "dev",
        help="run warroom with your settings against the Slack emulator and fake phones "
        "(from the repository), until Ctrl-C",
    )
    dev.add_argument(
        "--port", type=int, default=0, help="the web view's port on 127.0.0.1 (default: a free one)"
    )


def _add_manifest(sub: Subcommands) -> None:
    """``warroom manifest``'s options."""
    manifest = sub.add_parser(
        "manifest",
        help="print the Slack app manifest (YAML), or validate it / create the app with Slack",
        description="Print the Slack app manifest as YAML. With --validate or --create, send it "
        "to Slack's App Manifest API instead, authenticated with an app configuration token "
        '(SLACK_APP_CONFIG_TOKEN, xoxe.xoxp-…, from https://api.slack.com/apps, "Your App '
        'Configuration Tokens").',
    )
    manifest.add_argument(
        "--url", help="public base URL of `warroom serve` (omit for a Socket Mode app)"
    )
    manifest.add_argument(
        "--redirect-url",
        action="append",
        default=[],
        metavar="URL",
        help="an OAuth redirect URL for Sign in with Slack (repeatable), e.g. "
        "https://warroom.example.com/auth/slack/callback; the callbacks under --url and under "
        "WARROOM_PUBLIC_URL (when set) are added without asking",
    )
    with_slack = manifest.add_mutually_exclusive_group()
    with_slack.add_argument(
        "--validate",
        action="store_true",
        help="ask Slack whether it accepts the manifest (apps.manifest.validate)",
    )
    with_slack.add_argument(
        "--create",
        action="store_true",
        help="create the Slack app from the manifest (apps.manifest.create)",
    )
    manifest.add_argument(
        "--credentials-file",
        type=Path,
        metavar="FILE",
        help="with --create: write the new app's signing secret and client id/secret to FILE "
        "(a new file, mode 0600) as SLACK_…=… lines; they are never printed",
    )


def _add_alerts_and_postmortem(sub: Subcommands) -> None:
    """``warroom alerts`` (list, replay) and ``warroom postmortem``: the stored record's."""
    alerts = sub.add_parser("alerts", help="stored alert payloads: list them, replay them")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    listing = alerts_sub.add_parser("list", help="list stored payloads, newest first")
    listing.add_argument("--state", choices=["received", "processed", "failed"])
    listing.add_argument("--limit", type=int, default=50)
    add_json_flag(listing)
    replay = alerts_sub.add_parser(
        "replay", help="apply stored payloads again (after a processing failure)"
    )
    replay.add_argument("ids", type=int, nargs="+", metavar="ID")

    postmortem = sub.add_parser(
        "postmortem", help="print an incident's postmortem draft, from the database"
    )
    postmortem.add_argument("reference", help="the incident, e.g. INC-7")
    postmortem.add_argument("--format", choices=["md", "html"], default="md")
    postmortem.add_argument("--style", help="a template style (default, sre, atlassian)")
    postmortem.add_argument("--lang", help="a template language (en, fr)")
    postmortem.add_argument("--team", help="the Slack workspace id, when several share the DB")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``warroom`` console script."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(command_of(words) or "").parse_args(words)
    if args.command == "mcp":
        if not os.environ.get("DATABASE_URL", "").strip():
            # Said before the handshake: a client must not see a server that initialized
            # and then vanished (the message's module is imported only on this way out).
            from bot.config.runtime import NO_DATABASE

            print(f"warroom: {NO_DATABASE.format(command='mcp')}", file=sys.stderr)
            return 2
        # The client's `initialize` answered first, before the SDK, the settings and the tools
        # are imported (seconds of CPU): what the handshake read is replayed to the SDK.
        from bot.web.agents.handshake import answer_initialize

        args.opening = answer_initialize()
    # Imported once the command line is read: `--help` and `--version` need none of it.
    from bot.basics.logs import LOG_FORMATS, configure_logging
    from bot.config import ConfigError, LogSettings

    # Read here, before Settings: logging must work while the settings are being checked.
    # `serve` writes JSON lines for log pipelines; the other commands talk to a person, and
    # the demo's transcript is its output, so it keeps text whatever the environment says.
    logs = LogSettings.from_env(os.environ)
    fmt = logs.format or ("json" if args.command in ("serve", "pager") else "text")
    if args.command in ("demo", "dev"):
        fmt = "text"
    if fmt.lower() not in LOG_FORMATS:
        print(f"warroom: WARROOM_LOG_FORMAT: use one of {', '.join(LOG_FORMATS)}", file=sys.stderr)
        return 2
    configure_logging(logs.level, fmt.lower())
    try:
        return _run(args)
    except ConfigError as error:
        print(f"warroom: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        # A database not upgraded (or unreachable) is said in words, not as a traceback;
        # imported only then, as the commands that need no database never load the store.
        from bot.store.migrate import DatabaseNotReady, SchemaNotUpgraded

        if not isinstance(error, DatabaseNotReady | SchemaNotUpgraded):
            raise
        print(f"warroom: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    from bot.config import Settings
    from bot.store.db import sqlite_write_problem

    if args.command in ("demo", "dev"):
        return _demo(args)
    from bot.config.runtime import NO_DATABASE, database_url_given

    if opens_the_database(args) and not database_url_given(os.environ):
        print(f"warroom: {NO_DATABASE.format(command=args.command)}", file=sys.stderr)
        return 2
    if (ran := _run_without_settings(args)) is not None:
        return ran
    settings = Settings.from_env(os.environ)
    if args.command == "manifest":
        return _manifest(args, settings)
    # After the settings: serve names what is wrong with them first, then the database.
    if args.command in ("serve", "pager") and not database_url_given(os.environ):
        print(f"warroom: {NO_DATABASE.format(command=args.command)}", file=sys.stderr)
        return 2
    if problem := sqlite_write_problem(settings.runtime.database_url):
        print(f"warroom: {problem}", file=sys.stderr)
        return 1
    return _run_with_settings(args, settings)


def _run_without_settings(args: argparse.Namespace) -> int | None:
    """The commands that read no settings (each what its comment says), run; None for the
    others."""
    if args.command == "workflows":  # reads only the files: no Slack, no database
        from bot.admin.workflows.workflows import run_workflows

        return run_workflows(args, os.environ)
    if args.command == "paging":  # `check` reads only the file it is given; `drill` all
        from bot.admin.paging.paging import run_paging

        return run_paging(args, os.environ)
    if args.command == "oncall":  # `check` needs no settings: it reads only the file it is given
        from bot.admin.oncall.oncall import run_oncall

        return run_oncall(args, os.environ)
    if args.command == "import":  # reads the vendor, Slack and the database it is pointed at
        from bot.admin.importing.importing import run_import

        return run_import(args, os.environ)
    if args.command == "shadow":  # reads the vendor, Slack and the database it is pointed at
        from bot.admin.importing.shadow import run_shadow

        return run_shadow(args, os.environ)
    if args.command == "config":  # reads what serve reads, and opens nothing
        from bot.admin.config_check import run_config

        return run_config(args, os.environ)
    if args.command == "ai" and getattr(args, "replay", False):  # causes, at cut-offs
        from bot.admin.ai.ai_replay_command import run_replay

        return run_replay(args)
    if args.command == "ai":  # reads only the model it is pointed at
        from bot.admin.ai.ai_eval import run_ai
        from bot.admin.arguments import replay_options_given

        if replay_only := replay_options_given(args):
            print(f"warroom: ai eval: {replay_only} goes with --replay", file=sys.stderr)
            return 2
        return run_ai(args)
    if args.command == "services":  # the files only: no Slack, no database
        from bot.admin.alerting.services import run_services

        return run_services(args, os.environ)
    return None


def _run_with_settings(args: argparse.Namespace, settings: Settings) -> int:
    """The commands that read the settings and may open the database (serve the last)."""
    if args.command == "db":
        import asyncio

        asyncio.run(_upgrade(settings))
        print("database schema is up to date")
        return 0
    if args.command == "alerts":
        return _alerts(args, settings)
    if args.command == "postmortem":
        return _postmortem(args, settings)
    if args.command == "maintenance":
        from bot.admin.alerting.maintenance import run_maintenance

        return run_maintenance(args, settings)
    if args.command == "tokens":
        from bot.admin.agents.agents import run_tokens

        return run_tokens(args, settings)
    if args.command == "integrations":
        from bot.admin.alerting.integrations import run_integrations

        return run_integrations(args, settings)
    if args.command == "changes":
        from bot.admin.changes.changes import run_changes

        return run_changes(args, settings)
    if args.command == "mcp":
        from bot.admin.agents.agents import run_mcp

        return run_mcp(settings, args.opening)
    if args.command == "pager":
        settings.require("slack_token")
        from bot.pager import run_pager

        run_pager(settings)
        return 0
    from bot.config.slack import serve_needs

    settings.require(*serve_needs(args.socket_mode))
    port = args.port or settings.runtime.port
    from bot.server import run_server

    run_server(settings, host=args.host, port=port, socket_mode=args.socket_mode)
    return 0


def _demo(args: argparse.Namespace) -> int:
    """``demo`` and ``dev``: both play against the Slack emulator."""
    try:
        # Imported here: the emulator is part of the repository (emulator/, beside bot/) and
        # not of the package that serves Slack.
        from bot.admin.demo.demo import run_demo
        from bot.admin.demo.dev import run_dev
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "emulator":
            raise
        missing = DEV_NEEDS_THE_EMULATOR if args.command == "dev" else DEMO_NEEDS_THE_EMULATOR
        print(missing, file=sys.stderr)
        return 1
    import asyncio

    if args.command == "dev":
        return asyncio.run(run_dev(os.environ, port=args.port))
    return asyncio.run(run_demo(os.environ, output=args.output, keep_serving=args.serve))


def _alerts(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.admin.alerting.alerts import list_payloads, payload_list, replay_payloads

    if args.alerts_command == "list":
        payloads = asyncio.run(list_payloads(settings, state=args.state, limit=args.limit))
        print(payload_list(payloads, json_out=args.json))
        return 0
    settings.require("slack_token")
    failed = 0
    for outcome in asyncio.run(replay_payloads(settings, args.ids)):
        if outcome.error:
            failed += 1
            print(f"payload {outcome.payload_id}: failed: {outcome.error}")
            continue
        what = (
            f"opened {outcome.incident}"
            if outcome.opened
            else (
                f"recorded on {outcome.incident}" if outcome.incident else "recorded (no incident)"
            )
        )
        print(
            f"payload {outcome.payload_id}: {what} (route {outcome.route}; "
            f"{outcome.new_alerts} new, {outcome.resolved_alerts} resolved alerts)"
        )
    return 1 if failed else 0


def _postmortem(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.admin.postmortem.postmortems import render_postmortem

    try:
        text = asyncio.run(
            render_postmortem(
                settings,
                args.reference,
                team=args.team,
                output_format=args.format,
                style=args.style,
                language=args.lang,
            )
        )
    except LookupError as error:  # no such incident, style or language
        print(f"warroom: {error}", file=sys.stderr)
        return 1
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _manifest(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.admin.manifest import accepted, explain
    from bot.clients.slack.apps import validate_with_slack
    from bot.clients.slack.errors import SlackFailure

    for option, url in [("--url", args.url), *(("--redirect-url", u) for u in args.redirect_url)]:
        if url is not None and not url.startswith(("https://", "http://")):
            print(f"warroom: {option}: expected an https:// URL, got {url!r}", file=sys.stderr)
            return 2
    if args.credentials_file is not None and not args.create:
        print("warroom: --credentials-file goes with --create", file=sys.stderr)
        return 2
    # The redirect URL Slack must know is the one `warroom serve` sends: under
    # WARROOM_PUBLIC_URL when it is set, else the address people use (--url in HTTP mode).
    from bot.slack.manifest import build_manifest, manifest_yaml, sign_in_redirect_url

    redirects = list(args.redirect_url)
    if settings.web.public_url:
        redirects.append(sign_in_redirect_url(settings.web.public_url))
    manifest = build_manifest(args.url, redirect_urls=redirects)
    if args.url is None and not manifest["oauth_config"].get("redirect_urls"):
        print(
            "warroom: note: no OAuth redirect URL, so Sign in with Slack (the web view) will not "
            "work; give --redirect-url https://…/auth/slack/callback or set WARROOM_PUBLIC_URL",
            file=sys.stderr,
        )
    if not (args.validate or args.create):
        print(manifest_yaml(args.url, redirect_urls=redirects), end="")
        return 0
    settings.require("app_config_token")
    if args.create:
        return _create_app(args, settings, manifest)
    try:
        warnings = asyncio.run(validate_with_slack(settings, manifest))
    except SlackFailure as failure:
        print("\n".join(explain(failure, settings.slack.api_url)), file=sys.stderr)
        return 1
    print("\n".join(accepted(warnings)))
    return 0


def _create_app(args: argparse.Namespace, settings: Settings, manifest: dict[str, Any]) -> int:
    import asyncio

    from bot.admin.manifest import CredentialsFile, explain, next_steps, unwritten_credentials
    from bot.clients.slack.apps import create_with_slack
    from bot.clients.slack.errors import SlackFailure

    credentials: CredentialsFile | None = None
    if args.credentials_file is not None:
        made = CredentialsFile.make(args.credentials_file)
        if isinstance(made, str):
            print(f"warroom: --credentials-file: {made}", file=sys.stderr)
            return 2
        credentials = made
    try:
        app = asyncio.run(create_with_slack(settings, manifest))
    except BaseException as failure:  # refused or interrupted: no app, no secrets for the file
        if credentials is not None:
            credentials.discard()
        if not isinstance(failure, SlackFailure):
            raise
        print("\n".join(explain(failure, settings.slack.api_url)), file=sys.stderr)
        return 1
    written = None
    if credentials is not None:
        try:
            credentials.write(app)
            written = credentials.path
        except OSError as error:
            print("\n".join(unwritten_credentials(credentials.path, error, app)), file=sys.stderr)
    print("\n".join(next_steps(app, socket_mode=args.url is None, credentials_file=written)))
    return 0 if written is not None or credentials is None else 1


async def _upgrade(settings: Settings) -> None:
    from bot.store.db import create_engine
    from bot.store.migrate import upgrade_database

    engine = create_engine(settings.runtime.database_url, settings.runtime.database_timeouts)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()
