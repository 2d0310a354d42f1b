"""What the checks of the model's sentences read in words (bot/record/postmortem/checks.py),
in English and French: numbers written in words, durations of hours and minutes, the content
words a sentence and an entry share, a negation, words that lay blame, and addresses (URLs,
host names, e-mail addresses, phone numbers). Pure and deterministic: the same text always
reads the same.

Both languages' words are read in every draft: a French draft quotes English messages, and
the other way round.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import idna

# -- numbers in words ------------------------------------------------------------------------
_VALUES = {
    # English
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    # French (un, une: the article as well, read as a number only inside a compound)
    "zéro": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "vingts": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
}
_SCALES = {"hundred": 100, "thousand": 1000, "cent": 100, "cents": 100, "mille": 1000}
_JOINERS = ("and", "et")
# Read as a number only inside a compound ("twenty-one", "vingt et un"): alone, "one" is a
# pronoun as often as a number, and "un"/"une" are French's article.
_ALONE_NOT_A_NUMBER = frozenset({"one", "un", "une"})
_WORD = "|".join(sorted((*_VALUES, *_SCALES), key=len, reverse=True))
_NUMBER_WORDS = re.compile(
    rf"(?<![\w-])(?<!per\s)(?<!pour\s)(?:{_WORD})(?:(?:[\s-]+(?:(?:{'|'.join(_JOINERS)})[\s-]+)?)(?:{_WORD}))*(?!\w)",
    re.IGNORECASE,
)


def _value_of(words: list[str]) -> int:
    total, current, previous = 0, 0, ""
    for word in words:
        if word in _SCALES:
            scale = _SCALES[word]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        elif word in ("vingt", "vingts") and previous == "quatre":
            current += 80 - 4  # quatre-vingt(s): four twenties
        else:
            current += _VALUES[word]
        previous = word
    return total + current


def numbers_as_digits(text: str) -> str:
    """The text with each number written in words written in digits: "ten minutes" is
    "10 minutes", "three hundred and twelve" is "312", "vingt-cinq" is "25"."""

    def digits(match: re.Match[str]) -> str:
        words = [
            word for word in re.split(r"[\s-]+", match[0].lower()) if word and word not in _JOINERS
        ]
        if len(words) == 1 and words[0] in _ALONE_NOT_A_NUMBER:
            return match[0]
        return str(_value_of(words))

    return _NUMBER_WORDS.sub(digits, text)


# -- durations -------------------------------------------------------------------------------
HOUR_WORDS = ("hours", "hour", "hrs", "hr", "heures", "heure")
MINUTE_WORDS = ("minutes", "minute", "mins", "min")
# "1 hour 45 minutes", "1 hour and 45 minutes", "1 heure et 45 minutes" (digits: numbers in
# words are read first).
COMPOUND_DURATION = re.compile(
    rf"(?<![\w.,])(?P<hours>\d+)\s?(?:{'|'.join(HOUR_WORDS)})\b,?\s*(?:(?:and|et)\s+)?"
    rf"(?P<minutes>\d+)\s?(?:{'|'.join(MINUTE_WORDS)})\b",
    re.IGNORECASE,
)


# -- content words -----------------------------------------------------------------------------
def _listed(words: str) -> frozenset[str]:
    """The words of a text, split on white space."""
    return frozenset(words.split())


_STOP_EN = _listed(
    """
    a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yet still got get gets went go goes going came come comes began
    begin begun made make makes first later earlier minutes minute hours hour seconds around
    approximately
    """
)
_STOP_FR = _listed(
    """
    le la les un une des du de d l au aux et ou mais donc or ni car ce cet cette ces son sa
    ses leur leurs il elle ils elles on nous vous je tu qui que quoi dont où en dans par
    pour sur sous avec sans entre vers chez est sont été était étaient être avoir a ont
    avait avaient fut se s ne n pas plus moins très puis alors après avant pendant depuis
    lors heures heure secondes
    """
)
_STOP = _STOP_EN | _STOP_FR
# What tells the two languages apart ("a", "on", "or" are words of both).
_ONLY_EN = _STOP_EN - _STOP_FR
_ONLY_FR = _STOP_FR - _STOP_EN
_TOKEN = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)
_SUFFIXES = (
    "ations",
    "ation",
    "ements",
    "ement",
    "ings",
    "ing",
    "ions",
    "ion",
    "ées",
    "ée",
    "és",
    "ed",
    "es",
    "er",
    "ly",
    "é",
    "s",
    "e",
)


def _fold(word: str) -> str:
    """Lower case without accents: "Réseau" and "reseau" are one word."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str, ignored: Collection[str] = ()) -> set[str]:
    """The words that say something (stop words, numbers and ``ignored``: stems, as this
    returns them, left out), each as its stem: "rolled", "rolling" and "rollback" are read
    as "roll", "rollback"."""
    words = set()
    for token in _TOKEN.findall(text):
        folded = _fold(token.replace("’", "'"))
        for part in folded.split("'"):
            # Numbers are not words: they are checked as numbers, and a clock's "03" and
            # "20" say nothing of what happened.
            if part in _STOP or not any(c.isalpha() for c in part) or len(part) < 3:
                continue
            stem = _stem(part)
            if stem not in ignored:
                words.add(stem)
    return words


