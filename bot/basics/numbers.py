"""The one reader of numbers and tokens that come from outside: query strings, headers,
buttons, vendors' JSON, cookies, form fields and the OAuth ``state``.

``str.isdigit`` and ``int`` accept far more than people type: ``"²".isdigit()`` is true and
``int("²")`` raises; ``int("١٢٣")`` is 123; ``int`` takes signs, spaces and underscores, and
refuses more than 4,300 digits with an error nobody catches. A number too large for the
database overflows it. Everything read from a request goes through ``parse_bounded_int``,
which takes ASCII digits only, a bounded length, and a range, and answers None otherwise, so
each caller can say what it wanted (400 on the web, 401 for a Slack timestamp).

A number in JSON is no safer: ``json.loads`` reads 400 digits as an int that no float holds
(dividing it raises OverflowError), ``1e400`` as infinity, and ``true`` passes for an int.
``bounded_json_number`` takes an int or a float in a range and nothing else.

Tokens we issued and get back (signed cookies, CSRF tokens, the OAuth ``state``) are short
runs of the URL-safe alphabet; ``hmac.compare_digest`` raises on any other text, so
``parse_token`` lets through only that alphabet, of a bounded length.
"""

from __future__ import annotations

import re

# Far more than any number we read (Unix seconds have 10 digits, SQLite integers 19), and
# short enough that nothing is ever slow to read.
MAX_DIGITS = 20
_ASCII_DIGITS = re.compile(r"[0-9]+")
# Far more than any token we issue (a signed cookie holds a name and a few ids), and what
# browsers keep of a cookie at most.
TOKEN_MAX_CHARS = 4096
_TOKEN = re.compile(r"[A-Za-z0-9_.~-]+")
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


def bounded_json_number(value: object, low: int, high: int) -> int | None:
    """A number read from JSON as an int in ``low..high`` (a float is cut to its whole part),
    else None: not a bool, not a string, not NaN or infinity, never too large to compare."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # Python compares ints and floats exactly, whatever their size; NaN is in no range.
    if not low <= value <= high:
        return None
    return int(value)


def parse_token(text: object, max_chars: int = TOKEN_MAX_CHARS) -> str | None:
    """``text`` if it is 1 to ``max_chars`` characters of the URL-safe alphabet (ASCII letters,
    digits and ``-_.~``), else None: what a token of ours is made of, so it can be compared."""
    if not isinstance(text, str) or not 0 < len(text) <= max_chars:
        return None
    return text if _TOKEN.fullmatch(text) else None
