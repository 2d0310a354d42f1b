"""The fake Pushover refuses what Pushover's API documentation does not allow (a 4xx with
``status: 0`` and ``errors``), so a client that passes against it sends what Pushover takes;
its receipts say what became of an emergency message, as the Receipts API does."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from emulator import FakePushover
from emulator.pushover import new_key

USER = new_key()


async def _post(pushover: FakePushover, path: str, form: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(pushover.root + path, data=form) as answer,
    ):
        return answer.status, await answer.json()


async def _get(pushover: FakePushover, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(pushover.root + path) as answer:
        return answer.status, await answer.json()


def _message(pushover: FakePushover, **more: str) -> dict[str, str]:
    return {"token": pushover.token, "user": USER, "message": "Disk full"} | more


async def test_an_emergency_message_gets_a_receipt_that_says_what_became_of_it() -> None:
    async with FakePushover(users=[USER]) as pushover:
        form = _message(pushover, priority="2", retry="30", expire="10800", title="SEV1")
        status, answer = await _post(pushover, "/1/messages.json", form)
        assert status == 200 and answer["status"] == 1 and answer["request"]
        receipt = answer["receipt"]
        assert len(receipt) == 30 and receipt.isalnum()

        status, said = await _get(pushover, f"/1/receipts/{receipt}.json?token={pushover.token}")
        assert (status, said["acknowledged"], said["expired"]) == (200, 0, 0)
        await pushover.acknowledge(receipt)  # no callback given: none called
        status, said = await _get(pushover, f"/1/receipts/{receipt}.json?token={pushover.token}")
        assert (said["acknowledged"], said["acknowledged_by"]) == (1, USER)

        cancel = f"/1/receipts/{receipt}/cancel.json"
        assert (await _post(pushover, cancel, {"token": pushover.token}))[0] == 200
        assert (await _post(pushover, cancel, {"token": new_key()}))[0] == 400


@pytest.mark.parametrize(
    ("more", "error"),
    [
        ({"priority": "2"}, "retry must be supplied with priority=2"),
        ({"priority": "2", "retry": "60"}, "expire must be supplied with priority=2"),
        ({"priority": "2", "retry": "29", "expire": "60"}, "retry must be at least 30 seconds"),
        (
            {"priority": "2", "retry": "30", "expire": "10801"},
            "expire must be at most 10800 seconds",
        ),
        ({"priority": "3"}, "priority is invalid"),
        ({"message": "x" * 1025}, "message is too long (maximum is 1024 characters)"),
        ({"message": ""}, "message cannot be blank"),
        ({"title": "x" * 251}, "title is too long (maximum is 250 characters)"),
        ({"url": "https://x.example/" + "x" * 500}, "url is too long (maximum is 512 characters)"),
        ({"url_title": "Open"}, "url_title given without url"),
    ],
)
async def test_what_pushover_refuses_is_refused_with_status_0_and_its_errors(
    more: dict[str, str], error: str
) -> None:
    async with FakePushover(users=[USER]) as pushover:
        status, answer = await _post(pushover, "/1/messages.json", _message(pushover, **more))
        assert (status, answer["status"], answer["errors"]) == (400, 0, [error])
        assert pushover.sent == []


async def test_a_wrong_token_or_user_key_is_refused() -> None:
    async with FakePushover(users=[USER]) as pushover:
        status, answer = await _post(
            pushover, "/1/messages.json", _message(pushover, token=new_key())
        )
        assert (status, answer["token"], answer["status"]) == (400, "invalid", 0)
        status, answer = await _post(pushover, "/1/messages.json", _message(pushover, user="u1"))
        assert (status, answer["user"], answer["status"]) == (400, "invalid", 0)
        status, answer = await _get(pushover, f"/1/receipts/{new_key()}.json?token={new_key()}")
        assert (status, answer["status"]) == (400, 0)
        status, answer = await _get(
            pushover, f"/1/receipts/{new_key()}.json?token={pushover.token}"
        )
        assert (status, answer["status"]) == (404, 0)


async def test_user_verification_answers_as_pushovers_documentation_says() -> None:
    """ "User/Group Verification" (https://pushover.net/api#verification): a user's key with
    its devices; an unknown key, a device not the user's, a wrong token or an unknown field
    refused with HTTP 400, ``status`` 0 and ``errors``."""
    async with FakePushover(users=[USER]) as pushover:
        path = "/1/users/validate.json"
        status, said = await _post(pushover, path, {"token": pushover.token, "user": USER})
        assert (status, said["status"], said["group"], said["devices"]) == (200, 1, 0, ["iphone"])
        form = {"token": pushover.token, "user": USER, "device": "iphone"}
        assert (await _post(pushover, path, form))[0] == 200
        for wrong, field in (
            ({"token": pushover.token, "user": new_key()}, "user"),
            ({"token": pushover.token, "user": USER, "device": "pixel"}, "device"),
            ({"token": new_key(), "user": USER}, "token"),
            ({"token": pushover.token, "user": USER, "email": "a@b.example"}, None),
        ):
            status, said = await _post(pushover, path, wrong)
            assert status == 400 and said["status"] == 0 and said["errors"], wrong
            assert field is None or field in said
        assert pushover.validated == [USER, USER]
