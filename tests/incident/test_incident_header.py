"""An incident page's header answers the commander: who acknowledged and
when, whether customers see it on the status page (linked), whether an update is overdue,
its times on a 24-hour clock in the incident's zone, as the list shows them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

NOW = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def head_of(html: str) -> str:
    found = re.search(r'<header class="card incident-head".*?</header>', html, re.S)
    assert found, html[:500]
    return " ".join(visible_text(found[0]).split())


async def test_the_header_says_who_acknowledged_that_it_is_public_and_an_update_is_due(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url, Clock(NOW)) as warroom, browser() as alice:
        channel = await open_incident(warroom, "Checkout is down")
        await sign_in(alice, warroom, ALICE)

        async def head() -> tuple[str, str]:
            async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
                assert answer.status == 200
                html = await answer.text()
            return head_of(html), html

        text, _ = await head()
        assert "nobody was paged through warroom" in text
        assert "not on the status page" in text and "update overdue" not in text

        await command(warroom, channel, "escalate @bob the database refuses connections")
        text, _ = await head()
        assert "nobody has acknowledged yet" in text
        await warroom.advance(minutes=4)
        await command(warroom, channel, "ack", user=BOB)
        await command(warroom, channel, "public Checkout")
        text, _ = await head()
        assert "made public: on the status page from its first public update" in text
        await command(warroom, channel, "update --public We are looking into failed payments")
        await warroom.advance(hours=2)
        text, html = await head()
        # On a 24-hour clock, in the incident's zone (UTC here).
        assert "Acknowledged at 13:04 UTC by Bob Okafor" in text, text
        assert "public on the status page" in text
        link = re.search(r'<a href="(/status#incident-\d+)">public on the status page</a>', html)
        assert link, html
        async with alice.get(f"{warroom.url}/status") as answer:
            status = await answer.text()
        assert f'id="{link[1].split("#")[1]}"' in status
        assert "update overdue" in text
        assert " PM" not in visible_text(html) and " AM" not in visible_text(html)
