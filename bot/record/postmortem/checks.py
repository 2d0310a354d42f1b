"""Every sentence the model suggests, checked against the record before anyone reads it.

A sentence is kept when:

- it cites at least one entry, and every entry it cites is in this incident's record;
- every time it states is the time of an entry it cites, or a time written in one (in the
  incident's zone: ``3:42`` and ``3:42 AM`` are read there, ``11:42 UTC`` converted to it; a
  time without AM or PM may be either);
- every date, number, percentage and release id it states appears in an entry it cites (a
  date as the day of one; a number of minutes or hours may also be the time between two of
  them: "ruled out 12 minutes later");
- every person it names (anyone warroom knows by name, by full or first name, or an
  ``@handle``) is the author of an entry it cites or named in one;
- every address it gives (a URL, a host, an e-mail address) is held by an entry it cites that
  a member of the workspace wrote (``members``: not a guest's, a bot's, an alert's or a
  change's words alone), and its host passes for none of the workspace's own
  (``own_hosts``: ``warr00m.example.com`` for ``warroom.example.com``) without being it
  (docs/security.md).

Anything else is left out of the section's text and listed with why (``Unsupported.why``:
data, said by the templates). What is not checked: words. "The database was at fault" citing
an entry that says it was not is kept; the citations are there for the reader to follow.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.basics.link_hosts import host_of, imitated
from bot.record.moments import ABBREVIATIONS, AMBIGUOUS_ABBREVIATIONS
from bot.record.postmortem.evidence import Evidence
from bot.record.postmortem.language import Language
from bot.record.postmortem.suggestions import (
    MAX_CITES,
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
    Checked,
    Sentence,
    Unsupported,
)
from bot.record.postmortem.verification import where_of
from bot.record.postmortem.wording import (
    COMPOUND_DURATION,
    Address,
    addresses,
    blame,
    content_words,
    held_in,
    identifiers,
    language_of,
    negates,
    numbers_as_digits,
    share,
)
from bot.store.models import TimelineKind

_CITE = re.compile(r"^\[?\s*([Ee])\s*(\d{1,12})\s*\]?$")
# A citation the model wrote into its text: taken out before the text is read for facts.
_REF_IN_TEXT = re.compile(r"\[?\b[Ee]\d{1,12}\b\]?")
_AMPM = r"(?P<ampm>[aApP]\.?\s?[mM]\b\.?)"
_ZONE = r"(?P<zone>[A-Z]{2,5}\b|Z\b|[+-]\d{2}:?\d{2}\b)"
# 3:42, 03:42:10, 15h42, 15 h 42, 3:42 PM, 3:42 a.m., 11:42 UTC, 11:42 +02:00; 3 PM.
_TIME = re.compile(
    rf"(?<![\d:.])(?P<hour>[01]?\d|2[0-3])(?:\s?[:hH]\s?(?P<minute>[0-5]\d)(?::[0-5]\d)?"
    rf"(?:\s?{_AMPM})?|\s?{_AMPM.replace('ampm', 'only')})(?:\s?{_ZONE})?(?![\d:])"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")
_PERCENT = re.compile(
    r"(?<![\w.,])(?P<number>\d+(?:[.,]\d+)?)\s?(?:%|percent\b|per cent\b|pour cent\b)"
)
# v2, v2.4.1, v2.4.1-rc1; 2.4.1; gw-1.4.2, release-42, build_1234, HTTP/2; #4512; a commit.
_RELEASE = re.compile(
    r"(?<![\w.#/-])("
    r"[vV]\d+(?:\.\d+)*(?:[-+][0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?"
    r"|\d+\.\d+\.\d+(?:\.\d+)*(?:[-+][0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?"
    r"|[A-Za-z][A-Za-z0-9]*(?:[-_/][A-Za-z0-9]+)*[-_/]\d[0-9A-Za-z]*(?:[-_./][0-9A-Za-z]+)*"
    r"|#\d+"
    r"|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}"
    r")(?![\w-])"
)
_NUMBER = re.compile(r"(?<![\w.,])(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d+))?")
_HANDLE = re.compile(r"(?<![\w@])@(?P<handle>[A-Za-z0-9][\w.-]*)")
_DURATION_WORDS = ("minute", "minutes", "min", "mins", "hour", "hours", "h", "hr", "hrs")


@dataclass(frozen=True)
class _Facts:
    """What a text states, as the checks compare it."""

    times: list[tuple[str, set[tuple[int, int]] | None]]  # as said; None: a zone not read
    dates: list[tuple[str, tuple[int | None, int, int]]]  # as said; (year or None, month, day)
    percentages: list[str]
    releases: list[str]
    numbers: list[tuple[str, str, str]]  # as said, normalised value, the word after it
    durations: list[tuple[str, int]]  # "1 hour 45 minutes" as said, and in minutes


def check_sections(
    answer: Mapping[str, Sequence[Sentence]],
    evidence: Mapping[str, Evidence],
    *,
    zone: tzinfo | None,
    language: Language,
    people: Iterable[str],
    metrics: Iterable[int] = (),
    members: Collection[str] | None = None,
    own_hosts: Sequence[str] = (),
) -> dict[str, Checked]:
    """Each section's sentences, kept or left out with why. ``people``: the names of everyone
    warroom knows (a sentence naming one must cite where they are); ``metrics``: the draft's
    metrics in minutes (a duration a sentence states may be one of them); ``members``: the
    Slack ids of the entries' writers who are members of the workspace (an address is held
    only by their entries; None: not asked, as in an offline evaluation, any entry holds
    it); ``own_hosts``: the workspace's own hosts, which no address may imitate."""
    checker = _Checker(evidence, zone or UTC, language, people, metrics)
    checker.members, checker.own_hosts = members, tuple(own_hosts)
    return {name: checker.section(sentences) for name, sentences in answer.items()}


