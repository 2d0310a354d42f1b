"""The words that say a service is back, in English and French: the one place they are
listed. When nobody marked recovery, a person's message after the mitigation that says them
("Error rate back to baseline", "Le paiement est rétabli") is proposed as the impact's end,
to confirm (bot/record/postmortem/semantics.py).

A phrase counts only when it is stated: negated ("not back to normal", "pas rétabli"),
asked ("Is it back to normal?") or hoped for ("once it is restored", "si c'est rétabli"),
it does not.
"""

from __future__ import annotations

import re
import unicodedata

# Each a regular expression over the message's lowercased words, accents kept.
BACK = {
    "en": (
        r"back to (?:normal|baseline)",
        r"(?:is|are|'s|’s|'re|’re) back(?: up| online)?\b",
        r"\brestored\b",
        r"\brecovered\b",
        r"traffic (?:is )?flowing (?:again|normally)",
        r"(?:error|failure) rates? (?:is |are )?(?:back )?(?:to|at) (?:baseline|normal)",
        r"\bworks? again\b",
        r"\bworking (?:again|normally)\b",
        r"\bfully operational\b",
    ),
    "fr": (
        r"retour (?:à|a) la normale",
        r"revenue?s? (?:à|a) la normale",
        r"\brétablie?s?\b",
        r"\brestaurée?s?\b",
        r"\brefonctionne\b",
        r"\bremarche\b",
        r"fonctionnent? (?:à nouveau|de nouveau|normalement)",
        r"le trafic (?:circule|passe|repasse) (?:à nouveau|de nouveau|normalement)",
        r"taux d'erreurs? (?:est )?(?:revenu|de retour) (?:à|au) (?:la normale|niveau habituel)",
        r"de nouveau (?:opérationnel(?:le)?|disponible)s?",
    ),
}
# Words that, a few words before the phrase, make it not a statement that the service is back.
NOT_STATED = {
    "en": (
        "not",
        "no",
        "never",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "hasn't",
        "haven't",
        "didn't",
        "doesn't",
        "don't",
        "won't",
        "nothing",
        "if",
        "once",
        "until",
        "unless",
        "when",
        "whether",
        "hope",
        "hopefully",
        "before",
        "yet",
    ),
    "fr": (
        "pas",
        "plus",
        "jamais",
        "non",
        "aucun",
        "aucune",
        "sans",
        "si",
        "quand",
        "lorsque",
        "dès",
        "avant",
        "espérons",
        "encore",
    ),
}
# How many words before a phrase a negation or a condition is looked for.
WINDOW = 4
_WORD = re.compile(r"[\w'’]+", re.UNICODE)
_PHRASES = re.compile("|".join(f"(?:{p})" for ps in BACK.values() for p in ps))
_NOT_STATED = frozenset(word for words in NOT_STATED.values() for word in words)


def says_service_back(text: str) -> bool:
    """Whether ``text`` states that the service is back (a phrase of BACK, in a sentence
    that is not a question, with no negation or condition just before it)."""
    said = unicodedata.normalize("NFC", text).lower()
    for sentence in re.split(r"(?<=[.!?])\s+|\n", said):
        if sentence.rstrip().endswith("?"):
            continue
        for found in _PHRASES.finditer(sentence):
            before = _WORD.findall(sentence[: found.start()])[-WINDOW:]
            if not any(_negates(word) for word in before):
                return True
    return False


def _negates(word: str) -> bool:
    # "n't" and French elision ("n'est", "qu'il") are read as their words.
    word = word.replace("’", "'")
    return word in _NOT_STATED or word.endswith("n't") or word.startswith("n'")
