"""Every line a log file would get, for tests that check what reaches the logs."""

from __future__ import annotations

import logging

import pytest


class Everything(logging.Handler):
    """Every record any logger emits, formatted with its traceback: what a log file would get;
    records of the loggers named in ``ignore`` (and their children) left out."""

    def __init__(self, ignore: tuple[str, ...] = ()) -> None:
        super().__init__(logging.DEBUG)
        self.ignore = ignore
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self.ignore and record.name.startswith(self.ignore):
            return
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


def logged(handler: Everything, caplog: pytest.LogCaptureFixture) -> str:
    """All that ``handler`` and pytest's capture hold, as one text."""
    return handler.text() + "\n" + caplog.text
