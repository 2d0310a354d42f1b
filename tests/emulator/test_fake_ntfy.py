"""The fake ntfy refuses what ntfy's publishing documentation does not allow, in ntfy's words,
so a client that passes against it sends what a real server takes."""

from __future__ import annotations

from typing import Any

import aiohttp

from emulator import FakeNtfy


async def _publish(ntfy: FakeNtfy, body: Any, path: str = "/", token: str = "") -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(ntfy.root + path, json=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def test_the_documented_message_is_taken_and_kept_for_the_topics_phone() -> None:
    async with FakeNtfy() as ntfy:
        status, answer = await _publish(
            ntfy,
            {
                "topic": "mytopic",
                "title": "Low disk",
                "message": "Disk space is low",
                "priority": 4,
                "click": "https://status.example.com",
                "actions": [{"action": "http", "label": "Ack", "url": "https://x.example/a"}],
            },
        )
        assert status == 200 and answer["event"] == "message" and answer["id"]
        (message,) = ntfy.phone("mytopic")
        assert (message.title, message.priority) == ("Low disk", 4)


async def test_what_ntfy_refuses_is_refused_with_its_error_body() -> None:
    async with FakeNtfy(token="tk_right") as ntfy:
        assert (await _publish(ntfy, {"topic": "t"}))[0] == 403
        assert (await _publish(ntfy, {"topic": "t"}, token="tk_wrong"))[1]["code"] == 40101
        refused = [
            ({"topic": "t", "priority": 6}, "priority"),
            ({"topic": "a topic"}, "topic"),
            ({"topic": "t", "colour": "red"}, "unknown field"),
            ({"topic": "t", "actions": [{"action": "http", "label": "x"}] }, "needs a url"),
            ({"topic": "t", "actions": [{"action": "view", "label": str(n), "url": "https://x"}
                                        for n in range(4)]}, "at most 3"),
        ]  # fmt: skip
        for body, said in refused:
            status, answer = await _publish(ntfy, body, token="tk_right")
            assert status == 400 and said in answer["error"], (body, answer)
        status, _ = await _publish(ntfy, {"topic": "t"}, path="/t", token="tk_right")
        assert status == 400  # JSON goes to the root URL, not the topic's
        assert ntfy.published == []
