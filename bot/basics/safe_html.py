"""HTML built only from escaped pieces: the one place people's words become HTML.

Every piece is ``markupsafe.Markup``: text enters through ``text`` (``& < > " '`` escaped), tags
only through ``element``, whose names are ours and whose attributes' values are always
escaped for an attribute (quotes too, even a value already Markup), and pieces are put
together with ``join``, which escapes whatever is not already Markup. So no code path can
put a person's words into a page unescaped: a plain ``str`` that reaches any of these is
escaped, never trusted (docs/security.md; a ``mailto:`` link's label once went into the status page
as it was typed, and a ``<meta http-equiv="refresh">`` in it sent readers to another site,
which the pages' Content-Security-Policy does not stop).

A link becomes an anchor only for an address whose scheme is in ``HREF_SCHEMES``; any other
(``javascript:``, ``data:``, ``mailto:``...) is shown as its words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from markupsafe import Markup, escape

# The only addresses a page links to: the web. (Slack's own constructs are named, not linked.)
HREF_SCHEMES = ("http://", "https://")
# Tags and attribute names are warroom's own words: a name anything else would be a bug.
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
# What an anchor to a person's link says: open apart from the page, pass it no referrer,
# lend it no ranking.
_LINK_REL = "nofollow noopener noreferrer"
# Elements that have no content and no end tag.
_VOID = frozenset({"br"})
EMPTY = Markup("")
BREAK = Markup("<br>")


def text(words: str) -> Markup:
    """Words as HTML: every character shown, none of it markup, quotes too (as Jinja's
    autoescaping does), so the words are inert in an attribute's value as well as between
    tags."""
    return escape(str(words))


def join(pieces: Iterable[Markup | str], between: Markup = EMPTY) -> Markup:
    """Pieces one after another (``between`` them); a plain ``str`` among them is escaped."""
    return between.join(pieces)


def element(tag: str, content: Markup | str = EMPTY, **attributes: str) -> Markup:
    """``<tag attr="value">content</tag>``: the tag and attribute names ours (``class_`` is
    ``class``), each value escaped for an attribute, the content escaped unless Markup."""
    _check_names(tag, *attributes)
    # A value is escaped for an attribute whatever it is: Markup made for text keeps its
    # quotes, so it is taken as characters (str()) and escaped again, quotes included.
    pairs = "".join(
        f' {name.rstrip("_")}="{escape(str(value))}"' for name, value in attributes.items()
    )
    # escape() of Markup is the Markup itself; of anything else, its characters escaped.
    if tag in _VOID:
        return Markup(f"<{tag}{pairs}>")
    return Markup(f"<{tag}{pairs}>{escape(content)}</{tag}>")


@cache
def _check_names(*names: str) -> None:
    """Refuse a tag or attribute name that is not one of ours (a programming error)."""
    if not all(_NAME.match(name.rstrip("_")) for name in names):
        raise ValueError(f"not an HTML name of ours: {names!r}")


def linkable(url: str) -> bool:
    """Whether a page may link to this address (its scheme is the web's)."""
    return url.startswith(HREF_SCHEMES)


def anchor(url: str, words: str) -> Markup:
    """A link to ``url`` shown as ``words``; an address a page may not link to is shown as
    its words only."""
    if not linkable(url):
        return text(words)
    return element("a", text(words), href=url, rel=_LINK_REL)
