"""Printed, every table's headers line up with their columns: the incident
list, an incident's page (its milestones, metrics, timeline and escalations) and the
postmortem draft, printed from a laptop (1280 px) and from a phone (375 px) in Chromium with
print media (``page.emulate_media(media="print")``): each table a table again (the phone's
cards and stacked rows are a screen's layout), its header row shown, and each header's left
and right edges those of the cells under it. The same pages printed to PDF by Chromium
(A4) keep their tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator import SlackEmulator
from tests.conftest import Warroom
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import web_warroom
from tests.web.test_browser import WIDTHS, sign_in_with_slack, watched_page

if TYPE_CHECKING:
    from playwright.async_api import Page

PAGES = ("/", "/incidents/INC-1", "/incidents/INC-1/postmortem")
# Each visible table's header cells and the cells of its body's rows, by column: where a
# header's edges are not those of a cell under it (more than a pixel), or the header is not
# shown, or a row has a cell outside any header's column.
MISALIGNED_JS = """() => {
  const found = [];
  for (const table of document.querySelectorAll("main table")) {
    if (!table.getClientRects().length) { continue; }
    const head = table.tHead && table.tHead.rows[0];
    if (!head) { continue; }
    const name = (table.id || head.innerText || "a table").trim().slice(0, 30);
    const headers = Array.from(head.cells).map(cell => cell.getBoundingClientRect());
    if (headers.some(r => r.width < 2 || r.height < 2)) {
      found.push(`${name}: its header row is not shown`);
      continue;
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        if (row.cells.length !== headers.length) { continue; }  // a day's heading, a note
        Array.from(row.cells).forEach((cell, index) => {
          const r = cell.getBoundingClientRect();
          if (!r.width) { return; }
          const h = headers[index];
          if (Math.abs(r.left - h.left) > 1 || Math.abs(r.right - h.right) > 1) {
            found.push(`${name}: column ${index + 1} header ${h.left.toFixed(0)}-`
              + `${h.right.toFixed(0)} px, cell ${r.left.toFixed(0)}-${r.right.toFixed(0)} px`);
          }
        });
      }
    }
  }
  return found;
}"""
TABLES_JS = """() => Array.from(document.querySelectorAll("main table"))
  .filter(t => t.getClientRects().length).length"""


async def test_printed_tables_line_up_with_their_headers(
    people: SlackEmulator, sqlite_url: str, chromium: Any
) -> None:
    async with web_warroom(people, sqlite_url) as warroom:
        channel = await open_incident(warroom, "Checkout down")
        await command(warroom, channel, "escalate @carol the database")
        await command(warroom, channel, "note Rolled back the gateway release")
        await command(warroom, channel, "impact EU checkout failed")
        await command(warroom, channel, "resolve")
        await open_incident(warroom, "Search index stale")
        for width, options in WIDTHS.items():
            async with watched_page(chromium, warroom, **options) as page:
                await sign_in_with_slack(page, warroom)
                for path in PAGES:
                    await printed(page, warroom, path, width)


async def printed(page: Page, warroom: Warroom, path: str, width: str) -> None:
    where = f"{path} printed at {width} px"
    await page.goto(f"{warroom.url}{path}")
    await page.emulate_media(media="print")
    try:
        assert await page.evaluate(TABLES_JS) >= 1, f"{where}: no table"
        assert not (wrong := await page.evaluate(MISALIGNED_JS)), f"{where}: {wrong}"
    finally:
        await page.emulate_media(media="screen")
    if width == "1280":  # Chromium's own print (headless), on A4: a PDF with its tables
        pdf = await page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000, where
