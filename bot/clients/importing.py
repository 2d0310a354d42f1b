"""What ``warroom import`` asks of a vendor's client, and the HTTP they all share.

A vendor plugs in by implementing ``Vendor`` in a module of its own (``bot.clients.opsgenie``)
and being listed in ``bot.admin.importing.importing.VENDORS``; what its account translates to is
``bot.record.oncall.importing.drafts`` (read its docstring first). Every call goes through
``VendorApi``: the vendor's API address, its token in the header the vendor documents, pages
followed, a 429 waited out (the wait the vendor's headers ask for, else backing off), and any
failure turned into one ``ImportFailure`` line that names the vendor and the request, never
the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp

from bot.basics.backoff import backoff
from bot.clients.vendor_http import Answer, VendorFailure, call_json, retry_after_seconds
from bot.record.oncall.importing.drafts import Person, ScheduleRef, Translation
from bot.record.paging.shadow import VendorAlert

# How many times one request is tried while the vendor answers 429.
RATE_LIMITED_ATTEMPTS = 6
# Without a wait asked for, 1 s, 2 s, 4 s... and never more than a minute per wait.
BACKOFF_FIRST_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 30.0
# Statuses that say the token is wrong or lacks a right.
REFUSED_TOKEN = (401, 403)


class ImportFailure(VendorFailure):
    """The import cannot go on: ``detail`` is the one line said on stderr."""


class Vendor(Protocol):
    """A vendor ``warroom import`` reads (Opsgenie, PagerDuty, Grafana OnCall).

    ``name`` is the command line's word (``opsgenie``), ``title`` the vendor's own
    (``Opsgenie``); the token comes from ``--token``, else the ``token_env`` variable; the API
    is ``--api-url``, else the address of ``--region`` in ``regions`` (the vendor's other
    sites: Opsgenie's and PagerDuty's EU service), else ``default_api_url``."""

    name: str
    title: str
    token_env: str
    default_api_url: str
    regions: Mapping[str, str]

    def auth_headers(self, token: str) -> dict[str, str]:
        """The headers that carry the token, as the vendor documents them."""
        ...

    def rate_limit_wait(self, headers: Mapping[str, str]) -> float | None:
        """The wait, in seconds, a 429's headers ask for (None: back off)."""
        ...

    async def read_account(self, api: VendorApi, now: datetime) -> Translation:
        """Every object of the account, translated; overrides that end after ``now`` only."""
        ...

    async def on_call(
        self, api: VendorApi, schedule: ScheduleRef, at: datetime
    ) -> frozenset[Person]:
        """Who the vendor says is on call for ``schedule`` at ``at`` (empty: nobody)."""
        ...


class AnswerFolder(Protocol):
    """Where ``--save`` keeps the answers and ``--from`` reads them
    (``bot.clients.saved_answers.SavedAnswers``)."""

    def write(self, method: str, request: str, answer: Answer) -> None:
        """Keep ``answer`` to ``method request``."""
        ...

    def read(self, method: str, request: str) -> Answer:
        """The answer kept for ``method request`` (ImportFailure when none is)."""
        ...

    def holds(self, method: str, request: str) -> bool:
        """Whether an answer to ``method request`` is kept."""


class AlertLogs(Vendor, Protocol):
    """A vendor whose alert log ``warroom shadow compare`` reads (Opsgenie, PagerDuty)."""

    async def alert_log(self, api: VendorApi, since: datetime) -> list[VendorAlert]:
        """Every alert since ``since``: whom it notified and when, people by e-mail."""
        ...


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    """The wait a standard ``Retry-After`` header asks for, in whole seconds."""
    return retry_after_seconds(headers.get("Retry-After"))


