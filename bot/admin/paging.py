"""``warroom paging check FILE``: a contacts file checked on the command line; and
``warroom paging drill``: the paging drill, run now.

``check`` is ``warroom config check`` for the contacts file (bot/admin/config_check.py): the
numbers and addresses checked for their shape, the rules for the contacts they name, and what
the methods need of the environment (Twilio, SMTP, ntfy, the public address...) by serve's own
code, so it passes exactly the files serve starts with; it opens no database. ``drill`` reads the
settings and the database as ``warroom serve`` does: the phone providers' status callbacks reach the
running server, which keeps them where the drill waits for them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
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
        help="check a contacts file as serve would; exit 1 naming each problem",
        description="Reads the contacts file (WARROOM_CONTACTS's format) and names each "
        "problem with the person's Slack id, the field and the value refused; then what its "
        "methods need of the environment (TWILIO_*, WARROOM_SMTP_*, WARROOM_PUBLIC_URL...), "
        "as `warroom serve` checks it. Exit 1 exactly when serve would refuse the file.",
    )
    check.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="the contacts file (YAML); default: the one WARROOM_CONTACTS names",
    )
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
    from bot.config.paging import contacts_file

    path = args.file or contacts_file(environ)
    if path is None:
        print("warroom: no contacts file: name one, or set WARROOM_CONTACTS", file=sys.stderr)
        return 2
    return check(path, environ)


def drill(settings: Settings, *, person: str | None, everyone: bool) -> int:
    """0 when every provider passed (or was skipped), 1 when one failed or none was tested, 2
    when refused."""
    # Imported here: `warroom paging check` and the other commands start without the app.
    from bot.flows.paging.drills import DrillRefused

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
    from bot.flows.alerting.drill_alerts import run_drill
    from bot.store.migrate import command_engine

    engine = await command_engine(settings.runtime.database_url)
    try:
        async with aiohttp.ClientSession() as http:
            services = build_services(settings, engine, http)
            checks = await run_drill(services, person=person, everyone=everyone)
            return checks, services.renderer.render_plain("paging/drill_report.j2", checks=checks)
    finally:
        await engine.dispose()


def check(path: Path, environ: Mapping[str, str]) -> int:
    """0 and a summary when serve would start with the file, 1 and every problem if not: the
    file's own first, then what its methods need of the environment."""
    from bot.admin.config_check import contacts_problems
    from bot.record.paging.contacts import ContactsError, load_contacts

    try:
        contacts = load_contacts(path)
    except ContactsError as error:
        return _refused(path, error.problems)
    problems, unchecked = contacts_problems(environ, str(path))
    if problems:
        return _refused(path, problems, "serve would refuse it for ")
    if unchecked:
        print(
            f"{path}: what its methods need of the environment was not checked: {unchecked} "
            "other problem(s) in it (`warroom config check` names them)",
            file=sys.stderr,
        )
        return 1
    print(f"{path}: fine: {contacts.summary()}")
    return 0


def _refused(path: Path, problems: Sequence[str], why: str = "") -> int:
    count = len(problems)
    print(f"{path}: {why}{count} problem{'s' if count != 1 else ''}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1
