"""``warroom ai eval [--out FILE]``: the team's model measured before it is trusted with
drafts (README, "The postmortem draft").

For each replay shipped (bot/admin/ai/eval_set.py) it sends the model both requests a draft
makes: the record for the written sections (checked as a draft's are), then the labelled
sentences, after the mechanical checks, with the controls a draft's request carries
(bot/record/postmortem/controls.py), for its verdicts. It prints, per category, how many
sentences were kept (their meaning checked), left out, and shown with their meaning not
checked; the precision of what was kept (the share of kept sentences the record supports),
how many true sentences were kept, how the model did on the controls (sent, of which kinds) and
what they caught, each
request's latency and tokens; and exits 1 below the thresholds: precision
``MIN_PRECISION``, true sentences kept ``MIN_RECALL``, every control passed, every
sentence's meaning checked.

The controls are measured against verifiers that do not read the record (bot/admin/ai/
adversaries.py), computed without asking: for each, the untrue sentences kept as checked text
(which must be 0), the true ones kept, and the controls passed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.admin.ai.adversaries import ADVERSARIES, Line
from bot.admin.ai.eval_set import CATEGORIES, REPLAYS, Replay
from bot.admin.arguments import MIN_PRECISION, MIN_RECALL
from bot.admin.progress import Progress
from bot.basics.render import Renderer
from bot.clients.ai import (
    VERDICTS_FORMAT,
    VERDICTS_SCHEMA,
    ModelFailure,
    chat_request,
    complete,
    sections_in,
    verdicts_in,
)
from bot.config import Settings
from bot.config.ai import AISettings
from bot.flows.postmortem.verification import controlled_question, saying
from bot.record.postmortem.checks import check_sections
from bot.record.postmortem.controls import KINDS
from bot.record.postmortem.evidence import Evidence, record_lines
from bot.record.postmortem.language import Language
from bot.record.postmortem.suggestions import MAX_SENTENCES, Checked, Sentence
from bot.record.postmortem.verification import (
    CHECKED,
    NOT_CHECKED,
    Question,
    Verdict,
    failed_controls,
    judged,
    question_lines,
)

_SECTION = "labelled"


def run_ai(args: argparse.Namespace) -> int:
    """Run ``warroom ai``'s action; the exit code."""
    ai = Settings.from_env(os.environ).ai
    if not ai.enabled:
        print("warroom: ai eval: set WARROOM_AI_URL and WARROOM_AI_MODEL", file=sys.stderr)
        return 2
    return asyncio.run(_evaluate_all(ai, args.out))


async def _evaluate_all(ai: AISettings, out: Path | None) -> int:
    results: list[Result] = []
    progress = Progress("ai eval")
    async with aiohttp.ClientSession() as http:
        for number, replay in enumerate(REPLAYS, start=1):
            progress.step(number, len(REPLAYS), f"asking the model about {replay.reference}")
            results.append(await evaluate(http, ai, replay))
            if len(results) == 1 and (why := never_reached(results[0])):
                # No score is printed for a model that never answered: it would read as one.
                progress.end()
                print(f"warroom: ai eval: the model was not reached ({why})", file=sys.stderr)
                return 2
    progress.end()
    for result in results:
        print(result.table())
    failing = [problem for result in results for problem in result.problems()]
    if out is not None:
        out.write_text(json.dumps([result.figures() for result in results], indent=2) + "\n")
    if failing:
        print("below the thresholds: " + "; ".join(failing), file=sys.stderr)
        return 1
    return 0


# How a request fails when the model never answered it (bot/clients/ai.py's kinds).
NOT_REACHED = ("unreachable", "timeout", "redirected", "status")


