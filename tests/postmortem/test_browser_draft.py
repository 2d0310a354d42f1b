"""The postmortem draft's page in Chromium at 1280 and 375 px, with the
team's model's suggestions waiting, a follow-up and an escalation: axe-core finds nothing
serious or critical, nothing scrolls sideways (every draft table fits, a card per row on a
phone), no text under 12 px, every control at least 24×24 px; a suggestion has one note and
one primary action; written text shows once, with Edit; a bad number is refused at its field;
the review moves; printed, the page is the draft alone. The forms for a misleading path's end
and an escalation's answer are checked the same way, refused and filled at each width; so are
those of a bare incident's last gaps (when it was detected, who else was brought in, a path
that misled and the message that stopped the impact, each marked on the page)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.conftest import ALICE, BOB, Warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import web_settings, web_warroom
from tests.oncall.test_browser_overrides_history import checked
from tests.postmortem.test_suggestions import DAVE, START, TRUTHFUL, good, play
from tests.web.test_browser import (
    WIDTHS,
    screenshot,
    sign_in_with_slack,
    watched_page,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

# Where `scripts/status-screenshots` keeps the manual's pictures (docs/web-draft-*.png).
KEEP_SCREENSHOTS = os.environ.get("WARROOM_KEEP_SCREENSHOTS", "")
TARGET_PX = 24
# The controls a finger or a pointer aims at: buttons, fields, the summaries that fold
# (Edit), links styled as buttons. Links inside a sentence are exempt (WCAG 2.5.8, "Inline").
SMALL_TARGETS_JS = """px => Array.from(document.querySelectorAll(
    'main button, main input:not([type=hidden]), main select, main textarea, main summary,'
    + ' main a.button, main label.check, main a.review-pill'))
  .filter(e => e.getClientRects().length > 0)
  .map(e => ({e, r: e.getBoundingClientRect()}))
  .filter(({r}) => r.width < px - 0.5 || r.height < px - 0.5)
  .map(({e, r}) => `${e.tagName.toLowerCase()} "${(e.innerText || e.name || e.id).trim()
      .slice(0, 40)}" ${r.width.toFixed(0)}x${r.height.toFixed(0)}`)"""
WIDE_TABLES_JS = """() => Array.from(document.querySelectorAll('#draft table'))
  .map(t => ({t, r: t.getBoundingClientRect()}))
  .filter(({r}) => r.right > window.innerWidth + 1 || r.left < -1)
  .map(({t, r}) => `${(t.querySelector('th') || t).innerText.slice(0, 30)}: ${r.width}px`)"""


async def test_the_draft_page_in_a_browser(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, chromium: Any, tmp_path: Path
) -> None:
    async for played in play(people, sqlite_url, model, **web_settings(people)):
        warroom = played.warroom
        # A dead end nothing marked ends, a message after it, and an escalation unanswered.
        await command(warroom, played.channel, "escalate @carol the network")
        for minutes, user, text, mark in (
            (82, DAVE, "Maybe the CDN? Purging caches.", "x"),
            (85, BOB, "CDN graphs were flat all along, not the CDN.", ""),
        ):
            await played.at(minutes)
            moment = START + timedelta(minutes=minutes)
            said = await people.post_message(
                played.channel.id, text, user=user, ts=f"{int(moment.timestamp())}.000100"
            )
            if mark:
                await people.add_reaction(played.channel.id, said.ts, mark, user=ALICE)
        await played.at(90)
        model.reply(good)
        model.verdicts(TRUTHFUL)
        await played.resolve("Rolled back the gateway release")
        warroom = played.warroom
        await command(warroom, played.channel, "action @bob --due fri raise the pool to 50")
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await draft_page_at(page, warroom, width, tmp_path)
            # A context of its own: the watched one counts the browser's note of a 400 as a
            # console error.
            context = await chromium.new_context(**options)
            try:
                page = await context.new_page()
                await sign_in_with_slack(page, warroom)
                await refused_and_kept(page, warroom, width)
                await gaps_filled(page, warroom, width)
            finally:
                await context.close()


async def draft_page_at(page: Page, warroom: Warroom, width: str, tmp_path: Path) -> None:
    """The checks at one width; the review moved to "in review" and back at the end."""
    draft = f"{warroom.url}/incidents/INC-1/postmortem"
    await page.goto(draft)
    where = f"the draft at {width} px"
    await checked(page, where)
    assert not (small := await page.evaluate(SMALL_TARGETS_JS, TARGET_PX)), f"{where}: {small}"
    assert not (wide := await page.evaluate(WIDE_TABLES_JS)), f"{where}: tables cut: {wide}"
    assert await page.locator("#draft table").count() >= 3  # details, key times, escalations
    # Each waiting suggestion: the draft's one note, one primary action, Edit beside it.
    places = page.locator(".section-place:has(.actions.suggestion)")
    assert await places.count() >= 1
    for index in range(await places.count()):
        place = places.nth(index)
        assert await place.locator("button.primary:visible").count() == 1
        assert await place.get_by_text("not yet accepted").count() == 1
        edit = place.get_by_role("link", name="Edit it first")
        box = await edit.bounding_box()
        assert box and box["width"] >= TARGET_PX and box["height"] >= TARGET_PX, box
    keep = Path(KEEP_SCREENSHOTS) if KEEP_SCREENSHOTS else tmp_path
    await screenshot(page, keep / f"web-draft-{width}.png", tallest=3000)

    # Accepted, the text shows once (in the draft); its form is behind Edit.
    summary = page.locator("#place-summary")
    if width == "1280":  # accepted once: the other width finds it accepted
        await summary.get_by_role("button", name="Accept the suggested summary").click()
        await page.wait_for_url(lambda url: "accepted=summary" in url)
    assert await summary.get_by_text("accepted by Alice Moreau").count() == 1
    assert not await summary.locator("textarea").is_visible()
    await summary.get_by_text("Edit summary").click()
    assert await summary.locator("textarea").is_visible()

    # The review, moved and shown; and back, so the other width starts from a draft.
    await page.get_by_role("button", name="Ask for review").click()
    await page.wait_for_url(lambda url: "saved=review" in url)
    assert await page.locator("#review-state").inner_text() == "In review"
    await checked(page, f"{where}, in review")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Back to draft").click()
    assert await page.locator("#review-state").inner_text() == "Draft"

    # Printed: the draft alone, its tables as tables; the Print button there to press.
    assert await page.get_by_role("button", name="Print / Save as PDF").is_visible()
    await page.emulate_media(media="print")
    assert not await page.locator("header.top").is_visible()
    assert not await page.locator("#impact-form").is_visible()
    assert await page.locator("#draft").is_visible()
    header_cells = page.locator("#draft table thead th")
    assert await header_cells.first.evaluate("e => getComputedStyle(e).display") == "table-cell"
    await page.emulate_media(media="screen")


async def refused_and_kept(page: Page, warroom: Warroom, width: str) -> None:
    """A bad number, refused at its field with what was typed kept; then a good one."""
    await page.goto(f"{warroom.url}/incidents/INC-1/postmortem")
    where = f"the draft at {width} px"
    form = page.locator("#impact-form")
    await form.get_by_label("Customers affected").fill("12.5")
    await form.get_by_role("button", name="Record the impact").click()
    await page.locator("#impact-customers-problem").wait_for()
    assert await page.locator("#impact-customers-problem").inner_text() == (
        "A whole number, like 1200."
    )
    assert await form.get_by_label("Customers affected").input_value() == "12.5"
    await checked(page, f"{where}, a refusal shown")
    customers = "1200" if width == "1280" else "1300"
    await form.get_by_label("Customers affected").fill(customers)
    await form.get_by_role("button", name="Record the impact").click()
    await page.wait_for_url(lambda url: "saved=impact" in url)
    assert f"{customers} customers" in await page.locator("#draft").inner_text()


async def gaps_filled(page: Page, warroom: Warroom, width: str) -> None:
    """The misleading path's and the escalation's forms: refused at a field, then filled (at
    1280 px the path in words without a time, the escalation refused; at 375 px the path's
    time given, and nobody answered), each checked as the rest of the page is."""
    await page.goto(f"{warroom.url}/incidents/INC-1/postmortem")
    where = f"the draft's gap forms at {width} px"
    path = page.locator("#misleading-form form").first
    escalation = page.locator("#escalation-form form").first
    assert await path.is_visible(), where
    assert await escalation.is_visible(), where
    assert not (small := await page.evaluate(SMALL_TARGETS_JS, TARGET_PX)), f"{where}: {small}"
    await escalation.get_by_label("Who answered").select_option(label="Bob Okafor")
    await escalation.get_by_role("button", name="Record the answer").click()
    problem = page.locator("#escalation-form .field-problem")
    await problem.wait_for()
    assert "Say when they answered" in await problem.inner_text()
    await checked(page, f"{where}, a refusal shown")
    path = page.locator("#misleading-form form").first
    if width == "1280":
        await path.get_by_label("What ruled it out, in your words").fill("Hit rate flat")
        await path.get_by_role("button", name="Record what ruled it out").click()
        await page.wait_for_url(lambda url: "saved=misleading" in url)
        assert await page.locator("#misleading-form .notice").is_visible()
        assert "how long after the idea" in await page.locator("#draft").inner_text()
        await checked(page, f"{where}, a path's end recorded")
        return
    await path.get_by_label("When (for your words)").fill("2025-03-14 04:30")
    await path.get_by_role("button", name="Record what ruled it out").click()
    await page.wait_for_url(lambda url: "saved=misleading" in url)
    draft = await page.locator("#draft").inner_text()
    # 04:22 and a fraction of a second to 04:30: 7 minutes, whole ones.
    assert "per Alice Moreau, on the draft's page: “Hit rate flat”. 7 minutes." in draft
    escalation = page.locator("#escalation-form form").first
    await escalation.get_by_label("Who answered").select_option(label="Nobody answered")
    await escalation.get_by_role("button", name="Record the answer").click()
    await page.wait_for_url(lambda url: "saved=escalation" in url)
    assert "no answer recorded, per Alice Moreau" in await page.locator("#draft").inner_text()
    await checked(page, f"{where}, both recorded")


async def test_the_last_gaps_filled_in_a_browser(
    people: SlackEmulator, sqlite_url: str, chromium: Any
) -> None:
    async with web_warroom(people, sqlite_url) as warroom:
        # An incident for each width, each with an idea and a fix said and nothing marked.
        opened: list[datetime] = []
        for title in ("Checkout down", "Search down"):
            opened.append(warroom.clock.now)
            channel = await open_incident(warroom, title)
            for user, text in ((DAVE, "Maybe the CDN? Purging caches."), (BOB, "Rolled back.")):
                warroom.clock.now += timedelta(minutes=5)
                await people.post_message(channel.id, text, user=user)
                await settle(warroom)
        references = zip(WIDTHS.items(), ("INC-1", "INC-2"), opened, strict=True)
        for (width, options), reference, declared in references:
            context = await chromium.new_context(**options)
            try:
                page = await context.new_page()
                await sign_in_with_slack(page, warroom)
                await last_gaps_filled(page, warroom, width, (reference, declared))
            finally:
                await context.close()


async def last_gaps_filled(
    page: Page, warroom: Warroom, width: str, incident: tuple[str, datetime]
) -> None:
    """Each of the last gaps' forms refused at a field, then filled, checked as the rest of
    the page is (axe-core, the width, text sizes, targets). The detection time is typed
    without its date: refused far from the incident (at its field, focused), then read on
    the incident's day (``declared``), shown back in words and kept when sent again."""
    reference, declared = incident
    await page.goto(f"{warroom.url}/incidents/{reference}/postmortem")
    where = f"the last gaps' forms at {width} px"
    for form in ("#brought-in-form", "#misleading-mark-form", "#mitigation-mark-form"):
        assert await page.locator(form).is_visible(), f"{where}: {form}"
    await checked(page, where)
    assert not (small := await page.evaluate(SMALL_TARGETS_JS, TARGET_PX)), f"{where}: {small}"
    impact = page.locator("#impact-form")
    await impact.get_by_label("When it was detected").fill("25:99")
    await impact.get_by_role("button", name="Record the impact").click()
    await page.locator("#impact-detected-problem").wait_for()
    await bare_time_read_as_the_incidents(page, where, declared)
    brought_in = page.locator("#brought-in-form")
    await brought_in.get_by_label("Someone was, as I say below").check()
    await brought_in.get_by_role("button", name="Record who was brought in").click()
    await page.locator("#brought-in-words-problem").wait_for()
    await checked(page, f"{where}, a refusal shown")
    assert await brought_in.get_by_label("Someone was, as I say below").is_checked()
    await brought_in.get_by_label("Who was brought in, and why").fill("Dan, for the replicas")
    await brought_in.get_by_role("button", name="Record who was brought in").click()
    await page.wait_for_url(lambda url: "saved=brought-in" in url)
    for kind, said in (("misleading", "Maybe the CDN?"), ("mitigation", "Rolled back.")):
        form = page.locator(f"#{kind}-mark-form")
        value = await form.locator("option", has_text=said).get_attribute("value")
        assert value, f"{where}: {said} not offered"
        await form.locator("select").select_option(value)
        await form.get_by_role("button", name="Mark it").click()
        await page.wait_for_url(lambda url, kind=kind: f"saved={kind}-mark" in url)
    draft = await page.locator("#draft").inner_text()
    assert "per Alice Moreau, on the draft's page: “Dan, for the replicas”" in draft
    assert "marked misleading by Alice Moreau, on the draft's page." in draft
    assert "marked as the mitigation by Alice Moreau, on the draft's page." in draft
    await checked(page, f"{where}, all recorded")