def language_of(text: str) -> str | None:
    """``en`` or ``fr`` by the stop words a text uses most; None when it uses none."""
    words = [token.lower() for token in re.findall(r"[^\W\d_]+", text)]
    english = sum(word in _ONLY_EN for word in words)
    french = sum(word in _ONLY_FR for word in words)
    if english == french:
        return None
    return "en" if english > french else "fr"


def share(ours: Iterable[str], theirs: Iterable[str]) -> bool:
    """Whether two sets of stems share a word: the same stem, or one the start of the other
    of at least four letters ("roll" and "rollback")."""
    theirs = set(theirs)
    for word in ours:
        if word in theirs:
            return True
        if len(word) >= 4 and any(
            len(other) >= 4 and (other.startswith(word) or word.startswith(other))
            for other in theirs
        ):
            return True
    return False


# -- negation and blame ----------------------------------------------------------------------
_NEGATION = re.compile(
    r"(?<![\w'’])(?:not|no|never|none|nothing|nobody|neither|nor|without|cannot|unable"
    r"|ne|n|pas|jamais|aucun|aucune|rien|sans)(?![\w])|n['’]t\b",
    re.IGNORECASE,
)


# An identifier people quote: a release (v2.4.1, gw-2.14.1, release-42), a ticket (#4512,
# INC-12, PAY-341), a commit, a host (db-1.prod.example): not words content_words reads
# (it splits them), but as telling as any word when a sentence and a quote share one.
_IDENTIFIER = re.compile(
    r"(?<![\w.#/-])("
    r"[vV]\d+(?:\.\d+)+(?:[-+][0-9A-Za-z]+)*"
    r"|\d+\.\d+\.\d+(?:\.\d+)*(?:[-+][0-9A-Za-z]+)*"
    r"|[A-Za-z][A-Za-z0-9]*(?:[-_./][A-Za-z0-9]+)*[-_./]\d[0-9A-Za-z]*(?:[-_./][0-9A-Za-z]+)*"
    r"|#\d+"
    r"|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}"
    r"|(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}"
    r")(?![\w-])"
)


def identifiers(text: str) -> set[str]:
    """The identifiers a text quotes (releases, tickets, commits, hosts), lower case, without
    a sentence's last full stop."""
    return {match[1].rstrip(".").lower() for match in _IDENTIFIER.finditer(text)}


def share_words(sentence: str, said: str, ignored: Collection[str] = ()) -> bool:
    """Whether a sentence and what an entry (or a quote of it) says share a content word
    (``share``) or an identifier: "Bob rolled back gw-2.14.1" and the quote "gw-2.14.1"."""
    if share(content_words(sentence, ignored), content_words(said, ignored)):
        return True
    return bool(identifiers(sentence) & identifiers(said))


_DURATION = re.compile(
    rf"(?<![\w.,])\d+\s?(?:{'|'.join((*HOUR_WORDS, *MINUTE_WORDS, 'h'))})\b", re.IGNORECASE
)


def states_duration(text: str) -> bool:
    """Whether a text states a duration in hours or minutes ("lasted 13 minutes", "two
    hours", "1 h 10")."""
    return _DURATION.search(numbers_as_digits(text)) is not None


def stated_minutes(text: str) -> list[int]:
    """The durations a text states, each in minutes: "lasted 13 minutes" [13], "1 hour 45
    minutes" [105], "two hours" [120]."""
    said = numbers_as_digits(text)
    found = []
    for match in COMPOUND_DURATION.finditer(said):
        found.append(int(match["hours"]) * 60 + int(match["minutes"]))
    rest = COMPOUND_DURATION.sub(" ", said)
    for match in _DURATION.finditer(rest):
        number = int(re.match(r"\d+", match[0])[0])  # type: ignore[index]
        unit = match[0][len(str(number)) :].strip().lower()
        found.append(number * 60 if unit in (*HOUR_WORDS, "h") else number)
    return found


def negates(text: str) -> bool:
    """Whether a text says something did not happen or is not so ("did not restore",
    "n'a pas rétabli", "never recovered")."""
    return _NEGATION.search(text) is not None


# "Root cause" names what people look for and mark (:bulb:), not who or what is to blame:
# "Carol found the root cause at 03:50" blames nothing. Whether a sentence names the right
# one is for the meaning check (verification.py) to say.
_BLAME = re.compile(
    r"(?<![\w])(?<!root\s)(?<!root-)(?:caus(?:e|es|ed|ing)|because\s+of|due\s+to|vendors?(?:['’]s)?"
    r"|fault(?:y)?|blamed?|to\s+blame"
    r"|causée?s?|causa(?:it|ient)?|à\s+cause\s+d(?:e|u|es)|(?:dû|due|dus|dues)\s+à|fournisseurs?|faute)(?![\w])",
    re.IGNORECASE,
)


def blame(text: str) -> str | None:
    """The first word of the text that lays blame (a cause, a vendor, a fault), if any."""
    found = _BLAME.search(text)
    return found[0] if found else None


