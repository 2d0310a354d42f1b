"""``warroom ai eval`` (bot/admin/ai/ai_eval.py) against the fake OpenAI-compatible model over
real HTTP: both requests sent as OpenAI's published description allows, the labelled set of
the shipped replay run through the checks and the model's verdicts, the table printed, and
the exit code the thresholds give."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.admin.ai.adversaries import ADVERSARIES
from bot.admin.ai.ai_eval import _evaluate_all
from bot.admin.ai.eval_set import CATEGORIES, REPLAYS
from bot.cli import build_parser
from bot.config.ai import AISettings
from bot.record.postmortem.controls import KINDS
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.helpers import verifiers
from tests.helpers.mail import free_port
from tests.helpers.verifiers import naming_unsent, skipping, truthful, verdict

MODEL = "qwen2.5:7b"
LABELS = {each.text: each for replay in REPLAYS for each in replay.sentences}


@pytest.fixture
async def model() -> AsyncIterator[FakeChatModel]:
    async with FakeChatModel(models={MODEL}) as fake:
        yield fake


def settings(model: FakeChatModel) -> AISettings:
    return AISettings(url=model.base_url, model=MODEL, timeout=5.0)


def is_true(text: str) -> bool:
    """The label of a sentence of the set; a control (a labelled sentence changed by warroom
    to be false) is not one of them."""
    label = LABELS.get(text)
    return label is not None and label.true


def inventing(request: ChatRequest) -> dict[str, Any]:
    """Calls every sentence supported, with words it made up."""
    return {
        "verdicts": [
            verdict(number, "supported", refs[0], "Everything went as planned")
            for number, (_, refs) in request.sentences.items()
        ]
    }


def test_the_labelled_set_has_every_category_and_forty_sentences_a_replay() -> None:
    for replay in REPLAYS:
        assert len(replay.sentences) >= 40
        assert {each.category for each in replay.sentences} == set(CATEGORIES)
        assert len({each.text for each in replay.sentences}) == len(replay.sentences)
    assert build_parser().parse_args(["ai", "eval", "--out", "x.json"]).ai_command == "eval"


async def test_a_truthful_model_passes_and_nothing_wrong_is_kept(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model.verdicts(truthful(is_true), times=len(REPLAYS))
    out = tmp_path / "eval.json"
    assert await _evaluate_all(settings(model), out) == 0

    printed = capsys.readouterr().out
    assert "replay demo (INC-1 Checkout page returns 500s): 14 entries" in printed
    assert "replay checkout-crash (INC-1 Spike in 500 errors on the checkout page)" in printed
    assert "sections request: " in printed and "prompt +" in printed
    assert "  wrong_meaning            6     0         6            0" in printed
    assert "precision of what was kept: 1.00" in printed
    # Every true sentence kept: a duration proved by its entries' times,
    # "root cause" not read as blame.
    assert "true sentences kept: 1.00" in printed
    assert printed.count("0 failed (passed); untrue kept as checked text: 0") == len(REPLAYS)
    assert "though" not in printed
    for figures in json.loads(out.read_text()):
        assert figures["precision"] == 1.0 and figures["kept_not_true"] == []
        assert figures["left_out_true"] == []
        # Issue 86, item 2: one control a sentence the checks kept, of every kind.
        assert figures["controls"]["sent"] >= 30
        assert figures["controls"]["true_kept"] == figures["controls"]["true"] > 20
        assert sorted(figures["control_kinds"]) == sorted(KINDS)
        assert all(figures["control_kinds"][kind] >= 1 for kind in KINDS)
    # Both requests a replay, each the format a draft uses.
    assert [each.format_name for each in model.accepted] == [
        "postmortem_sections",
        "warroom_verdicts",
    ] * len(REPLAYS)


@pytest.mark.parametrize("adversary", sorted(ADVERSARIES))
async def test_no_adversary_keeps_an_untrue_sentence_as_checked(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str], tmp_path: Path, adversary: str
) -> None:
    """Issue 86, item 2: verifiers that do not read the record, each played over HTTP: one
    agreeing with everything, one reading only the old control shape ("At 09:20 PST, Bob
    Nguyen wrote: “…”") right, one refusing sentences whose citations are unusual, one
    refusing every sentence with a near twin. The controls, the sentences themselves each
    changed in one checkable way, are answered wrong by each: its verdicts are void, nothing
    untrue is kept as checked, and the eval says so, per adversary, for each replay (computed
    without asking) as for the model asked."""
    model.verdicts(getattr(verifiers, adversary), times=len(REPLAYS))
    out = tmp_path / "eval.json"
    assert await _evaluate_all(settings(model), out) == 1
    captured = capsys.readouterr()
    assert "kept, though not true" not in captured.out
    label = ADVERSARIES[adversary][0]
    said = re.findall(
        rf"controls, {label}: \d+ sent, \d+ passed, [1-9]\d* failed \(verdicts void\); "
        r"untrue kept as checked text: 0 \(\d+ without",
        captured.out,
    )
    assert len(said) == len(REPLAYS), captured.out
    assert "its verdicts void" in captured.err
    for figures in json.loads(out.read_text()):
        assert figures["kept_not_true"] == [] and figures["precision"] == 1.0
        asked = figures["controls"]
        assert asked["untrue_kept"] == 0 and asked["failed"] >= 1
        # What it answered over HTTP is what the eval computed it would.
        assert figures["adversaries"][adversary]["failed"] == asked["failed"]
        for name, measured in figures["adversaries"].items():
            assert measured["untrue_kept"] == 0, name
        # Without the controls, an agreeable model would have kept untrue sentences.
        assert figures["adversaries"]["agreeable"]["untrue_kept_without_controls"] >= 8


@pytest.mark.parametrize("verifier", ["naming_unsent", "skipping"])
async def test_no_untrue_sentence_is_kept_by_a_verifier_that_names_unsent_entries_or_skips(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str], tmp_path: Path, verifier: str
) -> None:
    """Issue 71, item 5: a verdict naming an entry the request did not hold, or a sentence
    left without one, no longer keeps it."""
    model.verdicts(
        naming_unsent if verifier == "naming_unsent" else skipping(is_true), times=len(REPLAYS)
    )
    out = tmp_path / "eval.json"
    code = await _evaluate_all(settings(model), out)
    printed = capsys.readouterr().out
    assert "kept, though not true" not in printed
    results = json.loads(out.read_text())
    for figures in results:
        assert figures["kept_not_true"] == []
        assert all(each["untrue_kept"] == 0 for each in figures["adversaries"].values())
    assert code == 1
    if verifier == "skipping":
        # It answers only what is true: no control, every one false, gets a verdict, which
        # gives no sign it read them: its verdicts are void.
        assert all(
            figures["controls"]["failed"] == figures["controls"]["sent"] > 0 for figures in results
        )
    else:
        assert all(figures["controls"]["failed"] >= 2 for figures in results)


async def test_invented_quotes_are_never_accepted(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    model.verdicts(inventing, times=len(REPLAYS))
    assert await _evaluate_all(settings(model), None) == 1
    printed = capsys.readouterr().out
    # Nothing its invented quotes "prove" is kept: only the durations warroom proved by the
    # times of their entries, every one true.
    assert "kept, though not true" not in printed
    assert printed.count("precision of what was kept: 1.00 (") == 2


async def test_a_model_that_cannot_give_verdicts_fails(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in REPLAYS:
        model.fail_for("warroom_verdicts", 503)
    assert await _evaluate_all(settings(model), None) == 1
    captured = capsys.readouterr()
    assert "verdicts request: failed (status)" in captured.out
    assert "sentences' meaning not checked" in captured.err


async def test_a_model_never_reached_exits_2_with_why_and_prints_no_score(
    model: FakeChatModel, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong model name (OpenAI answers 404 model_not_found) or nothing listening: no
    table, no figures file, exit 2 naming the HTTP status or the missing connection."""
    wrong = AISettings(url=model.base_url, model="no-such-model", timeout=5.0)
    assert await _evaluate_all(wrong, None) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "the model was not reached (WARROOM_AI_URL answered HTTP 404)" in captured.err
    assert len(model.requests) == 2, "one replay's two requests, then it stops"

    closed = AISettings(url=f"http://127.0.0.1:{free_port()}/v1", model=MODEL, timeout=5.0)
    out = Path(tempfile.mkdtemp()) / "figures.json"
    assert await _evaluate_all(closed, out) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    assert "not reached (no connection to WARROOM_AI_URL)" in captured.err