async def bare_time_read_as_the_incidents(page: Page, where: str, declared: datetime) -> None:
    """The impact form's detection typed as a bare time (the incident's zone is UTC): one
    12 hours after the declaration (none of the incident's days fits) refused at its field,
    in plain words and focused; one 3 minutes before the declaration read on the incident's
    day and shown back in words, then kept when the form is sent again."""
    impact, field = page.locator("#impact-form"), page.locator("#impact-detected")
    await field.fill(f"{declared + timedelta(hours=12):%H:%M}")
    await impact.get_by_role("button", name="Record the impact").click()
    problem = page.locator("#impact-detected-problem")
    await problem.wait_for()
    said = await problem.inner_text()
    assert "is not on the incident's days" in said and "*" not in said and "`" not in said
    assert await page.evaluate("document.activeElement.id") == "impact-detected", where
    detected = declared - timedelta(minutes=3)
    await field.fill(f"{detected:%H:%M}")
    await impact.get_by_role("button", name="Record the impact").click()
    read = page.locator("#impact-detected-read")
    await read.wait_for()
    words = await read.inner_text()
    assert f"It was detected at {detected:%H:%M} UTC on {detected:%a} {detected.day}" in words
    assert "3 minutes before the incident was declared" in words, words
    assert await page.evaluate("document.activeElement.id") == "impact-detected", where
    assert await read.is_visible()
    await checked(page, f"{where}, a time shown back")
    await impact.get_by_role("button", name="Record the impact").click()
    await page.wait_for_url(lambda url: "saved=impact" in url)


