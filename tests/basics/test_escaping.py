"""Escaping is the renderer's job: whatever a person's words hold, every
output of the Slack-text renderer shows them as words and adds only what it means to.

Hostile text is generated as Slack delivers it: characters a person typed (encoded, as Slack
encodes them: https://docs.slack.dev/messaging/formatting-message-text#escaping), and the
constructs between ``<`` and ``>`` whose label or address a person (or another app) chose:
links of every scheme (``http``, ``https``, ``mailto``, ``tel``, ``javascript``, ``data``, an
unknown one), mentions, channels, user groups, broadcasts, dates; with their labels encoded,
and not (an app's post may hold anything: ``<mailto:a@b|<meta ...>>``). Each output is read
the way its reader reads it:

- HTML (the status page's and the channel history's formatting, a page's Slack text, and the
  same words in a template's attribute): parsed by ``html.parser``; every element and
  attribute must be one the renderer writes (the allow-list below), a link's ``href`` must be
  the address of one of the text's own web links, and no comment or declaration appears;
- Markdown (drafts, canvases, trackers): rendered by CommonMark with raw HTML *kept*
  (cmark-gfm's UNSAFE), which must still produce no element but Markdown's own;
- mail (a status page notice): its plain part holds the words as they read, no markup; its
  HTML part has exactly the elements of the same notice with harmless words.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given, seed
from hypothesis import strategies as st

from bot.basics.markdown_text import formatted_item_text_each, mrkdwn_markdown
from bot.basics.render import Renderer
from bot.basics.slack_mrkdwn import mrkdwn_html
from bot.basics.slack_text import (
    Link,
    SlackText,
    encode,
    parse,
    to_html,
    to_plain,
    to_readable,
)
from bot.flows.status_page.publishing import public_text
from tests.helpers.properties import examples

# A directory's names are Slack's, and a display name holds what its owner chose.
NAMES = {"U0BOB00000": 'Bob "<b>" O\'Kafor', "U0EVE00000": "<meta http-equiv=refresh content=0>"}
META = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
HOSTILE_WORDS = st.sampled_from(
    [
        META,
        "<meta http-equiv=refresh content=0;url=//evil.example>",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "' onmouseover='alert(1)",
        "javascript:alert(1)",
        "<a href=javascript:alert(1)>x</a>",
        "<!-- c -->",
        "<![CDATA[x]]>",
        "<base href=//evil.example/>",
        "<form action=//evil.example><button>Go</button></form>",
        "<iframe src=//evil.example></iframe>",
        "</p></div><style>*{}</style>",
        "&amp;",
        "&lt;",
        "&#60;",
        "&quot;",
        "*bold*",
        "_it_",
        "~s~",
        "`code`",
        "```",
        "> quote",
        ":fire:",
        "|",
        "\n",
        "[x](javascript:alert(1))",
        "![x](https://evil.example/x.png)",
    ]
)
CHARACTERS = st.text(st.sampled_from(list("<>&\"'=*_~`:|@#!/\n ;()[]mt")), max_size=12)
WORDS = st.one_of(HOSTILE_WORDS, CHARACTERS)
ADDRESSES = st.sampled_from(
    [
        "https://status.example.com/a?b=1&c=2",
        'https://evil.example/" onmouseover="alert(1)',
        "http://evil.example/'><meta http-equiv=refresh content=0>",
        "mailto:a@b.example",
        'mailto:a@b.example?subject="><meta http-equiv=refresh content=0>',
        "tel:+33123456789",
        "javascript:alert(1)",
        "data:text/html,<meta http-equiv=refresh content=0>",
        "ftp://files.example/x",
        "weird:thing",
    ]
)


def construct(target: str, label: str | None, encoded: bool) -> str:
    """``<target|label>`` as Slack sends it (``encoded``) or as another app might."""
    if label is None:
        return f"<{encode(target) if encoded else target}>"
    label = encode(label) if encoded else label
    return f"<{encode(target) if encoded else target}|{label}>"


PIECE = st.one_of(
    WORDS.map(lambda words: SlackText.from_plain(words)),  # typed: Slack encodes it
    WORDS,  # as it is (an app's post, text recorded before one encoding)
    st.builds(construct, ADDRESSES, st.none() | WORDS, st.booleans()),
    st.builds(
        construct,
        st.sampled_from(
            ["@U0BOB00000", "@U0EVE00000", "@U0NOBODY0", "#C0INC0001", "!subteam^S0TEAM0001"]
        ),
        st.none() | WORDS,
        st.booleans(),
    ),
    st.sampled_from(["<!here>", "<!channel>", "<!everyone>", "<!date^1392734382^{date}|"]).map(
        lambda start: start if start.endswith(">") else start + META + ">"
    ),
    st.builds("<mailto:a@b|{}>".format, HOSTILE_WORDS),  # the review's payload, nested
)
HOSTILE = st.lists(PIECE, min_size=1, max_size=8).map(lambda pieces: SlackText("".join(pieces)))

# What the renderer writes, and only that: each element with the attributes it may carry.
ELEMENTS: dict[str, set[str]] = {
    "p": set(),
    "br": set(),
    "strong": set(),
    "em": set(),
    "del": set(),
    "code": set(),
    "pre": set(),
    "blockquote": set(),
    "span": {"class"},
    "a": {"href", "rel"},
}


class Reading(HTMLParser):
    """What a browser's parser finds in a piece of HTML: elements with their attributes, and
    anything that is neither an element nor text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.other: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"<![{data}]>")


