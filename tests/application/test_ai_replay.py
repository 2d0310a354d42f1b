"""``warroom ai eval --replay`` (bot/admin/ai_replay.py, issue 76 item 5) against the fake
OpenAI-compatible model over real HTTP (emulator/openai_chat.py, OpenAI's published
description): the seeds replayed with what was known at declaration plus N minutes, causes
asked, checked and verified as an open incident's are, graded against the published root
cause; the table printed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.admin.ai_replay import minutes_of, replay_all
from bot.admin.eval_set import CAUSE_REPLAYS
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
    """A model proposing the release the change entry names, citing it."""
    change = request.ref_of("(change) deploy-bot")
    release = request.entry_text(change).split("Released ", 1)[1].split(" (")[0]
    return {"causes": [{"text": f"Released {release} before the errors.", "cites": [change]}]}


def grading(request: ChatRequest) -> dict[str, Any]:
    """100 for a proposal naming a release, 0 otherwise."""
    said = []
    for text in request.texts:
        for line in text.splitlines():
            if line.startswith("[P"):
                number = int(line[2 : line.index("]")])
                grade = 100 if "Released" in line else 0
                said.append({"proposal": number, "grade": grade, "reason": "The release."})
    return {"grades": said}


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
    model.reply(grading, times=runs, to=GRADES)
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


async def test_an_agreeable_model_has_its_causes_voided_and_abstains(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = len(CAUSE_REPLAYS) * len(CUTS)
    model.reply(the_release, times=runs, to=CAUSES)
    model.verdicts(agreeable, times=runs)
    assert await replay_all(settings(model), CUTS, None) == 0
    printed = capsys.readouterr().out
    assert "abstained (1 proposed, none proved)" in printed
    assert "abstentions: 6 of 6" in printed
    assert "median time to the first right cause: never" in printed
    assert not [r for r in model.accepted if r.format_name == GRADES]


async def test_a_model_never_reached_prints_no_table(capsys: pytest.CaptureFixture[str]) -> None:
    unreachable = AISettings(url="http://127.0.0.1:9/v1", model=MODEL, timeout=2.0)
    assert await replay_all(unreachable, [0], None) == 2
    assert "the model was not reached" in capsys.readouterr().err
