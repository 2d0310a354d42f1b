"""The postmortem draft's page as a signed-in person uses it over HTTP: read it (with its
form token), post one of its forms, read a refusal at a field; a guest of the workspace
brought into an incident's channel."""

from __future__ import annotations

import html
import re

import aiohttp

from emulator import Channel, SlackEmulator
from tests.conftest import Warroom
from tests.helpers.incidents import command
from tests.helpers.web_view import csrf_of, visible_text

DRAFT = "/incidents/INC-1/postmortem"


async def draft_page(
    session: aiohttp.ClientSession, warroom: Warroom, draft: str = DRAFT
) -> tuple[str, str]:
    """The draft's page (200) and its form token."""
    async with session.get(f"{warroom.url}{draft}") as answer:
        assert answer.status == 200, await answer.text()
        page = await answer.text()
    return page, csrf_of(page)


async def post_draft_form(
    session: aiohttp.ClientSession,
    warroom: Warroom,
    path: str,
    data: dict[str, str],
    *,
    csrf: bool = True,
    reference: str = "INC-1",
) -> tuple[int, str]:
    """Post the form at ``path`` under the draft's page of ``reference`` with the page's
    token (``csrf`` False: without one), following the redirect to the page; the status and
    the page."""
    draft = f"/incidents/{reference}/postmortem"
    _, token = await draft_page(session, warroom, draft)
    sent = {**data, "csrf": token} if csrf else data
    async with session.post(f"{warroom.url}{draft}{path}", data=sent) as answer:
        return answer.status, await answer.text()


def problem_at(page: str, field_id: str) -> str:
    """The words shown under a field, and that the field says it is invalid."""
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', page), field_id
    match = re.search(rf'<span class="field-problem" id="{field_id}-problem">(.*?)</span>', page)
    assert match, f"no problem shown at {field_id}"
    return html.unescape(match[1])


async def invite_guest(slack: SlackEmulator, channel: Channel, user: str) -> None:
    """Bring a guest of the workspace into the channel, as a member would (the bot never
    does)."""
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{slack.base_url}conversations.invite",
            headers={"Authorization": f"Bearer {slack.bot_token}"},
            data={"channel": channel.id, "users": user},
        ) as answer,
    ):
        assert (await answer.json())["ok"]


def checklist(page: str) -> str:
    """The draft page's "Left to write" list, as HTML."""
    return page.split('<ul class="checklist">', 1)[1].split("</ul>", 1)[0]


def draft_text(page: str) -> str:
    """The draft as the page shows it, as text."""
    return visible_text(page.split('id="draft"', 1)[1].split("</article>", 1)[0])


def canvas_markdown(warroom: Warroom, channel: Channel) -> str:
    """The draft's canvas in the channel, as the bot last posted it."""
    (canvas,) = [c for c in warroom.slack.canvases.values() if c["channel_id"] == channel.id]
    return str(canvas["markdown"])


async def posted_draft(warroom: Warroom, channel: Channel, options: str = "") -> str:
    """The draft as ``/incident postmortem`` posts it (its canvas), in Markdown."""
    await command(warroom, channel, f"postmortem {options}".strip())
    return canvas_markdown(warroom, channel)
