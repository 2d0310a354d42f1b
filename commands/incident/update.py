"""``/incident update [--public [--lang xx]] <text>``: a stakeholder update, here and in the
announcement channel; with ``--public``, on the status pages too."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.basics.errors import UsageError
from bot.basics.slack_text import SlackText
from bot.flows.incident.changes import UpdatePosted, post_update
from bot.flows.status_page.publishing import publish_update
from bot.services import Services
from commands.arguments import language_option
from commands.base import CommandRequest, Subcommand

UPDATE_MAX = 3000
_OPTIONS = re.compile(r"^\s*(--public|--lang(?:=|\s+)(\S+))(?=\s|$)", re.IGNORECASE)


@dataclass(frozen=True)
class UpdateRequest:
    text: str
    public: bool = False
    language: str | None = None


def validate(args: str) -> UpdateRequest:
    public, language, rest = False, None, args
    while match := _OPTIONS.match(rest):
        if match.group(1).lower() == "--public":
            public = True
        else:
            language = language_option(match.group(2))
        rest = rest[match.end() :]
    if language and not public:
        raise UsageError(
            "`--lang` goes with `--public`: `/incident update --public --lang fr <text>`."
        )
    text = SlackText(rest.strip())
    if not text:
        raise UsageError("Say what is known, what is being done, and when the next update comes.")
    if len(text) > UPDATE_MAX:
        raise UsageError(f"Keep an update under {UPDATE_MAX} characters.")
    return UpdateRequest(text, public, language)


async def update(request: CommandRequest, services: Services) -> str | None:
    wanted = validate(request.args)
    if wanted.public:
        return await _publish(request, services, wanted)
    return await _post(request, services, wanted.text)


async def _post(request: CommandRequest, services: Services, text: str) -> str | None:
    posted = await post_update(
        services, channel_id=request.channel_id, by=request.user_id, text=text
    )
    return _delayed(services, posted)


def _delayed(services: Services, posted: UpdatePosted | None) -> str | None:
    """What the poster is told when the update waits or the announcement failed."""
    if posted is None or (posted.waiting is None and posted.announce_error is None):
        return None
    return services.renderer.render(
        "messages/update_delayed.j2",
        incident=posted.incident,
        waiting=posted.waiting,
        channel=services.settings.incidents.announce_channel,
        announce_error=posted.announce_error,
    )


async def _publish(request: CommandRequest, services: Services, wanted: UpdateRequest) -> str:
    """Publish and post as every stakeholder update is posted, in one transaction (a refusal,
    such as an incident not public, posts nothing); a translation is not posted again."""
    done = await publish_update(
        services,
        channel_id=request.channel_id,
        by=request.user_id,
        text=wanted.text,
        language=wanted.language,
    )
    confirmation = services.renderer.render(
        "messages/public_published.j2",
        incident=done.incident,
        published=done.published,
        language=wanted.language,
        status_url=services.settings.status_page_url,
        statuspage=services.settings.status_page.statuspage_on,
    )
    return "\n".join(part for part in (confirmation, _delayed(services, done.posted)) if part)


SUBCOMMAND = Subcommand(
    name="update",
    usage="update [--public [--lang xx]] <text>",
    summary=(
        "Post a stakeholder update (also to the announcement channel); --public publishes it"
        " on the status page, --lang adds a translation of the last public update"
    ),
    handler=update,
    validate=validate,
)
