"""The demo's model (emulator/openai_chat.py's fake, bot/admin/demo/demo.py plays it): what it
answers when asked for the draft's sections, whether each sentence is stated by the entries it
cites, and whether a follow-up just noted is an open one, each as a model reading the record
would.
"""

from __future__ import annotations

import re
from typing import Any

from bot.admin.demo.demo_agent import PROPOSED
from bot.admin.demo.demo_script import Story
from bot.clients.follow_up_model import FORMAT_NAME as SAME_TASK
from emulator.openai_chat import ChatRequest, FakeChatModel

# The same-task question's user message: each open task "[T1] …", then the new one "[NEW] …"
# (templates/ai/same_task_tasks.j2); it is asked at most once per follow-up the story notes.
_TASK_LINE = re.compile(r"^\[(T\d+|NEW)\] (.+)$", re.MULTILINE)
SAME_TASK_QUESTIONS = 4


def script_the_model(model: FakeChatModel, story: Story) -> None:
    """Give the fake model its answers for the whole story: the draft's sections, the meaning
    checks, and the same-task questions."""
    model.reply(lambda request: demo_suggestions(request, story))
    # Twice: the model's own suggestions, then the agent's proposal (bot/admin/demo/demo_agent.py),
    # each sentence's meaning checked by the model against the words it cites.
    model.verdicts(demo_verdicts, times=2)
    # Whether a follow-up just noted is an open one (at most once per follow-up the story
    # notes), answered as a model reading the tasks would: unscripted, the fake names the first.
    model.reply(demo_same_task, times=SAME_TASK_QUESTIONS, to=SAME_TASK)


def demo_suggestions(request: ChatRequest, story: Story) -> dict[str, Any]:
    """What the demo's model answers: sentences that cite the record, and one that states
    what no entry it cites holds (the draft lists it under "Not supported by the record");
    the release's time as the record says it (``story``)."""
    impact = request.ref_of("About 20% of checkouts fail")
    idea, dead_end = request.ref_of("Slow queries"), request.ref_of("Database is healthy")
    finding, cause = request.ref_of("changed card type validation"), request.ref_of("did not list")
    rollback, follow_up = request.ref_of("Rolling back"), request.ref_of("integration test")

    def said(text: str, *cites: str) -> dict[str, Any]:
        return {"text": text, "cites": list(cites)}

    return {
        "summary": [
            said("About 20% of checkouts failed with a card error.", impact),
            said(
                story.tell(
                    "The payment gateway release at {release} changed card type validation."
                ),
                finding,
            ),
            said("Dave suspected the orders database first; it was a dead end.", idea, dead_end),
            said("Rolling back the payment gateway release ended the errors.", rollback),
        ],
        "underlying_issue": [
            said(
                story.tell("The {release} gateway release rejected card types it did not list."),
                cause,
            ),
            # Wrong in meaning, every fact in order: the model, asked again, says so.
            said("The orders database was overloaded, which slowed checkout.", dead_end),
        ],
        "resolution": [
            said("Alice rolled back the payment gateway release.", rollback),
            said("The rollback took 5 minutes.", rollback),
        ],
        "lessons": [said("Test every supported card type before a gateway release.", follow_up)],
    }


def demo_same_task(request: ChatRequest) -> dict[str, Any]:
    """What the demo's model answers when asked whether the new follow-up (``[NEW]``) is one
    of the incident's open ones (``[T1]``…): the open task that asks for the same work, read
    as at least half of the two tasks' words (of four letters or more) shared; else "none",
    as the instructions ask when in doubt. The story's card type tests, said twice in other
    words, are one task; writing to customers and alerting on card errors are not."""
    tasks = dict(_TASK_LINE.findall(request.texts[-1]))
    new = _words(tasks.pop("NEW", ""))
    for number, text in tasks.items():
        earlier = _words(text)
        if new and earlier and len(new & earlier) * 2 >= len(new | earlier):
            return {"same_as": number, "reason": "both ask for the same work in other words"}
    return {"same_as": "none", "reason": "no open task asks for the same work"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower()))


def demo_verdicts(request: ChatRequest) -> dict[str, Any]:
    """What the demo's model answers when asked whether each sentence is stated by the entries
    it cites: its own sentences and the demo's agent's supported, quoting the entry, except
    the overloaded database, which Dave's dead end contradicts; any other (a control, one of
    them changed by warroom to be false: bot/record/postmortem/controls.py) not stated, as a
    model that reads the record says."""
    verdicts = []
    true = request.written | {PROPOSED}
    for number, (text, refs) in request.sentences.items():
        if "overloaded" in text and text in true:
            said, quote = "contradicted", "Database is healthy"
        elif text not in true:
            said, quote = "not_stated", ""
        else:
            said, quote = "supported", request.entry_text(refs[0])
        verdicts.append({"sentence": number, "verdict": said, "entry": refs[0], "quote": quote})
    return {"verdicts": verdicts}
