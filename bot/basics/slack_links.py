"""Links to Slack messages in the form ``chat.getPermalink`` gives them, so that one answer
per channel is enough for every message of that channel.

Slack's permalink for a message is ``https://<workspace>.slack.com/archives/<channel>/p<ts
without its dot>``, and "When the provided message_ts is part of a thread, the permalink
format changes": the same with ``?thread_ts=<the parent's ts>&cid=<channel>``
(https://api.slack.com/methods/chat.getPermalink, "Example responses"). Only the part
before ``/archives/`` differs from one workspace (or Enterprise Grid org) to another: it is
read from an answer, never assumed, and an answer not of this form teaches nothing (each
message's link is then asked of Slack).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit


def message_link(base: str, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """The permalink of message ``ts`` in ``channel`` (a reply in the thread ``thread_ts``)
    for a workspace whose links start with ``base`` (``https://acme.slack.com``)."""
    link = f"{base}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def link_base(permalink: str, channel: str, ts: str, thread_ts: str | None = None) -> str | None:
    """What every link of ``channel`` starts with, read from Slack's permalink for message
    ``ts`` (``thread_ts``: its thread's parent, if a reply); None when the answer is not of
    the form ``message_link`` makes, which is then not used for other messages."""
    parts = urlsplit(permalink)
    if parts.scheme != "https" or not parts.netloc or parts.fragment:
        return None
    base = f"{parts.scheme}://{parts.netloc}"
    # The whole answer, query included: a reply's link must name its own thread and channel.
    return base if message_link(base, channel, ts, thread_ts) == permalink else None


def channel_link(base: str | None, team: str, channel: str) -> str:
    """Where "Open in Slack" goes for ``channel``: its page in the workspace, when the
    workspace's address is known (``base``: auth.test's ``url``, or a permalink's start),
    else Slack's deep link, which opens the app on the channel
    (``slack://channel?team=T…&id=C…``: https://docs.slack.dev/interactivity/deep-linking)."""
    if base:
        return f"{base.rstrip('/')}/archives/{channel}"
    return f"slack://channel?{urlencode({'team': team, 'id': channel})}"


def user_link(team: str, user: str) -> str:
    """Slack's deep link that opens the app on a person's profile, where a message to them is
    one tap (``slack://user?team=T…&id=U…``: https://docs.slack.dev/interactivity/deep-linking):
    what a page links when it names someone, or when Slack could not say who an id is."""
    return f"slack://user?{urlencode({'team': team, 'id': user})}"