def never_reached(result: Result) -> str | None:
    """Why neither of a replay's requests was answered (its first request's failure), or
    None when the model answered one of them: a wrong URL, key or model name, or a model
    down."""
    requests = (result.sections, result.verdicts)
    failures = [request.failure for request in requests]
    if any(failure is None for failure in failures):
        return None
    first = failures[0] or {}
    kind = first.get("kind")
    if kind not in NOT_REACHED:
        return None
    if kind == "status":
        return f"WARROOM_AI_URL answered HTTP {first.get('status')}"
    if kind == "timeout":
        return f"no answer within {first.get('seconds')} s"
    if kind == "redirected":
        return "WARROOM_AI_URL redirected elsewhere; not followed"
    return "no connection to WARROOM_AI_URL"


@dataclass
class Request:
    """How one request went: seconds, tokens (prompt, completion), and what failed."""

    seconds: float = 0.0
    tokens: tuple[int, int] = (0, 0)
    failure: Mapping[str, Any] | None = None

    def said(self) -> str:
        if self.failure is not None:
            return f"failed ({self.failure.get('kind')}) after {self.seconds:.2f} s"
        prompt, completion = self.tokens
        return f"{self.seconds:.2f} s, {prompt} prompt + {completion} completion tokens"


@dataclass
class Result:
    """One replay's figures."""

    replay: Replay
    model: str
    sections: Request = field(default_factory=Request)
    sections_kept: int = 0
    sections_left: int = 0
    verdicts: Request = field(default_factory=Request)
    # Per category: [sentences, kept (meaning checked), left out, meaning not checked (shown,
    # unproven)]; kept and true.
    counts: dict[str, list[int]] = field(default_factory=dict)
    kept_true: int = 0
    kept_false: list[str] = field(default_factory=list)
    true_left: list[str] = field(default_factory=list)
    controls: Controls = field(default_factory=lambda: Controls())
    # What verifiers that do not read the record get (bot/admin/ai/adversaries.py), by name.
    adversaries: dict[str, Controls] = field(default_factory=dict)
    # The controls sent, by kind (bot/record/postmortem/controls.py).
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        return sum(each[1] for each in self.counts.values())

    @property
    def precision(self) -> float:
        return self.kept_true / self.kept if self.kept else 0.0

    @property
    def recall(self) -> float:
        true = sum(1 for each in self.replay.sentences if each.true)
        return self.kept_true / true if true else 1.0

    @property
    def not_checked(self) -> int:
        return sum(each[3] for each in self.counts.values())

    def problems(self) -> list[str]:
        found = []
        if self.precision < MIN_PRECISION:
            found.append(f"{self.replay.name}: precision {self.precision:.2f} < {MIN_PRECISION}")
        if self.recall < MIN_RECALL:
            found.append(f"{self.replay.name}: true kept {self.recall:.2f} < {MIN_RECALL}")
        if self.controls.failed:
            found.append(
                f"{self.replay.name}: the model failed {self.controls.failed} of "
                f"{self.controls.sent} controls, its verdicts void"
            )
        if self.not_checked:
            found.append(f"{self.replay.name}: {self.not_checked} sentences' meaning not checked")
        return found

    def table(self) -> str:
        lines = [
            f"replay {self.replay.name} ({self.replay.reference} {self.replay.title}): "
            f"{len(self.replay.entries)} entries, {len(self.replay.sentences)} labelled "
            f"sentences, model {self.model}",
            f"  sections request: {self.sections.said()}; {self.sections_kept} sentences kept, "
            f"{self.sections_left} left out by the checks",
            f"  verdicts request: {self.verdicts.said()}",
            f"  {'category':<16} {'sentences':>9} {'kept':>5} {'left out':>9} {'not checked':>12}",
        ]
        for category in CATEGORIES:
            total, kept, left, unchecked = self.counts.get(category, [0, 0, 0, 0])
            lines.append(f"  {category:<16} {total:>9} {kept:>5} {left:>9} {unchecked:>12}")
        lines.append(
            f"  precision of what was kept: {self.precision:.2f} ({self.kept_true} of "
            f"{self.kept} kept are true); true sentences kept: {self.recall:.2f}"
        )
        kinds = ", ".join(f"{kind} {self.kinds.get(kind, 0)}" for kind in KINDS)
        lines.append(f"  controls sent, by kind: {kinds}")
        lines.append(f"  controls, this model: {self.controls.said()}")
        for name, (label, _) in ADVERSARIES.items():
            if name in self.adversaries:
                lines.append(f"  controls, {label}: {self.adversaries[name].said()}")
        lines += [f"  kept, though not true: {text}" for text in self.kept_false]
        lines += [f"  left out, though true: {text}" for text in self.true_left]
        return "\n".join(lines)

    def figures(self) -> dict[str, Any]:
        return {
            "replay": self.replay.name,
            "model": self.model,
            "categories": {
                name: dict(
                    zip(("sentences", "kept", "left_out", "not_checked"), counts, strict=True)
                )
                for name, counts in self.counts.items()
            },
            "precision": self.precision,
            "true_kept": self.recall,
            "requests": {
                "sections": {"seconds": self.sections.seconds, "tokens": self.sections.tokens},
                "verdicts": {"seconds": self.verdicts.seconds, "tokens": self.verdicts.tokens},
            },
            "controls": self.controls.figures(),
            "control_kinds": dict(self.kinds),
            "agreeable": self.adversaries["agreeable"].figures() if self.adversaries else {},
            "adversaries": {name: each.figures() for name, each in self.adversaries.items()},
            "kept_not_true": self.kept_false,
            "left_out_true": self.true_left,
        }


