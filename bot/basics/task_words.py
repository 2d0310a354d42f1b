"""What a follow-up says, wording aside: its text without the "Follow-up:" people put before
it, and its content words in English or French, lower-cased, accents folded, stop words and
the verbs every task starts with left out, and each word cut to a light stem (plurals, tenses,
"-ing", "-ation", "-ment" and their French counterparts), so that two rephrasings of one task
share their words.

Written here rather than taken from a stemming library: Snowball's full English and French
stemmers (``snowballstemmer``) would be a dependency for task titles of a few words, where
what matters is that both rephrasings are cut alike, not that each stem is a dictionary's.
"""

from __future__ import annotations

import re
import unicodedata

# What people write before a task to say it is one: "Follow-up:", "*Follow up* -", "TODO:",
# "Action item:", "Suivi :", "À faire :"; the task is what follows.
_PREFIX = re.compile(
    r"^\s*(?:[*_~]*\s*)?(?::[a-z0-9_+-]+:\s*)?(?:[*_~]*\s*)?"
    r"(?:follow[\s-]?ups?|todo|to[\s-]do|action(?:\s+items?)?|suivi|[àa]\s+faire|t[âa]che)"
    r"\s*[*_~]*(?:\s*:|\s+[-–—])\s*[*_~]*\s*",
    re.IGNORECASE,
)

# English, then French (accents folded): words that say nothing of what is to be done, and
# the verbs any task starts with.
_STOP_WORDS = (
    "a an the to for of and or on in at by with from into onto about as per via over under "
    "we our us i you they he she it its this that these those there here "
    "should must need needs let lets be is are was were been will can could would so also "
    "all any some more every each other same new again when if then than not no "
    "add adds create write make do does implement introduce set up get have has ensure "
    "sure please check "
    "le la les l un une des du de d au aux et ou en sur pour par avec dans sans sous "
    "ce cet cette ces c qu que qui quoi dont il elle nous vous ils elles se s son sa ses "
    "leur leurs notre nos votre vos est sont etre ete sera faut doit doivent devons devrait "
    "tout tous toute toutes chaque autre meme aussi plus encore ne pas si quand "
    "ajouter creer ecrire faire mettre place oeuvre implementer verifier assurer"
)
_STOP = frozenset(_STOP_WORDS.split())

# Suffixes cut from a word, longest first, English and French together: both rephrasings of
# a task go through the same cuts, so they meet whichever language each word is in.
_SUFFIXES = (
    "issements",
    "issement",
    "ations",
    "ation",
    "ements",
    "ement",
    "ments",
    "ment",
    "ances",
    "ance",
    "ences",
    "ence",
    "euses",
    "euse",
    "ings",
    "ing",
    "ies",
    "ied",
    "ees",
    "ee",
    "ers",
    "er",
    "ed",
    "es",
    "ez",
    "ly",
    "al",
    "at",
    "ic",
    "iqu",
    "s",
    "x",
    "e",
    "y",
)
# A stem shorter than this is not cut further: "test" stays "test", "uses" stays "use".
_STEM_MIN = 3
# "automatically": "-ly", "-al", "-ic", "-at" at most; a word is never cut to nothing of itself.
_CUTS_MAX = 4
_WORD = re.compile(r"[a-z0-9]+")


def task_text(text: str) -> str:
    """The task without the "Follow-up:" (or "TODO:", "Suivi :") it was written after; the
    text as it is when nothing is left after it."""
    rest = _PREFIX.sub("", text, count=1)
    return rest if rest.strip() else text


def fold(text: str) -> str:
    """Lower-cased, accents off ("Créer" as "creer"), ligatures opened ("œ" as "oe")."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def stem(word: str) -> str:
    """The word cut of the suffixes above, one after another ("automatically", "automatic",
    "automat"), then of a doubled last letter ("stopped" as "stop"): plurals, tenses and
    derived words of one root meet."""
    for _ in range(_CUTS_MAX):
        cut = _cut(word)
        if cut == word:
            break
        word = cut
    if len(word) > _STEM_MIN and word[-1] == word[-2] and not word[-1].isdigit():
        word = word[:-1]
    return word


def _cut(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _STEM_MIN:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """The stems of the task's content words (plain text in)."""
    words = _WORD.findall(fold(task_text(text)))
    return frozenset(stem(word) for word in words if word not in _STOP and len(word) > 1)
