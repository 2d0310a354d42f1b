"""Drafts rendered from records built in memory: golden files, gaps, injection, languages.

Golden files live in ``tests/golden``; after a deliberate template change, regenerate them with
``WARROOM_UPDATE_GOLDEN=1 pytest tests/postmortem/test_postmortem_drafts.py`` and review the diff.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.basics.markdown_text import markdown_to_html
from bot.basics.render import Renderer, builtin_templates_dir, record_text
from bot.basics.slack_text import SlackText
from bot.record.incident.incidents import open_incident
from bot.record.postmortem.edits import EditRefused, current_edits, save_edit
from bot.record.postmortem.language import Language
from bot.record.postmortem.sources import Record
from bot.record.postmortem.written import render_draft
from bot.store.db import session_scope
from bot.store.models import PostmortemEdit, TimelineKind
from tests.helpers.records import (
    NAMES,
    empty_record,
    entry,
    full_record,
    large_record,
    minutes,
    section,
)

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = os.environ.get("WARROOM_UPDATE_GOLDEN") == "1"
GENERATED_AT = minutes(240)


def draft_of(
    record: Record,
    *,
    style: str = "default",
    language: str = "en",
    renderer: Renderer | None = None,
) -> str:
    renderer = renderer or Renderer()
    directory = renderer.find_dir(f"postmortem/{language}")
    assert directory is not None
    _, markdown = render_draft(
        renderer,
        record,
        NAMES,
        language=Language.load(directory),
        style=style,
        now=GENERATED_AT,
    )
    return markdown


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        data = text.encode()
        path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    raw = path.read_bytes()
    expected = (gzip.decompress(raw) if name.endswith(".gz") else raw).decode()
    assert text == expected, f"{name} differs: WARROOM_UPDATE_GOLDEN=1 regenerates it"


@pytest.mark.parametrize("style", ["default", "sre", "atlassian"])
def test_an_empty_record_leaves_every_section_to_a_person(style: str) -> None:
    draft = draft_of(empty_record(), style=style)
    check_golden(f"empty-{style}.md", draft)
    assert "_To be written: who and what was affected" in draft
    assert "_To be written: what caused the incident" in draft
    assert "_To be written: what will stop this from happening again" in draft
    assert "_To be written: how the impact was stopped" in draft
    assert "_To be written: when the impact started_" in draft
    assert (
        "| Time to resolve | unknown | from impact started to resolved; impact started and"
        " resolved not in the record |" in draft
    )
    # Nothing is invented: no metric reads zero, no line of timeline appears.
    assert "less than a minute" not in draft
    assert "0 minutes" not in draft


def test_an_empty_default_draft_marks_its_timeline_and_escalations() -> None:
    draft = draft_of(empty_record())
    assert "- _To be written: nothing was recorded in the timeline._" in draft
    assert "Nobody was escalated to through warroom. _To be written: who else was brought in" in (
        draft
    )
    assert "None were marked. _To be written: any path that led the investigation astray" in draft


@pytest.mark.parametrize("style", ["default", "sre", "atlassian"])
def test_a_full_record(style: str) -> None:
    draft = draft_of(full_record(), style=style)
    check_golden(f"full-{style}.md", draft)
    assert "8:45 AM to 10:30 AM PST, November 7, 2023 (1 hour 45 minutes)" in draft


def test_the_full_default_draft_states_the_record() -> None:
    draft = draft_of(full_record())
    assert (
        "| Time to detect | 5 minutes | from impact started (November 7, 2023, 8:45 AM PST) to"
        " detected (November 7, 2023, 8:50 AM PST) |" in draft
    )
    assert "| Time to acknowledge | 4 minutes |" in draft
    assert "| Time to mitigate | 1 hour 35 minutes |" in draft
    assert "| Impact started | November 7, 2023, 8:45 AM PST | set by Carol Tanaka |" in draft
    # The impact statement is in the summary, not in the timeline.
    assert "- About 20% of users could not check out ([9:15 AM](https://acme.slack.com/" in draft
    assert "_impact_" not in draft
    # A mention in a message names the person.
    assert "About 20% of /checkout requests fail @Bob Okafor" in draft
    # Misleading paths, each until what ruled it out: here the next marked message.
    assert "DB slow queries look suspicious ([9:10 AM](" in draft
    assert "Dave Kowalski) — ruled out [9:25 AM](" in draft
    assert "Dave Kowalski: “Looking at the payment gateway logs instead”. 15 minutes." in draft
    assert "Maybe the CDN? Purging caches ([9:35 AM](" in draft
    assert ": “Gateway release changed card type validation”. 10 minutes." in draft
    # No answer in the record: a gap a person fills (on the draft's page, say).
    assert (
        "| Bob Okafor | 9:30 AM | Alice Moreau | owns the payment gateway \\| card errors |"
        " _To be written: who answered, and when (or that nobody did)._ |" in draft
    )
    assert "- [ ] Review every payment gateway integration (owner: Bob Okafor). Noted" in draft
    assert "- [ ] Add a contract test for every card type (owner: _to be assigned_)." in draft
    # Every line from a message links to it.
    for line in draft.splitlines():
        if line.startswith("- **") and "_milestone" not in line and "(time set" not in line:
            assert (
                "](https://acme.slack.com/archives/" in line
                or "_status change_" in line
                or ("_resolved_" in line)
            ), line


def test_the_duration_is_the_impact_not_the_resolve_command() -> None:
    record = full_record()
    record.incident.ended_at = minutes(98)  # back at 10:23 AM, resolved at 10:30 AM
    draft = draft_of(record)
    assert "**Duration:** 8:45 AM to 10:23 AM PST, November 7, 2023 (1 hour 38 minutes)" in draft
    assert (
        "| Impact duration | 1 hour 38 minutes | from impact started (November 7, 2023, 8:45 AM"
        " PST) to impact ended (November 7, 2023, 10:23 AM PST) |" in draft
    )
    assert "| Time to resolve | 1 hour 45 minutes |" in draft
    assert "| Impact ended | November 7, 2023, 10:23 AM PST | recorded by warroom |" in draft


@pytest.mark.parametrize("style", ["default", "sre", "atlassian"])
def test_the_french_template_set(style: str) -> None:
    full = draft_of(full_record(), style=style, language="fr")
    check_golden(f"full-{style}-fr.md", full)
    assert "de 8 h 45 à 10 h 30 PST, le 7 novembre 2023 (1 heure 45 minutes)" in full
    empty = draft_of(empty_record(), style=style, language="fr")
    check_golden(f"empty-{style}-fr.md", empty)
    assert "_À rédiger :" in empty and "To be written" not in empty


def test_a_record_of_ten_thousand_entries() -> None:
    draft = draft_of(large_record(10_000))
    check_golden("large-10000.md.gz", draft)
    assert section(draft, "## Timeline").count("\n- **[") == 10_000
    assert "Observation 9999:" in draft


def test_user_text_is_shown_never_run_or_obeyed() -> None:
    record = full_record()
    hostile = [
        "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %}",
        "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;",
        "<!channel> <!here> wake up <@U0BOB|bob> <!subteam^S0DBA|@dba-team>",
        "[click](javascript:alert(1)) | pipe | in | text",
        "see ![](@U0BOB) and ![](!here) ![t](https://evil.example/px.png) *bold* `code`",
        "multi\n\n## Injected heading\n| a | b |",
    ]
    record.entries = [
        *record.entries,
        *(entry(200 + i, TimelineKind.KEY_EVENT, text) for i, text in enumerate(hostile)),
    ]
    record.incident.title = "{{ config }} <img src=x onerror=alert(1)>"
    markdown = draft_of(record)
    assert "{{ 7\\*7 }} {% for x in range\\(3\\) %}loop{% endfor %}" in markdown
    assert "49" not in markdown and "looploop" not in markdown
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in markdown
    assert "<script>" not in markdown and "<img" not in markdown
    # Broadcasts and mentions become plain words in a document: nobody is notified.
    assert "@channel @here wake up @Bob Okafor @dba-team" in markdown
    assert "<!channel>" not in markdown and "<@U0BOB" not in markdown

    # Markdown syntax in a message is shown, not applied: no image, link, heading or cell.
    assert "see \\!\\[\\]\\(@U0BOB\\) and \\!\\[\\]\\(\\!here\\)" in markdown
    page = markdown_to_html(markdown)
    assert "<script>" not in page and "<img" not in page and 'href="javascript:' not in page
    assert "<h2>Injected heading</h2>" not in page and 'evil.example/px.png"' not in page
    # Slack's own formatting is Slack's, shown as Slack shows it: bold and code.
    assert (
        "see ![](@U0BOB) and ![](!here) ![t](https://evil.example/px.png) <strong>bold</strong>"
        " <code>code</code>"
    ) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }} {% for x in range(3) %}loop{% endfor %}" in page


def test_an_operator_template_is_sandboxed(tmp_path: Path) -> None:
    own = tmp_path / "postmortem" / "en"
    own.mkdir(parents=True)
    (own / "default.md.j2").write_text("Ours: {{ draft.incident.reference }}\n")
    (own / "language.yaml").write_text(
        (builtin_templates_dir() / "postmortem/en/language.yaml").read_text()
    )
    (own / "escape.md.j2").write_text("{{ draft.__class__.__mro__ }}\n")
    renderer = Renderer(tmp_path)
    assert draft_of(full_record(), renderer=renderer) == "Ours: INC-7\n"
    assert renderer.postmortem_choices()["en"] == ["atlassian", "default", "escape", "sre"]
    with pytest.raises(SecurityError):
        draft_of(full_record(), renderer=renderer, style="escape")


def test_an_operator_template_shapes_rows_but_reaches_nothing_through_them(
    tmp_path: Path,
) -> None:
    own = tmp_path / "postmortem" / "en"
    own.mkdir(parents=True)
    (own / "language.yaml").write_text(
        (builtin_templates_dir() / "postmortem/en/language.yaml").read_text()
    )
    rows = 'draft.update_rows(row="* {author} at {stamp} said {text}", nobody="?")'
    (own / "default.md.j2").write_text("{{ " + rows + " }}\n")
    reaching = rows.replace("{author}", "{author.__class__}")
    (own / "escape.md.j2").write_text("{{ " + reaching + " }}\n")
    renderer = Renderer(tmp_path)
    record = full_record()
    record.entries = [entry(5, TimelineKind.UPDATE, "Rolled back *v2* &lt;b&gt;", ts="1.000001")]
    assert draft_of(record, renderer=renderer) == (
        "* Dave Kowalski at [8:50 AM](https://acme.slack.com/archives/C0CHECKOUT/p1000001)"
        " said Rolled back **v2** &lt;b&gt;\n"
    )
    with pytest.raises(ValueError, match="may name only"):
        draft_of(record, renderer=renderer, style="escape")
    section = 'draft.rows(draft.updates, row="+ {text} [{source}]", by=" by {}")'
    (own / "default.md.j2").write_text("{{ " + section + " }}\n")
    assert draft_of(record, renderer=renderer) == (
        "+ Rolled back **v2** &lt;b&gt; [[8:50 AM](https://acme.slack.com/archives/C0CHECKOUT/"
        "p1000001) by Dave Kowalski]\n"
    )
    reaching = section.replace("{text}", "{text.__class__}")
    (own / "escape.md.j2").write_text("{{ " + reaching + " }}\n")
    with pytest.raises(ValueError, match="may name only"):
        draft_of(record, renderer=renderer, style="escape")
    (own / "escape.md.j2").write_text('{{ draft.rows(["a string"], row="{text}", by="{}") }}\n')
    with pytest.raises(TypeError, match="not a line of the draft"):
        draft_of(record, renderer=renderer, style="escape")


def test_a_draft_spanning_midnight_and_a_clock_change_says_so() -> None:
    record = full_record()
    # America/Los_Angeles went from PDT to PST at 2:00 AM on November 5, 2023.
    record.incident.started_at = minutes(-60 * 24 * 2 - 30)  # Nov 5, 8:15 AM PST... two days
    record.incident.resolved_at = minutes(105)
    draft = draft_of(record)
    assert re.search(
        r"\*\*Duration:\*\* November 5, 2023, 8:15 AM PST to November 7, 2023, "
        r"10:30 AM PST \(2 days 2 hours 15 minutes\)",
        draft,
    ), draft[:1500]


def test_record_text_in_slack_keeps_mentions_and_links_and_obeys_no_broadcast() -> None:
    said = record_text(
        SlackText("Escalated to <@U0BOB>: &lt;b&gt; <!channel> <https://x.example|x> a &lt; b")
    )
    assert said == "Escalated to <@U0BOB>: &lt;b&gt; @channel <https://x.example|x> a &lt; b"
    # Plain text (an alert's words) is shown as itself: nothing in it is obeyed.
    assert record_text("<!channel> a < b") == "&lt;!channel&gt; a &lt; b"


SLOTS = {
    "default": ["summary", "underlying_issue", "fix", "lessons"],
    "sre": [
        "summary",
        "underlying_issue",
        "trigger",
        "fix",
        "lessons",
        "went_well",
        "went_wrong",
        "got_lucky",
    ],
    "atlassian": ["summary", "leadup", "underlying_issue", "fix", "five_whys", "lessons"],
}


def _with_edits(record: Record, edits: dict[str, str]) -> Record:
    record.edits = {
        key: PostmortemEdit(
            incident_id=1, section=key, body=body, author="U0ALICE", edited_at=minutes(200)
        )
        for key, body in edits.items()
    }
    return record


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("style", ["default", "sre", "atlassian"])
def test_written_sections_replace_their_gaps(style: str, language: str) -> None:
    renderer = Renderer()
    directory = renderer.find_dir(f"postmortem/{language}")
    assert directory is not None
    empty = empty_record()
    draft, blank = render_draft(
        renderer, empty, NAMES, language=Language.load(directory), style=style, now=GENERATED_AT
    )
    assert [slot.key for slot in draft.slots] == SLOTS[style]
    texts = {
        key: f"Our own words for {key}, with *emphasis* and <!channel>." for key in SLOTS[style]
    }
    _, markdown = render_draft(
        renderer,
        _with_edits(empty_record(), texts),
        NAMES,
        language=Language.load(directory),
        style=style,
        now=GENERATED_AT,
    )
    for key in SLOTS[style]:
        # A person's text is shown as typed, as every message is: nothing in it is obeyed.
        shown = key.replace("_", "\\_")
        assert f"Our own words for {shown}, with \\*emphasis\\* and &lt;\\!channel&gt;." in markdown
    mark = Language.load(directory).gap_mark
    # Gaps filled: in the default style, the missing cause and fix give way to the person's
    # account of them; the five whys are five gaps that one written section replaces.
    filled = {"default": 2, "sre": 5, "atlassian": 7}[style]
    assert markdown.count(mark) == blank.count(mark) - filled
    assert (
        "Written by Alice Moreau" if language == "en" else "Rédigé par Alice Moreau"
    ) in markdown


async def test_edits_keep_their_history_and_an_emptied_section_shows_its_gap_again(
    engine: AsyncEngine,
) -> None:
    async with session_scope(engine) as session:
        incident = await open_incident(
            session,
            team_id="T1",
            title="Checkout down",
            declared_by="U0ALICE",
            severity="SEV2",
            timezone="UTC",
            declared_at=minutes(0),
        )
        for at, body in ((1, "First words."), (2, "Better words."), (3, "  ")):
            await save_edit(
                session, incident, section="fix", body=body, author="U0BOB", at=minutes(at)
            )
        await save_edit(
            session, incident, section="summary", body="Kept.", author="U0ALICE", at=minutes(4)
        )
        await session.commit()
        assert incident.id is not None
        history = (
            await session.exec(
                select(PostmortemEdit)
                .where(PostmortemEdit.incident_id == incident.id, PostmortemEdit.section == "fix")
                .order_by(col(PostmortemEdit.id).desc())
            )
        ).all()
        current = await current_edits(session, incident.id)
    assert [edit.body for edit in history] == ["", "Better words.", "First words."]
    assert history[0].author == "U0BOB" and history[0].edited_at == minutes(3)
    assert list(current) == ["summary"]
    with pytest.raises(EditRefused):
        async with session_scope(engine) as session:
            await save_edit(
                session, incident, section="Fix!", body="x", author="U0BOB", at=minutes(5)
            )
    with pytest.raises(EditRefused):
        async with session_scope(engine) as session:
            await save_edit(
                session, incident, section="fix", body="x" * 20_001, author="U0BOB", at=minutes(5)
            )


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "## Also written"), ("fr", "## Rédigé aussi")]
)
def test_sections_written_for_another_style_are_kept(language: str, heading: str) -> None:
    record = _with_edits(full_record(), {"leadup": "A cache stampede.", "five_whys": "TTLs."})
    markdown = draft_of(record, style="sre", language=language)
    kept = section(markdown, heading)
    assert "A cache stampede." in kept and "TTLs." in kept
    assert heading not in draft_of(record, style="atlassian", language=language)