def web_addresses(text: str) -> set[str]:
    return {run.url for run in parse(text) if isinstance(run, Link) and run.url.startswith("http")}


def assert_only_its_own_markup(
    html: str, text: str, where: str, wrappers: int = 0
) -> list[tuple[str, dict[str, str | None]]]:
    """Only the renderer's elements and attributes; a link only to one of the text's own web
    addresses, exactly (its attribute escaped, not cut short); no refresh. The first
    ``wrappers`` elements are the template's, returned for the caller to check."""
    reading = Reading(html)
    assert not reading.other, (where, reading.other, text)
    for tag, attributes in reading.elements[wrappers:]:
        assert tag in ELEMENTS, (where, tag, text, html)
        assert set(attributes) <= ELEMENTS[tag], (where, tag, attributes, text)
        if tag == "span":
            assert attributes == {"class": "mention"}, (where, attributes, text)
        if tag == "a":
            assert attributes["href"] in web_addresses(text), (where, attributes, text)
            assert attributes["rel"] == "nofollow noopener noreferrer", (where, attributes)
    assert "<meta" not in html.lower(), (where, text, html)
    return reading.elements[:wrappers]


def elements(html: str) -> Counter[tuple[str, tuple[tuple[str, str | None], ...]]]:
    reading = Reading(html)
    assert not reading.other, reading.other
    return Counter((tag, tuple(sorted(attributes.items()))) for tag, attributes in reading.elements)


# A page's template showing the words as text, formatted, and in two attributes; and a
# Markdown document's.
PROBE_PAGE = (
    "<div title=\"{{ said | plain_text }}\" data-x='{{ said | plain_text }}'>"
    '<div class="mrkdwn">{{ said | mrkdwn }}</div>{{ said }}</div>'
)
PROBE_DOCUMENT = "Said: {{ said }}\n\n{{ said }}\n"


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """warroom's renderer, with the two probe templates beside its own."""
    directory = tmp_path_factory.mktemp("templates")
    (directory / "probe").mkdir()
    (directory / "probe" / "page.html.j2").write_text(PROBE_PAGE)
    (directory / "probe" / "document.md.j2").write_text(PROBE_DOCUMENT)
    return Renderer(directory)


def notice(renderer: Renderer, words: str, *, html: bool) -> str:
    """A status page notice's mail, as subscribers get it (templates/subscribe/mail/)."""
    said = {
        "kind": "update",
        "name": words,
        "status": "investigating",
        "components": [words],
        "texts": {"en": words, "fr": words},
        "url": "https://status.example.com/status#incident-1",
        "unsubscribe_url": "https://status.example.com/u/1",
        "manage_url": "https://status.example.com/m/1",
        "page_url": "https://status.example.com/status",
        # The company's name (WARROOM_STATUS_COMPANY) is an operator's words: hostile too.
        "company": words,
    }
    if html:
        return renderer.render("subscribe/mail/notice.html.j2", **said)
    return renderer.render_plain("subscribe/mail/notice.txt.j2", **said)


