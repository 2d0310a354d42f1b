"""How a command that lists prints its rows: an aligned table for a person (a header line,
one row a line, columns two spaces apart), or with ``--json`` one JSON array of objects for a
script (times in ISO 8601 UTC, absent values null), so both read the same rows.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

GAP = "  "


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print a JSON array (for scripts) instead of a table"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns as wide as their widest cell; the last one unpadded (no trailing spaces)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        GAP.join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *rows)
    ]
    return "\n".join(lines)


def as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(
        [{key: _plain(value) for key, value in row.items()} for row in rows], indent=2
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value