@dataclass
class Controls:
    """How a verifier did on a request's controls, and what they caught: the untrue
    sentences its verdicts would have kept without them (``would_keep``) and with them
    (``kept``)."""

    sent: int = 0
    failed: int = 0
    would_keep: int = 0
    kept: int = 0
    true_kept: int = 0
    true: int = 0

    @property
    def catch_rate(self) -> float | None:
        """The share of the untrue sentences it would have kept that the controls kept out
        (None: it would have kept none)."""
        if not self.would_keep:
            return None
        return (self.would_keep - self.kept) / self.would_keep

    def said(self) -> str:
        rate = self.catch_rate
        caught = "nothing untrue to catch" if rate is None else f"catch rate {rate:.2f}"
        outcome = "verdicts void" if self.failed else "passed"
        return (
            f"{self.sent} sent, {self.sent - self.failed} passed, {self.failed} failed "
            f"({outcome}); untrue kept as checked text: {self.kept} ({self.would_keep} "
            f"without the controls, {caught}); true kept: {self.true_kept} of {self.true}"
        )

    def figures(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "untrue_kept_without_controls": self.would_keep,
            "untrue_kept": self.kept,
            "catch_rate": self.catch_rate,
            "true_kept": self.true_kept,
            "true": self.true,
        }


def evidence_of_replay(replay: Replay) -> dict[str, Evidence]:
    """The replay's entries as the checks and the model read them (in its zone)."""
    zone = ZoneInfo(replay.zone)
    start = datetime.fromisoformat(replay.start).astimezone(zone)
    found = {}
    for entry in replay.entries:
        people = {entry.author} | {
            name for name in replay.people if name.split()[0] in entry.text or name in entry.text
        }
        found[entry.ref] = Evidence(
            ref=entry.ref,
            kind=entry.kind,
            at=(start + timedelta(minutes=entry.minute)).astimezone(zone),
            author=entry.author,
            text=entry.text,
            people=frozenset(people),
            link=None,
        )
    return found


@dataclass(frozen=True)
class Replayed:
    """What both requests over one replay read: its record, its language, its incident."""

    replay: Replay
    renderer: Renderer
    language: Language
    evidence: dict[str, Evidence]
    incident: SimpleNamespace

    @classmethod
    def of(cls, replay: Replay) -> Replayed:
        """The replay read as both requests read it (in its zone, its incident a SEV2)."""
        renderer = Renderer()
        return cls(
            replay,
            renderer,
            Language.load(postmortem_templates_dir(renderer)),
            evidence_of_replay(replay),
            SimpleNamespace(
                reference=replay.reference,
                title=replay.title,
                severity="SEV2",
                timezone=replay.zone,
            ),
        )

    def check(self, sections: Mapping[str, list[Sentence]]) -> dict[str, Checked]:
        """The mechanical checks a draft's sections get, over this replay's record."""
        return check_sections(
            sections,
            self.evidence,
            zone=ZoneInfo(self.replay.zone),
            language=self.language,
            people=self.replay.people,
            metrics=self.replay.metrics,
        )


