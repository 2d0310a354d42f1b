"""What each route is for, said once where it is registered.

The web view's rules (the loopback rule with sign-in off, no-store, HTML error pages)
ask the route a request matched what kind it is, never its path: a path list beside the
routes drifted once (``/trackers/`` was missing, so tracker webhooks were refused with 421
while sign-in was off), a kind kept with each route cannot.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RouteKind(StrEnum):
    # For people in a browser: sign-in, CSRF on forms, HTML error pages; with sign-in off,
    # answered on a loopback address only. Nothing in them is for shared caches.
    PAGE = "page"
    # The JSON API: the API token or a page's session, JSON errors; the loopback rule and
    # no-store as pages.
    API = "api"
    # For other systems and for anyone (Slack, alerts, trackers, the public status page,
    # health, metrics): each checks its own signature or token, or needs none, at any address.
    MACHINE = "machine"


@dataclass(frozen=True)
class Route:
    """One row of the route table."""

    method: str
    path: str
    handler: Handler
    kind: RouteKind

    @property
    def canonical(self) -> str:
        """The path with its parameters' patterns left out (``/oncall/{schedule}``), as
        aiohttp names the resource."""
        return _PATTERN.sub(r"{\1}", self.path)


# A parameter with its own pattern, ``{schedule:[a-z]+}``.
_PATTERN = re.compile(r"\{(\w+):[^{}]+\}")


_route_kinds = web.AppKey("route_kinds", dict[web.AbstractResource, RouteKind])


def add_routes(app: web.Application, table: Iterable[Route]) -> None:
    """Register every route of ``table`` and remember its kind (GET routes answer HEAD too)."""
    kinds = app.setdefault(_route_kinds, {})
    for route in table:
        if route.method == "GET":
            added = app.router.add_get(route.path, route.handler)
        else:
            added = app.router.add_route(route.method, route.path, route.handler)
        assert added.resource is not None
        if kinds.setdefault(added.resource, route.kind) is not route.kind:
            raise ValueError(f"{route.path} is registered as two kinds of route")


def kind_of(request: web.Request) -> RouteKind | None:
    """The kind of the route ``request`` matched; None when it matched none (404, 405).

    A route added around the table has no kind: it is taken for a page, the kind with the
    most checks (sign-in off: loopback only), so a forgotten row shows nothing it should not.
    """
    resource = request.match_info.route.resource
    if resource is None:
        return None
    return request.app.get(_route_kinds, {}).get(resource, RouteKind.PAGE)
