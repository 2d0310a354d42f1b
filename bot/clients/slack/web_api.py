"""The Slack workspace as warroom uses it: a few verbs over the Web API, quirks handled.

Retries for rate limits (honouring ``Retry-After``), 5xx answers and dropped connections live in
the client's retry handlers, so every call here gets them. What still fails leaves here as one
of the failures in ``bot.clients.slack.errors``: nothing above this module sees slack_sdk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.basics.slack_text import cut_plain
from bot.clients.slack.errors import (
    SlackGone,
    SlackRefused,
    SlackTokenRevoked,
    slack_call,
    slack_code,
    translated,
)
from bot.clients.slack.limits import More, fit_message, fit_view_blocks
from bot.record.workflows.actions import BOOKMARK_TITLE_MAX

log = logging.getLogger(__name__)
TOPIC_MAX = 250
# Per-person answers of conversations.invite that mean "nothing to do", not a failure.
_NOT_INVITED = frozenset({"already_in_channel", "cant_invite_self"})


@dataclass(frozen=True)
class Invitation:
    """What one ``conversations.invite`` did, person by person."""

    invited: tuple[str, ...] = ()
    already_there: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (user, Slack's error)

    @classmethod
    def of(cls, users: Sequence[str], errors: Sequence[Any]) -> Invitation:
        failed = {
            str(e.get("user")): str(e.get("error") or "unknown")
            for e in errors
            if isinstance(e, dict) and e.get("user")
        }
        return cls(
            invited=tuple(u for u in users if u not in failed),
            already_there=tuple(u for u in users if failed.get(u) == "already_in_channel"),
            refused=tuple((u, e) for u, e in failed.items() if e not in _NOT_INVITED),
        )

    @classmethod
    def merge(cls, parts: Sequence[Invitation]) -> Invitation:
        return cls(
            invited=tuple(u for part in parts for u in part.invited),
            already_there=tuple(u for part in parts for u in part.already_there),
            refused=tuple(r for part in parts for r in part.refused),
        )


@dataclass(frozen=True)
class FoundGroup:
    """A user group found by its handle or id: its id, and whether it is disabled (its handle
    is still taken, so it cannot be created again: it is re-enabled)."""

    id: str
    disabled: bool
    # Its handle (``dba-team``, mentioned as @dba-team) and its name ("Database admins").
    handle: str = ""
    name: str = ""


@dataclass(frozen=True)
class OAuthApp:
    """The Slack app's OAuth credentials (Sign in with Slack)."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class SignedIn:
    """Who Sign in with Slack says signed in."""

    user_id: str
    team_id: str
    name: str


@dataclass(frozen=True)
class MemberFacts:
    """What users.info says about a person that warroom keeps: guest or not, and their zone
    (an IANA name; None when Slack gives none)."""

    guest: bool
    timezone: str | None
    # A single-channel guest (``is_ultra_restricted``), else a multi-channel one when ``guest``.
    single_channel: bool = False
    # A workspace admin or owner (``is_admin``, ``is_owner``): may administer warroom on the web.
    admin: bool = False
    # An app's bot user (``is_bot``): it writes what its app chooses, not a person.
    bot: bool = False


def _facts(user: dict[str, Any]) -> MemberFacts:
    zone = user.get("tz")
    return MemberFacts(
        guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        timezone=zone if isinstance(zone, str) and zone else None,
        single_channel=bool(user.get("is_ultra_restricted")),
        admin=bool(user.get("is_admin") or user.get("is_owner")),
        bot=bool(user.get("is_bot")),
    )


@dataclass(frozen=True)
class Named:
    """How users.info names a person (their full name) and their zone (None when Slack
    gives none)."""

    name: str
    timezone: str | None


@dataclass(frozen=True)
class ChannelFacts:
    """What conversations.info says of a channel that decides whether warroom can post there."""

    name: str
    is_member: bool
    is_archived: bool


def _named(errors: object) -> bool:
    """Whether an ``errors`` list says whose each error is."""
    return isinstance(errors, list) and any(isinstance(e, dict) and e.get("user") for e in errors)


