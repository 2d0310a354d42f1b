"""A real SMTP server for tests: aiosmtpd's Controller on 127.0.0.1, plain (no STARTTLS)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's Controller checks its own by connecting)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(handler: object) -> Iterator[int]:
    """Serve SMTP with ``handler`` (aiosmtpd's ``handle_RCPT``, ``handle_DATA``...) until the
    block ends; its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
