"""Slack emulator: a fake Slack Web API plus signed requests to the bot, all on 127.0.0.1.

Used by `warroom demo` (no workspace needed) and by the test suite.
"""

from bot.emulator.client import SlackEmulator
from bot.emulator.models import (
    ApiCall,
    BotResponse,
    Channel,
    EphemeralMessage,
    Message,
    User,
    slack_signature_headers,
)

__all__ = [
    "ApiCall",
    "BotResponse",
    "Channel",
    "EphemeralMessage",
    "Message",
    "SlackEmulator",
    "User",
    "slack_signature_headers",
]
