"""The demo's incident page in Chromium at 1280 px, after its story: the picture the README
and the manual's front page show (docs/web-demo-incident-1280.png, kept with
``WARROOM_KEEP_SCREENSHOTS=docs``). Its timeline holds the story (what Carol saw, the
release she found, the rollback), each line in order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tests.web.test_browser import KEEP_SCREENSHOTS, LAPTOP, TIMEOUT_MS, kept_small, screenshot

if TYPE_CHECKING:
    from playwright.async_api import Browser

PICTURE = "web-demo-incident-1280.png"
# The picture's height: the header, the milestones and the timeline's first half hour.
TALLEST = 2600
# The timeline's words a reader of the picture finds, in the order the story tells them.
STORY = (
    "Seeing a spike in 500s",
    "Slow queries on the orders database",
    "changed card type validation",
    "Rolling back the payment gateway release",
)


def _until_serving(demo: subprocess.Popen[str]) -> list[str]:
    assert demo.stdout is not None
    printed: list[str] = []
    for line in demo.stdout:
        printed.append(line)
        if line.startswith("Serving the web view"):
            break
    return printed


async def test_the_demos_incident_page_with_its_timeline(chromium: Browser, tmp_path: Path) -> None:
    keep = Path(KEEP_SCREENSHOTS) if KEEP_SCREENSHOTS else tmp_path
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        printed = await asyncio.to_thread(_until_serving, demo)
        page_url = next(
            (
                line.split(": ", 1)[1].split(" ")[0]
                for line in printed
                if line.startswith("Incident page")
            ),
            "",
        )
        assert page_url, "".join(printed)[-3000:]
        context = await chromium.new_context(viewport=LAPTOP)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = await context.new_page()
            await page.goto(page_url)
            await page.get_by_role("heading", name="INC-3: Checkout page returns 500s").wait_for()
            timeline = await page.locator("table", has_text="Seeing a spike").inner_text()
            at = [timeline.find(words) for words in STORY]
            assert -1 not in at and at == sorted(at), (at, timeline)
            await screenshot(page, keep / PICTURE, tallest=TALLEST)
            kept_small(keep / PICTURE)
        finally:
            await context.close()
        demo.send_signal(signal.SIGINT)
        assert await asyncio.to_thread(demo.wait, 30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
