"""``/incident update [--public [--status s] [--lang xx]] <text>``: a stakeholder update, here
and in the announcement channel; with ``--public``, on the status pages too, filed under the
status chosen (investigating, identified, monitoring, resolved) or else the incident's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.flows.incident.changes import post_update
from bot.flows.status_page.publishing import publish_update
from bot.services import Services
from bot.store.models import Status
from commands.arguments import language_option
from commands.base import CommandRequest, Subcommand
from commands.incident.update_form import (
    UPDATE_MAX,
    delayed_words,
    open_public_update_form,
    published_words,
)

_OPTIONS = re.compile(
    r"^\s*(--public|--lang(?:=|\s+)(\S+)|--status(?:=|\s+)(\S+)|--status)(?=\s|$)",
    re.IGNORECASE,
)
_STATUS_USAGE = (
    "Give `--status` one of {statuses}: `/incident update --public --status monitoring <text>`."
)


@dataclass(frozen=True)
class UpdateRequest:
    text: str
    public: bool = False
    language: str | None = None
    # The status the public update is filed under; None: the incident's own.
    status: Status | None = None


def _status_option(value: str | None) -> Status:
    try:
        return Status((value or "").lower())
    except ValueError:
        statuses = ", ".join(f"`{s.value}`" for s in Status)
        raise UsageError(_STATUS_USAGE.format(statuses=statuses)) from None


def validate(args: str) -> UpdateRequest:
    public, language, status, rest = False, None, None, args
    while match := _OPTIONS.match(rest):
        option = match.group(1).lower()
        if option == "--public":
            public = True
        elif option.startswith("--lang"):
            language = language_option(match.group(2))
        else:
            status = _status_option(match.group(3))
        rest = rest[match.end() :]
    if language and not public:
        raise UsageError(
            "`--lang` goes with `--public`: `/incident update --public --lang fr <text>`."
        )
    if status and not public:
        raise UsageError(
            "`--status` goes with `--public`: "
            "`/incident update --public --status monitoring <text>`."
        )
    text = SlackText(rest.strip())
    if not text and public and not language:
        return UpdateRequest(text, public, language, status)  # the form opens
    if not text:
        raise UsageError("Say what is known, what is being done, and when the next update comes.")
    if len(text) > UPDATE_MAX:
        raise UsageError(f"Keep an update under {UPDATE_MAX} characters.")
    return UpdateRequest(text, public, language, status)


async def update(request: CommandRequest, services: Services) -> str | None:
    wanted = validate(request.args)
    if wanted.public and not wanted.text:
        await open_public_update_form(request, services, chosen=wanted.status)
        return None
    if wanted.public:
        return await _publish(request, services, wanted)
    return await _post(request, services, wanted.text)


async def _post(request: CommandRequest, services: Services, text: str) -> str | None:
    posted = await post_update(
        services, channel_id=request.channel_id, by=request.user_id, text=text
    )
    return delayed_words(services, posted)


async def _publish(request: CommandRequest, services: Services, wanted: UpdateRequest) -> str:
    """Publish and post as every stakeholder update is posted, in one transaction (a refusal,
    such as an incident not public, posts nothing); a translation is not posted again."""
    done = await publish_update(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        text=wanted.text,
        language=wanted.language,
        status=wanted.status,
    )
    return published_words(services, done, language=wanted.language, chosen=wanted.status)


SUBCOMMAND = Subcommand(
    name="update",
    usage="update [--public [--status s] [--lang xx]] <text>",
    summary=(
        "Post a stakeholder update (also to the announcement channel); --public publishes it"
        " on the status page, under --status (else the incident's), --lang adds a"
        " translation of the last public update"
    ),
    handler=update,
    validate=validate,
)