async def test_typed_text_survives_saving_another_section(
    people: SlackEmulator, sqlite_url: str, chromium: Any
) -> None:
    """Text typed in the impact and follow-up forms, then another section saved: both back in
    their fields after the page comes back, said so, with Discard; leaving with it asks first;
    a reload after a saved form posts nothing again."""
    async with web_warroom(people, sqlite_url) as warroom:
        for title in ("Checkout down", "Search down"):
            channel = await open_incident(warroom, title)
            await command(warroom, channel, "resolve")
        for (width, options), reference in zip(WIDTHS.items(), ("INC-1", "INC-2"), strict=True):
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await typed_and_kept(page, warroom, width, reference)


async def typed_and_kept(page: Page, warroom: Warroom, width: str, reference: str) -> None:
    draft = f"{warroom.url}/incidents/{reference}/postmortem"
    where = f"the draft at {width} px"
    await page.goto(draft)
    impact, follow_up = page.locator("#impact-form"), page.locator("#follow-up-form")
    await impact.get_by_label("Who and what was affected").fill("EU checkout failed")
    await follow_up.get_by_label("What should be done").fill("Raise the pool to 50")
    section = page.locator("form.section-editor").first
    await section.locator("textarea").fill("Checkout was down for an hour.")
    await section.get_by_role("button").first.click()
    await page.wait_for_url(lambda url: "saved=" in url)
    assert "Checkout was down for an hour." in await page.locator("#draft").inner_text()
    assert await impact.get_by_label("Who and what was affected").input_value() == (
        "EU checkout failed"
    ), where
    assert await follow_up.get_by_label("What should be done").input_value() == (
        "Raise the pool to 50"
    ), where
    assert await impact.locator(".restored").is_visible(), where
    await checked(page, f"{where}, typed text back")
    # Leaving with unsaved text asks first; staying keeps it.
    asked: list[str] = []

    async def stay(dialog: Any) -> None:
        asked.append(dialog.type)
        await dialog.dismiss()

    page.once("dialog", stay)
    await page.locator(".draft-page a[href='/']").first.click()
    assert asked == ["beforeunload"], (where, asked)
    assert page.url.startswith(draft), where
    # Discarded, the follow-up's text is gone and stays gone.
    await follow_up.get_by_role("button", name="Discard it").click()
    assert await follow_up.get_by_label("What should be done").input_value() == ""
    # The impact saved; a reload reads the page again and records nothing twice.
    await impact.get_by_role("button", name="Record the impact").click()
    await page.wait_for_url(lambda url: "saved=impact" in url)
    await page.reload()
    assert (await page.locator("#draft").inner_text()).count("EU checkout failed") == 1, where
    assert await impact.get_by_label("Who and what was affected").input_value() == ""
    assert await follow_up.get_by_label("What should be done").input_value() == ""
    assert not await page.locator(".restored").count(), where