async def evaluate(http: aiohttp.ClientSession, ai: AISettings, replay: Replay) -> Result:
    """Both requests over one replay, and its figures."""
    replayed = Replayed.of(replay)
    result = Result(replay, ai.model)
    await _ask_sections(http, ai, replayed, result)
    checked, question = _labelled_question(replayed)
    result.kinds = dict(Counter(control.kind for _, control in question.controls))
    verdicts = await _ask_verdicts(http, ai, replayed, question, result) if question.asked else []
    evidence = replayed.evidence
    final = judged(checked, evidence, verdicts, failure=result.verdicts.failure, question=question)
    _count(result, _merged(final))
    if verdicts is not None:
        result.controls = _controls(result.replay, checked, evidence, question, verdicts)
    read, record = _as_read(question, evidence)
    for name, (_, adversary) in ADVERSARIES.items():
        said = [_verdict(each) for each in adversary(read, record)]
        result.adversaries[name] = _controls(result.replay, checked, evidence, question, said)
    return result


async def _ask_sections(
    http: aiohttp.ClientSession, ai: AISettings, replayed: Replayed, result: Result
) -> None:
    """The first request: the written sections, from the record, checked as a draft's are;
    how many each check kept and left in ``result``."""
    renderer = replayed.renderer
    context: dict[str, Any] = {
        "incident": replayed.incident,
        "language": replayed.language.code,
        "left_out": 0,
        "lines": record_lines(replayed.evidence.values(), dated=False),
    }
    body = chat_request(
        ai.model,
        renderer.render_plain("ai/instructions.j2", **context),
        renderer.render_plain("ai/record.j2", **context),
    )
    answer, result.sections = await _timed(http, ai, body)
    if answer is None:
        return
    try:
        written = replayed.check(sections_in(answer))
        result.sections_kept = sum(len(each.kept) for each in written.values())
        result.sections_left = sum(len(each.unsupported) for each in written.values())
    except ModelFailure as failure:
        result.sections.failure = dict(failure.reason)


def _labelled_question(replayed: Replayed) -> tuple[dict[str, Checked], Question]:
    """The labelled sentences after the mechanical checks, and the question that asks the
    model for their verdicts, controls among them."""
    labelled = [Sentence(each.text, each.cites) for each in replayed.replay.sentences]
    # A section keeps MAX_SENTENCES: the set is sent as sections of that many.
    checked = replayed.check(
        {
            f"{_SECTION}{start}": labelled[start : start + MAX_SENTENCES]
            for start in range(0, len(labelled), MAX_SENTENCES)
        }
    )
    question = controlled_question(
        checked,
        replayed.evidence,
        saying(replayed.renderer, replayed.language.code),
        random.SystemRandom(),
        language=replayed.language.code,
    )
    return checked, question


async def _ask_verdicts(
    http: aiohttp.ClientSession,
    ai: AISettings,
    replayed: Replayed,
    question: Question,
    result: Result,
) -> list[Verdict] | None:
    """The second request: the model's verdicts on the question's sentences; None (the
    failure in ``result``) when it gave none that can be read."""
    renderer, incident = replayed.renderer, replayed.incident
    lines = question_lines(question, replayed.evidence)
    body = chat_request(
        ai.model,
        renderer.render_plain("ai/verify_instructions.j2", incident=incident),
        renderer.render_plain("ai/verify_sentences.j2", incident=incident, sentences=lines),
        name=VERDICTS_FORMAT,
        schema=VERDICTS_SCHEMA,
    )
    answer, result.verdicts = await _timed(http, ai, body)
    if answer is None:
        return None
    try:
        return verdicts_in(answer)
    except ModelFailure as failure:
        result.verdicts.failure = dict(failure.reason)
        return None


