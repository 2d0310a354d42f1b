"""Who may act, checked where the flows act: each flow that publishes, pages, silences,
spends, changes on call or accepts for someone calls ``require`` first, with its act from the
one table (``bot.record.rights.RULES``), before any of its work. So every command, button,
form or web page that reaches the flow is checked, a new one included, and none checks for
itself. Slack is asked afresh who the person is (``users.info``), and someone Slack will
not say of is taken for a guest. The refusal is said to that person alone (a command's or a
button's private reply) and names who may, in the team's language.

May import: what ``bot.flows`` may (``bot.services`` and everything below it).
"""

from __future__ import annotations

import logging

from bot.basics.errors import BotError
from bot.flows.people import kind_of
from bot.record.incident import incidents
from bot.record.rights import Act, Kind, may
from bot.record.status_page.publications import on_status_page
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)
LANGUAGES = ("en", "fr")  # templates/messages/rights/<language>.j2
# Who acts for the operator in the web view and its API (``Viewer.author``): sign-in off
# ("local", whoever runs warroom) and the API's token ("api"). No Slack id looks like them.
OPERATOR = frozenset({"local", "api"})


class NotTheirs(BotError):
    """Someone whose kind may not do ``act`` tried it (``kind``: who Slack says they are)."""

    template = "messages/rights/refused.j2"


class NotAdmin(BotError):
    """A member who is no admin of the workspace (nor named by ``WARROOM_ADMINS``) tried to
    administer warroom."""

    template = "messages/rights/not_admin.j2"


async def require(services: Services, user: str, act: Act, *, recent: bool = False) -> Kind:
    """Who ``user`` is, once they may do ``act``; NotTheirs otherwise. ``recent``: an answer
    from Slack up to a minute old will do (only reading: who is on call)."""
    kind = Kind.OPERATOR if user in OPERATOR else await kind_of(services, user, recent=recent)
    if not may(kind, act):
        log.info("%s refused to %s (%s)", user, act.value, kind.value)
        raise NotTheirs(act=act.value, kind=kind.value, language=_language(services))
    return kind


async def require_admin(services: Services, user: str) -> None:
    """NotTheirs for a guest, NotAdmin for a member who is neither an admin or owner of the
    workspace (``users.info`` ``is_admin``, ``is_owner``, asked afresh) nor named by
    ``WARROOM_ADMINS``; the operator always may."""
    if await is_admin(services, user):
        return
    log.info("%s refused to administer (no admin)", user)
    raise NotAdmin(language=_language(services))


async def is_admin(services: Services, user: str) -> bool:
    """Whether ``user`` administers warroom (``require_admin``'s rule); NotTheirs for a
    guest. Slack is asked afresh."""
    kind = await require(services, user, Act.ADMINISTER)
    if kind is Kind.OPERATOR or user in services.settings.web.admins:
        return True
    # kind_of has just asked users.info: its answer is read again, not asked twice.
    kept = services.slack.kept_facts(user)
    return kept is not None and kept[0].admin


async def require_if_public(services: Services, user: str, channel_id: str) -> None:
    """NotTheirs when the channel's incident is on the status pages and ``user`` may not
    publish: its status, severity and times are shown to customers there, and changing one is
    publishing it."""
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        shown = await on_status_page(session, incident)
    if shown:
        await require(services, user, Act.PUBLISH)


def _language(services: Services) -> str:
    """The team's language when its refusals are written in it, else English."""
    language = services.settings.incidents.language
    return language if language in LANGUAGES else "en"
