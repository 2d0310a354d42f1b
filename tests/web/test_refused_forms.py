"""A refused form follows Post/Redirect/Get, as an accepted one does, over HTTP into the real
server, on SQLite and PostgreSQL: the POST answers 303 to the page the form is on (never the
POST's address, which a reload would send again), and that page says the refusal at its field,
as a screen reader hears it, with what was typed kept; once: fetched again, it is the clean
form. What was typed is never in the address nor in the cookie. A guest of the workspace and
a stranger get what they got before (403; sent to sign in)."""

from __future__ import annotations

import re

import aiohttp
import pytest

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.drafts import DRAFT, invite_guest, problem_at
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import browser, csrf_of, sign_in, visible_text, web_settings
from tests.oncall.samples import two_schedules
from tests.oncall.test_oncall_web import NOW, add_guest

TYPED = "Checkout down for EU customers"


@pytest.fixture
def warroom_settings(slack: SlackEmulator, database_url: str) -> dict[str, object]:
    """Alice may add maintenance windows; two schedules; sign-in."""
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        **web_settings(slack, oncall__schedules=two_schedules(NOW), maintenance__allowed=(ALICE,)),
    }


async def get(session: aiohttp.ClientSession, warroom: Warroom, path: str) -> tuple[int, str]:
    async with session.get(f"{warroom.url}{path}", allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def post(
    session: aiohttp.ClientSession, warroom: Warroom, page: str, path: str, form: dict[str, str]
) -> aiohttp.ClientResponse:
    """Post ``form`` to ``path`` with the token of ``page`` (the form's own), not following
    the answer."""
    _, shown = await get(session, warroom, page)
    async with session.post(
        f"{warroom.url}{path}", data={**form, "csrf": csrf_of(shown)}, allow_redirects=False
    ) as answer:
        await answer.read()
        return answer


def nothing_typed_sent_back(answer: aiohttp.ClientResponse, *typed: str) -> None:
    """The redirect carries none of what was typed: not in its address, not in a cookie."""
    said = answer.headers.get("Location", "") + " ".join(answer.headers.getall("Set-Cookie", []))
    assert all(words not in said and words.replace(" ", "+") not in said for words in typed)


async def test_a_refused_draft_form_redirects_to_the_draft_which_says_it_once(
    warroom: Warroom,
) -> None:
    guest = add_guest(warroom.slack)
    channel = await open_incident(warroom)
    await invite_guest(warroom.slack, channel, guest)
    await command(warroom, channel, "resolve")
    # A guest and a stranger get what they got before: 403 here, sent to sign in.
    async with browser() as gus:
        await sign_in(gus, warroom, guest)
        answer = await post(gus, warroom, "/incidents/INC-1", f"{DRAFT}/impact", {"what": ""})
        assert answer.status == 403 and "Location" not in answer.headers
    async with (
        browser() as stranger,
        stranger.post(
            f"{warroom.url}{DRAFT}/impact", data={"what": TYPED}, allow_redirects=False
        ) as answer,
    ):
        assert answer.status in (302, 303) and "/login" in answer.headers["Location"]
    async with browser() as alice, browser() as bob:
        await sign_in(alice, warroom, ALICE)
        await sign_in(bob, warroom, BOB)
        form = {"what": TYPED, "customers": "12.5"}
        answer = await post(alice, warroom, DRAFT, f"{DRAFT}/impact", form)
        assert (answer.status, answer.headers["Location"]) == (303, DRAFT)
        nothing_typed_sent_back(answer, TYPED)
        # Another session following the same address sees the clean form.
        status, page = await get(bob, warroom, DRAFT)
        assert status == 200 and TYPED not in page and 'aria-invalid="true"' not in page
        status, page = await get(alice, warroom, DRAFT)
        assert status == 400
        assert problem_at(page, "impact-customers") == "A whole number, like 1200."
        assert f"{TYPED}</textarea>" in page and 'value="12.5"' in page
        assert re.search(r'id="impact-customers"[^>]*autofocus', page)
        # Once: a reload shows the clean form, and sends nothing again.
        status, page = await get(alice, warroom, DRAFT)
        assert status == 200 and TYPED not in page and 'aria-invalid="true"' not in page
        assert "who and what was affected" in visible_text(page)  # nothing kept


async def test_a_time_to_confirm_is_asked_on_the_draft_after_a_redirect(warroom: Warroom) -> None:
    """A time typed without its date is read back for the person to confirm: that question
    too is asked on the draft's page, not at the POST's address."""
    channel = await open_incident(warroom)
    await command(warroom, channel, "resolve")
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        answer = await post(alice, warroom, DRAFT, f"{DRAFT}/impact", {"started": "11:30"})
        assert (answer.status, answer.headers["Location"]) == (303, DRAFT)
        status, page = await get(alice, warroom, DRAFT)
        assert status == 200
        assert re.search(r'<span class="field-read" id="impact-started-read" role="status">', page)
        assert 'name="confirmed-started"' in page and 'value="11:30"' in page
        _, page = await get(alice, warroom, DRAFT)
        assert 'name="confirmed-started"' not in page


async def test_a_refused_maintenance_window_redirects_to_the_list_which_says_it_once(
    warroom: Warroom,
) -> None:
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        form = {"labels": "service=checkout", "end": "someday", "public": "Upgrading the db"}
        answer = await post(alice, warroom, "/maintenance", "/maintenance", form)
        assert (answer.status, answer.headers["Location"]) == (303, "/maintenance")
        nothing_typed_sent_back(answer, "Upgrading the db", "service=checkout")
        status, page = await get(alice, warroom, "/maintenance")
        assert status == 400
        assert re.search(r'id="window-end"[^>]*aria-invalid="true"', page)
        assert 'role="alert"' in page and "could not read" in visible_text(page)
        assert 'value="service=checkout"' in page and "Upgrading the db</textarea>" in page
        status, page = await get(alice, warroom, "/maintenance")
        assert status == 200 and "could not read" not in visible_text(page)
        assert "Upgrading the db" not in page


async def test_a_refused_override_redirects_to_the_schedule_which_says_it_once(
    warroom: Warroom,
) -> None:
    page = "/oncall/payments"
    async with browser() as bob:
        await sign_in(bob, warroom, BOB)
        form = {"user": BOB, "start": "2026-03-13 18:00", "end": "2026-03-14 09:00"}
        form |= {"layer": "nightly", "step": "confirm", "long": "yes"}
        answer = await post(bob, warroom, page, f"{page}/overrides", form)
        assert answer.status == 303
        location = answer.headers["Location"]
        assert location.startswith(f"{page}?tz=") and "nightly" not in location
        status, shown = await get(bob, warroom, location)
        assert status == 400
        assert '<p class="problem" role="alert" id="problem">Not done:' in shown
        assert "nightly" in visible_text(shown)
        assert 'value="2026-03-13T18:00"' in shown
        status, shown = await get(bob, warroom, location)
        assert status == 200 and 'role="alert"' not in shown
        assert 'value="2026-03-13T18:00"' not in shown
