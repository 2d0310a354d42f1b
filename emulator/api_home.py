"""views.publish: an app's Home tab, one view per person.

As documented at https://docs.slack.dev/reference/methods/views.publish ("Create or update the
view that comprises an app's Home tab for a specific user"; its arguments, errors and example
answers, also kept in slack-ruby/slack-api-ref ``methods/views/views.publish.json``):

- ``user_id`` and ``view`` are required; a person the workspace does not have is answered
  ``invalid_arguments`` with ``invalid `user_id``` in ``response_metadata.messages`` (the
  page's example error). A deactivated person or a bot user has no Home tab to show it on:
  refused the same way (when in doubt, the emulator refuses).
- ``view`` is a Home tab view (``emulator.blockkit.home_view_problems``: ``type`` home, at most
  100 blocks, every block as Slack checks it in messages and modals): anything else is
  ``invalid_arguments`` with the problems and their JSON pointers.
- ``not_enabled``: "a home view is published but the Home tab isn't enabled for the app" (the
  app's manifest, ``features.app_home.home_tab_enabled``).
- ``view_too_large``: "the provided view is greater than 250kb" (read as 250,000 bytes of the
  view as sent).
- ``hash``: "A string that represents view state to protect against possible race
  conditions"; ``hash_conflict`` "when the provided hash doesn't match the current stored
  value", and with no Home published for the person there is no stored value to match.
- ``duplicate_external_id``: "the given external_id has already be used" (by another view of
  the workspace: "unique for all views on a per-team basis",
  https://docs.slack.dev/reference/views/home-tab-views).

The answer is the published view (its ``id`` stays the person's, its ``hash`` is new each
time); tests read it with ``SlackEmulator.home_view``.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.api import ApiError, Args, Result, method
from emulator.api_misc import build_view
from emulator.blockkit import home_view_problems
from emulator.state import EmulatorState

VIEW_BYTES_MAX = 250_000
INVALID_USER = "invalid `user_id`"


@method("views.publish")
def views_publish(emu: EmulatorState, args: Args) -> Result:
    if not emu.app_home.get("home_tab_enabled"):
        raise ApiError("not_enabled")
    user_id = args.text("user_id") or ""
    person = emu.users.get(user_id)
    if person is None or person.deleted or person.is_bot:
        raise ApiError("invalid_arguments", messages=[INVALID_USER])
    sent = args.data.get("view")
    view = args.parsed("view")
    if view is None:
        raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: view"])
    if problems := home_view_problems(view):
        raise ApiError("invalid_arguments", messages=problems)
    size = sent if isinstance(sent, str) else json.dumps(sent)
    if len(size.encode()) > VIEW_BYTES_MAX:
        raise ApiError("view_too_large")
    old = emu.home_views.get(user_id)
    wanted = args.text("hash")
    if wanted and (old is None or old["hash"] != wanted):
        raise ApiError("hash_conflict")
    if _taken(emu, user_id, view.get("external_id")):
        raise ApiError("duplicate_external_id")
    published = build_view(emu, view, old["id"] if old else emu.new_id("V"))
    del published["title"]  # a Home tab has none (the page's example answer)
    emu.home_views[user_id] = published
    return {"view": published}


def _taken(emu: EmulatorState, user_id: str, external_id: Any) -> bool:
    """Whether another view of the workspace (a modal, someone else's Home) has this id."""
    if not external_id:
        return False
    others = [
        *emu.views.values(),
        *(view for user, view in emu.home_views.items() if user != user_id),
    ]
    return any(view.get("external_id") == external_id for view in others)
