"""``warroom ai eval --replay`` over the team's own closed incidents
(bot/admin/ai/ai_replay_incidents.py): an incident made through the real flows (Slack is the
emulator, the release posted to ``POST /api/changes``, the messages marked in the channel),
resolved, then replayed from its database with what was known at its declaration plus N
minutes, against the fake OpenAI-compatible model over HTTP on 127.0.0.1
(emulator/openai_chat.py); its causes graded against its root cause, the message Carol
marked 💡 at +50 min. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.admin.ai.ai_replay_command import Replaying, replay_chosen
from bot.admin.ai.ai_replay_incidents import Chosen
from bot.cli import main
from bot.config import Settings
from bot.config.ai import AISettings
from emulator import SlackEmulator
from emulator.openai_chat import FakeChatModel
from tests.conftest import MODEL
from tests.postmortem.test_causes import CAUSES, play_causes, proposing, truthful
from tests.postmortem.test_causes import grading as grading_the_release
from tests.postmortem.test_suggestions import START, ai

GRADES = "warroom_grades"
CAROL_SAID = "Gateway release gw-2.14.1 at 03:20 broke card validation"
BOB_SAID = "Rolling back gw-2.14.1 now."


def own(minutes: list[int], **chosen: Any) -> Replaying:
    return Replaying(minutes, [MODEL], seeds=False, incidents=Chosen(**chosen))


def replay_settings(settings: Settings, model: FakeChatModel, **changes: Any) -> Settings:
    return replace(settings, ai=ai(model, causes=True, **changes))


async def closed_incident(
    people: SlackEmulator, url: str, model: FakeChatModel, cuts: int, *, private: bool = False
) -> AsyncIterator[Settings]:
    """The incident played through the flows with no model, resolved; the model readied
    for ``cuts`` causes' requests (proposing the release once Carol said what it broke),
    their verdicts and grades; warroom's settings, for the replay's."""
    model.reply(proposing, times=cuts, to=CAUSES)
    model.verdicts(truthful, times=cuts)
    model.reply(grading_the_release, to=GRADES)
    async for played in play_causes(people, url, None, private=private):
        await played.resolve("Rolled back the gateway release")
        yield played.warroom.services.settings


async def test_a_closed_incident_is_replayed_with_only_what_was_known_at_each_cut_off(
    people: SlackEmulator,
    database_url: str,
    model: FakeChatModel,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    async for settings in closed_incident(people, database_url, model, 2):
        settings = replay_settings(settings, model)
        out = tmp_path / "replay.json"
        assert await replay_chosen(settings, own([45, 60]), out) == 0
    printed = capsys.readouterr().out
    asked = [request for request in model.accepted if request.format_name == CAUSES]
    # At +45 min the model read Dave's messages (+30, +42) and neither Carol's (+50) nor
    # Bob's (+70); at +60, Carol's and not Bob's: nothing after the declaration plus N minutes
    # is given to it.
    at_45, at_60 = ("\n".join(request.lines) for request in asked)
    assert "Released gw-2.14.1" in at_45 and "that was a dead end" in at_45
    assert CAROL_SAID not in at_45 and BOB_SAID not in at_45
    assert CAROL_SAID in at_60 and BOB_SAID not in at_60
    assert "Rolled back the gateway release" not in at_60
    assert "the team's closed incidents: causes replayed against model " + MODEL in printed
    assert "replay INC-1 Card payments fail:" in printed
    assert "+ 45 min  abstained (0 proposed, none proved)" in printed
    # The cause no entry holds (its 60 %) is refused; the release is proved and graded right.
    assert "+ 60 min  2 proposed, 1 proved, graded 100 %" in printed
    assert (
        "graded 100 % or 65 %: 100% of the cut-offs with a proved cause (1 of 1); "
        "abstentions: 1 of 2; failures: 0; median time to the first right cause: 60 min"
    ) in printed
    (run,) = json.loads(out.read_text())["runs"]
    assert run["model"] == MODEL and run["replayed"] == "incidents"
    assert run["median_minutes_to_first_right"] == 60


async def test_a_private_incident_is_replayed_only_when_its_record_may_be_sent_and_never_said(
    people: SlackEmulator,
    sqlite_url: str,
    model: FakeChatModel,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    async for settings in closed_incident(people, sqlite_url, model, 1, private=True):
        assert await replay_chosen(replay_settings(settings, model), own([60]), None) == 0
        kept = capsys.readouterr().out
        assert "not replayed: INC-1: private, its record not sent (WARROOM_AI_PRIVATE off)" in kept
        assert not model.accepted
        out = tmp_path / "replay.json"
        private = replay_settings(settings, model, private=True)
        assert await replay_chosen(private, own([60]), out) == 0
    printed = capsys.readouterr().out
    assert "replay INC-1 (private: its title and causes not printed):" in printed
    assert "+ 60 min  2 proposed, 1 proved, graded 100 %" in printed
    written = out.read_text()
    for secret in ("Card payments fail", "gw-2.14.1", "card validation"):
        assert secret not in printed and secret not in written
    assert json.loads(written)["runs"][0]["replays"][0]["cuts"][0]["proved"] == 1


async def test_incidents_are_chosen_by_date_and_number(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    async for played in play_causes(people, sqlite_url, None):
        settings = replay_settings(played.warroom.services.settings, model)
        # Still open: not one of the closed incidents.
        assert await replay_chosen(settings, own([0]), None) == 0
        assert "the team's closed incidents: none to replay" in capsys.readouterr().out
        await played.resolve("Rolled back the gateway release")
        later = START + timedelta(days=1)
        assert await replay_chosen(settings, own([0], since=later), None) == 0
        assert "none to replay" in capsys.readouterr().out
        assert await replay_chosen(settings, own([0], since=START, limit=1), None) == 0
        assert "replay INC-1 Card payments fail:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["--replay", "--since", "last week"], "--since: expected a date like 2026-09-01"),
        (["--replay", "--limit", "0"], "--limit: a number of incidents from 1 to 500"),
        (["--replay", "--limit", "many"], "--limit: a number of incidents from 1 to 500"),
        (["--replay", "--minutes", "soon"], "--minutes: expected minutes like 0,15,30,60"),
        (["--replay", "--only", "seeds", "--since", "2026-01-01"], "not with --only seeds"),
        (["--since", "2026-01-01"], "--since goes with --replay"),
        (["--model", "other"], "--model goes with --replay"),
    ],
)
def test_usage_errors_say_which_option_and_exit_2(
    words: list[str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("WARROOM_AI_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("WARROOM_AI_MODEL", MODEL)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'warroom.db'}")
    assert main(["ai", "eval", *words]) == 2
    assert said in capsys.readouterr().err


def test_the_teams_incidents_need_a_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARROOM_AI_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("WARROOM_AI_MODEL", MODEL)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["ai", "eval", "--replay", "--only", "incidents"]) == 2
    assert "set DATABASE_URL" in capsys.readouterr().err
    # Without one, the seeds alone, and it says so (the model here is never reached).
    assert main(["ai", "eval", "--replay", "--minutes", "0"]) == 2
    said = capsys.readouterr()
    assert "the team's incidents not replayed: no DATABASE_URL" in said.out
    assert "was not reached" in said.err


async def test_a_model_never_reached_exits_2_and_prints_no_table(
    people: SlackEmulator, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async for played in play_causes(people, sqlite_url, None):
        await played.resolve("Rolled back the gateway release")
        settings = played.warroom.services.settings
        unreachable = replace(settings, ai=AISettings(url="http://127.0.0.1:9/v1", model=MODEL))
        assert await replay_chosen(unreachable, own([0]), None) == 2
    said = capsys.readouterr()
    assert f"model {MODEL} was not reached" in said.err
    assert "median time" not in said.out


async def test_each_model_named_gets_its_table_and_one_never_reached_exits_2(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.from_env({})
    settings = replace(settings, ai=ai(model, causes=True))
    seeds = Replaying([0], [MODEL, "not-served"], seeds=True, incidents=None)
    assert await replay_chosen(settings, seeds, None) == 2
    said = capsys.readouterr()
    assert f"the shipped seeds: causes replayed against model {MODEL}" in said.out
    assert "against model not-served" not in said.out
    assert "model not-served was not reached" in said.err
