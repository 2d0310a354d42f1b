"""``warroom paging check FILE``: a contacts file checked on the command line; and
``warroom paging drill``: the paging drill, run now.

``check`` reads only the file it is given, so it runs anywhere (CI, a laptop): the numbers
and addresses are checked for their shape, the rules for the contacts they name; whether the
services they need are set is checked when ``warroom serve`` starts. ``drill`` reads the
settings and the database as ``warroom serve`` does: the phone providers' status callbacks reach the
running server, which keeps them where the drill waits for them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

# The rest is imported where it runs: `warroom paging --help` reads only the options.
if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.models import DrillCheck


def add_paging_arguments(paging: argparse.ArgumentParser) -> None:
    """``warroom paging ...``: its actions and their options."""
    actions = paging.add_subparsers(dest="paging_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="check a contacts file; exit 1 naming each problem",
        description="Reads the contacts file (WARROOM_CONTACTS's format) and names each "
        "problem with the person's Slack id, the field and the value refused.",
    )
    check.add_argument("file", type=Path, help="the contacts file (YAML)")
    drill = actions.add_parser(
        "drill",
        help="exercise each paging provider now; exit 1 if one failed (and raise its alert)",
        description="Pushes, texts, calls and mails the people who opted in to drills "
        "(drill: true in the contacts file), waits for each provider's outcome, and raises an "
        "alert for a provider that failed. Never reaches anyone who did not opt in.",
    )
    whom = drill.add_mutually_exclusive_group()
    whom.add_argument("--person", metavar="ID", help="only this person (Slack id), opted in")
    whom.add_argument(
        "--all", action="store_true", help="every person who opted in, not one per method"
    )


def run_paging(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run ``warroom paging``'s action; the exit code."""
    if args.paging_command == "drill":
        from bot.config import Settings

        return drill(Settings.from_env(environ), person=args.person, everyone=args.all)
    return check(args.file)


def drill(settings: Settings, *, person: str | None, everyone: bool) -> int:
    """0 when every provider passed (or was skipped), 1 when one failed or none was tested, 2
    when refused."""
    # Imported here: `warroom paging check` and the other commands start without the app.
    from bot.flows.alerting.drills import DrillRefused

    try:
        checks, report = asyncio.run(_drill(settings, person, everyone))
    except DrillRefused as refusal:
        print(f"warroom: {refusal}", file=sys.stderr)
        return 2
    if not checks:  # a drill that tested nothing has not shown paging works
        print(report, file=sys.stderr, end="")
        return 1
    print(report)
    return 1 if any(check.state == "failed" for check in checks) else 0


async def _drill(
    settings: Settings, person: str | None, everyone: bool
) -> tuple[list[DrillCheck], str]:
    import aiohttp

    from bot.app import build_services
    from bot.flows.alerting.drills import run_drill
    from bot.store.migrate import command_engine

    engine = await command_engine(settings.runtime.database_url)
    try:
        async with aiohttp.ClientSession() as http:
            services = build_services(settings, engine, http)
            checks = await run_drill(services, person=person, everyone=everyone)
            return checks, services.renderer.render_plain("paging/drill_report.j2", checks=checks)
    finally:
        await engine.dispose()


def check(path: Path) -> int:
    """0 and a summary when the file is fine, 1 and every problem if not."""
    from bot.record.paging.contacts import ContactsError, load_contacts

    try:
        contacts = load_contacts(path)
    except ContactsError as error:
        count = len(error.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{path}: fine: {contacts.summary()}")
    return 0
