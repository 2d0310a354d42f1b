"""``--users-map FILE``: a CSV of ``email,slack_user_id`` lines, the vendor's people named by
hand where their Slack email differs (or Slack may not be asked)."""

from __future__ import annotations

import csv
import io

from bot.basics.slack_patterns import USER_ID


class UsersMapError(ValueError):
    """The map is not a CSV of email,slack_user_id lines: the first problem, with its line."""


def read_users_map(text: str) -> dict[str, str]:
    """The map's pairs, by email in lower case. A first line ``email,slack_user_id`` is a
    heading; blank lines and lines starting ``#`` are skipped."""
    pairs: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "email":
            continue
        if len(cells) != 2 or "@" not in cells[0]:
            raise UsersMapError(f"line {number}: expected email,slack_user_id")
        email, user = cells[0].lower(), cells[1]
        if not USER_ID.match(user):
            raise UsersMapError(f"line {number}: {user!r} is not a Slack user id (U… or W…)")
        if pairs.get(email, user) != user:
            raise UsersMapError(f"line {number}: {email} is mapped twice, to different users")
        pairs[email] = user
    return pairs
