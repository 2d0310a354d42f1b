"""People's own text for the written sections of a postmortem draft.

A draft is regenerated from the record whenever it is asked for; what a person wrote for a
section (in the web view) is kept here and shown in place of that section's gap, so a
regenerated draft never overwrites it. Each save is a new row: the history stays.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.record.postmortem.review import check_open
from bot.store.models import Incident, PostmortemEdit

SECTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# A section is prose for people to read; a book does not belong in one.
BODY_MAX_CHARS = 20_000


class EditRefused(ValueError):
    """The edit cannot be kept; the message says why."""


def check_edit(section: str, body: str) -> str:
    """The body as it will be kept (line endings normalised, outer blank space trimmed);
    EditRefused for a section key that cannot be one or a body that is too long."""
    if not SECTION_KEY.match(section):
        raise EditRefused("That is not a section of the postmortem.")
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > BODY_MAX_CHARS:
        raise EditRefused(f"Keep a section under {BODY_MAX_CHARS:,} characters.")
    return text


async def save_edit(
    session: AsyncSession,
    incident: Incident,
    *,
    section: str,
    body: str,
    author: str,
    at: datetime,
) -> PostmortemEdit:
    """Keep a person's text for a section (the caller commits). An empty body gives the
    section back to the draft: its gap shows again. ReviewRefused when it is published."""
    check_open(incident)
    edit = PostmortemEdit(
        incident_id=incident.id or 0,
        section=section,
        body=check_edit(section, body),
        author=author,
        edited_at=at,
    )
    session.add(edit)
    await session.flush()
    return edit


async def current_edits(session: AsyncSession, incident_id: int) -> dict[str, PostmortemEdit]:
    """The latest non-empty text of each section, by section key."""
    rows = await session.exec(
        select(PostmortemEdit)
        .where(PostmortemEdit.incident_id == incident_id)
        .order_by(col(PostmortemEdit.id))
    )
    latest = {edit.section: edit for edit in rows.all()}
    return {section: edit for section, edit in latest.items() if edit.body}
