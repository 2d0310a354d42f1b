"""The web view's signed cookies and CSRF tokens (bot/web/sessions.py; why not itsdangerous:
docs/decisions/0009-signed-cookies.md): whatever is tampered with, signed for another
purpose or with another key, expired or malformed is refused, directly and over HTTP."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.web.sessions import Signer
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB
from tests.helpers.web_view import browser, csrf_of, sign_in, web_warroom

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def signed(payload: dict[str, object] | None = None, *, purpose: str = "session") -> str:
    return Signer(KEY).sign(purpose, payload or {"sid": "s1"}, NOW + timedelta(hours=1))


def flipped(text: str, at: int) -> str:
    """``text`` with one character changed (still base64url)."""
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_cookie_signed_here_is_read_back_until_it_expires() -> None:
    cookie = signed({"sid": "s1", "u": ALICE})
    signer = Signer(KEY)
    assert signer.check("session", cookie, NOW) == {"sid": "s1", "u": ALICE, "exp": 1772802000}
    assert signer.check("session", cookie, NOW + timedelta(minutes=59)) is not None
    assert signer.check("session", cookie, NOW + timedelta(hours=1)) is None  # expired


@pytest.mark.parametrize(
    "tampered",
    [
        lambda c: flipped(c, 3),  # the payload
        lambda c: flipped(c, len(c) - 3),  # the MAC
        lambda c: c.split(".")[0] + ".",  # no MAC
        lambda c: c.split(".")[0],  # no dot
        lambda c: c + ".x",  # two dots
        lambda c: c.replace("e", "é", 1),  # not ASCII (compare_digest would raise)
        lambda c: "",
    ],
    ids=["payload", "mac", "empty mac", "no dot", "two dots", "non-ascii", "empty"],
)
def test_a_tampered_cookie_is_refused(tampered: object) -> None:
    assert callable(tampered)
    assert Signer(KEY).check("session", tampered(signed()), NOW) is None


def test_a_payload_rewritten_to_live_longer_or_be_someone_else_is_refused() -> None:
    body, mac = signed({"sid": "s1", "u": BOB}).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    for change in ({"u": ALICE}, {"exp": payload["exp"] + 86_400}):
        forged = base64.urlsafe_b64encode(json.dumps({**payload, **change}).encode())
        assert Signer(KEY).check("session", f"{forged.decode().rstrip('=')}.{mac}", NOW) is None


def test_a_cookie_signed_for_another_purpose_or_with_another_key_is_refused() -> None:
    assert Signer(KEY).check("session", signed(purpose="sign_in"), NOW) is None
    assert Signer(b"o" * 32).check("session", signed(), NOW) is None


def test_a_csrf_token_is_its_session_s_own() -> None:
    signer = Signer(KEY)
    token = signer.token("csrf", "session-1")
    assert token == signer.token("csrf", "session-1")  # the same on every page of the session
    assert token != signer.token("csrf", "session-2")
    assert token != signer.token("session", "session-1")  # not a cookie's MAC
    assert token != Signer(b"o" * 32).token("csrf", "session-1")


async def test_over_http_an_expired_session_signs_in_again_and_another_s_token_is_refused(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as alice, browser() as bob:
        await sign_in(alice, warroom, ALICE)
        await sign_in(bob, warroom, BOB)
        async with bob.get(f"{warroom.url}/") as page:
            bobs_token = csrf_of(await page.text())
        async with alice.get(f"{warroom.url}/") as page:
            alices_token = csrf_of(await page.text())
        # Bob's token on Alice's session (a page of Bob's forging her form): refused.
        for token in (bobs_token, flipped(alices_token, 2)):
            async with alice.post(f"{warroom.url}/logout", data={"csrf": token}) as answer:
                assert answer.status == 403
        hours = warroom.services.settings.web.session_hours
        warroom.clock.now += timedelta(hours=hours, seconds=1)
        async with alice.get(f"{warroom.url}/", allow_redirects=False) as answer:
            assert answer.status == 302 and answer.headers["Location"].startswith("/login")