async def test_lines_edited_and_removed_in_a_browser(
    people: SlackEmulator, sqlite_url: str, chromium: Any
) -> None:
    """An impact line and a follow-up the page's forms added, edited and removed on the page
    at 1280 and 375 px: behind "Edit or remove", each a redirect back to
    the page, which says it and shows the draft with the new words, the removed follow-up
    gone; every control at least 24 px, axe-core content at each step."""
    async with web_warroom(people, sqlite_url) as warroom:
        for title in ("Checkout down", "Search down"):
            channel = await open_incident(warroom, title)
            await command(warroom, channel, "resolve")
        for (width, options), reference in zip(WIDTHS.items(), ("INC-1", "INC-2"), strict=True):
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await lines_changed(page, warroom, width, reference)


async def lines_changed(page: Page, warroom: Warroom, width: str, reference: str) -> None:
    where = f"the draft's lines at {width} px"
    await page.goto(f"{warroom.url}/incidents/{reference}/postmortem")
    impact, follow_up = page.locator("#impact-form"), page.locator("#follow-up-form")
    await impact.get_by_label("Who and what was affected").fill("EU checkout failed")
    await impact.get_by_role("button", name="Record the impact").click()
    await page.wait_for_url(lambda url: "saved=impact" in url)
    await follow_up.get_by_label("What should be done").fill("Raise the pool to 50")
    await follow_up.get_by_role("button", name="Add the follow-up").click()
    await page.wait_for_url(lambda url: "saved=follow-up" in url)

    line = page.locator(".said-lines li").first
    await line.get_by_text("Edit or remove").click()
    await checked(page, f"{where}, a line's form open")
    assert not (small := await page.evaluate(SMALL_TARGETS_JS, TARGET_PX)), f"{where}: {small}"
    await line.get_by_label("New words for impact line 1").fill("EU checkout failed for an hour")
    await line.get_by_role("button", name="Save the new words").click()
    await page.wait_for_url(lambda url: "saved=line" in url and "line=edited" in url)
    assert "EU checkout failed for an hour" in await page.locator("#draft").inner_text(), where
    assert await page.get_by_text("Changed, as your change").is_visible(), where
    assert "changed by Alice Moreau" in await page.locator(".said-lines").inner_text(), where

    item = page.locator("#follow-up-list li").first
    await item.get_by_text("Edit or remove").click()
    await item.get_by_role("button", name="Remove it").click()
    await page.wait_for_url(lambda url: "saved=follow-up-line" in url)
    assert await page.locator("#follow-up-list").count() == 0, where
    assert "Raise the pool to 50" not in await page.locator("#draft").inner_text(), where
    await checked(page, f"{where}, a follow-up removed")


