"""Properties of bot/basics/: tokens and JSON numbers from outside, markdown escaping,
Accept-Language, a draft's blank lines."""

from __future__ import annotations

import hmac
import json
import re

from hypothesis import example, given
from hypothesis import strategies as st

from bot.basics.languages import preferred_language
from bot.basics.markdown_text import markdown_escape, markdown_escape_each, one_blank_line
from bot.basics.numbers import TOKEN_MAX_CHARS, bounded_json_number, parse_token
from tests.helpers.properties import (
    JSON_NUMBER,
    TOKEN_LIKE,
)


def json_or_none(text: str) -> object:
    """What json.loads reads of ``text`` (0123 and 5,000 digits it refuses: None then)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


@given(st.one_of(st.text(max_size=60), TOKEN_LIKE, st.none(), st.integers(), st.binary(max_size=8)))
def test_a_token_from_outside_is_ours_in_shape_or_nothing(text: object) -> None:
    token = parse_token(text)
    if token is not None:
        assert token == text and token.isascii() and 0 < len(token) <= TOKEN_MAX_CHARS
        hmac.compare_digest(token, "x")  # never raises on what it lets through


@given(
    st.one_of(
        st.integers(min_value=-(10**400), max_value=10**400),
        st.floats(),
        st.booleans(),
        st.text(max_size=5),
        st.none(),
        st.builds(json_or_none, JSON_NUMBER),
    )
)
def test_a_number_from_json_is_in_its_range_or_nothing(value: object) -> None:
    number = bounded_json_number(value, 0, 10**14)
    if number is not None:
        assert type(number) is int and 0 <= number <= 10**14
        assert not isinstance(value, bool | str)


# What markdown_escape does to a line, written the slow way, line by line, as the reference.
_SYNTAX = re.compile(r"[\\`*_\[\]()#!|~]")
_MARKER = re.compile(r"^(?:[-+](?=[-+ \t]|$)|=|\d{1,9}(?=\.(?:[ \t]|$)))")


def _escaped_line(line: str, *, first: bool) -> str:
    indent = re.match(r"[ \t]*", line).group(0)  # type: ignore[union-attr]
    rest = _SYNTAX.sub(r"\\\g<0>", line[len(indent) :])
    rest = rest.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    rest = _MARKER.sub(lambda m: m[0] + "\\" if m[0][0].isdigit() else "\\" + m[0], rest)
    width = len(indent.expandtabs(4))
    if indent and (not first or width >= 4):
        indent = "\u00a0" * width
    return indent + rest


def _escaped_by_line(text: str) -> str:
    text = text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return "\n".join(_escaped_line(line, first=i == 0) for i, line in enumerate(lines))


MARKDOWN_TEXT = st.text(
    alphabet=st.sampled_from(list("ab 1.\t-+=#*_[]()!|~&<>\\`\n\r9é\x00٣")), max_size=12
)


@given(MARKDOWN_TEXT)
def test_markdown_escape_answers_what_escaping_line_by_line_would(text: str) -> None:
    """The fast path (a value with nothing to escape is returned as it is) and the passes
    over the whole value answer exactly what escaping each line by itself would."""
    assert markdown_escape(text) == _escaped_by_line(text)


@given(st.lists(MARKDOWN_TEXT, max_size=8))
def test_markdown_escape_each_escapes_each_value_as_markdown_escape_does(texts: list[str]) -> None:
    """Escaping a draft's texts together changes nothing about any one of them: a line start,
    an indentation or a marker never leaks from one value to the next."""
    assert markdown_escape_each(texts) == [markdown_escape(text) for text in texts]


ACCEPT_LANGUAGE = st.lists(
    st.one_of(
        st.sampled_from(["fr", "fr-CH", "en", "en-GB", "it", "*", "de;q=0", "fr;q=0.5"]),
        st.builds(
            "{};q={}".format,
            st.sampled_from(["fr", "en", "it", "pt-BR"]),
            st.sampled_from(["1", "0.9", "0", "0.000", "1.5", "x", ""]),
        ),
        st.text(max_size=12),
    ),
    max_size=40,
).map(",".join)


@given(ACCEPT_LANGUAGE)
@example("fr-CH, fr;q=0.9, en;q=0.8")
@example("en;q=0.2, fr;q=0.3")
def test_accept_language_picks_an_offered_language_or_none(header: str) -> None:
    """Any header a browser (or anyone) sends: an offered language, the best-weighted one
    the header names, or None; never an exception."""
    chosen = preferred_language(header, ["en", "fr"])
    assert chosen in (None, "en", "fr")
    if header == "fr-CH, fr;q=0.9, en;q=0.8":
        assert chosen == "fr"
    if header == "en;q=0.2, fr;q=0.3":
        assert chosen == "fr"
    if chosen is not None:
        assert chosen in header.lower()


@given(st.text(alphabet=st.sampled_from(list("ab \n")), max_size=40))
def test_a_draft_keeps_one_blank_line_wherever_its_parts_left_more(text: str) -> None:
    """Runs of blank lines become one blank line, and nothing else changes: what collapsing
    them one length at a time until none is left would give."""
    expected = text
    while "\n\n\n" in expected:
        expected = expected.replace("\n\n\n", "\n\n")
    assert one_blank_line(text) == expected
