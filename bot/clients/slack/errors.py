"""Slack's failures as warroom's own errors: the flows decide on five kinds, never on codes.

Slack answers a failed call with ``ok: false`` and an error code (``channel_not_found``), or
with HTTP 429 and ``Retry-After``, or not at all. The outgoing client turns each into one of:

- ``SlackGone``: what the call names cannot be had: deleted, archived, or out of the bot's
  sight (a DM, a private channel it is not in), or a trigger that expired.
- ``SlackNotAllowed``: the bot may not do this here: its scopes, the workspace's plan or
  settings. A person can change that; trying again the same way before cannot help.
  ``SlackTokenRevoked``, one of them, says the token itself is dead (the app uninstalled):
  nothing can be sent until the app is installed again.
- ``SlackRateLimited``: too fast; ``retry_after`` says how long to wait.
- ``SlackUnavailable``: no answer, or Slack failed (5xx, ``internal_error``): try again later.
- ``SlackRefused``: anything else Slack refused; trying again the same way cannot help.

Every one carries Slack's own code (``code``) for logs and for the person told, and the API
method (``method``). Codes per method: https://docs.slack.dev/reference/methods
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.basics.numbers import parse_bounded_int

# A Retry-After beyond this is not believed (one of "inf" would close a gate for good).
RETRY_AFTER_MAX = 3600

_GONE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "message_not_found",
        "thread_not_found",
        "user_not_found",
        "users_not_found",
        "no_such_subteam",
        "subteam_not_found",
        "canvas_not_found",
        "canvas_deleted",
        "file_not_found",
        "invalid_trigger_id",
        "expired_trigger_id",
        "exchanged_trigger_id",
    }
)
# The token itself no longer works: "token_revoked: Authentication token is for a deleted
# user or workspace or the app has been removed" (every method's error table, e.g.
# https://docs.slack.dev/reference/methods/chat.postMessage); after app_uninstalled every call
# answers one of these.
_REVOKED = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive"}
)
_NOT_ALLOWED = frozenset(
    {
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "permission_denied",  # pins.add: "does not have permission to add pins"
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
        "access_denied",
        # User groups are a paid feature: on a free workspace usergroups.list, .users.list and
        # .users.update answer "This workspace does not have access to User Groups, as that
        # feature is only available on Standard and above plans"
        # (https://docs.slack.dev/reference/methods/usergroups.users.update).
        "plan_upgrade_required",
        # What a workspace's plan or settings refuse of canvases
        # (https://docs.slack.dev/reference/methods/conversations.canvases.create): a free
        # workspace has one canvas tab per channel at most, and the channel may have it already.
        "canvas_disabled_user_team",
        "team_tier_cannot_create_channel_canvases",
        "channel_canvas_already_exists",
        "canvas_creation_failed",
        "free_team_canvas_tab_already_exists",
        "channel_canvas_creation_failed",
        "canvas_tab_creation_failed",
        # views.publish: "a home view is published but the Home tab isn't enabled for the
        # app" (https://docs.slack.dev/reference/methods/views.publish): its settings.
        "not_enabled",
    }
)
_UNAVAILABLE = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Codes the client itself settles (pinning what is pinned, an app's manifest refused, ...).
_SETTLED_IN_CLIENT = frozenset(
    {
        "ratelimited",
        "name_taken",
        "already_in_channel",
        "cant_invite_self",
        "already_pinned",
        "already_reacted",
        "no_reaction",
        "invalid_manifest",
        "hash_conflict",
    }
)
# Every code the client knows (tests check that nothing above it matches one).
KNOWN_CODES = _GONE | _REVOKED | _NOT_ALLOWED | _UNAVAILABLE | _SETTLED_IN_CLIENT


class SlackFailure(Exception):
    """A Slack call that did not do what was asked."""

    def __init__(
        self,
        method: str,
        code: str,
        *,
        details: tuple[dict[str, Any], ...] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{method}: {code}")
        self.method = method
        self.code = code
        # Slack's per-item explanations, when it gives them (``errors``: an invalid manifest's
        # pointers, conversations.invite's per-person errors).
        self.details = details
        self.retry_after = retry_after


class SlackGone(SlackFailure):
    """What the call names is gone or out of the bot's sight."""


class SlackNotAllowed(SlackFailure):
    """The bot may not do this here until a person changes its token, scopes or settings."""


class SlackTokenRevoked(SlackNotAllowed):
    """The bot's token no longer works (the app was uninstalled, its token revoked): no call
    can succeed until the app is installed again."""


class SlackRateLimited(SlackFailure):
    """Too many calls: wait ``retry_after`` seconds (None when Slack did not say)."""


class SlackTurnLater(SlackRateLimited):
    """Not Slack's answer: the call's turn in warroom's own pace of Slack's limits comes in
    ``retry_after`` seconds, more than its caller would wait. Unlike a closed gate, it says
    nothing of the calls behind it: each has a turn of its own."""


class SlackUnavailable(SlackFailure):
    """Slack did not answer, or failed: the same call may work later."""


class SlackRefused(SlackFailure):
    """Slack refused the call; the same call will be refused again."""


def slack_code(error: SlackApiError) -> str:
    """Slack's error code for a failed call (``name_taken``), or ``http_<status>`` without one."""
    response = error.response
    code = response.get("error") if isinstance(response.data, dict) else None
    return str(code or f"http_{response.status_code}")


def failure_of(error: SlackApiError) -> SlackFailure:
    """The failure of ours that Slack's answer means."""
    response = error.response
    data = response.data if isinstance(response.data, dict) else {}
    status = int(getattr(response, "status_code", 200) or 200)
    code = slack_code(error)
    method = str(getattr(response, "api_url", "") or "").rsplit("/", 1)[-1] or "unknown"
    details = tuple(e for e in data.get("errors") or [] if isinstance(e, dict))
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        seconds = parse_bounded_int(str(headers.get("Retry-After", "")), 0, RETRY_AFTER_MAX)
        return SlackRateLimited(method, code, retry_after=seconds, details=details)
    kind: type[SlackFailure] = SlackRefused
    if status >= 500 or code in _UNAVAILABLE:
        kind = SlackUnavailable
    elif code in _GONE:
        kind = SlackGone
    elif code in _REVOKED:
        kind = SlackTokenRevoked
    elif code in _NOT_ALLOWED:
        kind = SlackNotAllowed
    return kind(method, code, details=details)


@contextmanager
def translated(method: str) -> Iterator[None]:
    """Raise what goes wrong inside as a ``SlackFailure`` (``method`` names unanswered calls)."""
    try:
        yield
    except SlackApiError as error:
        raise failure_of(error) from error
    except (aiohttp.ClientError, OSError) as error:  # TimeoutError is an OSError
        raise SlackUnavailable(method, type(error).__name__) from error
    except SlackClientError as error:  # a request the client would not send
        raise SlackRefused(method, type(error).__name__) from error


P = ParamSpec("P")
R = TypeVar("R")


def slack_call(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Have a client method raise only ``SlackFailure`` for Slack's failures."""

    @wraps(function)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        with translated(function.__name__):
            return await function(*args, **kwargs)

    return call
