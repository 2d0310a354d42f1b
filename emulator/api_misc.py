"""auth, users, usergroups, views, bookmarks, files, canvases and apps methods."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from emulator import blockkit
from emulator.api import (
    ApiError,
    Args,
    Result,
    get_channel,
    method,
    require_access,
    require_active,
    require_bot_member,
    require_visible,
)
from emulator.state import EmulatorState, Trigger

# Keys the emulator adds to stored views for tests; never sent back over the API.
VIEW_EXTRAS = ("trigger_user", "channel")


@method("auth.test")
def auth_test(emu: EmulatorState, _args: Args) -> Result:
    return {
        "url": f"https://{emu.team_domain}.slack.com/",
        "team": emu.team_domain,
        "user": emu.users[emu.bot_user_id].name,
        "team_id": emu.team_id,
        "user_id": emu.bot_user_id,
        "bot_id": emu.bot_id,
        "is_enterprise_install": False,
    }


@method("apps.connections.open")
def apps_connections_open(emu: EmulatorState, _args: Args) -> Result:
    return {"url": emu.root_url.replace("http://", "ws://", 1) + "/link"}


# -- users -----------------------------------------------------------------------------------
@method("users.info")
def users_info(emu: EmulatorState, args: Args) -> Result:
    user = emu.users.get(args.text("user") or "")
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user.to_api(emu.team_id)}


@method("users.lookupByEmail")
def users_lookup_by_email(emu: EmulatorState, args: Args) -> Result:
    """The user with that email; ``users_not_found`` when none has it. The token needs
    ``users:read.email`` (https://docs.slack.dev/reference/methods/users.lookupByEmail,
    "Required scopes")."""
    require_scope(emu, "users:read.email")
    email = (args.text("email") or "").lower()
    user = next((u for u in emu.users.values() if u.address.lower() == email), None)
    if user is None:
        raise ApiError("users_not_found")
    return {"user": user.to_api(emu.team_id)}


@method("users.list")
def users_list(emu: EmulatorState, _args: Args) -> Result:
    members = [u.to_api(emu.team_id) for u in emu.users.values()]
    return {"members": members, "response_metadata": {"next_cursor": ""}}


# -- usergroups ------------------------------------------------------------------------------
def require_user_groups(emu: EmulatorState) -> None:
    """User groups are a paid feature: on a free workspace usergroups.list, usergroups.users.list
    and usergroups.users.update answer ``plan_upgrade_required``, "This workspace does not have
    access to User Groups, as that feature is only available on Standard and above plans"
    (the error tables of https://docs.slack.dev/reference/methods/usergroups.list and its
    siblings)."""
    if emu.plan == "free":
        raise ApiError("plan_upgrade_required")


def require_scope(emu: EmulatorState, scope: str) -> None:
    """A method whose scope the token lacks answers ``missing_scope``, with the scope it
    ``needed`` and those ``provided`` (https://docs.slack.dev/reference/methods, "Common
    errors"; https://docs.slack.dev/authentication/tokens)."""
    if scope not in emu.scopes:
        raise ApiError("missing_scope", {"needed": scope, "provided": ",".join(sorted(emu.scopes))})


def disabled(group: dict[str, Any]) -> bool:
    """ "When a User Group has been disabled its date_delete parameter will be non-zero"
    (https://docs.slack.dev/reference/methods/usergroups.disable)."""
    return bool(group.get("date_delete"))


@method("usergroups.users.list")
def usergroups_users_list(emu: EmulatorState, args: Args) -> Result:
    """A group's members. ``include_disabled``: "Allow results that involve disabled User
    Groups" (https://docs.slack.dev/reference/methods/usergroups.users.list); without it a
    disabled group is not found (``no_such_subteam``: the fake refuses what the docs do not
    say Slack allows)."""
    require_user_groups(emu)
    group = emu.usergroups.get(args.text("usergroup") or "")
    if group is None or (disabled(group) and not args.flag("include_disabled")):
        raise ApiError("no_such_subteam")
    return {"users": list(group["users"])}


def _named_group(emu: EmulatorState, args: Args) -> dict[str, Any]:
    """The group ``usergroup`` names: ``missing_argument`` without one, ``no_such_subteam``
    for an unknown one (as usergroups.users.list and usergroups.disable say)."""
    group_id = args.text("usergroup")
    if not group_id:
        raise ApiError("missing_argument")
    group = emu.usergroups.get(group_id)
    if group is None:
        raise ApiError("no_such_subteam")
    return group


def _switch(emu: EmulatorState, args: Args, *, off: bool) -> Result:
    """usergroups.disable / usergroups.enable: scope ``usergroups:write``, ``usergroup``
    required (https://docs.slack.dev/reference/methods/usergroups.disable and
    usergroups.enable); the group answered, ``date_delete`` non-zero while disabled."""
    require_scope(emu, "usergroups:write")
    require_user_groups(emu)
    group = _named_group(emu, args)
    group["date_delete"] = int(time.time()) if off else 0
    answer = dict(group)
    if args.flag("include_count"):
        answer["user_count"] = len(group["users"])
    return {"usergroup": answer}


@method("usergroups.disable")
def usergroups_disable(emu: EmulatorState, args: Args) -> Result:
    return _switch(emu, args, off=True)


@method("usergroups.enable")
def usergroups_enable(emu: EmulatorState, args: Args) -> Result:
    return _switch(emu, args, off=False)


@method("usergroups.users.update")
def usergroups_users_update(emu: EmulatorState, args: Args) -> Result:
    """Replace a user group's members (https://docs.slack.dev/reference/methods/usergroups.users.update).

    Scope ``usergroups:write``. Required: ``usergroup`` (an ``S…`` id) and ``users``, "a comma
    separated string of encoded user IDs that represent the entire list of users for the user
    group" (a JSON body may give a list). Refused as documented: a free workspace
    (``plan_upgrade_required``); no ``usergroup`` (``missing_argument``) or an unknown one
    (``no_such_subteam``, as usergroups.users.list says it); ``users`` missing or empty
    (``no_users_provided``: "You cannot use this method to remove all members from a user
    group"); an id that is no user of the workspace (``invalid_users``); "Guests or bot users
    cannot be added to user groups; attempting to do so will result in an invalid_user error
    (or in the case of single channel guests, a single_channel_guests_cannot_be_added
    error)". Answers the group with its new ``users`` (``user_count`` with
    ``include_count``).
    """
    require_scope(emu, "usergroups:write")
    require_user_groups(emu)
    group = _named_group(emu, args)
    raw = args.data.get("users")
    listed = raw if isinstance(raw, list) else str(raw or "").split(",")
    users = list(dict.fromkeys(str(user).strip() for user in listed if str(user).strip()))
    if not users:
        raise ApiError("no_users_provided")
    found = [emu.users.get(user) for user in users]
    if any(user is None or user.deleted for user in found):
        raise ApiError("invalid_users")
    if any(user is not None and user.is_ultra_restricted for user in found):
        raise ApiError("single_channel_guests_cannot_be_added")
    if any(user is not None and (user.is_bot or user.is_restricted) for user in found):
        raise ApiError("invalid_user")
    group["users"] = users
    answer = dict(group)
    if args.flag("include_count"):
        answer["user_count"] = len(users)
    return {"usergroup": answer}


@method("usergroups.list")
def usergroups_list(emu: EmulatorState, args: Args) -> Result:
    """The workspace's user groups (https://docs.slack.dev/reference/methods/usergroups.list):
    "This method returns a list of all User Groups in the team. This can optionally include
    disabled User Groups" (``include_disabled``, "Include results for disabled User Groups");
    without it a disabled group is left out. ``include_users`` adds each group's members."""
    require_user_groups(emu)
    with_users = args.flag("include_users")
    with_disabled = args.flag("include_disabled")
    groups = [
        {
            **{k: v for k, v in g.items() if k != "users" or with_users},
            "user_count": len(g["users"]),
        }
        for g in emu.usergroups.values()
        if with_disabled or not disabled(g)
    ]
    return {"usergroups": groups}


# -- views -----------------------------------------------------------------------------------
def use_trigger(emu: EmulatorState, args: Args) -> Trigger:
    trigger_id = args.text("trigger_id") or args.text("interactivity_pointer") or ""
    trigger = emu.triggers.get(trigger_id)
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if time.monotonic() - trigger.issued > emu.trigger_ttl:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger


# views.open/push/update refuse a view over 250 KB (see _view_arg).
VIEW_BYTES_MAX = 250_000


def _view_arg(args: Args) -> dict[str, Any]:
    """The `view` of views.open/update/push, refused as Slack refuses it: `invalid_arguments`
    with the problems in `response_metadata.messages` (rules and sources in blockkit.py), and
    `view_too_large`, "Error returned if the provided view is greater than 250kb" (the
    methods' error tables, https://docs.slack.dev/reference/methods/views.open, views.push,
    views.update; read as 250,000 bytes of its JSON, as views.publish in api_home.py)."""
    view = args.parsed("view")
    if problems := blockkit.view_problems(view):
        raise ApiError("invalid_arguments", messages=problems)
    assert isinstance(view, dict)  # view_problems refuses anything else
    sent = args.data.get("view")
    size = sent if isinstance(sent, str) else json.dumps(sent)
    if len(size.encode()) > VIEW_BYTES_MAX:
        raise ApiError("view_too_large")
    return view


def build_view(emu: EmulatorState, raw: dict[str, Any], view_id: str) -> dict[str, Any]:
    return {
        "id": view_id,
        "team_id": emu.team_id,
        "type": raw["type"],
        "blocks": raw.get("blocks", []),
        "private_metadata": raw.get("private_metadata", ""),
        "callback_id": raw.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": raw.get("title"),
        "submit": raw.get("submit"),
        "close": raw.get("close"),
        "clear_on_close": bool(raw.get("clear_on_close")),
        "notify_on_close": bool(raw.get("notify_on_close")),
        "external_id": raw.get("external_id", ""),
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": emu.app_id,
        "app_installed_team_id": emu.team_id,
        "bot_id": emu.bot_id,
    }


def public_view(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in VIEW_EXTRAS}


def _open_view(emu: EmulatorState, args: Args, *, previous: str | None = None) -> Result:
    raw = _view_arg(args)
    trigger = use_trigger(emu, args)
    view = build_view(emu, raw, emu.new_id("V"))
    view["previous_view_id"] = previous
    emu.views[view["id"]] = {**view, "trigger_user": trigger.user, "channel": trigger.channel}
    return {"view": view}


@method("views.open")
def views_open(emu: EmulatorState, args: Args) -> Result:
    return _open_view(emu, args)


@method("views.push")
def views_push(emu: EmulatorState, args: Args) -> Result:
    return _open_view(emu, args, previous=next(reversed(emu.views), None))


@method("views.update")
def views_update(emu: EmulatorState, args: Args) -> Result:
    """Replace a view (https://docs.slack.dev/reference/methods/views.update): `not_found`,
    "Error returned when the given `view_id` or `external_id` doesn't exist" (a modal the
    person closed is gone), and `hash_conflict`, "Error returned when the provided `hash`
    doesn't match the current stored value" (the view was updated since that hash)."""
    raw = _view_arg(args)
    view_id, external_id = args.text("view_id"), args.text("external_id")
    old = emu.views.get(view_id or "") or next(
        (v for v in emu.views.values() if external_id and v.get("external_id") == external_id),
        None,
    )
    if old is None:
        raise ApiError("not_found")
    if (wanted := args.text("hash")) and wanted != old["hash"]:
        raise ApiError("hash_conflict")
    view = {
        **build_view(emu, raw, old["id"]),
        "state": old["state"],
        "root_view_id": old["root_view_id"],
        "previous_view_id": old["previous_view_id"],
    }
    emu.views[old["id"]] = {**view, **{k: old.get(k) for k in VIEW_EXTRAS}}
    return {"view": view}


# -- bookmarks -------------------------------------------------------------------------------
BOOKMARK_TITLE_MAX = 256
BOOKMARK_LINK_MAX = 2048


@method("bookmarks.add")
def bookmarks_add(emu: EmulatorState, args: Args) -> Result:
    """Add a link to a channel's bookmarks (https://docs.slack.dev/reference/methods/bookmarks.add):
    scope ``bookmarks:write``; ``channel_id``, ``title`` and ``type`` required, and ``type``
    is ``link`` only ("The bookmarks.add method currently accepts the following types: link"),
    which requires a ``link``. The bot acts
    only in conversations it is a member of (``require_access``).

    Lengths: a title of more than 256 characters or a link of more than 2,048 is refused
    (``invalid_arguments``). The method's page names no limit; these are Slack's answers as
    warroom observed them (a longer title or link failed the call), and as others met the
    link's (https://github.com/jstrieb/link-lock/issues/26: "slack only allows bookmarks of
    2049 characters"). Which error Slack names is not documented: ``invalid_arguments``, "some
    detail about the arguments passed is invalid" (the method's common errors), and the fake
    refuses rather than guess it would take them."""
    require_scope(emu, "bookmarks:write")
    channel = get_channel(emu, args, "channel_id")
    require_access(emu, channel, public_error="not_in_channel")
    title = args.need("title", "invalid_arguments")
    if args.text("type") != "link":
        raise ApiError("invalid_bookmark_type")
    link = args.text("link") or ""
    if not link.startswith(("http://", "https://")):
        raise ApiError("invalid_link")
    if len(title) > BOOKMARK_TITLE_MAX or len(link) > BOOKMARK_LINK_MAX:
        raise ApiError("invalid_arguments")
    now = int(time.time())
    bookmark = {
        "id": emu.new_id("Bk"),
        "channel_id": channel.id,
        "title": title,
        "link": link,
        "emoji": args.text("emoji"),
        "icon_url": None,
        "type": "link",
        "entity_id": None,
        "date_created": now,
        "date_updated": now,
        "rank": "U",
        "last_updated_by_user_id": emu.bot_user_id,
        "last_updated_by_team_id": emu.team_id,
        "shortcut_id": None,
        "app_id": emu.app_id,
    }
    emu.bookmarks.setdefault(channel.id, []).append(bookmark)
    return {"bookmark": bookmark}


@method("bookmarks.list")
def bookmarks_list(emu: EmulatorState, args: Args) -> Result:
    channel = get_channel(emu, args, "channel_id")
    return {"bookmarks": list(emu.bookmarks.get(channel.id, []))}


# -- files -----------------------------------------------------------------------------------
@method("files.getUploadURLExternal")
def files_get_upload_url(emu: EmulatorState, args: Args) -> Result:
    filename = args.need("filename")
    length = args.number("length", -1)
    if length < 0:
        raise ApiError("invalid_arguments")
    file_id = emu.new_id("F")
    emu.files[file_id] = {
        "id": file_id,
        "name": filename,
        "title": filename,
        "size": length,
        "alt_txt": args.text("alt_txt"),
        "created": int(time.time()),
        "user": emu.bot_user_id,
        "content": None,
        "channels": [],
    }
    return {"upload_url": f"{emu.root_url}/upload/{file_id}", "file_id": file_id}


def public_file(emu: EmulatorState, file: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in file.items() if k != "content"}
    data.update(
        mimetype="text/plain",
        filetype="text",
        pretty_type="Plain Text",
        permalink=f"https://{emu.team_domain}.slack.com/files/{file['user']}/{file['id']}",
        url_private=f"{emu.root_url}/files/{file['id']}",
    )
    return data


@method("files.completeUploadExternal")
def files_complete_upload(emu: EmulatorState, args: Args) -> Result:
    wanted = args.parsed("files")
    if not isinstance(wanted, list) or not wanted:
        raise ApiError("invalid_arguments")
    if any(item.get("id") not in emu.files for item in wanted):
        raise ApiError("file_not_found")
    files = [emu.files[item["id"]] for item in wanted]
    for item, file in zip(wanted, files, strict=True):
        file["title"] = item.get("title") or file["name"]
    channel_ids = [c for c in (args.text("channels") or "").split(",") if c]
    channel_ids += [args.text("channel_id") or ""] if args.text("channel_id") else []
    for channel_id in channel_ids:
        _share(emu, args, channel_id, files)
    return {"files": [public_file(emu, f) for f in files]}


def _share(emu: EmulatorState, args: Args, channel_id: str, files: list[dict[str, Any]]) -> None:
    channel = emu.channels.get(channel_id)
    if channel is None:
        raise ApiError("channel_not_found")
    require_active(channel)
    require_bot_member(emu, channel)
    for file in files:
        file["channels"].append(channel.id)
    emu.post_as_bot(
        channel,
        args.text("initial_comment") or "",
        thread_ts=args.text("thread_ts") or None,
        files=[public_file(emu, f) for f in files],
    )


# -- canvases --------------------------------------------------------------------------------
def _store_canvas(emu: EmulatorState, args: Args, channel_id: str | None) -> Result:
    content = args.parsed("document_content") or {}
    if not isinstance(content, dict):
        raise ApiError("invalid_arguments")
    canvas_id = emu.new_id("F")
    emu.canvases[canvas_id] = {
        "id": canvas_id,
        "title": args.text("title") or "",
        "markdown": content.get("markdown", ""),
        "channel_id": channel_id,
    }
    return {"canvas_id": canvas_id}


def _has_canvas(emu: EmulatorState, channel_id: str) -> bool:
    return any(c["channel_id"] == channel_id for c in emu.canvases.values())


@method("canvases.create")
def canvases_create(emu: EmulatorState, args: Args) -> Result:
    """A standalone canvas, tabbed in `channel_id` when given.

    Free plan (`emu.plan == "free"`): `channel_id` "is a required field for free teams",
    else `free_teams_cannot_create_non_tabbed_canvases`
    (https://docs.slack.dev/reference/methods/canvases.create); and "On the free version of
    Slack, you can create one canvas for every channel or DM in your workspace"
    (https://slack.com/help/articles/21290478840979-Feature-change-notice--Channel-canvases).
    This method lists no specific error for a second canvas in a free channel, so the
    emulator refuses it with the generic `canvas_creation_failed` ("Canvas was unable to be
    created").
    """
    channel_id = args.text("channel_id")
    if channel_id:
        get_channel(emu, args, "channel_id")
    if emu.plan == "free":
        if not channel_id:
            raise ApiError("free_teams_cannot_create_non_tabbed_canvases")
        if _has_canvas(emu, channel_id):
            raise ApiError("canvas_creation_failed")
    return _store_canvas(emu, args, channel_id)


@method("conversations.canvases.create")
def conversations_canvases_create(emu: EmulatorState, args: Args) -> Result:
    """The channel's canvas (https://docs.slack.dev/reference/methods/conversations.canvases.create).

    Errors as documented there: `channel_canvas_already_exists` ("Channel canvas for the
    specified channel already exists"); on a free plan, where a channel can have one canvas
    ("On the free version of Slack, you can create one canvas for every channel or DM",
    https://slack.com/help/articles/21290478840979-Feature-change-notice--Channel-canvases),
    `free_team_canvas_tab_already_exists` ("Canvas tab for specified channel and team tier
    already exists") once the channel has one. `channel_canvas_creation_failed` ("Channel
    canvas was unable to be created") and `canvas_tab_creation_failed` ("Canvas tab was
    unable to be created") are failures on Slack's side with no documented trigger: tests
    inject them with `emu.fail_with_error("conversations.canvases.create", ...)`.
    A private channel the bot is not in is invisible: `channel_not_found`.
    """
    channel = get_channel(emu, args, "channel_id")
    require_visible(emu, channel)
    if _has_canvas(emu, channel.id):
        raise ApiError(
            "free_team_canvas_tab_already_exists"
            if emu.plan == "free"
            else "channel_canvas_already_exists"
        )
    return _store_canvas(emu, args, channel.id)


@method("canvases.edit")
def canvases_edit(emu: EmulatorState, args: Args) -> Result:
    canvas = emu.canvases.get(args.text("canvas_id") or "")
    if canvas is None:
        raise ApiError("canvas_not_found")
    for change in args.parsed("changes") or []:
        markdown = (change.get("document_content") or {}).get("markdown", "")
        operation = change.get("operation")
        if operation == "replace":
            canvas["markdown"] = markdown
        elif operation == "insert_at_start":
            canvas["markdown"] = markdown + canvas["markdown"]
        else:  # insert_at_end, and anchored inserts approximated as appends
            canvas["markdown"] += markdown
    return {}
