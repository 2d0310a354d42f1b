"""Slack's ids and mentions as people and files write them, each pattern written once.

Ids are an uppercase letter saying what they name (U or W a person, C or G a conversation, S a
user group) and uppercase letters and digits after it; Slack writes mentions as ``<@U…>`` and
``<!subteam^S…>``, with an optional ``|label``
(https://docs.slack.dev/messaging/formatting-message-text/#mentioning-users).
"""

from __future__ import annotations

import re

# A person's id: U (or W in Enterprise Grid), as a file or a fact names them.
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# A conversation's id: C (a channel) or G (a private channel, older workspaces).
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")
# ``<@U123>`` or ``<@U123|label>``: group 1 is the id.
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
# ``<!subteam^S123>`` or ``<!subteam^S123|@handle>``: group 1 the id, group 2 the label.
USERGROUP_MENTION = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|([^>]*))?>$")
