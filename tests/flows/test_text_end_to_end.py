"""People's words through the running bot: typed in Slack, read in the channel, the web view,
the draft and the canvas as they were typed (issue #23).

Everything goes through the emulator as Slack sends it (emulator.composer encodes what
tests type: slash commands escaped, message events, a modal's plain input, a shortcut's
message) and is read where its reader reads it. The outputs of other systems (trackers,
Statuspage, /status, the feed, PagerDuty) are in tests/flows/test_text_outputs.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import sqlalchemy as sa
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from sqlmodel import select

from bot.basics.slack_ids import DeclareModal, Shortcut
from bot.basics.slack_text import SlackText, normalize_newlines, to_plain
from bot.flows.postmortem.posting import write_draft
from bot.store.columns import UTCDateTime
from bot.store.db import create_engine, session_scope
from bot.store.migrate import upgrade_database
from bot.store.models import ChannelMessage, Incident, TimelineEntry
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.incidents import open_incident, settle, the_incident
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

USERNAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}
REAL_NAMES = {ALICE: "Alice Moreau", BOB: "Bob Okafor", CAROL: "Carol Tanaka"}
THE_ISSUES_UPDATE = (
    "Payments & checkout degraded, see https://status.example.com/incidents/42 (ask @bob)"
)
ZWSP = "\u200b"


def slack_shows(text: str, names: dict[str, str] = USERNAMES) -> str:
    """What Slack shows of a message the bot posted."""
    return to_plain(SlackText(text), names).replace(ZWSP, "")


def posts(slack: SlackEmulator, channel: Channel) -> Iterator[str]:
    return (message.text for message in channel.messages if message.user == slack.bot_user_id)


async def page(warroom: Warroom, path: str, user: str = ALICE) -> str:
    async with browser() as session:
        await sign_in(session, warroom, user)
        async with session.get(f"{warroom.url}{path}") as answer:
            assert answer.status == 200, path
            return await answer.text()


async def test_the_issue_s_update_reads_as_typed_in_the_channel_draft_canvas_and_web_view(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        await slack.send_command(f"update {THE_ISSUES_UPDATE}", user=CAROL, channel=channel.id)
        await settle(warroom)
        update = next(text for text in posts(slack, channel) if "Payments" in text)
        # One encoding: an `&` Slack shows as `&`, a link Slack links, a mention that pings.
        assert (
            "Payments &amp; checkout degraded, see <https://status.example.com/incidents/42>"
            f" (ask <@{BOB}>)"
        ) in update
        assert "&amp;amp;" not in update and "&lt;" not in update

        await slack.send_command("resolve", user=ALICE, channel=channel.id)
        await settle(warroom)
        (canvas,) = slack.canvases.values()
        said = (
            "Payments & checkout degraded, see https://status.example.com/incidents/42"
            " (ask @Bob Okafor)"
        )
        # The canvas's Markdown, as a CommonMark reader shows it, says what was said.
        assert said in visible_text(MarkdownIt("commonmark").render(canvas["markdown"]))
        incident_page = visible_text(await page(warroom, "/incidents/INC-1"))
        assert said in incident_page and BOB not in incident_page


async def test_a_modal_s_title_and_a_shortcut_s_message_read_as_typed(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A modal's input arrives as typed and a message shortcut's message as Slack encoded it:
    both are read right, and the channel's name has no entity words."""
    async with web_warroom(slack, sqlite_url) as warroom:
        general = slack.channel_by_name("general")
        assert general is not None
        await slack.send_command("", user=ALICE, channel=general.id)
        (view_id,) = await slack.wait_for(lambda: list(slack.views))
        typed_title = "Images & thumbnails <broken> for @bob"
        values = {
            DeclareModal.TITLE: {
                DeclareModal.TITLE: {"type": "plain_text_input", "value": typed_title}
            },
            DeclareModal.DESCRIPTION: {
                DeclareModal.DESCRIPTION: {"type": "plain_text_input", "value": "CDN\r\n& DNS"}
            },
        }
        await slack.submit_view(view_id, values, user=ALICE)
        await settle(warroom)
        channel = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-1")), None)
        )
        assert channel.name == "inc-1-images-thumbnails-broken-for-bob"
        header = next(text for text in posts(slack, channel) if "INC-1" in text)
        assert "Images &amp; thumbnails &lt;broken&gt; for @bob" in header
        assert ">CDN\n>&amp; DNS" in header  # the description, quoted line by line

        said = await slack.post_message(
            general.id, "Checkout 500s & timeouts: https://grafana.example/d/1 @carol", user=BOB
        )
        await slack.message_shortcut(general.id, said.ts, Shortcut.DECLARE_FROM_MESSAGE, user=ALICE)
        await settle(warroom)
        second = await slack.wait_for(
            lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-2")), None)
        )
        # Slack's event names Carol by id only; the channel's name leaves her out.
        assert second.name == "inc-2-checkout-500s-timeouts-https-grafana-example-d-1"
        async with session_scope(warroom.engine) as session:
            incident = (await session.exec(select(Incident).where(Incident.number == 2))).one()
        assert to_plain(incident.title, REAL_NAMES) == (
            "Checkout 500s & timeouts: https://grafana.example/d/1 @Carol Tanaka"
        )


