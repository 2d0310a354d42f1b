"""Errors a user can be told about: each carries the template that explains it."""

from __future__ import annotations

from typing import Any


class BotError(Exception):
    """An expected failure with a message for the person who caused it."""

    template = "messages/error.j2"

    def __init__(self, message: str = "", **context: Any) -> None:
        super().__init__(message or self.__class__.__name__)
        self.context = {"message": message, **context}


class UsageError(BotError):
    """The command was malformed: show how to use it."""

    template = "messages/usage.j2"


class NotIncidentChannel(BotError):
    """The subcommand only works inside an incident channel."""

    template = "messages/not_incident_channel.j2"


class GoneFromRecord(BotError):
    """What a button or a form names is no longer in the record (``what``: ``incident``,
    ``question``) or is not the person's own."""

    template = "messages/gone_from_record.j2"


class AlreadyResolved(BotError):
    """The incident is already resolved."""

    template = "messages/already_resolved.j2"
