"""What the paging tests share: a real SMTP server (aiosmtpd) on 127.0.0.1, the fake Twilio and
ntfy, and warroom started with the three of them as an operator sets them up."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from emulator import FakeNtfy, FakeTwilio, SlackEmulator
from tests.conftest import ALICE, Clock, Warroom, running_warroom
from tests.helpers.mail import Mailbox, smtp_server
from tests.paging.scenario import NOW, POLICIES, SCHEDULES, paging_settings, phone_environ
from tests.paging.test_email import REFUSED

PUBLIC_URL = "https://warroom.example.com"
Phones = tuple[FakeTwilio, FakeNtfy]


@pytest.fixture
def postgresql_url(database_url: str) -> str:
    """``database_url``'s PostgreSQL variant only: the pager process and replicas taking over
    from each other are PostgreSQL's (SQLite: one writing process)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the pager runs on PostgreSQL only (SQLite: one writing process)")
    return database_url


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A mail server on 127.0.0.1 (no STARTTLS) keeping what it is sent, refusing REFUSED for
    good, and its port."""
    box = Mailbox(refused=[REFUSED])
    with smtp_server(box) as port:
        yield box, port


@pytest.fixture
async def phones() -> AsyncIterator[Phones]:
    """The fake Twilio, whose number's SMS replies go to warroom's webhook, and the fake ntfy."""
    async with FakeTwilio() as twilio, FakeNtfy() as ntfy:
        twilio.sms_webhook = f"{PUBLIC_URL}/twilio/sms"
        yield twilio, ntfy


def owned_schedules() -> dict[str, Any]:
    """The scenario's schedules, with Alice the owner of ``night`` (Carol's)."""
    schedules = copy.deepcopy(SCHEDULES)
    schedules["schedules"]["night"]["owners"] = [ALICE]
    return schedules


def trouble(warroom: Warroom, user: str) -> list[str]:
    """The DMs ``user`` got saying a contact method does not work."""
    return [m.text for m in warroom.slack.direct_messages(user) if "does not work" in m.text]


def phone_paging(
    database_url: str,
    tmp_path: Path,
    phones: Phones,
    contacts: dict[str, Any],
    *,
    mailbox: tuple[Mailbox, int] | None = None,
    schedules_file: dict[str, Any] = SCHEDULES,
    policies_file: dict[str, Any] = POLICIES,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, object]:
    """``warroom_settings`` paging by ``contacts`` through ``phones`` and, given one,
    ``mailbox`` (a local relay without credentials or STARTTLS, as the operator allows with
    WARROOM_SMTP_PLAINTEXT); more variables in ``environ``, settings in ``overrides``. The fake
    Twilio reaches the bot once it serves."""
    twilio, ntfy = phones
    mail = (
        {
            "WARROOM_SMTP_URL": f"smtp://127.0.0.1:{mailbox[1]}",
            "WARROOM_SMTP_PLAINTEXT": "true",
            "WARROOM_SMTP_FROM": "warroom@example.com",
        }
        if mailbox
        else {}
    )
    settings = paging_settings(
        tmp_path,
        contacts,
        policies_file,
        schedules_file=schedules_file,
        **phone_environ(twilio, ntfy, PUBLIC_URL),
        **mail,
        **(environ or {}),
    )

    async def ready(running: Warroom) -> None:
        twilio.reach = (PUBLIC_URL, running.url)

    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        **overrides,
        **settings,
        "ready": ready,
    }


@asynccontextmanager
async def paging_warroom(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    phones: Phones,
    contacts: dict[str, Any],
    *,
    mailbox: tuple[Mailbox, int] | None = None,
    schedules_file: dict[str, Any] = SCHEDULES,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> AsyncIterator[Warroom]:
    """The bot of ``phone_paging`` until the block ends (a test that starts it again)."""
    options = phone_paging(
        database_url,
        tmp_path,
        phones,
        contacts,
        mailbox=mailbox,
        schedules_file=schedules_file,
        environ=environ,
        **overrides,
    )
    ready = options.pop("ready")
    async with running_warroom(slack, **options) as running:
        await ready(running)
        yield running
