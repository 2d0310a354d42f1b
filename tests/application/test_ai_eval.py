"""``warroom ai eval`` (bot/admin/ai_eval.py) against the fake OpenAI-compatible model over
real HTTP: both requests sent as OpenAI's published description allows, the labelled set of
the shipped replay run through the checks and the model's verdicts, the table printed, and
the exit code the thresholds give."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.admin.ai_eval import _evaluate_all
from bot.admin.eval_set import CATEGORIES, REPLAYS
from bot.cli import build_parser
from bot.config.ai import AISettings
from emulator.openai_chat import ChatRequest, FakeChatModel

MODEL = "qwen2.5:7b"
LABELS = {each.text: each for replay in REPLAYS for each in replay.sentences}


@pytest.fixture
async def model() -> AsyncIterator[FakeChatModel]:
    async with FakeChatModel(models={MODEL}) as fake:
        yield fake


def settings(model: FakeChatModel) -> AISettings:
    return AISettings(url=model.base_url, model=MODEL, timeout=5.0)


def answering(*, honest: bool, quote: str | None = None) -> Any:
    """A verifier: ``honest`` answers by the labels (supported, quoting the entry, only for
    what the record supports); otherwise it calls everything supported, quoting the entry
    (or ``quote``, words it made up)."""

    def verdicts(request: ChatRequest) -> dict[str, Any]:
        said = []
        for number, (text, refs) in request.sentences.items():
            supported = LABELS[text].true or not honest
            words = quote if quote is not None else request.entry_text(refs[0])
            said.append(
                {
                    "sentence": number,
                    "verdict": "supported" if supported else "not_stated",
                    "entry": refs[0],
                    "quote": words if supported else "",
                }
            )
        return {"verdicts": said}

    return verdicts


def test_the_labelled_set_has_every_category_and_forty_sentences_a_replay() -> None:
    for replay in REPLAYS:
        assert len(replay.sentences) >= 40
        assert {each.category for each in replay.sentences} == set(CATEGORIES)
        assert len({each.text for each in replay.sentences}) == len(replay.sentences)
    assert build_parser().parse_args(["ai", "eval", "--out", "x.json"]).ai_command == "eval"


async def test_a_truthful_model_passes_and_nothing_wrong_is_kept(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model.verdicts(answering(honest=True), times=len(REPLAYS))
    out = tmp_path / "eval.json"
    assert await _evaluate_all(settings(model), out) == 0

    printed = capsys.readouterr().out
    assert "replay demo (INC-1 Checkout page returns 500s): 14 entries" in printed
    assert "replay checkout-crash (INC-1 Spike in 500 errors on the checkout page)" in printed
    assert "sections request: " in printed and "prompt +" in printed
    assert "  wrong_meaning            6     0         6            0" in printed
    assert "precision of what was kept: 1.00" in printed
    assert "true sentences kept: 1.00" in printed
    assert "though" not in printed
    for figures in json.loads(out.read_text()):
        assert figures["precision"] == 1.0 and figures["kept_not_true"] == []
        assert figures["left_out_true"] == []
    # Both requests a replay, each the format a draft uses.
    assert [each.format_name for each in model.accepted] == [
        "postmortem_sections",
        "warroom_verdicts",
    ] * len(REPLAYS)


async def test_a_model_that_agrees_with_everything_fails_the_thresholds(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    model.verdicts(answering(honest=False), times=len(REPLAYS))
    assert await _evaluate_all(settings(model), None) == 1
    captured = capsys.readouterr()
    assert "kept, though not true: The orders database was overloaded." in captured.out
    assert (
        "below the thresholds: demo: precision 0.76 < 0.95; checkout-crash: precision 0.75 < 0.95"
        in captured.err
    )


async def test_invented_quotes_are_never_accepted(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    model.verdicts(answering(honest=False, quote="Everything went as planned"), times=len(REPLAYS))
    assert await _evaluate_all(settings(model), None) == 1
    printed = capsys.readouterr().out
    assert printed.count("precision of what was kept: 0.00 (0 of 0 kept are true)") == 2


async def test_a_model_that_cannot_give_verdicts_fails(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in REPLAYS:
        model.fail_for("warroom_verdicts", 503)
    assert await _evaluate_all(settings(model), None) == 1
    captured = capsys.readouterr()
    assert "verdicts request: failed (status)" in captured.out
    assert "sentences' meaning not checked" in captured.err
