"""Slack emulator: a fake Slack Web API plus signed requests to the bot, all on 127.0.0.1;
and fake PagerDuty, GitHub, Jira, Linear, Statuspage and Grafana OnCall servers.

Used by `warroom demo` (no workspace needed) and by the test suite. It sits beside ``bot/``
in the repository and is not in the product's wheel: ``pip install -e .`` from a clone makes
it importable. The app it plays is a parameter (``SlackEmulator(app_name=..., team_id=...)``);
the defaults are warroom's demo workspace.

May import: nothing of warroom's (``bot``, ``commands``); only ``bot.admin.demo`` and the
tests import it.
"""

from emulator.client import SlackEmulator, UndeclaredCommand
from emulator.models import (
    ApiCall,
    BotResponse,
    Channel,
    EphemeralMessage,
    Message,
    User,
    slack_signature_headers,
)
from emulator.ntfy import FakeNtfy
from emulator.pagerduty import FakePagerDuty
from emulator.twilio import FakeTwilio

__all__ = [
    "ApiCall",
    "BotResponse",
    "Channel",
    "EphemeralMessage",
    "FakeNtfy",
    "FakePagerDuty",
    "FakeTwilio",
    "Message",
    "SlackEmulator",
    "UndeclaredCommand",
    "User",
    "slack_signature_headers",
]
