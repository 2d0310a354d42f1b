"""``warroom ai eval --replay`` (bot/admin/ai/ai_replay.py) against the fake
OpenAI-compatible model over real HTTP (emulator/openai_chat.py, OpenAI's published
description): the seeds replayed with what was known at declaration plus N minutes, causes
asked, checked and verified as an open incident's are, graded by the seeds' labels (never the
model's own word); the table printed, and exit 1 when too few are right."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.admin.ai.ai_replay import minutes_of, replay_all
from bot.admin.ai.eval_set import CAUSE_REPLAYS
from bot.cli import build_parser
from bot.config.ai import AISettings
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.helpers.verifiers import agreeable, truthful

MODEL = "qwen2.5:7b"
CAUSES, GRADES = "warroom_causes", "warroom_grades"
CUTS = [0, 30, 60]


@pytest.fixture
async def model() -> AsyncIterator[FakeChatModel]:
    async with FakeChatModel(models={MODEL}) as fake:
        yield fake


def settings(model: FakeChatModel) -> AISettings:
    return AISettings(url=model.base_url, model=MODEL, timeout=5.0)


def the_release(request: ChatRequest) -> dict[str, Any]:
    """A model proposing the release the change entry names and what it changed, citing it."""
    change = request.ref_of("(change) deploy-bot")
    release = request.entry_text(change).split("Released ", 1)[1]
    return {"causes": [{"text": f"Released {release} before the errors.", "cites": [change]}]}


def the_alert(request: ChatRequest) -> dict[str, Any]:
    """A model restating the alert that opened the incident, citing it: true, and no cause."""
    first = next(line for line in request.lines if "(change) deploy-bot" not in line)
    alert = first[1 : first.index("]")]
    said = request.entry_text(alert).rstrip(".")
    return {"causes": [{"text": f"{said}.", "cites": [alert]}]}


def three_ways(request: ChatRequest) -> dict[str, Any]:
    """The release (right), the alert restated (wrong), and, once a path was marked ❌, the
    database that path ruled out, citing it (wrong)."""
    causes = [*the_release(request)["causes"], *the_alert(request)["causes"]]
    ruled_out = [line for line in request.lines if "(misleading path)" in line]
    if ruled_out:
        ref = ruled_out[0][1 : ruled_out[0].index("]")]
        causes.append({"text": "The database queries were slow.", "cites": [ref]})
    return {"causes": causes}


def self_grading(request: ChatRequest) -> dict[str, Any]:
    """A model grading every proposal of its own 100."""
    return {"grades": [{"proposal": n, "grade": 100, "reason": "Mine."} for n in range(1, 4)]}


def test_the_options_and_the_seeds() -> None:
    args = build_parser().parse_args(["ai", "eval", "--replay", "--minutes", "0,30"])
    assert args.replay and minutes_of(args.minutes) == [0, 30]
    with pytest.raises(ValueError, match="minutes"):
        minutes_of("soon")
    assert {seed.replay.name for seed in CAUSE_REPLAYS} == {"demo", "checkout-crash"}


async def test_a_truthful_model_proposes_the_release_right_from_the_start(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runs = len(CAUSE_REPLAYS) * len(CUTS)
    model.reply(the_release, times=runs, to=CAUSES)
    model.verdicts(truthful(lambda _: True), times=runs)
    out = tmp_path / "replay.json"
    assert await replay_all(settings(model), CUTS, out) == 0
    printed = capsys.readouterr().out
    print(printed)
    assert "replay demo:" in printed and "replay checkout-crash:" in printed
    assert "+  0 min  1 proposed, 1 proved, graded 100 %" in printed
    assert (
        "graded 100 % or 65 %: 100% of the cut-offs with a proved cause (6 of 6); "
        "abstentions: 0 of 6; failures: 0; median time to the first right cause: 0 min"
    ) in printed
    # Only what was known at the cut-off: at +0 the record is the alert and the change.
    first = next(r for r in model.accepted if r.format_name == CAUSES)
    assert len(first.lines) == 2
    assert json.loads(out.read_text())["median_minutes_to_first_right"] == 0
    # Graded by the seeds' labels: the model is never asked to grade.
    assert not [r for r in model.accepted if r.format_name == GRADES]


async def test_an_agreeable_model_has_its_causes_voided_and_abstains(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = len(CAUSE_REPLAYS) * len(CUTS)
    model.reply(the_release, times=runs, to=CAUSES)
    model.verdicts(agreeable, times=runs)
    # Never right, as it never commits to a cause that holds: under the threshold.
    assert await replay_all(settings(model), CUTS, None) == 1
    printed = capsys.readouterr().out
    assert "abstained (1 proposed, none proved)" in printed
    assert "abstentions: 6 of 6" in printed
    assert "median time to the first right cause: never" in printed
    assert not [r for r in model.accepted if r.format_name == GRADES]


async def test_a_model_restating_the_alert_scores_0_whatever_it_grades_itself(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = len(CAUSE_REPLAYS) * len(CUTS)
    model.reply(the_alert, times=runs, to=CAUSES)
    model.verdicts(truthful(lambda _: True), times=runs)
    model.reply(self_grading, times=runs, to=GRADES)
    assert await replay_all(settings(model), CUTS, None) == 1
    said = capsys.readouterr()
    assert "+  0 min  1 proposed, 1 proved, graded 0 %" in said.out
    assert "graded 100 % or 65 %: 0% of the cut-offs with a proved cause (0 of 6)" in said.out
    assert "graded by the seeds' labels" in said.out
    assert "right cause at 0 of 6 cut-offs of the shipped seeds, under 50%" in said.err
    assert not [r for r in model.accepted if r.format_name == GRADES]


async def test_a_model_never_reached_prints_no_table(capsys: pytest.CaptureFixture[str]) -> None:
    unreachable = AISettings(url="http://127.0.0.1:9/v1", model=MODEL, timeout=2.0)
    assert await replay_all(unreachable, [0], None) == 2
    assert "the model was not reached" in capsys.readouterr().err


async def test_each_standing_a_cause_is_shown_at_is_measured_by_the_labels(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 86, item 5: what the causes' message shows beside a cause means the share of the
    causes shown so that were right in the labelled replays: printed, and in --out's JSON."""
    runs = len(CAUSE_REPLAYS) * len(CUTS)
    model.reply(three_ways, times=runs, to=CAUSES)
    model.verdicts(truthful(lambda _: True), times=runs)
    out = tmp_path / "replay.json"
    assert await replay_all(settings(model), CUTS, out) == 0
    printed = capsys.readouterr().out
    assert "what the message shows beside a cause, and how often it was right:" in printed
    # Six cut-offs, each the release and the alert (one entry each); the ruled-out database
    # at the four cut-offs past its mark (+30, +60 of each seed).
    assert "supported by 1 entry, no entry contradicts it: 50% right (6 of 12)" in printed
    assert "contradicted by an entry: 0% right (0 of 4)" in printed
    assert "supported by 2 or more entries, no entry contradicts it: none shown" in printed
    shown = json.loads(out.read_text())["shown_right"]
    assert shown["one"] == {"shown": 12, "right": 6}
    assert shown["contradicted"] == {"shown": 4, "right": 0}
