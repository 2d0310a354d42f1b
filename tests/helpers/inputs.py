"""Odd inputs several tests send: what str.isdigit() or int() accept and people do not type."""

from __future__ import annotations

NOT_NUMBERS = ["²", "1" * 5_000, "١٢٣", "+1", "-1", " 1", "1 ", "0x10", ""]