class SlackWorkspace:
    """What warroom does in Slack, as plain method calls."""

    def __init__(
        self,
        client: AsyncWebClient,
        session: aiohttp.ClientSession | None,
        *,
        more: More,
    ) -> None:
        self.client = client
        self._session = session
        self._more = more  # the line that stands for what a too-long message leaves out
        self._users: dict[str, dict[str, Any]] = {}
        # Ids Slack said it knows nobody by (``user_not_found``): not named, not asked again.
        self._nobody: set[str] = set()
        # When each person's guest flag was last had from users.info (monotonic seconds).
        self._facts_at: dict[str, float] = {}
        self._team_id: str | None = None
        self._bot_user: str | None = None
        self._bot_name: str | None = None
        # The workspace's address (auth.test's ``url``), kept from the first answer.
        self._workspace_url: str | None = None

    @slack_call
    async def create_channel(
        self, candidate_names: Iterable[str], *, private: bool = False
    ) -> tuple[str, str]:
        """Create a channel under the first name not taken; return (id, name)."""
        last_error: SlackApiError | None = None
        for name in candidate_names:
            try:
                response = await self.client.conversations_create(name=name, is_private=private)
            except SlackApiError as error:
                if slack_code(error) != "name_taken":
                    raise
                last_error = error
                continue
            channel = response["channel"]
            return channel["id"], channel["name"]
        assert last_error is not None
        raise last_error

    @property
    def known_team_id(self) -> str | None:
        """The workspace, if Slack has said it already: known without a call."""
        return self._team_id

    @property
    def known_bot_user(self) -> str | None:
        """The bot's own user id, if Slack has said it already: known without a call."""
        return self._bot_user

    @property
    def known_bot_name(self) -> str | None:
        """The bot's own name in the workspace (auth.test's ``user``), if Slack has said it
        already: how pages name the bot's own messages, which it never asks users.info of."""
        return self._bot_name

    @property
    def known_workspace_url(self) -> str | None:
        """The workspace's address (``https://acme.slack.com/``), if Slack has said it
        already (auth.test's ``url``): known without a call."""
        return self._workspace_url

    @slack_call
    async def team_id(self) -> str:
        """The workspace the bot is installed in (incidents are numbered per workspace)."""
        if self._team_id is None:
            self._keep_auth(await self.client.auth_test())
        assert self._team_id is not None
        return self._team_id

    @slack_call
    async def bot_user(self) -> str:
        """The bot's own user id (what it does by itself is recorded as its own)."""
        if self._bot_user is None:
            response = await self.client.auth_test()
            self._keep_auth(response)
        assert self._bot_user is not None
        return self._bot_user

    def _keep_auth(self, response: Any) -> None:
        """Keep what auth.test says of the workspace and the bot: the workspace's id and
        address (``url``), the bot's user id and name (``user_id``, ``user``:
        https://docs.slack.dev/reference/methods/auth.test)."""
        self._team_id = str(response["team_id"])
        if response.get("user_id"):
            self._bot_user = str(response["user_id"])
        name = response.get("user")
        if isinstance(name, str) and name:
            self._bot_name = name
        url = response.get("url")
        if isinstance(url, str) and url.startswith("https://"):
            self._workspace_url = url

    async def token_works(self) -> bool:
        """Whether Slack takes the bot's token now (``auth.test``); False when it is revoked,
        and Slack being down raises as any call does."""
        try:
            await self.check_token()
        except SlackTokenRevoked:
            return False
        return True

    @slack_call
    async def check_token(self) -> None:
        """Ask Slack whether it takes the bot's token (``auth.test``); raise as any call does
        when it does not (``SlackTokenRevoked``) or does not answer (``SlackUnavailable``)."""
        self._keep_auth(await self.client.auth_test())

    @slack_call
    async def invite(self, channel_id: str, user_ids: Iterable[str]) -> Invitation:
        """Invite people; say who came in, who was there already, and who Slack refused.

        ``conversations.invite`` is all-or-nothing for a list: one person already in the
        channel and nobody is invited. ``force=true`` invites the others and lists the rest in
        ``errors`` (https://docs.slack.dev/reference/methods/conversations.invite).
        """
        users = sorted(set(user_ids))
        if not users:
            return Invitation()
        try:
            response = await self.client.conversations_invite(
                channel=channel_id, users=",".join(users), force=True
            )
            data = response.data if isinstance(response.data, dict) else {}
        except SlackApiError as error:
            data = error.response.data if isinstance(error.response.data, dict) else {}
            if _named(data.get("errors")):
                return Invitation.of(users, data["errors"])
            if slack_code(error) not in _NOT_INVITED:
                raise
            if len(users) > 1:
                # One error for several people, without saying whose: ask person by person
                # rather than take everyone for already there.
                return Invitation.merge([await self.invite(channel_id, [user]) for user in users])
            return Invitation.of(users, [{"user": users[0], "error": slack_code(error)}])
        return Invitation.of(users, data.get("errors") or [])

    @slack_call
    async def add_bookmark(self, channel_id: str, title: str, link: str) -> None:
        """Add a link to the channel's bookmarks (``bookmarks.add``, type ``link``), its title
        cut to what Slack takes (a bookmark kept before titles were cut, too)."""
        title = cut_plain(title, BOOKMARK_TITLE_MAX)
        await self.client.bookmarks_add(channel_id=channel_id, title=title, type="link", link=link)

    @slack_call
    async def set_topic(self, channel_id: str, topic: str) -> None:
        """Set the channel topic, cut to Slack's 250-character limit."""
        if len(topic) > TOPIC_MAX:
            topic = topic[: TOPIC_MAX - 1] + "…"
        await self.client.conversations_setTopic(channel=channel_id, topic=topic)

    @slack_call
    async def post(self, channel_id: str, text: str, **extra: Any) -> str:
        """Post a message; return its ``ts``."""
        text, extra = self._fitted(text, extra)
        response = await self.client.chat_postMessage(channel=channel_id, text=text, **extra)
        return str(response["ts"])

    @slack_call
    async def update(self, channel_id: str, ts: str, text: str, **extra: Any) -> None:
        """Edit one of the bot's messages in place."""
        text, extra = self._fitted(text, extra)
        await self.client.chat_update(channel=channel_id, ts=ts, text=text, **extra)

    def _fitted(self, text: str, extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Too long for Slack is shortened with a "…and N more" line, never refused."""
        text, blocks = fit_message(text, extra.get("blocks"), self._more)
        return text, {**extra, "blocks": blocks} if blocks is not None else extra

    @slack_call
    async def pin(self, channel_id: str, ts: str) -> None:
        """Pin a message; pinning twice is not an error."""
        try:
            await self.client.pins_add(channel=channel_id, timestamp=ts)
        except SlackApiError as error:
            if slack_code(error) != "already_pinned":
                raise

    @slack_call
    async def react(self, channel_id: str, ts: str, name: str) -> None:
        """Add the bot's own reaction to a message; reacting twice is not an error."""
        try:
            await self.client.reactions_add(channel=channel_id, timestamp=ts, name=name)
        except SlackApiError as error:
            if slack_code(error) != "already_reacted":
                raise

    @slack_call
    async def unreact(self, channel_id: str, ts: str, name: str) -> None:
        """Remove the bot's own reaction; removing one that is not there is not an error."""
        try:
            await self.client.reactions_remove(channel=channel_id, timestamp=ts, name=name)
        except SlackApiError as error:
            if slack_code(error) != "no_reaction":
                raise

    @slack_call
    async def fetch_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """One message by its ``ts``: from the channel history, else from its thread."""
        history = await self.client.conversations_history(
            channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        found = _with_ts(history.get("messages") or [], ts)
        if found is not None:
            return found
        # Thread replies are not in the history; conversations.replies takes any ts of a thread.
        try:
            replies = await self.client.conversations_replies(
                channel=channel_id, ts=ts, oldest=ts, inclusive=True, limit=15
            )
        except SlackApiError as error:
            if slack_code(error) == "thread_not_found":
                return None
            raise
        return _with_ts(replies.get("messages") or [], ts)

    @slack_call
    async def is_public_channel(self, channel_id: str) -> bool:
        """Whether everyone in the workspace can read this conversation.

        A DM, a group DM, a private channel, or one the bot cannot see (``conversations.info``
        answers ``channel_not_found``, or ``missing_scope`` for DMs) is not: when in doubt, no.
        """
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except SlackApiError as error:
            log.info("conversations.info for %s: %s", channel_id, slack_code(error))
            return False
        channel = response.get("channel") or {}
        private = ("is_private", "is_im", "is_mpim", "is_group")
        return bool(channel.get("is_channel")) and not any(channel.get(key) for key in private)

    @slack_call
    async def channel_facts(self, channel_id: str) -> ChannelFacts | None:
        """The channel's name and whether the bot is in it; None when Slack does not show it
        to the bot (``channel_not_found``: no such channel, or a private one without the bot,
        https://docs.slack.dev/reference/methods/conversations.info)."""
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except SlackApiError as error:
            if slack_code(error) == "channel_not_found":
                return None
            raise
        channel = response.get("channel") or {}
        return ChannelFacts(
            name=str(channel.get("name") or channel_id),
            is_member=bool(channel.get("is_member")),
            is_archived=bool(channel.get("is_archived")),
        )

    @slack_call
    async def permalink(self, channel_id: str, ts: str) -> str:
        """A link to one message."""
        response = await self.client.chat_getPermalink(channel=channel_id, message_ts=ts)
        return str(response["permalink"])

    @slack_call
    async def create_channel_canvas(self, channel_id: str, title: str, markdown: str) -> str:
        """Give the channel its canvas (the tab at the top of the channel); return its id."""
        response = await self.client.conversations_canvases_create(
            channel_id=channel_id,
            title=title,
            document_content={"type": "markdown", "markdown": markdown},
        )
        return str(response["canvas_id"])

    @slack_call
    async def replace_canvas(self, canvas_id: str, markdown: str) -> None:
        """Replace a canvas's whole content."""
        await self.client.canvases_edit(
            canvas_id=canvas_id,
            changes=[
                {
                    "operation": "replace",
                    "document_content": {"type": "markdown", "markdown": markdown},
                }
            ],
        )

    @slack_call
    async def upload_file(
        self, channel_id: str, *, filename: str, title: str, content: str, comment: str
    ) -> str:
        """Share a text file in the channel with a comment (Slack's external upload flow)."""
        response = await self.client.files_upload_v2(
            channel=channel_id,
            filename=filename,
            title=title,
            content=content,
            initial_comment=comment,
        )
        return str(response["file"]["id"])

    @slack_call
    async def display_name(self, user_id: str) -> str:
        """How a person is called in chat (topics); the id itself if Slack will not say."""
        user = await self._user(user_id)
        profile = user.get("profile") or {}
        return str(
            profile.get("display_name") or user.get("real_name") or user.get("name") or user_id
        )

    @slack_call
    async def full_name(self, user_id: str) -> str:
        """A person's full name, for documents; the id itself if Slack will not say."""
        user = await self._user(user_id)
        profile = user.get("profile") or {}
        return str(user.get("real_name") or profile.get("real_name") or user.get("name") or user_id)

    @slack_call
    async def named(self, user_id: str) -> Named | None:
        """The person's full name and zone as Slack has them (``users.info``); None when
        Slack knows nobody by that id (``user_not_found``: a mistyped id, or one made up in a
        schedule file), which is an answer, not a failure."""
        if user_id in self._nobody:
            return None
        user = self._users.get(user_id)
        if not user:  # not asked yet here (an empty answer: asked and failed, so ask again)
            try:
                user = dict((await self.client.users_info(user=user_id))["user"])
            except SlackApiError as error:
                if slack_code(error) == "user_not_found":
                    log.debug("users.info: no user %s", user_id)
                    self._nobody.add(user_id)
                    return None
                raise
            self._users[user_id] = user
        profile = user.get("profile") or {}
        name = user.get("real_name") or profile.get("real_name") or user.get("name")
        zone = user.get("tz")
        if not name:
            return None
        return Named(str(name), zone if isinstance(zone, str) and zone else None)

    @slack_call
    async def time_zone(self, user_id: str) -> str | None:
        """The person's time zone as set in Slack (``users.info`` ``tz``, an IANA name), or
        None when Slack does not say."""
        zone = (await self._user(user_id)).get("tz")
        return str(zone) if zone else None

    @slack_call
    async def is_person(self, user_id: str) -> bool:
        """Whether ``user_id`` is someone of the workspace: known to Slack, not deactivated,
        not a bot."""
        user = await self._user(user_id)
        return bool(user) and not user.get("deleted") and not user.get("is_bot")

    async def user_by_email(self, email: str) -> str | None:
        """The Slack user id of whoever has ``email`` (``users.lookupByEmail``, which needs
        the ``users:read.email`` scope); None when nobody of the workspace has it."""
        try:
            with translated("users.lookupByEmail"):
                response = await self.client.users_lookupByEmail(email=email)
        except SlackGone:  # users_not_found
            return None
        user = response.get("user") or {}
        return str(user["id"]) if user.get("id") else None

    async def _user(self, user_id: str) -> dict[str, Any]:
        if user_id in self._nobody:
            return {}
        if user_id not in self._users:
            try:
                await self._ask_user(user_id)
            except SlackApiError as error:
                code = slack_code(error)
                if code == "user_not_found":  # an answer (a made-up id), not a failure
                    log.info("users.info: Slack knows no user %s", user_id)
                else:
                    log.warning("users.info for %s failed: %s", user_id, code)
                return {}
        return self._users[user_id]

    @slack_call
    async def member_facts(self, user_id: str, *, within: float = 0.0) -> MemberFacts:
        """Whether the person is a guest (``is_restricted``: multi-channel,
        ``is_ultra_restricted``: single-channel; https://docs.slack.dev/reference/objects/user-object),
        and their ``tz``. Asked afresh (a guest made a member, or the reverse, counts from the
        next sign-in), or from an answer at most ``within`` seconds old when the caller
        allows it."""
        if user_id in self._nobody:  # Slack never reuses an id: asking again changes nothing
            raise SlackGone("users.info", "user_not_found")
        asked_at = self._facts_at.get(user_id)
        if asked_at is None or time.monotonic() - asked_at >= within:
            await self._ask_user(user_id)
        return _facts(self._users[user_id])

    def kept_facts(self, user_id: str) -> tuple[MemberFacts, float] | None:
        """``member_facts`` from the answer this process keeps, and its age in seconds,
        asking Slack nothing (a page decided inside a transaction); None when none is kept."""
        asked_at = self._facts_at.get(user_id)
        if asked_at is None or user_id in self._nobody:
            return None
        return _facts(self._users[user_id]), time.monotonic() - asked_at

    async def _ask_user(self, user_id: str) -> None:
        """users.info for the person, kept with when it was had."""
        try:
            user = dict((await self.client.users_info(user=user_id))["user"])
        except SlackApiError as error:
            if slack_code(error) == "user_not_found":
                self._nobody.add(user_id)
            raise
        self._users[user_id] = user  # what names them too (``named``), with no second call
        self._facts_at[user_id] = time.monotonic()

    @slack_call
    async def sign_in(self, app: OAuthApp, code: str, redirect_uri: str) -> SignedIn:
        """Trade a Sign in with Slack ``code`` for who signed in (OpenID Connect:
        https://docs.slack.dev/authentication/sign-in-with-slack)."""
        answer = await self.client.openid_connect_token(
            client_id=app.client_id,
            client_secret=app.client_secret,
            code=code,
            redirect_uri=redirect_uri,
            grant_type="authorization_code",
        )
        person = AsyncWebClient(
            token=str(answer["access_token"]),
            base_url=self.client.base_url,
            session=self.client.session,
        )
        info = await person.openid_connect_userInfo()
        user_id = str(info.get("https://slack.com/user_id") or info.get("sub") or "")
        team_id = str(info.get("https://slack.com/team_id") or "")
        if not user_id or not team_id:
            raise SlackRefused("openid.connect.userInfo", "no_user_named")
        return SignedIn(user_id, team_id, str(info.get("name") or user_id))

    @slack_call
    async def channel_members(self, channel_id: str) -> set[str]:
        """Everyone in a channel the bot is in (``conversations.members``, every page)."""
        members: set[str] = set()
        cursor = None
        while True:
            response = await self.client.conversations_members(
                channel=channel_id, limit=1000, cursor=cursor
            )
            members.update(response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members

    @slack_call
    async def usergroup_members(self, group_id: str) -> list[str]:
        """The user ids in a user group (``S...``)."""
        response = await self.client.usergroups_users_list(usergroup=group_id)
        return [str(user) for user in response.get("users") or []]

    @slack_call
    async def set_usergroup_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        """Make ``user_ids`` (at least one) the whole membership of a user group
        (``usergroups.users.update``, scope ``usergroups:write``)."""
        await self.client.usergroups_users_update(usergroup=group_id, users=",".join(user_ids))

    @slack_call
    async def find_usergroup(self, handle: str) -> FoundGroup | None:
        """The user group with this handle (``dba-team``), if there is one, disabled or not:
        usergroups.list leaves disabled groups out unless asked (``include_disabled``,
        https://docs.slack.dev/reference/methods/usergroups.list), and a disabled group's
        handle is taken all the same. Disabled: ``date_delete`` is non-zero
        (https://docs.slack.dev/reference/methods/usergroups.disable)."""
        response = await self.client.usergroups_list(include_disabled=True)
        wanted = handle.lstrip("@").lower()
        for group in response.get("usergroups") or []:
            if str(group.get("handle", "")).lower() == wanted or group.get("id") == handle:
                return FoundGroup(
                    str(group["id"]),
                    bool(group.get("date_delete")),
                    handle=str(group.get("handle") or ""),
                    name=str(group.get("name") or ""),
                )
        return None

    @slack_call
    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal for the person whose action gave ``trigger_id``."""
        await self.client.views_open(trigger_id=trigger_id, view=view)

    @slack_call
    async def publish_home(
        self, user_id: str, view: dict[str, Any], *, seen_hash: str | None = None
    ) -> bool:
        """Publish ``user_id``'s Home tab (``views.publish``), cut to Slack's limits if it has
        to be. ``seen_hash``: the hash of the Home as the person opened it; False when it
        changed since (``hash_conflict``: a newer view is there already,
        https://docs.slack.dev/reference/methods/views.publish)."""
        view = fit_view_blocks(view, self._more)
        try:
            await self.client.views_publish(user_id=user_id, view=view, hash=seen_hash)
        except SlackApiError as error:
            if slack_code(error) != "hash_conflict":
                raise
            return False
        return True

    @slack_call
    async def update_view(self, view_id: str, view: dict[str, Any], view_hash: str = "") -> None:
        """Replace an open modal's view (a choice in it changed what it asks); ``view_hash``
        makes Slack refuse (``hash_conflict``) if the view changed meanwhile, and a view the
        person closed is ``not_found`` (https://docs.slack.dev/reference/methods/views.update)."""
        if view_hash:
            await self.client.views_update(view_id=view_id, view=view, hash=view_hash)
        else:
            await self.client.views_update(view_id=view_id, view=view)

    @slack_call
    async def reply(self, response_url: str, text: str) -> None:
        """Answer a person privately through the ``response_url`` of their command or modal."""
        webhook = AsyncWebhookClient(url=response_url, session=self._session)
        response = await webhook.send(text=text, response_type="ephemeral")
        if response.status_code >= 300:
            log.warning("response_url answered HTTP %s", response.status_code)


def _with_ts(messages: list[dict[str, Any]], ts: str) -> dict[str, Any] | None:
    return next((message for message in messages if message.get("ts") == ts), None)
