"""Issue 86, item 1: nothing unchecked in the draft's text. A suggested sentence enters the
text only with a valid verdict that supports it with words its cited entry holds; when the
verdicts are void (an agreeable model fails the controls), missing (the model answers 500)
or lying (each "supported" by a quote no entry holds), the draft's text holds no untrue
sentence. Unchecked sentences wait outside the text, in their own list, with Accept; a
person's acceptance puts them in, as theirs. End to end: Slack is the emulator, the model
the fake OpenAI-compatible server (emulator/openai_chat.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.basics.slack_ids import SuggestionMessage
from emulator import SlackEmulator
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.helpers import verifiers
from tests.helpers.incidents import settle
from tests.helpers.verifiers import verdict
from tests.postmortem.test_suggestions import CAROL, MODEL, good, play
from tests.postmortem.test_verification import with_wrong_ones

UNTRUE = ("The orders database was overloaded.", "which made card payments fail more")
NOT_CHECKED_LIST = re.compile(
    r"^\*\*Suggested by [^\n]*meaning not checked\*\*[^\n]*\n\n(?:- [^\n]*\n?)*", re.M
)
LEFT_OUT_LIST = re.compile(
    r"^Not supported by the record, left out of the text:\n\n(?:- [^\n]*\n?)*", re.M
)


def text_of(draft: str) -> str:
    """The draft's text: without the lists of sentences outside it (those waiting, their
    meaning not checked, and those left out with why)."""
    return LEFT_OUT_LIST.sub("", NOT_CHECKED_LIST.sub("", draft))


def lying(request: ChatRequest) -> dict[str, Any]:
    """Every sentence, controls too, "supported" by a quote no entry holds."""
    return {
        "verdicts": [
            verdict(number, "supported", refs[0], "Everything was confirmed by the team")
            for number, (_, refs) in request.sentences.items()
        ]
    }


def agreeing(request: ChatRequest) -> dict[str, Any]:
    return verifiers.agreeable(request)


Mishap = Callable[[FakeChatModel], None]
MISHAPS: dict[str, Mishap] = {
    "agreeable": lambda model: model.verdicts(agreeing),
    "500": lambda model: model.fail_for("warroom_verdicts", 500),
    "lying": lambda model: model.verdicts(lying),
}


@pytest.mark.parametrize("mishap", sorted(MISHAPS))
async def test_no_untrue_sentence_enters_the_drafts_text(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, mishap: str
) -> None:
    async for played in play(people, sqlite_url, model):
        model.reply(with_wrong_ones)
        MISHAPS[mishap](model)
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
        message = played.suggestions_message()
    text = text_of(draft)
    assert [each for each in UNTRUE if each in text] == []
    # Nor any sentence of the model's shown as proved by a quote.
    assert "_— “" not in draft
    if mishap == "lying":
        # Refused sentence by sentence, as invented quotes are, though the controls failed.
        assert "the quote it gave (“Everything was confirmed by the team”) is not in" in draft
        assert "meaning not checked**" not in draft
        assert not [block for block in message.blocks if block["type"] == "actions"]
        return
    # Waiting outside the text, each with why, and Accept in Slack.
    assert "meaning checked by" not in draft
    assert "meaning not checked**: not in the draft's text until a person accepts it" in draft
    listed = "\n".join(match[0] for match in NOT_CHECKED_LIST.finditer(draft))
    assert all(each in listed for each in UNTRUE)
    assert "- Card payments failed after gateway release gw-2.14.1" in listed
    assert [block for block in message.blocks if block["type"] == "actions"]
    assert "meaning not checked" in json.dumps(message.blocks)


async def test_a_person_accepting_an_unchecked_suggestion_puts_it_in_as_theirs(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel
) -> None:
    async for played in play(people, sqlite_url, model):
        model.reply(good)
        model.fail_for("warroom_verdicts", 500)
        await played.resolve("Rolled back the gateway release")
        before = text_of(played.canvas())
        message = played.suggestions_message()
        summary = next(
            block for block in message.blocks if block.get("block_id", "").startswith("suggestion.")
        )
        suggestion_id = int(summary["block_id"].split(".")[1])
        await played.press(message, SuggestionMessage.ACCEPT, suggestion_id, CAROL)
        await settle(played.warroom)
        after = played.canvas()
    sentence = "Card payments failed after gateway release gw-2.14.1 broke card validation."
    assert sentence not in before
    assert sentence in text_of(after)
    assert f"_Suggested by {MODEL}, accepted by Carol Tanaka, March 14, 2025" in after


# -- item 3: durations proved from times ---------------------------------------------------------
def with_durations(request: ChatRequest) -> dict[str, Any]:
    """A true duration (the card failures from Carol's finding at 03:50 to Bob's rollback at
    04:10: 20 minutes) and a false one, citing the same two entries."""
    answer = good(request)
    bulb, fix = request.ref_of("gw-2.14.1 at 03:20"), request.ref_of("Rolling back")
    answer["summary"] = [
        {
            "text": "Card payments failed for 20 minutes, until rolling back gw-2.14.1.",
            "cites": [bulb, fix],
        },
        {
            "text": "Card payments failed for 55 minutes, until rolling back gw-2.14.1.",
            "cites": [bulb, fix],
        },
    ]
    return answer


def not_stated(request: ChatRequest) -> dict[str, Any]:
    """A verifier that cannot count: every sentence "not stated" (it finds no "20 minutes"
    in the words); the controls read right."""
    return {
        "verdicts": [
            verdict(number, "not_stated", refs[0], "")
            for number, (_, refs) in request.sentences.items()
        ]
    }


def clock_quoting(request: ChatRequest) -> dict[str, Any]:
    """A verifier that "supports" every duration with the time of an entry it cites."""
    said = []
    for number, (text, refs) in request.sentences.items():
        line = request.record_line(refs[-1])
        quote = line.time if "minutes" in text and line is not None else ""
        said.append(verdict(number, "supported", refs[-1], quote))
    return {"verdicts": said}


@pytest.mark.parametrize("verifier", ["not_stated", "500", "clock_quoting"])
async def test_a_duration_is_proved_by_the_times_of_its_entries(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, verifier: str
) -> None:
    async for played in play(people, sqlite_url, model):
        model.reply(with_durations)
        if verifier == "500":
            model.fail_for("warroom_verdicts", 500)
        else:
            chosen = not_stated if verifier == "not_stated" else clock_quoting
            model.verdicts(verifiers.reading_quotes(chosen))
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
    text = text_of(draft)
    assert "> Card payments failed for 20 minutes, until rolling back gw-2.14.1." in text
    assert "_— “03:50 UTC – 04:10 UTC” (" in text
    assert "55 minutes" not in text


# -- item 2: controls a model cannot tell from the real sentences --------------------------------
@pytest.mark.parametrize("adversary", ["agreeable", "old_shape", "unusual_citations", "twins"])
async def test_no_adversary_puts_an_untrue_sentence_in_the_text_as_checked(
    people: SlackEmulator, sqlite_url: str, model: FakeChatModel, adversary: str
) -> None:
    """Verifiers that answer by a sentence's form, not by the record (bot/admin/ai/
    adversaries.py): agreeing with everything; reading only the old control shape ("At 03:50
    UTC, Carol Tanaka wrote: “…”") right; refusing sentences whose citations are unusual;
    refusing every sentence with a near twin. The controls (each of the model's sentences
    changed by warroom to be false, citing as it does) are among the sentences they answer:
    none of them puts an untrue sentence in the draft's text, nor shows one as proved."""
    async for played in play(people, sqlite_url, model):
        model.reply(with_wrong_ones)
        model.verdicts(getattr(verifiers, adversary))
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
        asked = model.accepted[1]
    # One control a sentence, citing what it cites, in no shape of its own.
    real = verifiers.real_sentences(asked)
    controls = {n: each for n, each in asked.sentences.items() if n not in real}
    assert len(controls) == len(real) == 7
    assert sorted(refs for _, refs in controls.values()) == sorted(
        refs for _, refs in real.values()
    )
    assert not any(text.startswith("At ") for text, _ in controls.values())
    text = text_of(draft)
    assert [each for each in UNTRUE if each in text] == []
    assert "_— “" not in draft
