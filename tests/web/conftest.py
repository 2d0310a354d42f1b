"""Fixtures the web view's test modules share: headless Chromium for the browser tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - depends on the environment
    async_playwright = None


CHROMIUM = Path(os.environ.get("WARROOM_TEST_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium, in the test's event loop; skipped, loudly, when it cannot run here."""
    if async_playwright is None:
        pytest.skip(
            "browser tests skipped: the playwright package is missing: pip install playwright"
        )
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests skipped: {CHROMIUM} not found: apt-get install chromium")
    # Chromium's sandbox refuses to start as root (in containers, typically).
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            yield browser
        finally:
            await browser.close()
