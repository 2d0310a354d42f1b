"""``/incident public [component, ...]``, ``/incident public --title [--lang xx] <title>`` and
``/incident public off``: the status pages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.basics.errors import UsageError
from bot.basics.slack_text import to_public_plain
from bot.flows.replies import open_form
from bot.flows.status_page.publishing import (
    make_public,
    public_form,
    set_public_title,
    withdraw_public,
)
from bot.record.status_page.publications import clean
from bot.services import Services
from commands.arguments import language_option
from commands.base import CommandRequest, Subcommand, with_arguments

COMPONENT_MAX = 80
COMPONENTS_MAX = 20
# Statuspage shows an incident's name in a heading and in e-mail subjects: keep it short.
TITLE_MAX = 120
OFF = "off"
_TITLE_OPTIONS = re.compile(r"^\s*(--title|--lang(?:=|\s+)(\S+))(?=\s|$)", re.IGNORECASE)
# Quotes people put around a title, straight or as Slack's clients curl them.
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb", "\u201e": "\u201c"}
_TITLE_USAGE = (
    "Give the title customers should read: `/incident public --title Payment platform"
    " disruptions`, with `--lang xx` for another language."
)


@dataclass(frozen=True)
class TitleRequest:
    title: str
    language: str | None


def validate(args: str) -> list[str] | TitleRequest | None:
    """The components named (comma-separated), a public title, or None for ``off``; no
    arguments: ``[]`` (the form opens)."""
    if args.strip().lower() == OFF:
        return None
    if _TITLE_OPTIONS.match(args):
        return _title(args)
    return components_of(args)


def components_of(args: str) -> list[str]:
    """The components named, comma-separated (Slack text, as a command's arguments)."""
    components = [clean(part) for part in args.split(",")]
    if args.strip() and not all(components):
        raise UsageError("Separate the components with commas, like `checkout, payments API`.")
    components = list(dict.fromkeys(c for c in components if c))
    if len(components) > COMPONENTS_MAX or any(len(c) > COMPONENT_MAX for c in components):
        raise UsageError(
            f"Name at most {COMPONENTS_MAX} components of at most {COMPONENT_MAX} characters."
        )
    return components


def _title(args: str) -> TitleRequest:
    """``--title [--lang xx] <title>``: options first, or ``--lang`` after a quoted title."""
    options, rest = _title_options(args)
    title = rest.strip()
    closing = _QUOTES.get(title[:1])
    if closing and (end := title.find(closing, 1)) > 0:
        after, rest = _title_options(title[end + 1 :])
        if rest.strip():
            raise UsageError(_TITLE_USAGE)
        options.update(after)
        title = title[1:end]
    title = " ".join(clean(to_public_plain(title)).split())
    if not title:
        raise UsageError(_TITLE_USAGE)
    if len(title) > TITLE_MAX:
        raise UsageError(f"Keep a public title under {TITLE_MAX} characters.")
    return TitleRequest(title, options.get("lang"))


def _title_options(args: str) -> tuple[dict[str, str], str]:
    """The leading ``--title`` and ``--lang xx`` options, and what follows them."""
    options: dict[str, str] = {}
    while match := _TITLE_OPTIONS.match(args):
        if match.group(2):
            options["lang"] = language_option(match.group(2))
        args = args[match.end() :]
    return options, args


async def open_public_form(request: CommandRequest, services: Services) -> None:
    """Open the form, filled with what the incident shows now."""
    form = await public_form(services, channel_id=request.channel_id, by=request.user_id)
    metadata = {"channel_id": request.channel_id, "response_url": request.response_url}
    view = services.renderer.render_json(
        "views/public_modal.json.j2",
        form=form,
        private_metadata=json.dumps(metadata),
        components_max=COMPONENTS_MAX * (COMPONENT_MAX + 2),
        title_max=TITLE_MAX,
    )
    await open_form(services, request.trigger_id, dict(view), command="/incident public")


async def public(request: CommandRequest, services: Services) -> str | None:
    if not request.args.strip():
        await open_public_form(request, services)
        return None
    components = validate(request.args)
    if components is None:
        await withdraw_public(services, channel_id=request.channel_id, by=request.user_id)
        return None
    if isinstance(components, TitleRequest):
        await set_public_title(
            services,
            channel_id=request.channel_id,
            by=request.user_id,
            title=components.title,
            language=components.language,
        )
        return None
    made = await make_public(
        services, channel_id=request.channel_id, by=request.user_id, components=components
    )
    return services.renderer.render(
        "messages/public_made.j2",
        incident=made.incident,
        unmapped=made.unmapped,
        status_url=services.settings.status_page_url,
    )


SUBCOMMAND = Subcommand(
    name="public",
    usage="public [component, ...] | public --title [--lang xx] <title> | public off | public",
    summary=(
        "Put the incident on the status page with the components it affects, name it for"
        " customers (--title, per language), or take it off (off); alone, a form for both"
    ),
    handler=public,
    validate=validate,
    in_order=with_arguments,
)
