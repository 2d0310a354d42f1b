"""The meaning of the model's suggested sentences, checked by the model against the quoted
words of the entries they cite, end to end: Slack
is the emulator, the model the fake OpenAI-compatible server (emulator/openai_chat.py), which
takes both requests only as OpenAI's published description allows them. What is asserted is
what people read: the channel's message, the canvas, the web view.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from emulator import SlackEmulator
from emulator.openai_chat import ChatRequest, FakeChatModel
from tests.helpers import verifiers
from tests.helpers.metrics import scrape, value
from tests.helpers.verifiers import reading_quotes, real_sentences, verdict
from tests.helpers.web_view import browser, sign_in, web_settings
from tests.postmortem.test_suggestions import (
    ALICE,
    CAROL,
    DAVE,
    MODEL,
    START,
    Played,
    _get,
    _section,
    ai,
    good,
    play,
    sections_asked,
)

Verdicts = Callable[[ChatRequest], dict[str, Any]]
NOT_STATED_VERDICT = "not_stated"


# A verifier that answers truthfully for ``good``'s sentences (each is stated by the first
# entry it cites): supported, quoting that entry's words; and reads the controls right.
truthful = verifiers.truthful(lambda _: True, whole=True)


def with_wrong_ones(request: ChatRequest) -> dict[str, Any]:
    """``good``'s sentences and two that are wrong in meaning, the checks' numbers and
    citations all in order: the database "overloaded", and a rollback that did not help."""
    answer = good(request)
    x, fix = request.ref_of("dead end"), request.ref_of("Rolling back")
    answer["summary"].append({"text": "The orders database was overloaded.", "cites": [x]})
    answer["resolution"].append(
        {"text": "Bob rolled back gw-2.14.1, which made card payments fail more.", "cites": [fix]}
    )
    return answer


def judging_wrong_ones(request: ChatRequest) -> dict[str, Any]:
    """Truthful verdicts for ``with_wrong_ones``: the two wrong sentences contradicted or not
    stated."""
    said = []
    for number, (text, refs) in request.sentences.items():
        if "overloaded" in text:
            said.append(verdict(number, "contradicted", refs[0], "Database is healthy"))
        elif "fail more" in text:
            said.append(verdict(number, "not_stated", refs[0], ""))
        else:
            said.append(verdict(number, "supported", refs[0], request.entry_text(refs[0])))
    return {"verdicts": said}


@pytest.fixture
async def played(
    people: SlackEmulator,
    sqlite_url: str,
    model: FakeChatModel,
) -> AsyncIterator[Played]:
    async for each in play(people, sqlite_url, model):
        yield each


def blocks_of(played: Played) -> str:
    return json.dumps(played.suggestions_message().blocks, ensure_ascii=False)


# -- the second request --------------------------------------------------------------------------
async def test_the_verdicts_are_a_second_request_of_their_own(played: Played) -> None:
    played.model.reply(good)
    played.model.verdicts(truthful)
    await played.resolve("Rolled back the gateway release")

    sections, verdicts = played.model.accepted
    assert sections.format_name == "postmortem_sections"
    response_format = verdicts.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "warroom_verdicts"
    assert response_format["json_schema"]["strict"] is True
    # Each sentence a line of its own, followed by the record lines of what it cites.
    bulb = sections.ref_of("gw-2.14.1 at 03:20")
    question = verdicts.texts[1].splitlines()
    first = next(
        at
        for at, line in enumerate(question)
        if line.endswith(
            "] Card payments failed after gateway release gw-2.14.1 broke card validation."
        )
    )
    assert question[first + 1].startswith(f"[{bulb}] 03:50 UTC (root cause) Carol Tanaka: ")
    # Five sentences of the draft and a control made from each, shuffled:
    # each cites what its sentence cites.
    assert sorted(verdicts.sentences) == list(range(1, 11))
    real = real_sentences(verdicts)
    assert len(real) == 5
    controls = [each for number, each in verdicts.sentences.items() if number not in real]
    assert sorted(refs for _, refs in controls) == sorted(refs for _, refs in real.values())
    assert "U0CAROL" not in "\n".join(verdicts.texts)


# -- supported, with the quote to prove it -------------------------------------------------------
async def test_a_supported_sentence_shows_its_quote_and_source_everywhere(
    people: SlackEmulator,
    sqlite_url: str,
    model: FakeChatModel,
) -> None:
    async for played in play(people, sqlite_url, model, **web_settings(people)):
        model.reply(good)
        model.verdicts(truthful)
        await played.resolve("Rolled back the gateway release")
        async with browser() as http:
            await sign_in(http, played.warroom, CAROL)
            page = await _get(http, f"{played.warroom.url}/incidents/INC-1/postmortem")
        draft = played.canvas()
        message = played.suggestions_message()
    link = played.link(50)
    summary = _section(draft, "## Issue summary")
    # A labelled block, saying what was checked and by whom.
    assert f"> **Suggested by {MODEL} on March 14, 2025" in summary
    assert (
        "Times, numbers, people, addresses and citations checked by warroom; meaning checked "
        f"by {MODEL} against the quoted words." in summary
    )
    assert (
        "> Card payments failed after gateway release gw-2.14.1 broke card validation. "
        f"([3:50 AM, Carol Tanaka]({link}))" in summary
    )
    quote = "Gateway release gw-2.14.1 at 03:20 broke card validation: 25% of payments fail."
    assert f"> _— “{quote}” ([3:50 AM]({link}), Carol Tanaka)_" in summary
    assert "[E" not in summary
    # Slack: the intro says exactly what was checked; each sentence's quote in a context block.
    assert (
        "Times, numbers, people, addresses and citations checked by warroom; meaning checked "
        f"by {MODEL} against the quoted words." in message.text
    )
    blocks = message.blocks
    summary_at = next(
        i
        for i, b in enumerate(blocks)
        if (b.get("text") or {}).get("text", "").startswith("*Summary*")
    )
    assert (
        "_(suggested: not in the draft until someone accepts it)_"
        in (blocks[summary_at]["text"]["text"])
    )
    evidence = blocks[summary_at + 1]
    assert evidence["type"] == "context"
    assert evidence["elements"][0]["text"] == f"1 — “{quote}” (<{link}|03:50 UTC>, Carol Tanaka)"
    # The web view shows the same evidence.
    assert (
        f"“{quote}”" in page and "meaning checked by llama3.1:8b against the quoted words" in page
    )


# -- wrong in meaning ----------------------------------------------------------------------------
async def test_a_sentence_the_model_finds_contradicted_or_not_stated_is_left_out(
    played: Played,
) -> None:
    played.model.reply(with_wrong_ones)
    played.model.verdicts(reading_quotes(judging_wrong_ones))
    await played.resolve("Rolled back the gateway release")

    draft = played.canvas()
    summary = _section(draft, "## Issue summary")
    text, _, left_out = summary.partition("Not supported by the record, left out of the text:")
    assert "overloaded" not in text
    assert (
        '- "The orders database was overloaded." (cites '
        f"[3:42 AM, Dave Kowalski]({played.link(42)})): {MODEL} found it contradicted by "
        f"[3:42 AM]({played.link(42)}), Dave Kowalski: “Database is healthy”." in left_out
    )
    resolution = _section(draft, "### Resolution")
    assert f"{MODEL} found it not stated by the entries it cites" in resolution
    assert "fail more" not in resolution.partition("Not supported")[0]
    # The true sentences stay, proven.
    assert "Card payments failed after gateway release gw-2.14.1" in text
    assert "overloaded" not in blocks_of(played)


def wordless(request: ChatRequest, ref: str) -> str:
    """Words of the entry ``ref`` that say nothing (a number, a word of one or two letters):
    a true quote of it that proves no sentence; a made-up quote when it has none."""
    text = request.entry_text(ref)
    short = [word for word in text.split() if len(word.strip(".,:;!?")) < 3]
    return short[0] if short else "It was all fine"


async def test_invented_quotes_are_never_accepted(played: Played) -> None:
    """A verifier that says every sentence is supported, with a quote it made up, a quote
    from an entry the sentence does not cite, or a quote that says nothing of the sentence."""
    played.model.reply(good)

    def lying(request: ChatRequest) -> dict[str, Any]:
        x = request.ref_of("dead end")
        said = []
        # The draft's own sentences take the three lies in turn, in the order of their words,
        # not of the request: the shuffle moves them and the controls among them (a control is
        # lied about with a made-up quote).
        real = sorted(real_sentences(request), key=lambda number: request.sentences[number][0])
        for number, (_, refs) in request.sentences.items():
            turn = real.index(number) % 3 + 1 if number in real else 1
            if turn == 1:
                said.append(verdict(number, "supported", refs[0], "It was all fine"))
            elif turn == 2:
                first = request.sentences[real[0]][1]
                other = next(ref for ref in [*first, x] if ref not in refs)
                said.append(verdict(number, "supported", other, request.entry_text(other)))
            else:
                said.append(verdict(number, "supported", refs[0], wordless(request, refs[0])))
        return {"verdicts": said}

    played.model.verdicts(reading_quotes(lying))
    await played.resolve("Rolled back the gateway release")

    draft = played.canvas()
    # No quote shown as proof; the sections say the model checked, and refused, them all.
    assert "_— “" not in draft
    assert "the quote it gave (“It was all fine”) is not in the entry of" in draft
    assert "an entry the sentence does not cite" in draft
    assert "but its quote (“" in draft and "shares no word with it" in draft
    # Nothing kept: no Accept anywhere, in Slack or in the draft.
    message = played.suggestions_message()
    assert not [block for block in message.blocks if block["type"] == "actions"]
    assert "accept or edit it" not in draft


# -- a verifier that cannot answer ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("mishap", "why"),
    [
        (
            "no_verdicts",
            "the model failed a control, so none of its verdicts counts: it gave no verdict "
            "for any of the 5 sentences changed by warroom to be false",
        ),
        ("500", "the model answered HTTP 500"),
        ("timeout", "the model did not answer within 1 second"),
        ("not_schema", "the model answered JSON that is not the verdicts asked for"),
    ],
)
async def test_sentences_without_a_usable_verdict_are_shown_as_not_checked(
    people: SlackEmulator,
    sqlite_url: str,
    model: FakeChatModel,
    mishap: str,
    why: str,
) -> None:
    async for played in play(people, sqlite_url, model, ai=ai(model, timeout=1.0)):
        model.reply(good)
        if mishap == "500":
            model.fail_for("warroom_verdicts", 500)
        elif mishap == "timeout":
            model.stall_for("warroom_verdicts", 3)
        elif mishap == "not_schema":
            model.verdicts({"verdicts": [{"sentence": 1, "verdict": "maybe"}]})
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
        message = played.suggestions_message()
    summary = _section(draft, "## Issue summary")
    # Shown, never as checked.
    assert "Card payments failed after gateway release gw-2.14.1" in summary
    assert "meaning checked by" not in draft
    assert f"— _meaning not checked: {why}" in summary
    # Outside the draft's text: listed apart, the section still a gap.
    assert "meaning not checked**: not in the draft's text until a person accepts it" in summary
    assert "> Card payments failed" not in summary
    assert "meaning checked by" not in message.text
    assert "meaning not checked" in json.dumps(message.blocks)


async def test_a_verdict_naming_an_entry_not_sent_or_none_at_all_leaves_the_sentence_out(
    played: Played,
) -> None:
    """Issue 71, item 5: a verdict for a sentence that does not exist, one naming an entry the
    request did not hold, one whose quote is longer than its entry, and sentences left without
    one: each sentence is left out, said as the check that refused it, never "not checked"."""
    played.model.reply(good)

    def strange(request: ChatRequest) -> dict[str, Any]:
        first, second = sorted(real_sentences(request))[:2]
        cited = request.sentences[second][1][0]
        return {
            "verdicts": [
                verdict(99, "supported", cited, "Gateway release"),
                verdict(first, "supported", "E999999", "Gateway release"),
                verdict(second, "supported", cited, request.entry_text(cited) * 3),
            ]
        }

    played.model.verdicts(reading_quotes(strange))
    await played.resolve("Rolled back the gateway release")
    draft = played.canvas()
    assert "meaning not checked" not in draft
    assert "_— “" not in draft
    assert f"{MODEL} called it supported by E999999, an entry it was not sent" in draft
    assert f"{MODEL} gave no verdict for it" in draft
    assert "is not in the entry of" in draft
    # Nothing kept: no Accept.
    message = played.suggestions_message()
    assert not [block for block in message.blocks if block["type"] == "actions"]


async def test_warroom_ai_verify_off_is_mechanical_checks_only(
    people: SlackEmulator,
    sqlite_url: str,
    model: FakeChatModel,
) -> None:
    async for played in play(people, sqlite_url, model, ai=ai(model, verify=False)):
        model.reply(good)
        await played.resolve("Rolled back the gateway release")
        draft = played.canvas()
        message = played.suggestions_message()
    assert len(model.accepted) == 1 and sections_asked(model) == model.accepted
    for heading in ("## Issue summary", "### Resolution", "## Lessons learned"):
        assert "— _meaning not checked (mechanical checks only)_" in _section(draft, heading)
    assert "mechanical checks only" in message.text


# -- no address the record does not hold ---------------------------------------
async def test_an_address_no_cited_entry_holds_is_not_supported(played: Played) -> None:
    def injected(request: ChatRequest) -> dict[str, Any]:
        answer = good(request)
        fix = request.ref_of("Rolling back")
        answer["resolution"].append(
            {
                "text": "After rolling back, everyone must re-authenticate at "
                "https://evil.example/login.",
                "cites": [fix],
            }
        )
        return answer

    played.model.reply(injected)
    played.model.verdicts(reading_quotes(truthful))
    await played.resolve("Rolled back the gateway release")

    # Never in front of people as a link: not in Slack, not in the verifier's question, and in
    # the draft only listed as left out, unclickable.
    assert "evil.example" not in blocks_of(played)
    assert "evil.example" not in "\n".join(played.model.accepted[1].texts)
    draft = played.canvas()
    assert "evil.example" not in draft
    assert "it gives the address https\\[:\\]//evil\\[.\\]example/login, which none" in draft


# -- addresses compared as IDNA ----------------------------------------------
# "еvil-login.com" with a Cyrillic е: a look-alike of evil-login.com.
LOOKALIKE = "\u0435vil-login.com"


@pytest.mark.parametrize(("host", "kept"), [(LOOKALIKE, False), ("evil-login.com", True)])
async def test_a_look_alike_host_is_never_suggested_even_when_the_record_holds_it(
    played: Played, host: str, kept: bool
) -> None:
    """A message in the channel (anyone's) gives a host, the model repeats it citing that
    message: the ASCII spelling is kept as before, since the entry holds it; the one mixing
    Cyrillic and Latin letters is refused as a look-alike, shown in the draft unclickable."""
    moment = START + timedelta(minutes=75)
    said = await played.slack.post_message(
        played.channel.id,
        f"Support says everyone must re-authenticate at {host} after the rollback.",
        user=DAVE,
        ts=f"{int(moment.timestamp())}.000100",
    )
    await played.slack.add_reaction(played.channel.id, said.ts, "pushpin", user=ALICE)

    def injected(request: ChatRequest) -> dict[str, Any]:
        answer = good(request)
        answer["resolution"].append(
            {
                "text": f"After the rollback, everyone must re-authenticate at {host}.",
                "cites": [request.ref_of("re-authenticate at")],
            }
        )
        return answer

    played.model.reply(injected)
    played.model.verdicts(
        lambda request: {
            "verdicts": [
                verdict(n, "supported", refs[0], request.entry_text(refs[0]))
                for n, (_, refs) in request.sentences.items()
            ]
        }
    )
    await played.resolve("Rolled back the gateway release")
    shown = blocks_of(played)
    draft = played.canvas()
    if kept:
        assert f"re-authenticate at {host}" in shown
        return
    # Never suggested in Slack nor in the draft's section; the draft lists it as left out,
    # unclickable (the record's own message stays quoted in the timeline, as said).
    assert host not in shown and "vil-login" not in shown
    assert "vil-login" not in _section(draft, "### Resolution").split("Not supported")[0]
    assert "\u0435vil-login\\[.\\]com, whose host mixes alphabets (a look-alike" in draft


# -- a meaning check an agreeable model cannot pass ---------------------------
async def test_an_agreeable_verifier_fails_the_controls_and_its_verdicts_count_for_nothing(
    played: Played,
) -> None:
    """A verifier that calls every sentence supported, quoting real words of the entry it
    cites, wrong ones included: the controls among them (each of its own sentences changed by
    warroom to be false) show it, its verdicts are void, and the draft, the channel and
    /metrics say so. Nothing is shown as checked."""
    played.model.reply(with_wrong_ones)
    played.model.verdicts(verifiers.agreeable)
    await played.resolve("Rolled back the gateway release")

    asked = played.model.accepted[1]
    controls = set(asked.sentences) - set(real_sentences(asked))
    assert len(controls) == 7
    draft = played.canvas()
    said = (
        "meaning not checked: the model failed a control, so none of its verdicts counts: it "
        "called supported 7 of the sentences changed by warroom to be false"
    )
    summary = _section(draft, "## Issue summary")
    assert "The orders database was overloaded." in summary
    assert summary.count(said) == 3
    assert "meaning checked by" not in draft and "_— “" not in draft
    message = played.suggestions_message()
    assert f"meaning not checked: {MODEL} failed a control" in message.text
    assert (
        "the model failed a control (it called supported 7 of the sentences changed by warroom"
        in blocks_of(played)
    )
    samples = await scrape(played.warroom)
    assert value(samples, "warroom_ai_verdict_requests_total", outcome="failed_control") == 1.0
    assert value(samples, "warroom_ai_verdict_requests_total", outcome="passed") is None


async def test_a_truthful_verifier_proves_an_identifier_and_a_duration(played: Played) -> None:
    """A verifier quoting the words that prove each sentence: the release id alone for "Bob
    rolled back gw-2.14.1 at 04:10", the time of the entry that ends "12 minutes later". Both
    are kept, proven; the controls are answered right and the request counted as passed."""
    played.model.reply(good)
    played.model.verdicts(verifiers.truthful(lambda _: True))
    await played.resolve("Rolled back the gateway release")

    draft = played.canvas()
    assert "Not supported by the record" not in draft
    assert "meaning not checked" not in draft
    resolution = _section(draft, "### Resolution")
    assert "> Bob rolled back gw-2.14.1 at 04:10." in resolution
    assert "_— “gw-2.14.1” (" in resolution
    summary = _section(draft, "## Issue summary")
    assert "ruled it out at 3:42, 12 minutes later." in summary
    assert "_— “03:42” (" in summary
    samples = await scrape(played.warroom)
    assert value(samples, "warroom_ai_verdict_requests_total", outcome="passed") == 1.0


# -- messages that match the draft ---------------------------------------------
async def test_a_message_marked_twice_is_sent_to_the_model_once(played: Played) -> None:
    """Dave's "Slow queries" idea, marked 🔍 then ❌: two entries of the same words, one line
    for the model (the manual's "each fact is in one entry, once")."""
    ts = f"{int((START + timedelta(minutes=30)).timestamp())}.000100"
    await played.slack.add_reaction(played.channel.id, ts, "x", user=ALICE)
    played.model.reply(good)
    played.model.verdicts(truthful)
    await played.resolve("Rolled back the gateway release")

    sections = played.model.accepted[0]
    said = [line for line in sections.lines if "Slow queries on the orders database?" in line]
    assert len(said) == 1 and "(misleading path) Dave Kowalski" in said[0], said


async def test_a_section_whose_sentences_the_model_refused_is_said_as_checked(
    played: Played,
) -> None:
    """Every sentence of the resolution refused by the model: its heading says the model
    checked it, not "meaning not checked"; the refusal says why."""
    played.model.reply(good)

    def refusing_the_rollback(request: ChatRequest) -> dict[str, Any]:
        answer = truthful(request)
        for each in answer["verdicts"]:
            if "Bob rolled back" in request.sentences[each["sentence"]][0]:
                each.update(verdict=NOT_STATED_VERDICT, quote="")
        return answer

    played.model.verdicts(refusing_the_rollback)
    await played.resolve("Rolled back the gateway release")
    resolution = _section(played.canvas(), "### Resolution")
    assert "meaning not checked" not in resolution
    assert f"meaning checked by {MODEL} against the quoted words." in resolution
    assert f"{MODEL} found it not stated by the entries it cites" in resolution


async def test_the_draft_message_counts_only_sections_with_a_sentence_to_accept(
    played: Played,
) -> None:
    """Three sections whose every sentence the model refused: they stay gaps ("To be
    written") in the draft and in its count, and the channel's message says one section (the
    summary) waits for someone to accept it, not four."""
    played.model.reply(good)

    def refusing_all_but_the_summary(request: ChatRequest) -> dict[str, Any]:
        answer = truthful(request)
        summary = ("Card payments failed", "Dave suspected")
        for each in answer["verdicts"]:
            text = request.sentences[each["sentence"]][0]
            if each["sentence"] in real_sentences(request) and not text.startswith(summary):
                each.update(verdict=NOT_STATED_VERDICT, quote="")
        return answer

    played.model.verdicts(refusing_all_but_the_summary)
    await played.resolve("Rolled back the gateway release")
    draft = played.canvas()
    for heading in ("## Underlying issue", "### Resolution"):
        assert "_To be written:" in _section(draft, heading), heading
    posted = next(m for m in played.channel.messages if "*Postmortem draft:" in m.text)
    gaps = draft.count("_To be written:")
    assert f"{gaps} places need a person" in posted.text
    assert "1 written section suggested by llama3.1:8b waits for someone to accept it" in (
        posted.text
    )
