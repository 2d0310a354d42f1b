"""``warroom ai eval --replay [--minutes 0,15,30,60]``: the team's model measured on causes
before it is trusted with them (docs/agents.md).

Each shipped replay (bot/admin/ai/eval_set.py ``CAUSE_REPLAYS``: the seeds, each with the change
that set it off) is played with only what was known at its declaration plus N minutes (its
entries up to then, and the change events before it), and the model asked for possible causes
as an open incident asks (bot/flows/incident/causes.py): the same request, the same checks,
facts then meaning with the controls. The causes that pass are graded by the labels the
replay carries (its causing change and what it did: ``CauseReplay.grade``), never by a
model, so a model cannot grade itself right. It prints, per replay and cut-off, the causes
proposed, proved and their grades, then the share of the cut-offs whose proved causes were
graded 100 % or 65 %, the cut-offs with a right cause among all answered, the abstentions (no
cause proved: the model said none, or none held) and the median time to the first right
cause over the replays, and, per what the causes' message shows beside a cause (supported by
two or more entries and none contradicting it, by one, contradicted), the share of the causes
shown so that were right: what each means, measured; it exits 1 when fewer than ``MIN_RIGHT``
of the cut-offs had a right cause.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.admin.ai.ai_eval import Replayed
from bot.admin.ai.eval_set import CAUSE_REPLAYS, CauseReplay
from bot.admin.progress import Progress
from bot.basics.render import Renderer
from bot.clients.ai import (
    CAUSES_FORMAT,
    CAUSES_SCHEMA,
    GRADES_FORMAT,
    GRADES_SCHEMA,
    VERDICTS_FORMAT,
    VERDICTS_SCHEMA,
    ModelFailure,
    causes_in,
    chat_request,
    complete,
    grades_in,
    verdicts_in,
)
from bot.config.ai import AISettings
from bot.flows.postmortem.verification import controlled_question, saying
from bot.record.postmortem.causes import (
    CONTRADICTED,
    MAX_CAUSES,
    ONE,
    SEVERAL,
    STANDINGS,
    held_by,
    standing,
)
from bot.record.postmortem.evidence import record_lines, spans_days
from bot.record.postmortem.grades import RIGHT
from bot.record.postmortem.suggestions import Sentence
from bot.record.postmortem.verification import (
    CHECKED,
    Question,
    Verdict,
    judged,
    question_lines,
)

DEFAULT_MINUTES = (0, 15, 30, 60)
# The share of the seeds' cut-offs (those the model answered) that must hold a right cause: at
# 0 minutes each seed's record already holds its causing change.
MIN_RIGHT = 0.5
SEEDS_SAID = "the shipped seeds"


@dataclass
class Cut:
    """One replay at one cut-off: the causes the model proposed, those proved, each one's
    grade, and why there is none (a failure of the model's)."""

    minutes: int
    proposed: int = 0
    proved: list[str] = field(default_factory=list)
    grades: list[int] = field(default_factory=list)
    # What the message would show beside each proved cause (bot/record/postmortem/causes.py
    # ``standing``): the figures say how often a cause shown so was right.
    standings: list[str] = field(default_factory=list)
    failure: str | None = None

    @property
    def right(self) -> bool:
        return any(grade >= RIGHT for grade in self.grades)

    @property
    def abstained(self) -> bool:
        return self.failure is None and not self.proved

    def said(self) -> str:
        if self.failure is not None:
            return f"failed: {self.failure}"
        if not self.proved:
            return f"abstained ({self.proposed} proposed, none proved)"
        graded = ", ".join(f"{grade} %" for grade in self.grades) or "not graded"
        return f"{self.proposed} proposed, {len(self.proved)} proved, graded {graded}"


@dataclass
class Played:
    """A replay's cut-offs (``private``: an incident whose causes' words are not printed)."""

    name: str
    cuts: list[Cut]
    private: bool = False

    @property
    def first_right(self) -> int | None:
        """The first cut-off (minutes after the declaration) with a right cause proved."""
        return next((cut.minutes for cut in self.cuts if cut.right), None)


async def replay_all(ai: AISettings, minutes: Sequence[int], out: Path | None) -> int:
    """Play every shipped replay at every cut-off; print the table; the exit code (2: the
    model was never reached; 1: too few right causes)."""
    async with aiohttp.ClientSession() as http:
        played = await play_seeds(http, ai, minutes)
    if why := never_reached(played):
        print(f"warroom: ai eval --replay: the model was not reached ({why})", file=sys.stderr)
        return 2
    print(table(played, ai.model))
    if out is not None:
        out.write_text(json.dumps(figures(played), indent=2) + "\n")
    return 1 if too_few_right(played, ai.model) else 0


def too_few_right(played: Sequence[Played], model: str) -> bool:
    """Whether the seeds' cut-offs held too few right causes (said on stderr when so)."""
    summary = Summary.of(played)
    if summary.right_of_all >= MIN_RIGHT:
        return False
    print(
        f"warroom: ai eval --replay: model {model} proposed a right cause at "
        f"{summary.right} of {summary.cuts - summary.failures} cut-offs of the shipped seeds, "
        f"under {MIN_RIGHT:.0%}",
        file=sys.stderr,
    )
    return True


async def play_seeds(
    http: aiohttp.ClientSession, ai: AISettings, minutes: Sequence[int]
) -> list[Played]:
    """Every shipped replay at every cut-off."""
    played: list[Played] = []
    progress = Progress(f"ai eval --replay ({ai.model})")
    total = len(CAUSE_REPLAYS) * len(minutes)
    for seed in CAUSE_REPLAYS:
        cuts: list[Cut] = []
        for minute in minutes:
            progress.step(
                len(played) * len(minutes) + len(cuts) + 1,
                total,
                f"{seed.replay.name} at +{minute} min",
            )
            cuts.append(await play_cut(http, ai, seed, minute))
        played.append(Played(seed.replay.name, cuts))
    progress.end()
    return played


def never_reached(played: Sequence[Played]) -> str | None:
    """Why no cut-off was answered (the first one's failure), or None when one was."""
    cuts = [cut for each in played for cut in each.cuts]
    if not cuts or any(cut.failure is None for cut in cuts):
        return None
    return cuts[0].failure


def table(played: Sequence[Played], model: str, what: str = SEEDS_SAID) -> str:
    """What the command prints: each replay's cut-offs, then the summary."""
    # The seeds' causes are graded by their labels; the team's by the model against the root
    # cause a person wrote or marked (bot/admin/ai/ai_replay_incidents.py), which no label holds.
    graded = (
        "graded by the seeds' labels (the causing change and what it did), not by a model"
        if what == SEEDS_SAID
        else "graded by the model against the root cause people wrote (no labels)"
    )
    lines = [f"{what}: causes replayed against model {model}, {graded}"]
    for each in played:
        lines.append(f"replay {each.name}:")
        lines += [f"  +{cut.minutes:>3} min  {cut.said()}" for cut in each.cuts]
    summary = Summary.of(played)
    lines.append(
        f"graded 100 % or 65 %: {summary.share_said} of the cut-offs with a proved cause "
        f"({summary.right} of {summary.answered}); abstentions: {summary.abstentions} of "
        f"{summary.cuts}; failures: {summary.failures}; median time to the first right cause: "
        f"{summary.median_said}"
    )
    if what == SEEDS_SAID:  # labels measure what each standing means; a model's grades do not
        lines.append(calibration(played))
    return "\n".join(lines)


# What the message shows beside a cause at each standing, as the table says it.
STANDING_SAID = {
    SEVERAL: "supported by 2 or more entries, no entry contradicts it",
    ONE: "supported by 1 entry, no entry contradicts it",
    CONTRADICTED: "contradicted by an entry",
}


def shown_right(played: Sequence[Played]) -> dict[str, tuple[int, int]]:
    """Per standing (what the message shows beside a cause), the causes proved so and how
    many of them were right (graded 100 % or 65 % by the labels)."""
    found = dict.fromkeys(STANDINGS, (0, 0))
    for cut in (cut for each in played for cut in each.cuts):
        for said, grade in zip(cut.standings, cut.grades, strict=False):
            shown, right = found[said]
            found[said] = (shown + 1, right + (grade >= RIGHT))
    return found


def calibration(played: Sequence[Played]) -> str:
    """The share of the causes shown at each standing that were right: what each means."""
    said = []
    for standing_, (shown, right) in shown_right(played).items():
        share = f"{right / shown:.0%} right ({right} of {shown})" if shown else "none shown"
        said.append(f"  {STANDING_SAID[standing_]}: {share}")
    return "\n".join(["what the message shows beside a cause, and how often it was right:", *said])


@dataclass(frozen=True)
class Summary:
    """The figures over every replay."""

    cuts: int
    answered: int
    right: int
    abstentions: int
    failures: int
    median: float | None

    @classmethod
    def of(cls, played: Sequence[Played]) -> Summary:
        cuts = [cut for each in played for cut in each.cuts]
        firsts = [each.first_right for each in played]
        found = [float(first) for first in firsts if first is not None]
        # A replay never right has no time: the median is of those that were, said as such.
        return cls(
            cuts=len(cuts),
            answered=sum(1 for cut in cuts if cut.proved),
            right=sum(1 for cut in cuts if cut.right),
            abstentions=sum(1 for cut in cuts if cut.abstained),
            failures=sum(1 for cut in cuts if cut.failure is not None),
            median=statistics.median(found) if found else None,
        )

    @property
    def right_of_all(self) -> float:
        """The cut-offs with a right cause among those the model answered (abstentions
        included: a model that never commits is never right)."""
        answered = self.cuts - self.failures
        return self.right / answered if answered else 0.0

    @property
    def share_said(self) -> str:
        return f"{self.right / self.answered:.0%}" if self.answered else "n/a"

    @property
    def median_said(self) -> str:
        return "never" if self.median is None else f"{self.median:g} min"


def figures(played: Sequence[Played]) -> dict[str, Any]:
    """The figures, for ``--out``'s JSON (a private incident's causes counted, not said)."""
    summary = Summary.of(played)
    return {
        "replays": [
            {
                "replay": each.name,
                "first_right_minutes": each.first_right,
                "cuts": [
                    {
                        "minutes": cut.minutes,
                        "proposed": cut.proposed,
                        "proved": len(cut.proved) if each.private else cut.proved,
                        "grades": cut.grades,
                        "standings": cut.standings,
                        "failure": cut.failure,
                    }
                    for cut in each.cuts
                ],
            }
            for each in played
        ],
        "right": summary.right,
        "answered": summary.answered,
        "abstentions": summary.abstentions,
        "median_minutes_to_first_right": summary.median,
        "shown_right": {
            standing_: {"shown": shown, "right": right}
            for standing_, (shown, right) in shown_right(played).items()
        },
    }


async def play_cut(
    http: aiohttp.ClientSession, ai: AISettings, seed: CauseReplay, minutes: int
) -> Cut:
    """The replay with what was known ``minutes`` after its declaration: causes asked,
    checked, verified and graded."""
    replay = replace(
        seed.replay,
        entries=(seed.change, *(e for e in seed.replay.entries if 0 <= e.minute <= minutes)),
    )
    replayed = Replayed.of(replay)
    evidence = replayed.evidence
    cut = Cut(minutes)
    try:
        proposed = await _ask_causes(http, ai, replayed)
    except ModelFailure as refused:
        cut.failure = str(refused.reason.get("kind"))
        return cut
    cut.proposed = len(proposed)
    checked = replayed.check({"causes": proposed})
    question = controlled_question(
        checked,
        evidence,
        saying(replayed.renderer, replayed.language.code),
        random.SystemRandom(),
    )
    verdicts, failure = await _ask_verdicts(http, ai, replayed, question)
    final = judged(
        checked, evidence, None if failure else verdicts, failure=failure, question=question
    )
    kept = [each for each in final["causes"].kept if (each.meaning or {}).get("state") == CHECKED]
    cut.proved = [each.text for each in kept]
    cut.grades = [seed.grade(each.text, each.cites) for each in kept]
    cut.standings = [standing(held_by(each, evidence)) for each in kept]
    return cut


async def _ask_causes(
    http: aiohttp.ClientSession, ai: AISettings, replayed: Replayed
) -> list[Sentence]:
    """The causes the model proposes from the record as it stood (at most MAX_CAUSES);
    ModelFailure when it proposes none that can be read."""
    ordered = sorted(replayed.evidence.values(), key=lambda each: (each.at, each.ref))
    context: dict[str, Any] = {"incident": replayed.incident, "left_out": 0, "most": MAX_CAUSES}
    context["lines"] = record_lines(ordered, dated=spans_days(ordered))
    answer = await _ask(
        http,
        ai,
        replayed.renderer.render_plain("ai/causes_instructions.j2", **context),
        replayed.renderer.render_plain("ai/record.j2", **context),
        CAUSES_FORMAT,
        CAUSES_SCHEMA,
    )
    return causes_in(answer)[:MAX_CAUSES]


async def _ask_verdicts(
    http: aiohttp.ClientSession, ai: AISettings, replayed: Replayed, question: Question
) -> tuple[list[Verdict], dict[str, Any] | None]:
    """The model's verdicts on the question's sentences (none when nothing is asked), and
    its failure when it gave none that can be read."""
    if not question.asked:
        return [], None
    renderer, incident = replayed.renderer, replayed.incident
    lines = question_lines(question, replayed.evidence)
    try:
        answer = await _ask(
            http,
            ai,
            renderer.render_plain("ai/verify_instructions.j2", incident=incident),
            renderer.render_plain("ai/verify_sentences.j2", incident=incident, sentences=lines),
            VERDICTS_FORMAT,
            VERDICTS_SCHEMA,
        )
        return verdicts_in(answer), None
    except ModelFailure as error:
        return [], dict(error.reason)


async def grades_of(
    http: aiohttp.ClientSession,
    ai: AISettings,
    renderer: Renderer,
    incident: Any,
    root: str,
    proved: Sequence[str],
) -> list[int]:
    """The grade of each proved cause against the root cause (0 for one the model did not
    grade: a cause nobody showed right is not counted right)."""
    proposals = [SimpleNamespace(text=text) for text in proved]
    try:
        graded = grades_in(
            await _ask(
                http,
                ai,
                renderer.render_plain("ai/grade_instructions.j2", incident=incident),
                renderer.render_plain("ai/grade_proposals.j2", root=root, proposals=proposals),
                GRADES_FORMAT,
                GRADES_SCHEMA,
            )
        )
    except ModelFailure:
        return []
    return [graded.get(number, (0, ""))[0] for number in range(1, len(proved) + 1)]


async def _ask(
    http: aiohttp.ClientSession,
    ai: AISettings,
    instructions: str,
    user: str,
    name: str,
    schema: Any,
) -> Any:
    body = chat_request(ai.model, instructions, user, name=name, schema=schema)
    return await complete(http, ai, body, ai.timeout)


def minutes_of(text: str) -> list[int]:
    """``0,15,30,60``: the cut-offs in minutes after the declaration, ascending."""
    try:
        found = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"expected minutes like 0,15,30,60, got {text[:40]!r}") from None
    if not found or found[0] < 0 or found[-1] > 24 * 60:
        raise ValueError("minutes from 0 to 1440")
    return found
