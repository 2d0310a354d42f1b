"""``warroom paging check FILE``: a contacts file checked on the command line;
``warroom paging drill``: the paging drill, run now; and ``warroom paging report``: the
paging SLO over a period, from the record (bot/record/paging/slo.py).

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# The rest is imported where it runs: `warroom paging --help` reads only the options.
if TYPE_CHECKING:
    from bot.config import Settings
    from bot.record.paging.slo import SloReport
    from bot.store.models import DrillCheck

    # The command's actions, as add_subparsers returns them.
    Actions = argparse._SubParsersAction[argparse.ArgumentParser]


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
    _add_drill(actions)
    _add_report(actions)


def _add_drill(actions: Actions) -> None:
    """``warroom paging drill``: whom it reaches (one per method, ``--person``, ``--all``)."""
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


def _add_report(actions: Actions) -> None:
    """``warroom paging report``: the paging SLO over a period (``--since``, ``--until``)."""
    report = actions.add_parser(
        "report",
        help="the paging SLO: high-urgency alerts reached within 60 s, per day and provider; "
        "exit 1 below 99.9 %%",
        description="From the record: the share of high-urgency alerts confirmed to reach a "
        "person within 60 s of arriving (an SMS delivered, a call answered, the page "
        "acknowledged), per day (UTC) and per provider, and each alert that was not, named "
        "with what its providers said. Exit 0 at or above the 99.9 % target (or with no "
        "alerts), 1 below it: a check for cron.",
    )
    report.add_argument(
        "--since",
        type=_period,
        default=_period("7d"),
        metavar="PERIOD",
        help="how far back: 7d, 24h, 90m (default 7d)",
    )
    report.add_argument(
        "--until",
        type=_moment,
        default=None,
        metavar="WHEN",
        help="the period's end, ISO 8601 UTC (default now)",
    )


def _period(raw: str) -> timedelta:
    """``7d``, or a duration as configuration writes it (``24h``, ``90m``)."""
    from bot.basics.durations import parse_period

    try:
        period = parse_period(raw)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"expected a period like 7d, 24h or 90m, got {raw!r}"
        ) from None
    if not period:
        raise argparse.ArgumentTypeError("the period must be longer than nothing")
    return period


def _moment(raw: str) -> datetime:
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a time like 2026-03-10T00:00Z, got {raw!r}"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def run_paging(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run ``warroom paging``'s action; the exit code."""
    from bot.config import Settings

    if args.paging_command == "drill":
        return drill(Settings.from_env(environ), person=args.person, everyone=args.all)
    if args.paging_command == "report":
        until = args.until or datetime.now(UTC)
        return report(Settings.from_env(environ), since=until - args.since, until=until)
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


def report(settings: Settings, *, since: datetime, until: datetime) -> int:
    """The paging SLO's report printed; 0 at or above its target, 1 below."""
    from bot.basics.render import Renderer

    slo = asyncio.run(_report(settings.runtime.database_url, since, until))
    print(Renderer().render_plain("paging/slo_report.j2", report=slo))
    return 0 if slo.met else 1


async def _report(database_url: str, since: datetime, until: datetime) -> SloReport:
    from bot.record.paging.slo import paging_report
    from bot.store.db import session_scope
    from bot.store.migrate import command_engine

    engine = await command_engine(database_url)
    try:
        async with session_scope(engine) as session:
            return await paging_report(session, since=since, now=until)
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