class _Checker:
    def __init__(
        self,
        evidence: Mapping[str, Evidence],
        zone: tzinfo,
        language: Language,
        people: Iterable[str],
        metrics: Iterable[int] = (),
    ) -> None:
        self.evidence = evidence
        self.zone = zone
        self.members: Collection[str] | None = None
        self.own_hosts: tuple[str, ...] = ()
        self.metrics = frozenset(metrics)
        months = [month.lower() for month in language.months]
        self.months = {month: number for number, month in enumerate(months, start=1)}
        alternatives = "|".join(re.escape(month) for month in sorted(months, key=len, reverse=True))
        self.month_day = re.compile(
            rf"(?i)\b(?P<month>{alternatives})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
            rf"(?:,?\s+(?P<year>\d{{4}})\b)?"
        )
        self.day_month = re.compile(
            rf"(?i)(?<![\d:])(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?P<month>{alternatives})\b"
            rf"(?:\s+(?P<year>\d{{4}})\b)?"
        )
        words = {
            *_DURATION_WORDS,
            *(form for unit in ("minutes", "hours") for form in language.units[unit]),
        }
        self.duration_words = {word.lower() for word in words}
        self.hour_words = {"hour", "hours", "h", "hr", "hrs", *language.units["hours"]}
        self.names = _name_forms(people)
        # Names are not what a sentence and an entry must share: a citation there only for
        # a name is one that hides a wrong person.
        self.name_words = {word for name in self.names for word in content_words(name)}
        self.name_pattern = (
            re.compile(
                r"(?<![\w@])("
                + "|".join(re.escape(form) for form in sorted(self.names, key=len, reverse=True))
                + r")(?![\w])"
            )
            if self.names
            else None
        )

    def section(self, sentences: Sequence[Sentence]) -> Checked:
        kept: list[Sentence] = []
        left: list[Unsupported] = []
        for index, sentence in enumerate(sentences):
            text = " ".join(sentence.text.split())
            if not text:
                continue
            cleaned = Sentence(text, _cites(sentence.cites))
            if index >= MAX_SENTENCES:
                left.append(Unsupported(cleaned, ({"rule": "too_many", "max": MAX_SENTENCES},)))
                continue
            if len(text) > MAX_SENTENCE_CHARS:
                cut = Sentence(text[:MAX_SENTENCE_CHARS] + "…", cleaned.cites)
                left.append(Unsupported(cut, ({"rule": "too_long", "max": MAX_SENTENCE_CHARS},)))
                continue
            why, cleaned = self.why(cleaned)
            if why:
                left.append(Unsupported(cleaned, tuple(why)))
            else:
                kept.append(cleaned)
        return Checked(tuple(kept), tuple(left))

    def why(self, sentence: Sentence) -> tuple[list[dict[str, Any]], Sentence]:
        """Why the sentence cannot be kept (empty when it can), and the sentence with the
        citations it keeps (those that share no content word with it are dropped)."""
        if not sentence.cites:
            return [{"rule": "no_cite"}], sentence
        unknown = [ref for ref in sentence.cites if ref not in self.evidence]
        if unknown:
            return [{"rule": "unknown_cite", "refs": unknown}], sentence
        said, text = addresses(_REF_IN_TEXT.sub(" ", sentence.text))
        text = numbers_as_digits(text)
        words = content_words(text, self.name_words)
        padding = self._padding(sentence, text, words)
        if padding:
            sentence = Sentence(
                sentence.text, tuple(ref for ref in sentence.cites if ref not in padding)
            )
            if not sentence.cites:
                return [{"rule": "padding", "refs": padding}], sentence
        cited = [self.evidence[ref] for ref in sentence.cites]
        refs = list(sentence.cites)
        facts = self.facts(text, cited, read=True)
        sources = [self.facts(each.text) for each in cited]
        why: list[dict[str, Any]] = []
        why += [self._address(address, cited, refs) for address in said]
        why = [each for each in why if each]
        why += self._meaning(text, cited)
        why += self._times(facts, cited, sources, refs)
        why += self._dates(facts, cited, refs)
        said_text = " ".join(each.text for each in cited).lower()
        why += [
            {"rule": "release", "said": release, "refs": refs}
            for release in facts.releases
            if release.lower() not in said_text
        ]
        held_percentages = {p for source in sources for p in source.percentages}
        why += [
            {"rule": "percentage", "said": f"{value}%", "refs": refs}
            for value in facts.percentages
            if value not in held_percentages
        ]
        why += self._numbers(facts, cited, sources, refs)
        why += self._people(sentence.text, cited, said_text, refs)
        return why, sentence

    def _padding(self, sentence: Sentence, text: str, words: set[str]) -> list[str]:
        """The citations that share no content word (nor identifier) with the sentence. An
        entry in another language than the sentence (a French draft of English messages)
        cannot be compared word for word: it is not called padding."""
        language = language_of(text)
        return [
            ref
            for ref in sentence.cites
            if _comparable(language, language_of(self.evidence[ref].text))
            and not share(words, content_words(self.evidence[ref].text, self.name_words))
            and not identifiers(sentence.text) & identifiers(self.evidence[ref].text)
        ]

    def _address(
        self, address: Address, cited: Sequence[Evidence], refs: list[str]
    ) -> dict[str, Any]:
        """Why an address the sentence gives cannot be kept (empty when it can): a host
        imitating the workspace's own, one no cited entry holds, or one only entries no
        member wrote hold."""
        host = host_of(address.said if "://" in address.said else f"//{address.compared}")
        if address.kind != "phone" and host and (mimic := imitated(host, self.own_hosts)):
            return {"rule": "imitation", "said": address.said, "host": mimic, "refs": refs}
        holders = [each for each in cited if held_in(address, each.text)]
        if not holders:
            rule = "lookalike" if address.lookalike else "address"
            return {"rule": rule, "said": address.said, "refs": refs}
        members = self.members
        vouched = members is None or any(each.writer in members for each in holders)
        if address.kind != "phone" and not vouched:
            return {"rule": "address_unvouched", "said": address.said, "refs": refs}
        return {}

    # -- reading a text ------------------------------------------------------------------------
    def facts(
        self, text: str, cited: Sequence[Evidence] | None = None, *, read: bool = False
    ) -> _Facts:
        """The dates, times, release ids, percentages, durations and numbers a text states,
        each taken out of the text once read, so that a number is not read again inside a
        time. ``cited``: the entries a sentence cites (its times' zones are read on their
        days); None for an entry's own text. ``read``: its addresses were taken out and its
        numbers in words read already."""
        if not read:
            text = numbers_as_digits(addresses(text)[1])
        dates: list[tuple[str, tuple[int | None, int, int]]] = []
        for pattern in (self.month_day, self.day_month):
            for match in pattern.finditer(text):
                year = int(match["year"]) if match["year"] else None
                dates.append(
                    (match[0], (year, self.months[match["month"].lower()], int(match["day"])))
                )
            text = pattern.sub(" ", text)
        for match in _ISO_DATE.finditer(text):
            dates.append((match[0], (int(match["year"]), int(match["month"]), int(match["day"]))))
        text = _ISO_DATE.sub(" ", text)
        durations = [
            (match[0], int(match["hours"]) * 60 + int(match["minutes"]))
            for match in COMPOUND_DURATION.finditer(text)
        ]
        text = COMPOUND_DURATION.sub(" ", text)
        releases = [match[1].rstrip(".") for match in _RELEASE.finditer(text)]
        text = _RELEASE.sub(" ", text)
        times = []
        for match in _TIME.finditer(text):
            if match["minute"] is None and match["only"] is None:
                continue
            times.append((match[0].strip(), self._clock_times(match, cited)))
        text = _TIME.sub(lambda m: " " if (m["minute"] or m["only"]) else m[0], text)
        percentages = [_number(m["number"].replace(",", ".")) for m in _PERCENT.finditer(text)]
        text = _PERCENT.sub(" ", text)
        numbers = []
        for match in _NUMBER.finditer(text):
            whole = match["number"].replace(",", "")
            value = _number(f"{whole}.{match['fraction']}" if match["fraction"] else whole)
            after = text[match.end() :].split(maxsplit=1)
            word = after[0].strip(".,;:()-").lower() if after else ""
            numbers.append((match[0], value, word))
        return _Facts(times, dates, percentages, releases, numbers, durations)

    def _clock_times(
        self, match: re.Match[str], cited: Sequence[Evidence] | None
    ) -> set[tuple[int, int]] | None:
        """The (hour, minute) a time may be in the incident's zone; None for a zone that names
        several. In an entry's text (``cited`` None) a time is read as written, zone or not:
        people's words are left as they wrote them."""
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        ampm = (match["ampm"] or match["only"] or "").lower().replace(".", "").replace(" ", "")
        if ampm:
            if hour > 12 or hour == 0:
                return set()
            hours = {hour % 12 + (12 if ampm == "pm" else 0)}
        else:
            hours = {hour, (hour + 12) % 24} if hour <= 12 else {hour}
        zone = match["zone"]
        offset = _offset(zone, cited) if zone and cited is not None else _OWN
        if offset is None:
            return None
        if not isinstance(offset, timedelta):
            return {(h, minute) for h in hours}
        shifted = set()
        for h in hours:
            for day in {each.at.astimezone(UTC).date() for each in cited or ()}:
                there = datetime(day.year, day.month, day.day, h, minute, tzinfo=UTC) - offset
                local = there.astimezone(self.zone)
                shifted.add((local.hour, local.minute))
        return shifted

    # -- the rules -----------------------------------------------------------------------------
    def _times(
        self, facts: _Facts, cited: list[Evidence], sources: list[_Facts], refs: list[str]
    ) -> list[dict[str, Any]]:
        held = {(each.at.hour, each.at.minute) for each in cited}
        for source in sources:
            for _, clock in source.times:
                held |= clock or set()
        why: list[dict[str, Any]] = []
        for said, clock in facts.times:
            if clock is None:
                why.append({"rule": "zone", "said": said})
            elif not clock & held:
                why.append({"rule": "time", "said": said, "refs": refs})
        return why

    def _dates(self, facts: _Facts, cited: list[Evidence], refs: list[str]) -> list[dict[str, Any]]:
        days = {(each.at.year, each.at.month, each.at.day) for each in cited}
        return [
            {"rule": "date", "said": said, "refs": refs}
            for said, (year, month, day) in facts.dates
            if not any(d[1:] == (month, day) and year in (None, d[0]) for d in days)
        ]

    def _spans(self, cited: list[Evidence]) -> set[int]:
        """The minutes between two cited entries (by their moments, and by their clocks'
        minutes), and the draft's metrics: what a duration a sentence states may be."""
        return (
            {
                abs(int((later.at - earlier.at).total_seconds() // 60))
                for earlier in cited
                for later in cited
            }
            | {
                abs(
                    (later.at.hour * 60 + later.at.minute)
                    - (earlier.at.hour * 60 + earlier.at.minute)
                )
                for earlier in cited
                for later in cited
            }
            | set(self.metrics)
        )

    def _numbers(
        self, facts: _Facts, cited: list[Evidence], sources: list[_Facts], refs: list[str]
    ) -> list[dict[str, Any]]:
        held = {value for source in sources for _, value, _ in source.numbers}
        held |= {value for source in sources for value in source.percentages}
        years = {str(each.at.year) for each in cited}
        minutes = self._spans(cited)
        # A duration an entry states ("10 minutes") holds that duration, not a bare number.
        said_durations = {
            (value, word in self.hour_words)
            for source in sources
            for _, value, word in source.numbers
            if word in self.duration_words
        }
        why: list[dict[str, Any]] = []
        for said, value, word in facts.numbers:
            if word in self.duration_words and value.isdigit():
                hours = word in self.hour_words
                count = int(value)
                spans = {m // 60 for m in minutes} | {round(m / 60) for m in minutes}
                if (value, hours) in said_durations or count in (spans if hours else minutes):
                    continue
                why.append({"rule": "duration", "said": f"{said} {word}", "refs": refs})
                continue
            if value in held or value in years:
                continue
            why.append({"rule": "number", "said": said, "refs": refs})
        held_durations = {total for source in sources for _, total in source.durations}
        why += [
            {"rule": "duration", "said": said, "refs": refs}
            for said, total in facts.durations
            if total not in minutes and total not in held_durations
        ]
        return why

    def _meaning(self, text: str, cited: list[Evidence]) -> list[dict[str, Any]]:
        """What words alone decide: a sentence that says something did not happen when the
        one entry it cites says no such thing; blame (a cause, a vendor, a fault) that no
        cited entry marked as the cause, or the trigger, holds."""
        why: list[dict[str, Any]] = []
        if len(cited) == 1 and negates(text) and not negates(cited[0].text):
            why.append({"rule": "negation", "refs": [cited[0].ref], **where_of(cited[0])})
        blamed = blame(text)
        if blamed and not any(each.kind in CAUSE_KINDS for each in cited):
            why.append({"rule": "blame", "said": blamed, "refs": [each.ref for each in cited]})
        return why

    def _people(
        self, text: str, cited: list[Evidence], said_text: str, refs: list[str]
    ) -> list[dict[str, Any]]:
        present = {name for each in cited for name in each.people}
        present |= {each.author for each in cited if each.author}
        why = []
        named = set()
        if self.name_pattern is not None:
            for match in self.name_pattern.finditer(text):
                form = match[1]
                full = self.names[form]
                if full in named:
                    continue
                named.add(full)
                if full not in present and form.lower() not in said_text:
                    why.append({"rule": "person", "said": form, "refs": refs})
        for match in _HANDLE.finditer(text):
            handle = match["handle"].rstrip(".")
            first_names = {name.split()[0].lower() for name in present if name.split()}
            if f"@{handle}".lower() not in said_text and handle.lower() not in first_names:
                why.append({"rule": "person", "said": f"@{handle}", "refs": refs})
        return why


_OWN = object()
# The entries that may hold blame: a message marked as the cause (or /incident cause), and
# the trigger said in the wrap-up form.
CAUSE_KINDS = frozenset({TimelineKind.ROOT_CAUSE.value, TimelineKind.TRIGGER.value})


def _comparable(one: str | None, other: str | None) -> bool:
    """Whether texts in these languages can be compared word for word (unknown: they can)."""
    return one is None or other is None or one == other


def _offset(zone: str, cited: Sequence[Evidence]) -> timedelta | object | None:
    """A zone after a time: its offset from UTC; ``_OWN`` for the incident zone's own name
    (or a word that names no zone: the time is read in the incident's zone); None for an
    abbreviation that names several zones."""
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return offset if zone[0] == "+" else -offset
    if zone in {each.at.tzname() for each in cited}:
        return _OWN
    if zone in ABBREVIATIONS:
        return ABBREVIATIONS[zone][1]
    if zone in AMBIGUOUS_ABBREVIATIONS:
        return None
    return _OWN


def _cites(cites: Iterable[str]) -> tuple[str, ...]:
    """``E12``, ``[E12]``, ``e12``: the references as the record writes them, once each."""
    found: list[str] = []
    for cite in list(cites)[:MAX_CITES]:
        match = _CITE.match(str(cite).strip())
        # What is not a reference is kept as said (shown as not in the record), briefly.
        ref = f"E{int(match[2])}" if match else str(cite).strip()[:24]
        if ref and ref not in found:
            found.append(ref)
    return tuple(found)


def _number(text: str) -> str:
    """A number written one way for every text: ``1,200`` and ``1200.0`` are ``1200``."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    normal = value.normalize()
    return format(normal, "f") if normal == normal.to_integral() else str(normal)


def _name_forms(people: Iterable[str]) -> dict[str, str]:
    """Each way a sentence may name someone (full name; first name when no one else has
    it) -> their full name."""
    fulls = {name.strip() for name in people if name and name.strip()}
    forms = {name: name for name in fulls}
    firsts: dict[str, set[str]] = {}
    for name in fulls:
        first = name.split()[0]
        if len(first) > 1 and first != name:
            firsts.setdefault(first, set()).add(name)
    forms |= {first: next(iter(names)) for first, names in firsts.items() if len(names) == 1}
    return forms