class VendorApi:
    """A vendor's REST API at ``base_url`` (``--api-url``), its token sent in ``headers``;
    each answer read also kept in ``save`` (``--save``), or every answer read from ``replay``
    instead of the vendor (``--from``: no key, no network)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        vendor: Vendor,
        base_url: str,
        token: str,
        *,
        backoff_seconds: float = BACKOFF_FIRST_SECONDS,
        save: AnswerFolder | None = None,
        replay: AnswerFolder | None = None,
    ) -> None:
        self._http = http
        self._save = save
        self._replay = replay
        self._vendor = vendor
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", **vendor.auth_headers(token)}
        self._backoff = backoff_seconds

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The address of ``path`` (``/v2/users``) under the API, with ``params``."""
        query = f"?{urlencode(sorted(params.items()))}" if params else ""
        return f"{self.base_url}{path}{query}"

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path``: its JSON body (an object or a list), or ImportFailure."""
        return await self.get_url(self.url(path, params))

    async def get_if_saved(self, path: str) -> Any | None:
        """GET ``path``, but None when replaying a folder saved without it (by a warroom
        that did not read it yet: what it would have said is not known, nothing is made up)."""
        url = self.url(path)
        if self._replay is not None and not self._replay.holds("GET", self._shown(url)):
            return None
        return await self.get_url(url)

    async def get_url(self, url: str) -> Any:
        """GET an address under the API (a page's ``next`` link): its JSON body."""
        self._check_same_api(url)
        if self._replay is not None:
            return self._body(url, self._replay.read("GET", self._shown(url)))
        for attempt in range(RATE_LIMITED_ATTEMPTS):
            answer = await self._send(url)
            if answer.status != 429:
                if self._save is not None:
                    self._save.write("GET", self._shown(url), answer)
                return self._body(url, answer)
            if attempt + 1 < RATE_LIMITED_ATTEMPTS:
                await asyncio.sleep(self._wait(answer, attempt))
        raise ImportFailure(
            f"{self._vendor.title} still answered 429 (rate limited) to GET {self._shown(url)} "
            f"after {RATE_LIMITED_ATTEMPTS} tries; run the import again later",
            retryable=True,
            status=429,
        )

    async def pages(
        self, path: str, params: Mapping[str, str], next_url: Callable[[Any, str], str | None]
    ) -> AsyncIterator[Any]:
        """Each page's body, from ``path`` on; ``next_url(body, url)`` says where the next
        page is (None: that was the last)."""
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url is not None:
            if url in seen:  # a vendor whose next link goes round would go on forever
                raise ImportFailure(
                    f"{self._vendor.title}'s pages of GET {self._shown(url)} go round in a circle",
                    retryable=False,
                )
            seen.add(url)
            body = await self.get_url(url)
            yield body
            url = next_url(body, url)

    def unexpected(self, what: str, url: str) -> ImportFailure:
        """The failure for an answer that is JSON but not what the vendor documents."""
        return ImportFailure(
            f"{self._vendor.title} answered GET {self._shown(url)} with something that is not "
            f"{what}",
            retryable=False,
        )

    async def _send(self, url: str) -> Answer:
        try:
            return await call_json(
                self._http,
                "GET",
                url,
                None,
                timeout=REQUEST_TIMEOUT_SECONDS,
                failure=ImportFailure,
                headers=self._headers,
            )
        except ImportFailure as failure:
            raise ImportFailure(
                f"cannot reach {self._vendor.title} at {self.base_url}: {failure.detail}",
                retryable=failure.retryable,
                timed_out=failure.timed_out,
            ) from None

    def _body(self, url: str, answer: Answer) -> Any:
        title, shown = self._vendor.title, self._shown(url)
        if answer.status in REFUSED_TOKEN:
            raise ImportFailure(
                f"{title} refused the token (HTTP {answer.status} to GET {shown}"
                f"{_said(answer)}): check --token or {self._vendor.token_env}",
                retryable=False,
                status=answer.status,
            )
        if answer.status >= 300:
            raise ImportFailure(
                f"{title} answered HTTP {answer.status} to GET {shown}{_said(answer)}",
                retryable=answer.status >= 500,
                status=answer.status,
            )
        if isinstance(answer.body, str):
            raise ImportFailure(
                f"{title} answered GET {shown} with something that is not JSON",
                retryable=False,
                status=answer.status,
            )
        return answer.body

    def _wait(self, answer: Answer, attempt: int) -> float:
        asked = self._vendor.rate_limit_wait(answer.headers)
        first = timedelta(seconds=self._backoff)
        wait = asked if asked is not None else backoff(attempt, first=first).total_seconds()
        return min(wait, LONGEST_WAIT_SECONDS)

    def _check_same_api(self, url: str) -> None:
        """A next link elsewhere would be sent the token: refused."""
        here, there = urlsplit(self.base_url), urlsplit(url)
        if (here.scheme, here.netloc) != (there.scheme, there.netloc):
            raise ImportFailure(
                f"{self._vendor.title} pointed to a page outside {self.base_url}: not followed "
                "(the token would go there)",
                retryable=False,
            )

    def _shown(self, url: str) -> str:
        """The request as said in a failure: the path and query, the API address left out."""
        return url.removeprefix(self.base_url) or "/"


def _said(answer: Answer) -> str:
    """What the vendor's error body says, briefly: ``: message``; nothing when it says
    nothing readable."""
    body = answer.body_object
    message = body.get("message") or body.get("error") or body.get("detail")
    if isinstance(message, dict):
        message = message.get("message")
    if not isinstance(message, str) or not message.strip():
        return ""
    line = message.strip().splitlines()[0]
    return f": {line[:200]}"