# -- addresses ---------------------------------------------------------------------------------
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`|]+", re.IGNORECASE)
# A host's label in any script (IDNA: letters and digits of every script, and hyphens inside),
# so that a host with a Cyrillic letter is read as an address, never as words.
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_TOP = r"(?:[^\W\d_]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]+@{_LABEL}(?:\.{_LABEL})*\.{_TOP}(?![\w-])")
_HOST = re.compile(rf"(?<![\w@/.-])(?:{_LABEL}\.)+{_TOP}(?![\w-])(?!\.[^\W_])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d\s().-]{6,}\d|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\w])")
_TRAILING = ".,;:!?)]}»”’'"
# Scripts one label may mix (Unicode TS #39, "Highly Restrictive"): Japanese writes Han,
# Hiragana and Katakana together, Chinese Han and Bopomofo, Korean Han and Hangul, each with
# Latin. Any other mix (Latin with Cyrillic or Greek: "еvil" with a Cyrillic е) is a look-alike.
_SCRIPTS_TOGETHER = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


@dataclass(frozen=True)
class Address:
    """An address a text states: as said, its kind (url, email, host, phone), and the form it
    is compared in (lower case, its host in IDNA's ASCII form; a phone number's digits).
    ``lookalike``: its host mixes scripts in a label (or is no host IDNA allows), so it may
    pass for another: never taken as held, whatever the entries say."""

    said: str
    kind: str
    compared: str
    lookalike: bool = False


def addresses(text: str) -> tuple[list[Address], str]:
    """The URLs, e-mail addresses, host names and phone numbers a text states, and the text
    without them (so that their numbers are not read again as numbers)."""
    found: list[Address] = []

    def take(kind: str) -> Callable[[re.Match[str]], str]:
        def taken(match: re.Match[str]) -> str:
            said = match[0].rstrip(_TRAILING)
            rest = match[0][len(said) :]
            found.append(_address(said, kind))
            return " " + rest

        return taken

    for kind, pattern in (("url", _URL), ("email", _EMAIL), ("phone", _PHONE), ("host", _HOST)):
        text = pattern.sub(take(kind), text)
    return found, text


def _address(said: str, kind: str) -> Address:
    if kind == "phone":
        return Address(said, kind, re.sub(r"\D", "", said))
    lowered = said.lower()
    host = _url_host(lowered) if kind == "url" else lowered.rpartition("@")[2]
    if not host:
        return Address(said, kind, lowered)
    ascii_host, lookalike = ascii_of(host)
    return Address(said, kind, lowered.replace(host, ascii_host, 1), lookalike)


def _url_host(url: str) -> str:
    """The host of a URL as written (no user, no port), or "" when it has none."""
    try:
        return urllib.parse.urlsplit(url).hostname or ""
    except ValueError:  # an unbalanced "[" in what only looks like an IPv6 address
        return ""


def ascii_of(host: str) -> tuple[str, bool]:
    """The host in IDNA's ASCII form (``xn--`` labels, RFC 5891 with UTS #46's mapping), and
    whether it is a look-alike: a label mixing scripts, or no host IDNA allows. An ASCII
    host without ``xn--`` is itself, as it always was."""
    if host.isascii() and "xn--" not in host:
        return host, False
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        shown = idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError):
        return host, True
    return ascii_host, any(_mixes_scripts(label) for label in shown.split("."))


def _mixes_scripts(label: str) -> bool:
    scripts = {_script(char) for char in label if char.isalpha()}
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPTS_TOGETHER)


def _script(char: str) -> str:
    # Unicode names start with the script (LATIN SMALL LETTER E, CYRILLIC SMALL LETTER IE),
    # but Han's are CJK UNIFIED IDEOGRAPH-…, and Hangul's syllables HANGUL SYLLABLE ….
    first = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return "HAN" if first == "CJK" else first


def held_in(address: Address, said: str) -> bool:
    """Whether a text (an entry's) states the address: the same address, case aside and its
    host compared in IDNA's ASCII form; a phone number with the same digits. A look-alike is
    never held."""
    if address.kind == "phone":
        return address.compared in re.sub(r"\D", "", said)
    if address.lookalike:
        return False
    return address.compared in _compared_text(said)


def _compared_text(text: str) -> str:
    """The text in lower case, each address with a non-ASCII host in its compared form."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    for address in addresses(text)[0]:
        if address.kind != "phone":
            lowered = lowered.replace(address.said.lower(), address.compared)
    return lowered


def defanged(text: str) -> str:
    """The text with its addresses made unclickable, as security teams write them
    (``https[:]//evil[.]example/login``, ``help[at]evil[.]example``): a sentence left out
    for an address is listed without putting that address in front of people as a link."""
    found, _ = addresses(text)
    for address in sorted(found, key=lambda each: len(each.said), reverse=True):
        if address.kind == "phone":
            continue
        safe = address.said.replace("://", "[:]//").replace("@", "[at]").replace(".", "[.]")
        text = text.replace(address.said, safe)
    return text
