"""Times typed on the draft's page without their date are the incident's:
read in its zone on its days (the nearest to its span), shown back in words at the field
before they are kept (the form sent again keeps them), and refused in plain words at the
field, focused, when two days fit or none does. Typed the day after the incident, ``08:45``
is not today's 08:45."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from emulator import SlackEmulator
from tests.conftest import ALICE, CAROL
from tests.helpers.drafts import draft_page, draft_text, post_draft_form, problem_at
from tests.helpers.incidents import command, open_incident, settle, the_incident
from tests.helpers.web_view import browser, sign_in, web_warroom

PARIS = ZoneInfo("Europe/Paris")


def read_back(page: str, field_id: str) -> tuple[str, str]:
    """The words a time typed without its date is read as, at its field (focused), and the
    moment the form sends back to keep it."""
    assert re.search(rf'id="{field_id}"[^>]*autofocus', page), field_id
    words = re.search(rf'<span class="field-read" id="{field_id}-read"[^>]*>(.*?)</span>', page)
    assert words, f"nothing read back at {field_id}"
    sent = re.search(
        rf'id="{field_id}-read"[^>]*>.*?</span><input type="hidden" name="(.*?)" value="(.*?)"',
        page,
    )
    assert sent
    return html.unescape(words[1]), html.unescape(sent[2])


async def test_an_answer_time_typed_the_next_day_is_the_incidents(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "timezone Europe/Paris")
        warroom.clock.now = warroom.clock.now.replace(second=0, microsecond=0)
        await command(warroom, channel, "escalate @carol the network")
        escalated = warroom.clock.now
        warroom.clock.now = escalated + timedelta(minutes=40)
        await command(warroom, channel, "resolve fixed")
        # The postmortem is written the next afternoon.
        warroom.clock.now = escalated + timedelta(days=1, hours=5)
        await sign_in(session, warroom, ALICE)
        page, _ = await draft_page(session, warroom)
        (escalation,) = re.findall(r'name="escalation" value="(\d+)"', page)
        answered = (escalated + timedelta(minutes=12)).replace(second=0, microsecond=0)
        typed = f"{answered.astimezone(PARIS):%H:%M}"
        form = {"escalation": escalation, "answerer": CAROL, "when": typed}
        status, page = await post_draft_form(session, warroom, "/escalations", form)
        assert status == 200, page
        words, moment = read_back(page, f"escalation-{escalation}-when")
        local = answered.astimezone(PARIS)
        day = f"{local:%a} {local.day} {local:%b %Y}"
        assert f"Carol Tanaka answered at {typed} {local:%Z} on {day}" in words, words
        assert "12 minutes after the escalation to Carol Tanaka." in words
        assert datetime.fromisoformat(moment) == answered
        assert "who answered, and when" in draft_text(page)  # nothing kept yet
        status, page = await post_draft_form(
            session, warroom, "/escalations", {**form, "confirmed-when": moment}
        )
        assert status == 200 and 'class="field-read"' not in page
        await settle(warroom)
        page, _ = await draft_page(session, warroom)
        assert re.search(r"by Carol Tanaka, 12 minutes later, per Alice Moreau", draft_text(page))


async def test_impact_times_typed_without_a_date_are_the_incidents_days(
    slack: SlackEmulator, database_url: str
) -> None:
    async with web_warroom(slack, database_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "timezone Europe/Paris")
        declared = warroom.clock.now
        warroom.clock.now = declared + timedelta(hours=1)
        await command(warroom, channel, "resolve fixed")
        warroom.clock.now = declared + timedelta(days=1, hours=3)
        await sign_in(session, warroom, ALICE)
        started = (declared - timedelta(minutes=35)).replace(second=0, microsecond=0)
        typed = f"{started.astimezone(PARIS):%H:%M}"
        status, page = await post_draft_form(session, warroom, "/impact", {"started": typed})
        assert status == 200, page
        words, moment = read_back(page, "impact-started")
        assert words.startswith(f"The impact started at {typed} ")
        assert "before the incident was declared" in words and "*" not in words
        status, page = await post_draft_form(
            session, warroom, "/impact", {"started": typed, "confirmed-started": moment}
        )
        assert status == 200 and "Recorded, and said in the channel" in page
        incident = await the_incident(warroom)
        assert incident.started_at == started
        # Changed before it is sent again: the new time is read back, nothing kept.
        other = f"{(started - timedelta(minutes=1)).astimezone(PARIS):%H:%M}"
        form = {"started": other, "confirmed-started": moment}
        status, page = await post_draft_form(session, warroom, "/impact", form)
        assert status == 200
        assert datetime.fromisoformat(read_back(page, "impact-started")[1]) < started
        assert (await the_incident(warroom)).started_at == started


async def test_a_time_no_day_of_the_incident_fits_is_refused_at_its_field_in_plain_words(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        await command(warroom, channel, "timezone Europe/Paris")
        declared = warroom.clock.now
        await command(warroom, channel, "resolve fixed")
        warroom.clock.now = declared + timedelta(days=2)
        await sign_in(session, warroom, ALICE)
        far = f"{(declared + timedelta(hours=12)).astimezone(PARIS):%H:%M}"
        status, page = await post_draft_form(session, warroom, "/impact", {"detected": far})
        assert status == 400
        said = problem_at(page, "impact-detected")
        assert "is not on the incident's days" in said
        assert not re.search(r"[*`]|:warning:", said)
        assert re.search(r'id="impact-detected"[^>]*autofocus', page)
        assert f'value="{far}"' in page
        # A date given is read as typed, and kept without asking.
        dated = (declared - timedelta(minutes=5)).astimezone(PARIS)
        status, page = await post_draft_form(
            session, warroom, "/impact", {"detected": f"{dated:%Y-%m-%d %H:%M}"}
        )
        assert status == 200 and "Recorded, and said in the channel" in page
        assert (await the_incident(warroom)).detected_at == dated.replace(
            second=0, microsecond=0
        ).astimezone(UTC)


async def test_a_time_two_days_of_the_incident_fit_is_refused(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom)
        declared = warroom.clock.now
        warroom.clock.now = declared + timedelta(days=3)
        await command(warroom, channel, "resolve fixed")
        await sign_in(session, warroom, ALICE)
        typed = f"{(declared + timedelta(hours=1)):%H:%M}"
        status, page = await post_draft_form(session, warroom, "/impact", {"ended": typed})
        assert status == 400
        said = problem_at(page, "impact-ended")
        assert "fits two days of the incident equally" in said and "Give its date" in said
