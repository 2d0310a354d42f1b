"""Helpers for web view tests: a bot with sign-in set up, and browsers that sign in."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser

import aiohttp

from emulator import SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom

SESSION_SECRET = "test-session-secret-0123456789abcdef0123456789"
API_TOKEN = "test-api-token-0123456789"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_settings(slack: SlackEmulator, **overrides: object) -> dict[str, object]:
    """Settings for Sign in with Slack against the emulator, and an API token."""
    return {
        "web__slack_client_id": slack.oidc_client_id,
        "web__slack_client_secret": slack.oidc_client_secret,
        "web__session_secret": SESSION_SECRET,
        "web__oidc_authorize_url": slack.authorize_url,
        "web__api_token": API_TOKEN,
        **overrides,
    }


@asynccontextmanager
async def web_warroom(
    slack: SlackEmulator, database_url: str, clock: Clock | None = None, **overrides: object
) -> AsyncIterator[Warroom]:
    async with running_warroom(
        slack, database_url, clock, **web_settings(slack, **overrides)
    ) as running:
        yield running


@asynccontextmanager
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that keeps cookies for 127.0.0.1, as a browser does."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(session: aiohttp.ClientSession, warroom: Warroom, user: str) -> None:
    """Sign in with Slack through the emulator's OpenID Connect flow, as ``user``."""
    await sign_in_at(session, warroom.url, warroom.slack, user)


async def sign_in_at(
    session: aiohttp.ClientSession, url: str, slack: SlackEmulator, user: str
) -> str:
    """The same for a warroom at ``url`` (a process, say); the authorize URL it sent."""
    async with session.get(f"{url}/auth/slack?next=/", allow_redirects=False) as answer:
        assert answer.status == 302, await answer.text()
        authorize = answer.headers["Location"]
    assert authorize.startswith(slack.authorize_url)
    hinted = f"{authorize}&{urllib.parse.urlencode({'login_hint': user})}"
    async with session.get(hinted, allow_redirects=False) as answer:
        assert answer.status == 302, await answer.text()
        callback = answer.headers["Location"]
    async with session.get(callback, allow_redirects=False) as answer:
        assert answer.status == 303, await answer.text()
        assert answer.headers["Location"] == "/"
    return authorize


def csrf_of(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "the page has no form token"
    return match.group(1)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(page: str) -> str:
    """The text a browser shows of a page or a fragment: markup and entities gone."""
    parser = _VisibleText()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)
