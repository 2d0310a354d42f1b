"""How every JSON API handler answers: a model as JSON, an error as ``ErrorPublic``, and
who is calling (401 for nobody)."""

from __future__ import annotations

import json

from aiohttp import web
from pydantic import BaseModel

from bot.store.models import ChangeEvent
from bot.web.api.models import ChangePublic, ErrorPublic, PersonPublic
from bot.web.auth import API_TOKEN_HOLDER, api_viewer
from bot.web.visibility import Viewer

_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
}


def json_answer(model: BaseModel, status: int = 200) -> web.Response:
    """The model as JSON; times come out ISO 8601, UTC ones with a Z."""
    return web.json_response(model.model_dump(mode="json"), status=status)


def api_error(status: int, code: str, message: str) -> web.HTTPException:
    """An error answer to raise: 400, 401 (with its challenge), 403, 404 or 409."""
    headers = {"WWW-Authenticate": 'Bearer realm="warroom"'} if status == 401 else None
    return _ERRORS[status](
        text=json.dumps(ErrorPublic(error=code, message=message).model_dump(mode="json")),
        content_type="application/json",
        headers=headers,
    )


def api_caller(request: web.Request) -> Viewer:
    """Who calls: the token's holder or a signed-in browser; 401 for anyone else."""
    viewer = api_viewer(request)
    if viewer is None:
        raise api_error(401, "unauthorized", "Sign in, or send Authorization: Bearer <token>.")
    return viewer


def token_caller(request: web.Request) -> Viewer:
    """Who calls an operation that changes something: the API token's holder only (a
    browser's session is not taken: a form elsewhere could post with its cookie); 401 for
    anyone else."""
    viewer = api_viewer(request)
    if viewer is None or viewer.name != API_TOKEN_HOLDER:
        raise api_error(
            401, "unauthorized", "Changes take the API token: Authorization: Bearer <token>."
        )
    return viewer


def person_public(user_id: str | None, names: dict[str, str]) -> PersonPublic | None:
    """A person by id and the name the record keeps (the id when it keeps none)."""
    return PersonPublic(id=user_id, name=names.get(user_id, user_id)) if user_id else None


def change_public(change: ChangeEvent) -> ChangePublic:
    """A change event as the API, the pages and the agents show it (never the body it came
    in: a sender's raw text stays in the record)."""
    assert change.id is not None
    return ChangePublic.model_validate(
        {
            "id": change.id,
            "service": change.service,
            "kind": change.kind,
            "who": change.who,
            "at": change.at,
            "summary": change.summary,
            "link": change.link,
            "source": change.source,
            "origin": change.origin,
        }
    )
