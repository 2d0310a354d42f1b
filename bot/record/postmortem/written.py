"""A postmortem draft written out: read from the database with the names the record knows
(``read_draft``, what the web view shows), rendered in a language and style (``render_draft``)
off the event loop (``write_in_thread``). What the draft says is arranged by ``build_draft``
(writing.py); bot.flows.postmortem.posting asks Slack for the names and links the record
lacks, and posts it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.basics.render import Renderer
from bot.record.incident.incident_types import NO_TYPES, IncidentTypes
from bot.record.people import known_names
from bot.record.postmortem.draft import Draft
from bot.record.postmortem.language import Language
from bot.record.postmortem.sources import Record, load_record
from bot.record.postmortem.writing import build_draft
from bot.store.db import session_scope
from bot.store.models import (
    Incident,
)


@dataclass(frozen=True)
class WrittenDraft:
    """A rendered draft and the facts its summary message needs."""

    draft: Draft
    markdown: str

    @property
    def gaps(self) -> int:
        """The draft's own gap marks; a message that says the words has them escaped (``\\_``)
        and is not a gap, as the draft's page does not list it."""
        mark = re.escape(self.draft.language.gap_mark)
        return len(re.findall(rf"(?<!\\){mark}", self.markdown))


class NoSuchTemplate(LookupError):
    """The postmortem style or language asked for has no template."""


def template_directory(renderer: Renderer, language: str, style: str) -> Path:
    """The language's template directory; NoSuchTemplate if it lacks the style."""
    directory = renderer.find_dir(f"postmortem/{language}")
    if directory is None or not renderer.exists(renderer.postmortem_template(language, style)):
        choices = renderer.postmortem_choices()
        raise NoSuchTemplate(
            f"There is no postmortem style {style!r} in language {language!r}. There are "
            + "; ".join(f"{code}: {', '.join(styles)}" for code, styles in choices.items())
            + "."
        )
    return directory


def render_draft(
    renderer: Renderer,
    record: Record,
    names: Mapping[str, str],
    *,
    language: Language,
    style: str,
    now: datetime,
    places: str = "",
) -> tuple[Draft, str]:
    """The draft of a record as Markdown, in a language and style; ``places``: the token the
    web view finds its written sections by (``Draft.places``), none by default."""
    draft = build_draft(record, names, renderer=renderer, language=language, style=style, now=now)
    draft.places = places
    text = renderer.render(renderer.postmortem_template(language.code, style), draft=draft)
    return draft, text + "\n"


def chosen_template(incident: Incident, *, language: str, style: str) -> tuple[str, str]:
    """(language, style) of the incident's draft: its own choice, else those given."""
    return (
        incident.postmortem_language or language,
        incident.postmortem_style or style,
    )


async def read_record(
    engine: AsyncEngine, incident_id: int, types: IncidentTypes = NO_TYPES, catalog: Any = None
) -> tuple[Incident, Record, dict[str, str]]:
    """The incident, what its draft is written from, and the names the record knows."""
    async with session_scope(engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(f"no incident with id {incident_id}")
        record = await load_record(session, incident, types, catalog=catalog)
        names = await known_names(session, record.user_ids())
    return incident, record, names


async def write_in_thread(
    renderer: Renderer,
    record: Record,
    names: Mapping[str, str],
    *,
    language: str,
    style: str,
    now: datetime,
    places: str = "",
) -> WrittenDraft:
    """The record's draft in ``language`` and ``style``; NoSuchTemplate if there is none."""
    directory = template_directory(renderer, language, style)
    # A long record takes seconds to render: off the event loop, which must keep answering Slack.
    draft, text = await asyncio.to_thread(
        lambda: render_draft(
            renderer,
            record,
            names,
            language=Language.load(directory),
            style=style,
            now=now,
            places=places,
        )
    )
    return WrittenDraft(draft, text)


async def read_draft(
    engine: AsyncEngine,
    renderer: Renderer,
    incident_id: int,
    *,
    language: str,
    style: str,
    now: datetime,
    types: IncidentTypes = NO_TYPES,
    places: str = "",
    catalog: Any = None,
) -> WrittenDraft:
    """The incident's draft from the record as it stands, people by the names the record
    knows (Slack is not asked): in the incident's own language and style, else those given.
    ``types``: the configured custom fields, which the draft's header table shows;
    ``places``: the web view's token around each written section (``Draft.places``)."""
    incident, record, names = await read_record(engine, incident_id, types, catalog)
    language, style = chosen_template(incident, language=language, style=style)
    return await write_in_thread(
        renderer, record, names, language=language, style=style, now=now, places=places
    )