@seed(70)
@examples(300)
@given(text=HOSTILE)
def test_hostile_words_are_words_in_every_output(renderer: Renderer, text: SlackText) -> None:
    # HTML: the Slack-text renderer's own outputs...
    for where, html in (
        ("mrkdwn", mrkdwn_html(text, NAMES)),
        ("mrkdwn public", mrkdwn_html(text, NAMES, public=True)),
        ("html", to_html(text, NAMES)),
        ("html public", to_html(text, NAMES, public=True)),
        ("html no links", to_html(text, NAMES, links=False)),
    ):
        assert_only_its_own_markup(html, text, where)
    # ...and a page's template: Slack text in attributes is the plain words, exactly.
    for public in (False, True):
        page = renderer.render("probe/page.html.j2", said=text, names=NAMES, public_words=public)
        outer, inner = assert_only_its_own_markup(page, text, f"page {public=}", wrappers=2)
        plain = to_plain(text, NAMES)
        assert outer == ("div", {"title": plain, "data-x": plain}), (outer, text)
        assert inner == ("div", {"class": "mrkdwn"}), (inner, text)
    # Markdown: raw HTML the renderer let through would come out as elements here.
    # (a template's value; Slack's formatting as Markdown's, the draft's lines' way).
    for where, document in (
        ("markdown", renderer.render("probe/document.md.j2", said=text, names=NAMES)),
        ("markdown formatted", mrkdwn_markdown(text, NAMES)),
        ("draft line", "- " + formatted_item_text_each([to_readable(text, NAMES)])[0]),
    ):
        rendered = cmarkgfm.markdown_to_html_with_extensions(
            document, options=Options.CMARK_OPT_UNSAFE, extensions=["table", "strikethrough"]
        )
        assert_only_its_own_markup(rendered.replace("<ul>", "").replace("<li>", ""), text, where)
    # Mail: the plain part holds the words as they read; the HTML part has the notice's own
    # elements, the same as with harmless words.
    words = public_text(text)
    assert words in notice(renderer, words, html=False)
    harmless = elements(notice(renderer, "Checkout is slow", html=True))
    assert elements(notice(renderer, words, html=True)) == harmless, (words, text)


# What a message may start a line with that Markdown would take as the document's structure.
LINE_STARTS = st.sampled_from(
    [
        "# ",
        "## ",
        "> ",
        ">",
        "&gt; ",
        "- ",
        "* ",
        "+ ",
        "1. ",
        "1) ",
        "    ",
        "\t",
        "===",
        "---",
        "***",
        "___",
        "```",
        "~~~",
        "| a | b |\n|---|---|\n",
        "<div>",
        "[x]: https://evil.example",
    ]
)
INLINE = st.sampled_from(["*bold*", "_it_", "~s~", "`code`", ":fire:", "plain", "*", "`", "_"])
STRUCTURED_LINES = st.lists(
    st.tuples(LINE_STARTS, st.lists(INLINE, max_size=3).map(" ".join)).map("".join),
    min_size=1,
    max_size=6,
).flatmap(lambda lines: st.sampled_from(["\n", "\n\n"]).map(lambda gap: gap.join(lines)))
# What a draft's line may become: its list item, and the inline formatting Slack has.
LINE_ELEMENTS = {"p", "br", "strong", "em", "del", "code"}


@seed(71)
@examples(300)
@given(said=STRUCTURED_LINES)
def test_a_formatted_line_has_no_structure_of_its_own(said: str) -> None:
    """A message's inline formatting is Markdown's in the draft, its line structure never:
    whatever its lines start with, a draft's line is one list item of paragraphs, bold,
    italics, strike and code (no heading, quote, list, code block, rule, table or link)."""
    line = formatted_item_text_each([said])[0]
    document = f"- {line}\n- next\n"
    rendered = cmarkgfm.markdown_to_html_with_extensions(
        document, options=Options.CMARK_OPT_UNSAFE, extensions=["table", "strikethrough"]
    )
    reading = Reading(rendered)
    assert not reading.other, (said, rendered)
    tags = [tag for tag, _ in reading.elements]
    assert tags.count("ul") == 1 and tags.count("li") == 2, (said, document, rendered)
    assert set(tags) - {"ul", "li"} <= LINE_ELEMENTS, (said, document, rendered)
    # The next item is still the list's: nothing of the line closed or broke it.
    assert re.search(r"<li>(?:\n<p>)?next(?:</p>\n)?</li>\n</ul>\s*$", rendered), (
        said,
        document,
        rendered,
    )