def _as_read(
    question: Question, evidence: Mapping[str, Evidence]
) -> tuple[dict[int, tuple[str, tuple[str, ...]]], dict[str, Line]]:
    """What a verifier reads of the request: the sentences by number, and the record lines."""
    asked = {each.number: (each.sentence.text, each.sentence.cites) for each in question.asked}
    asked |= {number: (control.text, control.cites) for number, control in question.controls}
    lines = {
        ref: Line(
            f"{each.at:%H:%M}", each.kind.replace("_", " "), each.author or "warroom", each.text
        )
        for ref, each in evidence.items()
    }
    return dict(sorted(asked.items())), lines


def _verdict(said: Mapping[str, object]) -> Verdict:
    return Verdict(
        int(str(said["sentence"])), str(said["verdict"]), str(said["entry"]), str(said["quote"])
    )


def _controls(
    replay: Replay,
    checked: Mapping[str, Checked],
    evidence: Mapping[str, Evidence],
    question: Question,
    verdicts: list[Verdict],
) -> Controls:
    """How ``verdicts`` did on the controls, and the untrue sentences they keep with the
    controls and without them."""
    untrue = {each.text for each in replay.sentences if not each.true}

    def kept(asked: Question, *, controlled: bool = True) -> tuple[int, int]:
        final = _merged(judged(checked, evidence, verdicts, question=asked, controlled=controlled))
        checked_texts = [
            sentence.text
            for sentence in final.kept
            if (sentence.meaning or {}).get("state") == CHECKED
        ]
        wrong = sum(1 for text in checked_texts if text in untrue)
        return wrong, len(checked_texts) - wrong

    untrue_kept, true_kept = kept(question)
    return Controls(
        sent=len(question.controls),
        failed=sum(failed_controls(question, verdicts).values()),
        would_keep=kept(Question(question.asked), controlled=False)[0],
        kept=untrue_kept,
        true_kept=true_kept,
        true=sum(1 for each in replay.sentences if each.true),
    )


def _merged(final: Mapping[str, Checked]) -> Checked:
    return Checked(
        tuple(sentence for each in final.values() for sentence in each.kept),
        tuple(left for each in final.values() for left in each.unsupported),
    )


def _count(result: Result, checked: Checked) -> None:
    """Each labelled sentence's fate, by category (a replay's texts are unique)."""
    label = {each.text: each for each in result.replay.sentences}
    result.counts = {category: [0, 0, 0, 0] for category in CATEGORIES}
    for each in result.replay.sentences:
        result.counts[each.category][0] += 1
    for sentence in checked.kept:
        each = label[sentence.text]
        counts = result.counts[each.category]
        # Shown unproven, not kept: a sentence whose meaning no verdict checked.
        if (sentence.meaning or {}).get("state", NOT_CHECKED) != CHECKED:
            counts[3] += 1
            continue
        counts[1] += 1
        if each.true:
            result.kept_true += 1
        else:
            result.kept_false.append(each.text)
    for left in checked.unsupported:
        each = label[left.sentence.text]
        result.counts[each.category][2] += 1
        if each.true:
            result.true_left.append(f"{each.text} ({left.why[0].get('rule')})")


async def _timed(
    http: aiohttp.ClientSession, ai: AISettings, body: dict[str, Any]
) -> tuple[Any, Request]:
    """The 200 answer's body (None when it failed), and how the request went."""
    started = time.monotonic()
    try:
        answer = await complete(http, ai, body, ai.timeout)
    except ModelFailure as failure:
        return None, Request(time.monotonic() - started, failure=dict(failure.reason))
    seconds = time.monotonic() - started
    usage = answer.get("usage") if isinstance(answer, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    tokens = (int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
    return answer, Request(seconds, tokens)


def postmortem_templates_dir(renderer: Renderer) -> Path:
    found = renderer.find_dir("postmortem/en")
    assert found is not None, "the built-in templates hold postmortem/en"
    return found
