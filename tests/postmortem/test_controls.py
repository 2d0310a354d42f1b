"""Issue 86, item 2: controls a model cannot tell from the real sentences. Each control is one
of the draft's own sentences changed in one checkable way (another time, another person, a
wrong count, another cause, a negation), citing what it cites; one a sentence, every kind the
sentences allow. A request from which no control can be made (a record too small) keeps no
sentence as checked, and says so in words.

Over the labelled replays ``warroom ai eval`` ships (bot/admin/ai/eval_set.py), read as the checks
read them: what a model is sent, and what the draft's words say.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.admin.ai.ai_eval import evidence_of_replay
from bot.admin.ai.eval_set import REPLAYS, Replay
from bot.basics.render import Renderer
from bot.flows.postmortem.verification import controlled_question, saying
from bot.record.postmortem.controls import (
    CAUSE,
    COUNT,
    KINDS,
    NEGATION,
    PERSON,
    TIME,
    Real,
    Say,
    controls_of,
    negated,
)
from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.language import Language
from bot.record.postmortem.suggestions import Checked, Sentence
from bot.record.postmortem.verification import (
    CHECKED,
    NOT_CHECKED,
    SUPPORTED,
    Verdict,
    failed_controls,
    judged,
)

_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.:])\d+(?![\w:])")


def _say() -> Say:
    return saying(Renderer(), "en")


@pytest.mark.parametrize("replay", REPLAYS, ids=lambda replay: replay.name)
def test_each_sentence_gets_a_control_changed_in_one_checkable_way(replay: Replay) -> None:
    evidence = evidence_of_replay(replay)
    real = [Real(each.text, each.cites) for each in replay.sentences]
    controls = controls_of(real, evidence, _say(), random.Random(7))
    # One a sentence (each allows one), each citing what its sentence cites.
    assert len(controls) == len(real)
    bases = {each.text: each for each in real}
    assert all(control.cites == bases[control.base].cites for control in controls)
    assert len({control.base for control in controls}) == len(controls)
    # Every kind, the least used first.
    kinds = Counter(control.kind for control in controls)
    assert set(kinds) == set(KINDS), kinds
    for control in controls:
        cited = [evidence[ref] for ref in control.cites]
        said = " ".join(each.text for each in cited)
        at = {f"{each.at:%H:%M}" for each in cited}
        added = set(control.text.split()) - set(control.base.split())
        assert control.text != control.base
        if control.kind == TIME:
            moved = set(_CLOCK.findall(control.text)) - set(_CLOCK.findall(control.base))
            assert moved and not any(each.zfill(5) in at or each in said for each in moved)
        elif control.kind == COUNT:
            numbers = set(_NUMBER.findall(control.text)) - set(_NUMBER.findall(control.base))
            assert numbers and not any(re.search(rf"\b{n}\b", said) for n in numbers), control
        elif control.kind == PERSON:
            assert added and not any(word in said for word in added), control
            assert not any(word in {e.author for e in cited} for word in added)
        elif control.kind == CAUSE:
            assert control.text.startswith(control.base.rstrip("."))
            assert ", because " in control.text
        else:
            assert control.kind == NEGATION
            assert negated(control.text) == control.base


def test_a_negation_said_either_way() -> None:
    assert negated("The rollback was finished.") == "The rollback was not finished."
    assert negated("The error rate did not go back to baseline.") == (
        "The error rate did go back to baseline."
    )
    assert negated("It wasn't the database.") == "It was the database."
    assert negated("Checkout never recovered.") is None  # already negated: no auxiliary to turn
    assert negated("Le déploiement a cassé la validation.", "fr") == (
        "Le déploiement n'a pas cassé la validation."
    )


def _tiny() -> dict[str, Evidence]:
    at = datetime(2025, 3, 14, 3, 20, tzinfo=UTC)
    return {
        "E1": Evidence(
            ref="E1",
            kind="detection",
            at=at,
            author="Alertmanager",
            text="Checkout failing",
            people=frozenset({"Alertmanager"}),
            link=None,
        )
    }


def test_a_record_too_small_for_a_control_keeps_nothing_as_checked_and_says_why() -> None:
    """One entry, one sentence with no time, person, number or verb to turn, and no other
    entry to give as its cause: no control can be made; a model's verdict "supported" keeps
    it, but not as checked, and the draft says why in words, in English and French."""
    evidence = _tiny()
    checked = {"summary": Checked((Sentence("Checkout failing.", ("E1",)),))}
    question = controlled_question(checked, evidence, _say(), random.Random(1))
    assert question.asked and not question.controls
    verdicts = [Verdict(1, SUPPORTED, "E1", "Checkout failing")]
    final = judged(checked, evidence, verdicts, question=question)
    [kept] = final["summary"].kept
    assert kept.meaning == {"state": NOT_CHECKED, "why": {"kind": "no_controls"}}
    for code, words in (("en", "no control could be made"), ("fr", "aucun contrôle n'a pu")):
        directory = Renderer().find_dir(f"postmortem/{code}")
        assert directory is not None
        catalog = Language.load(directory).catalog
        assert str(catalog["not_checked"]["no_controls"]).startswith(words)


def test_a_model_supporting_a_sentence_and_its_negation_fails_and_one_of_them_alone_passes() -> (
    None
):
    """A negation is false when its sentence is true: supporting both is wrong about one;
    supporting the negation alone (its sentence was false) is a truthful answer."""
    [replay] = [each for each in REPLAYS if each.name == "demo"]
    evidence = evidence_of_replay(replay)
    sentence = next(
        Sentence(each.text, each.cites)
        for each in replay.sentences
        if each.text == "The gateway release was rolled back."
    )
    checked = {"resolution": Checked((sentence,))}
    for seed in range(40):
        question = controlled_question(checked, evidence, _say(), random.Random(seed))
        if question.controls and question.controls[0][1].kind == NEGATION:
            break
    else:
        pytest.skip("no negation drawn")  # pragma: no cover
    [(number, _)] = question.controls
    [asked] = question.asked
    text = evidence[sentence.cites[0]].text
    both = [Verdict(n, SUPPORTED, sentence.cites[0], text) for n in (number, asked.number)]
    assert failed_controls(question, both) == {"false_supported": 1}
    alone = [Verdict(number, SUPPORTED, sentence.cites[0], text)]
    assert failed_controls(question, alone) == {}
    final = judged(checked, evidence, both, question=question)
    assert all((each.meaning or {}).get("state") != CHECKED for each in final["resolution"].kept)
