"""Slack emulator: a fake Slack Web API plus signed requests to the bot, all on 127.0.0.1;
and a fake PagerDuty Events API.

Used by `warroom demo` (no workspace needed) and by the test suite.
"""

from emulator.client import SlackEmulator
from emulator.models import (
    ApiCall,
    BotResponse,
    Channel,
    EphemeralMessage,
    Message,
    User,
    slack_signature_headers,
)
from emulator.pagerduty import FakePagerDuty

__all__ = [
    "ApiCall",
    "BotResponse",
    "Channel",
    "EphemeralMessage",
    "FakePagerDuty",
    "Message",
    "SlackEmulator",
    "User",
    "slack_signature_headers",
]
