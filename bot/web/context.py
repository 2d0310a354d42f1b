"""What every web handler needs, built once per application from the settings and services."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings
from bot.keys import services_key
from bot.services import Services
from bot.web.sessions import Signer
from bot.web.visibility import Visibility


@dataclass(frozen=True)
class WebContext:
    settings: Settings
    services: Services
    signer: Signer
    visibility: Visibility

    @property
    def sign_in_off(self) -> bool:
        return self.settings.web_auth == "none"


web_key = web.AppKey("web", WebContext)


async def web_context_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[services_key]
    settings = services.settings
    # Without a configured secret (sign-in off), cookies only need to outlive this process.
    key = str(settings.session_secret).encode() or secrets.token_bytes(32)
    app[web_key] = WebContext(settings, services, Signer(key), Visibility(services.slack))
    yield


def web_context(request: web.Request) -> WebContext:
    return request.app[web_key]
