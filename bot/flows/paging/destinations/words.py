"""The words of every message by every method: templates keyed by (kind, method),
``templates/paging/<kind>/<method>.j2`` (an e-mail's HTML: ``<method>.html.j2``), each taking
``part`` (title, message, subject, text, prompt...) for a message said in several pieces.
A method without templates of its own for a kind says ``templates/paging/<kind>/default.j2``:
a destination added without words still says every message. An operator's templates
directory overrides any of them by the same name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.basics.render import Renderer
from bot.flows.paging.destinations.messages import Message, Notice
from bot.services import Services

DEFAULT = "default"


@lru_cache(maxsize=256)
def template(renderer: Renderer, kind: str, method: str, suffix: str = ".j2") -> str:
    """The template of ``kind``'s words by ``method``: its own, else the kind's default."""
    own = f"paging/{kind}/{method}{suffix}"
    return own if renderer.exists(own) else f"paging/{kind}/{DEFAULT}{suffix}"


def plain(
    services: Services, message: Message, method: str, part: str = "text", **said: Any
) -> str:
    """``part`` of the message by ``method`` in plain text (a push, an SMS, a call, a mail),
    from ``said`` (the message's ``words``)."""
    name = template(services.renderer, message.kind, method)
    return services.renderer.render_plain(name, part=part, method=method, **said)


def slack(services: Services, message: Message, method: str, **said: Any) -> str:
    """The message as a Slack message outside any incident's channel (a DM)."""
    name = template(services.renderer, message.kind, method)
    return services.renderer.render(name, outside=True, part="text", method=method, **said)


def html(services: Services, message: Message, method: str, **said: Any) -> str:
    """The message as an HTML document (a mail's alternative to its text)."""
    name = template(services.renderer, message.kind, method, ".html.j2")
    return services.renderer.render(name, part="text", method=method, **said)


async def notice(services: Services, message: Notice, method: str) -> tuple[str, str]:
    """A notice's subject and text by ``method``."""
    said = await message.words(services)
    subject = plain(services, message, method, "subject", **said)
    return subject, plain(services, message, method, "text", **said)