async def test_another_app_s_post_is_labelled_with_its_name_and_authors_its_entry(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        posted = await slack.post_as_app(
            channel.id,
            "[FIRING:1] CheckoutErrorSpike &amp; <https://grafana.example/d/1|dashboard>",
            name="Grafana",
            bot_id="B0GRAFANA",
        )
        await slack.add_reaction(channel.id, posted.ts, "pushpin", user=ALICE)
        await settle(warroom)
        history = visible_text(await page(warroom, "/incidents/INC-1/history"))
        assert "Grafana (app)[FIRING:1] CheckoutErrorSpike & dashboard" in history
        async with session_scope(warroom.engine) as session:
            entry = (
                await session.exec(select(TimelineEntry).where(TimelineEntry.slack_ts == posted.ts))
            ).one()
            stored = (
                await session.exec(select(ChannelMessage).where(ChannelMessage.ts == posted.ts))
            ).one()
        assert (entry.author, stored.bot_name) == ("Grafana", "Grafana")
        incident = await the_incident(warroom)
        draft = (await write_draft(warroom.services, incident.id or 0)).markdown
        assert "Grafana" in draft and "warroom said" not in draft.lower()


TYPED = st.lists(
    st.sampled_from(
        ["&", "<", ">", "&amp;", "<b>", "@bob", "@here", "#general", "https://x.example/a?b=1&c=2",
         "*bold*", "> quote", "```", "- item", "障害", "🔥", "\n", "\r\n", " ", "AT&T", "#12"]
    ),
    min_size=1,
    max_size=8,
).map("".join).filter(lambda typed: typed.strip() != "")  # fmt: skip


async def test_any_typed_note_and_message_reads_as_typed_in_slack_the_history_and_the_draft(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Generated text, typed as a slash command and as a message: the bot's post shows it as
    typed, the history page shows it with people by name, the draft keeps it."""
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        loop = asyncio.get_running_loop()
        typed_texts: list[str] = []

        def run(work: object) -> object:
            return asyncio.run_coroutine_threadsafe(work, loop).result(60)  # type: ignore[arg-type]

        @seed(23_101)
        @settings(max_examples=12, deadline=None, database=None, print_blob=False)
        @given(typed=TYPED)
        def note_and_say(typed: str) -> None:
            run(slack.send_command(f"note {typed}", user=ALICE, channel=channel.id))
            run(settle(warroom))
            said = normalize_newlines(typed).strip()
            noted = [m.text for m in slack.ephemeral_for(ALICE) if "timeline at" in m.text]
            assert said in slack_shows(noted[-1]), (typed, noted[-1])
            run(slack.post_message(channel.id, typed, user=BOB))
            typed_texts.append(said)

        await asyncio.to_thread(note_and_say)
        await settle(warroom)
        await write_draft(warroom.services, (await the_incident(warroom)).id or 0)  # names
        history = visible_text(await page(warroom, "/incidents/INC-1/history"))
        for said in typed_texts:
            # @bob is a mention where the client makes one (not inside a word: an address).
            shown = re.sub(r"(?<![\w@])@bob\b", "@Bob Okafor", said)
            assert formatting_aside(shown) in formatting_aside(history), (said, history[-2000:])


def formatting_aside(text: str) -> str:
    """What is read, without what Slack's formatting shows as style and layout instead of as
    characters (``*`` of bold, backquotes of code, ``>`` opening a quote) or spacing: the
    history renders that formatting, and every character typed stays, decoded once."""
    unquoted = re.sub(r"(?m)^[ \t]*>[ \t]?", "", text)
    return re.sub(r"[\s*`]", "", unquoted)


async def test_rows_recorded_before_one_encoding_read_as_they_did(database_url: str) -> None:
    """0014: a title typed in the modal (plain, before) and a message Slack sent (encoded)
    both read right afterwards; nothing is lost."""
    engine = create_engine(database_url)
    try:
        await upgrade_database(engine, "0013")
        incident = sa.table(
            "incident",
            *(sa.column(n) for n in ("id", "team_id", "number", "title", "description")),
            *(sa.column(n) for n in ("severity", "status", "declared_by", "timezone")),
            sa.column("declared_at", UTCDateTime()),
        )
        message = sa.table(
            "channel_message",
            *(sa.column(n) for n in ("id", "incident_id", "channel", "ts", "text")),
            sa.column("occurred_at", UTCDateTime()),
            sa.column("recorded_at", UTCDateTime()),
        )
        from datetime import UTC, datetime

        at = datetime(2026, 1, 1, tzinfo=UTC)
        async with engine.begin() as connection:
            await connection.execute(
                incident.insert().values(
                    id=1, team_id="T1", number=1, title="AT&T <b> p99 > 2s",
                    description="line\r\nnext", severity="SEV2", status="investigating",
                    declared_by=ALICE, timezone="UTC", declared_at=at,
                )
            )  # fmt: skip
            await connection.execute(
                message.insert().values(
                    id=1, incident_id=1, channel="C1", ts="1.000001", occurred_at=at,
                    recorded_at=at, text="R&amp;D <@U0BOB|bob> <https://x.example?a=1&amp;b=2>",
                )
            )  # fmt: skip
        await upgrade_database(engine)
        async with session_scope(engine) as session:
            row = await session.get(Incident, 1)
            said = await session.get(ChannelMessage, 1)
        assert row is not None and said is not None
        assert row.title == "AT&amp;T &lt;b&gt; p99 &gt; 2s"
        assert to_plain(row.title) == "AT&T <b> p99 > 2s"
        assert row.description == "line\nnext"
        assert said.text == "R&amp;D <@U0BOB|bob> <https://x.example?a=1&amp;b=2>"
        assert said.bot_name is None
    finally:
        await engine.dispose()
