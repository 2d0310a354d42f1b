"""Progress of a command's long work, on stderr (stdout stays the command's answer): at a
terminal one line rewritten in place (``import --compare: schedule 2 of 5, primary``), else
one plain line per step, which a log or CI keeps in order."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """``step(done, total, what)`` for each step; ``end()`` once the work is over."""

    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.what = what
        self.stream = stream or sys.stderr
        self.at_terminal = self.stream.isatty()
        self.shown = False

    def step(self, number: int, total: int, label: str) -> None:
        line = f"{self.what}: {label} ({number} of {total})"
        if self.at_terminal:
            self.stream.write(f"\r\033[K{line}")
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()
        self.shown = True

    def end(self) -> None:
        if self.at_terminal and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
