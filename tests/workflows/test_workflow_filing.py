"""The ``file_follow_ups`` action: the incident's unfiled follow-ups go to the tracker through
the filing jobs, here a fake GitHub over HTTP on 127.0.0.1; without a tracker the file is
refused before anything starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot.config import ConfigError, Settings
from bot.record.workflows.definitions import parse_workflows
from bot.store.db import session_scope
from bot.store.models import TimelineEntry
from emulator import SlackEmulator
from emulator.trackers import FakeGitHub
from tests.conftest import Warroom, running_warroom
from tests.helpers.incidents import command, open_incident, settle

GITHUB_TOKEN = "ghp_" + "t" * 36
FILE_ON_RESOLVE = (
    "workflows:\n  file-on-resolve:\n    on: incident.resolved\n    do: [file_follow_ups: {}]\n"
)


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(token=GITHUB_TOKEN, repos={"acme/payments"}) as fake:
        yield fake


def github_env(github: FakeGitHub) -> dict[str, str]:
    return {
        "WARROOM_GITHUB_API_URL": github.url,
        "WARROOM_GITHUB_TOKEN": GITHUB_TOKEN,
        "WARROOM_GITHUB_REPO": "acme/payments",
        "WARROOM_TRACKER": "github",
    }


async def test_resolving_files_the_follow_ups_not_filed_yet(
    slack: SlackEmulator, sqlite_url: str, github: FakeGitHub
) -> None:
    settings = {
        "trackers": Settings.from_env(github_env(github)).trackers,
        "workflows__definitions": parse_workflows(yaml.safe_load(FILE_ON_RESOLVE)),
        "runtime__scheduler_interval": 3600.0,  # the test runs due jobs itself
    }
    async with running_warroom(slack, sqlite_url, **settings) as warroom:
        channel = await open_incident(warroom)
        await command(warroom, channel, "action --file add a canary")
        await command(warroom, channel, "action rotate the leaked key")
        await command(warroom, channel, "action page the DBA on replica lag")
        assert [issue.title for issue in github.issues] == ["add a canary (INC-1)"]

        await command(warroom, channel, "resolve Rolled back")
        await settle(warroom)

        # The two waiting are filed, each once; the one filed before is not filed again.
        titles = sorted(issue.title.removesuffix(" (INC-1)") for issue in github.issues)
        assert titles == ["add a canary", "page the DBA on replica lag", "rotate the leaked key"]
        said = warroom.slack.transcript(channel.id)
        assert "Workflow *file-on-resolve*" in said and "2 follow-ups sent to GitHub" in said
        entries = await workflow_entries(warroom)
        assert [(e["action"], e["did"]) for e in entries] == [
            ("file_follow_ups", "2 follow-ups sent to GitHub")
        ]


async def workflow_entries(warroom: Warroom) -> list[dict[str, object]]:
    async with session_scope(warroom.engine) as session:
        rows = await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "workflow"))
        return [dict(row.facts or {}) for row in rows.all()]


def test_filing_follow_ups_without_a_tracker_is_refused_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "workflows.yaml"
    path.write_text(FILE_ON_RESOLVE)
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"WARROOM_WORKFLOWS": str(path)})
    assert (
        "WARROOM_WORKFLOWS: workflow 'file-on-resolve': do #1 (file_follow_ups): "
        "no tracker to file in: set WARROOM_TRACKER" in str(refused.value)
    )
    env = {"WARROOM_WORKFLOWS": str(path), "WARROOM_GITHUB_API_URL": "http://127.0.0.1:9"}
    env |= {"WARROOM_GITHUB_TOKEN": GITHUB_TOKEN, "WARROOM_GITHUB_REPO": "acme/payments"}
    assert Settings.from_env({**env, "WARROOM_TRACKER": "github"}).workflows.definitions
