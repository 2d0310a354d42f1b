"""``warroom paging check FILE``: a contacts file checked on the command line.

It reads only the file it is given, so it runs anywhere (CI, a laptop): the numbers and
addresses are checked for their shape, the rules for the contacts they name; whether the
services they need are set is checked when ``warroom serve`` starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.record.paging.contacts import ContactsError, load_contacts


def add_paging_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``warroom paging ...``: its actions and their options."""
    paging = sub.add_parser("paging", help="paging people: check a contacts file")
    actions = paging.add_subparsers(dest="paging_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="check a contacts file; exit 1 naming each problem",
        description="Reads the contacts file (WARROOM_CONTACTS's format) and names each "
        "problem with the person's Slack id, the field and the value refused.",
    )
    check.add_argument("file", type=Path, help="the contacts file (YAML)")


def run_paging(args: argparse.Namespace) -> int:
    """Run ``warroom paging``'s action; the exit code."""
    return check(args.file)


def check(path: Path) -> int:
    """0 and a summary when the file is fine, 1 and every problem if not."""
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
