"""The web view's agents page (``/agents``): each token's name, scope, private, made, expires,
last use, calls in all and in the last 24 hours by tool and whether it was revoked, for
warroom's admins (every token) and the workspace's members (linked in the navigation for
them; the tokens they made only); never a token's value or hash; a guest is
refused, and not shown the link. The calls are those the agents made through /mcp with the
MCP SDK's client, counted without a write per call."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.config.ai import AISettings
from bot.record.agents import tokens
from bot.store.db import session_scope
from bot.store.models import AgentToken
from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.agents.test_mcp_http import agent, call, make_token
from tests.conftest import BOB, CAROL
from tests.helpers.web_view import browser, sign_in, visible_text, web_settings
from tests.postmortem.test_suggestions import play


async def test_members_see_each_token_s_use_and_never_its_value_guests_nothing(
    people: SlackEmulator, database_url: str, model: FakeChatModel
) -> None:
    async for played in play(people, database_url, model, ai=AISettings(), **web_settings(people)):
        reader = await make_token(played, "dashboards", scope="read")
        proposer = await make_token(played, "triage-bot", private=True)
        gone = await make_token(played, "old-bot", scope="read")
        async with agent(played.warroom.url, reader) as session:
            await call(session, "list_incidents")
            await call(session, "list_incidents")
            await call(session, "get_incident", reference="INC-1")
        async with agent(played.warroom.url, proposer) as session:
            await call(session, "get_timeline", reference="INC-1")
        async with session_scope(played.warroom.engine) as db:
            await tokens.revoke(db, "old-bot", now=played.warroom.clock())
            await db.commit()
            # Counted in memory: no call wrote to the tokens' table.
            rows = {row.name: row for row in (await db.exec(select(AgentToken))).all()}
        assert rows["dashboards"].calls == 0 and rows["dashboards"].used_at is None

        # A member who made none sees none of them.
        async with browser() as web:
            await sign_in(web, played.warroom, CAROL)
            async with web.get(f"{played.warroom.url}/agents") as answer:
                member = " ".join(visible_text(await answer.text()).split())
        assert "dashboards" not in member and "You have made no token" in member
        # An admin of the workspace (users.info is_admin) sees every one.
        people.users[CAROL].is_admin = True
        async with browser() as web:
            await sign_in(web, played.warroom, CAROL)
            async with web.get(f"{played.warroom.url}/agents") as answer:
                assert answer.status == 200
                page = await answer.text()
        shown = " ".join(visible_text(page).split())
        # The navigation links the page for the members it is for.
        assert '<a href="/agents">Agents</a>' in page.split("</nav>", 1)[0]
        assert "dashboards read no" in shown
        assert "3 in all; 3 in the last 24 h (get_incident 1, list_incidents 2)" in shown
        assert "triage-bot propose sees them" in shown
        assert "1 in the last 24 h (get_timeline 1)" in shown
        assert "old-bot read no" in shown and "revoked" in shown
        assert "works" in shown
        for value in (reader, proposer, gone):
            assert value not in page and tokens.digest(value) not in page
        # The page wrote what it counted: the token list says it too.
        async with session_scope(played.warroom.engine) as db:
            dashboards = await tokens.by_name(db, "dashboards")
        assert dashboards is not None and dashboards.calls == 3
        assert dashboards.used_at is not None

        # A day later, those calls are no longer the last 24 hours'.
        played.warroom.clock.now += timedelta(hours=26)
        async with browser() as web:
            await sign_in(web, played.warroom, CAROL)
            async with web.get(f"{played.warroom.url}/agents") as answer:
                later = " ".join(visible_text(await answer.text()).split())
        assert "dashboards read no" in later and "list_incidents 2" not in later

        # A guest of the workspace is refused.
        people.users[BOB].is_restricted = True
        async with browser() as web:
            await sign_in(web, played.warroom, BOB)
            async with web.get(f"{played.warroom.url}/agents") as answer:
                assert answer.status == 403
                refused = await answer.text()
        assert "dashboards" not in refused
        menu = refused.split("</nav>", 1)[0]
        for refusing in ("/agents", "/oncall", "/maintenance"):
            assert f'href="{refusing}"' not in menu, (
                f"a guest is not shown {refusing}: it refuses them"
            )
        assert 'href="/follow-ups"' in menu, "a guest keeps the pages they may read"
