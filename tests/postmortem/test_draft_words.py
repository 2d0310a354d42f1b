"""A third language is a translation file: the draft's words all come from the language's
catalog (``templates/postmortem/<code>/words.yaml``), one skeleton per style says them, and a
word the catalog lacks fails the draft instead of falling back to English."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.basics.render import Renderer, builtin_templates_dir
from bot.record.postmortem.language import Language, MissingWord, Plural, Words
from bot.record.postmortem.written import render_draft
from tests.helpers.records import NAMES, empty_record, full_record, minutes
from tests.postmortem.test_postmortem_drafts import draft_of

ENGLISH = builtin_templates_dir() / "postmortem" / "en"
STYLES = ["default", "sre", "atlassian"]


def shouted(value: Any) -> Any:
    """Every message of a catalog with its words in capitals and its {fields} as they are:
    a stub translation whose every word is told apart from the English one."""
    if isinstance(value, dict):
        return {key: shouted(each) for key, each in value.items()}
    if isinstance(value, list):
        return [shouted(each) for each in value]
    return "".join(
        part if part.startswith("{") else part.upper() for part in re.split(r"(\{\w*\})", value)
    )


def stub_language(root: Path, code: str = "xx", *, without: str | None = None) -> Renderer:
    """A language ``code`` in an operator's directory: a language.yaml and a words.yaml, no
    template. ``without``: a key (``facts.severity``) left out of the catalog."""
    own = root / "postmortem" / code
    own.mkdir(parents=True)
    language = yaml.safe_load((ENGLISH / "language.yaml").read_text(encoding="utf-8"))
    language["gap_mark"] = "_TO BE WRITTEN:"
    (own / "language.yaml").write_text(yaml.safe_dump(language), encoding="utf-8")
    words = shouted(yaml.safe_load((ENGLISH / "words.yaml").read_text(encoding="utf-8")))
    if without:
        *path, last = without.split(".")
        group = words
        for key in path:
            group = group[key]
        del group[last]
    (own / "words.yaml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    return Renderer(root)


@pytest.mark.parametrize("style", STYLES)
def test_a_third_language_is_a_catalog_and_copies_no_template(tmp_path: Path, style: str) -> None:
    renderer = stub_language(tmp_path)
    assert not list(tmp_path.rglob("*.j2"))
    assert renderer.postmortem_choices()["xx"] == sorted(STYLES)
    for record in (full_record(), empty_record()):
        english = draft_of(record, style=style)
        stub = draft_of(record, style=style, language="xx", renderer=renderer)
        # Every word of the draft is the catalog's: in capitals, the draft is the English
        # one letter for letter (the record's own text and the dates are the same).
        assert stub != english
        assert stub.lower() == english.lower()
        for words in ("To be written", "Key times", "Timeline", "recorded by warroom", "Severity"):
            assert words not in stub


def test_a_word_missing_from_the_catalog_fails_the_draft(tmp_path: Path) -> None:
    renderer = stub_language(tmp_path, without="facts.severity")
    with pytest.raises(
        MissingWord, match=re.escape("postmortem/xx/words.yaml.facts has no word 'severity'")
    ):
        draft_of(full_record(), language="xx", renderer=renderer)


def test_a_language_without_a_catalog_fails_rather_than_speak_english(tmp_path: Path) -> None:
    own = tmp_path / "postmortem" / "xx"
    own.mkdir(parents=True)
    (own / "language.yaml").write_text((ENGLISH / "language.yaml").read_text(encoding="utf-8"))
    with pytest.raises(MissingWord, match=re.escape("postmortem/xx/words.yaml has no word")):
        draft_of(empty_record(), language="xx", renderer=Renderer(tmp_path))


def test_a_catalog_reaches_nothing_through_its_fields(tmp_path: Path) -> None:
    """An operator's catalog is read as their templates are run, in a sandbox: a message's
    field is a name, never an attribute or an index of the value."""
    renderer = stub_language(tmp_path)
    words = tmp_path / "postmortem" / "xx" / "words.yaml"
    words.write_text(
        words.read_text(encoding="utf-8").replace("{reference}", "{reference.__class__}", 1),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="a field is a name alone"):
        draft_of(full_record(), language="xx", renderer=renderer)


def test_a_message_with_a_plural_follows_its_language_rule() -> None:
    """English says "0 seconds" and "1 second"; French "0 seconde", "1,5 secondes"."""
    forms = {"timeout": ["{count} second", "{count} seconds"]}
    english = Words.of("en", forms, up_to_one=False).timeout
    french = Words.of("fr", forms, up_to_one=True).timeout
    assert isinstance(english, Plural) and isinstance(french, Plural)
    assert [english.pick(n) for n in (0, 1, 1.5, 2)] == [
        "{count} seconds",
        "{count} second",
        "{count} seconds",
        "{count} seconds",
    ]
    assert [french.pick(n) for n in (0, 1, 1.5)] == [
        "{count} second",
        "{count} second",
        "{count} seconds",
    ]


def test_a_name_in_a_misleading_path_is_escaped_once() -> None:
    """The catalog's words around a row's parts do not escape them again: a name with an
    apostrophe and an ampersand reads as it is written."""
    renderer = Renderer()
    directory = renderer.find_dir("postmortem/en")
    assert directory is not None
    names = {**NAMES, "U0DAVE": "Dave O'Brien & Co"}
    _, markdown = render_draft(
        renderer,
        full_record(),
        names,
        language=Language.load(directory),
        style="default",
        now=minutes(240),
    )
    assert (
        "- DB slow queries look suspicious ([9:10 AM](https://acme.slack.com/archives/C0CHECKOUT/"
        "p1699377000000100), Dave O'Brien &amp; Co) — ruled out [9:25 AM]"
    ) in markdown
    assert "&#39;" not in markdown and "&amp;amp;" not in markdown


def test_a_catalog_key_yaml_reads_as_a_boolean_is_refused_naming_it() -> None:
    """``on:`` unquoted is YAML's true: the word would be missing at the first draft that
    needs it, on a page a reader opens; refused when the catalog is read instead."""
    with pytest.raises(ValueError, match=r"x/words.yaml.intro.True: a key must be text"):
        Words.of("x/words.yaml", {"intro": {True: " on {at}"}}, up_to_one=False)
