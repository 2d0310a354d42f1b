"""The one reader of whole numbers that come from outside: query strings, headers, buttons.

``str.isdigit`` and ``int`` accept far more than people type: ``"²".isdigit()`` is true and
``int("²")`` raises; ``int("١٢٣")`` is 123; ``int`` takes signs, spaces and underscores, and
refuses more than 4,300 digits with an error nobody catches. A number too large for the
database overflows it. Everything read from a request goes through ``parse_bounded_int``,
which takes ASCII digits only, a bounded length, and a range, and answers None otherwise, so
each caller can say what it wanted (400 on the web, 401 for a Slack timestamp).
"""

from __future__ import annotations

import re

# Far more than any number we read (Unix seconds have 10 digits, SQLite integers 19), and
# short enough that nothing is ever slow to read.
MAX_DIGITS = 20
_ASCII_DIGITS = re.compile(r"[0-9]+")
# Row ids and incident numbers are INTEGER columns: PostgreSQL refuses more in a query.
DATABASE_ID_MAX = 2**31 - 1


def parse_bounded_int(text: str | None, low: int, high: int) -> int | None:
    """``text`` as an int in ``low..high`` (inclusive) if it is 1 to 20 ASCII digits, else None.

    No sign, no spaces, no underscores, no other scripts' digits: what is read is exactly what
    was written.
    """
    if text is None or not 0 < len(text) <= MAX_DIGITS or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None