async def test_figures_corrected_in_a_browser(
    people: SlackEmulator, sqlite_url: str, chromium: Any
) -> None:
    """The wrap-up's impact in numbers corrected on the draft's page at 1280 and 375 px:
    behind "Correct or remove", its fields filled with the figures it has, a
    redirect back to the page, which says it and shows the new figures in the draft only;
    every control at least 24 px, axe-core content with the form open."""
    async with web_warroom(people, sqlite_url) as warroom:
        for title in ("Checkout down", "Search down"):
            channel = await open_incident(warroom, title)
            await command(warroom, channel, "resolve")
        for (width, options), reference in zip(WIDTHS.items(), ("INC-1", "INC-2"), strict=True):
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                await figures_corrected(page, warroom, width, reference)


async def figures_corrected(page: Page, warroom: Warroom, width: str, reference: str) -> None:
    where = f"the wrap-up's figures at {width} px"
    await page.goto(f"{warroom.url}/incidents/{reference}/postmortem")
    impact = page.locator("#impact-form")
    await impact.get_by_label("Customers affected").fill("1200")
    await impact.get_by_label("Affected services, comma-separated").fill("checkout")
    await impact.get_by_role("button", name="Record the impact").click()
    await page.wait_for_url(lambda url: "saved=impact" in url)
    assert "1200 customers" in await page.locator("#draft").inner_text(), where

    line = page.locator("#figures li").first
    await line.get_by_text("Correct or remove").click()
    await checked(page, f"{where}, the figures' form open")
    assert not (small := await page.evaluate(SMALL_TARGETS_JS, TARGET_PX)), f"{where}: {small}"
    customers = line.get_by_label("Customers affected")
    assert await customers.input_value() == "1200", where
    await customers.fill("1450")
    await line.get_by_label("Affected services, comma-separated").fill("checkout, payments")
    await line.get_by_role("button", name="Save the figures").click()
    await page.wait_for_url(lambda url: "saved=figures" in url and "line=edited" in url)
    draft = await page.locator("#draft").inner_text()
    assert "1450 customers" in draft and "1200 customers" not in draft, where
    assert await page.get_by_text("Changed, as your change").is_visible(), where
    assert "changed by Alice Moreau" in await page.locator("#figures").inner_text(), where
    await checked(page, f"{where}, corrected")
