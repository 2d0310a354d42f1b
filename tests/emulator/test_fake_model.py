"""The fake OpenAI-compatible model (emulator/openai_chat.py), over real HTTP on 127.0.0.1: it
takes what OpenAI's published description allows and refuses the rest, in OpenAI's words, and
warroom's own request (bot/clients/ai.py) is one it takes."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.clients.ai import SCHEMA, VERDICTS_FORMAT, VERDICTS_SCHEMA, chat_request
from emulator.json_schema import Schemas
from emulator.openai_chat import FakeChatModel, description

MODEL = "qwen2.5:7b"
KEY = "sk-local-key"


@pytest.fixture
async def fake() -> AsyncIterator[FakeChatModel]:
    async with FakeChatModel(models={MODEL}, key=KEY) as model:
        yield model


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def warrooms() -> dict[str, Any]:
    return chat_request(MODEL, "Write the sections.", "[E1] 03:42 UTC (key event) Dave: hello")


async def post(
    fake: FakeChatModel,
    http: aiohttp.ClientSession,
    body: Any,
    *,
    path: str = "/v1/chat/completions",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = {"Authorization": f"Bearer {KEY}", **(headers or {})}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent.setdefault("Content-Type", "application/json")
    async with http.post(fake.root + path, data=data, headers=sent) as answer:
        return answer.status, await answer.json(content_type=None)


async def test_warrooms_request_is_taken_and_answered_as_the_description_says(
    fake: FakeChatModel, http: aiohttp.ClientSession
) -> None:
    fake.reply({"summary": [], "underlying_issue": [], "resolution": [], "lessons": []})
    status, answer = await post(fake, http, warrooms())
    assert status == 200, answer
    assert Schemas(description()).check(answer, "CreateChatCompletionResponse") == []
    content = json.loads(answer["choices"][0]["message"]["content"])
    assert set(content) == {"summary", "underlying_issue", "resolution", "lessons"}
    (taken,) = fake.accepted
    assert taken.lines == ["[E1] 03:42 UTC (key event) Dave: hello"]
    assert taken.ref_of("Dave") == "E1"


async def test_warrooms_verdicts_request_is_taken_and_answered_by_its_own_script(
    fake: FakeChatModel, http: aiohttp.ClientSession
) -> None:
    body = chat_request(
        MODEL,
        "Check the sentences.",
        "[S1] Dave said hello.\n[E1] 03:42 UTC (key event) Dave: hello",
        name=VERDICTS_FORMAT,
        schema=VERDICTS_SCHEMA,
    )
    fake.reply({"summary": [], "underlying_issue": [], "resolution": [], "lessons": []})
    # Unscripted, the verdicts are the schema's smallest answer: none.
    status, answer = await post(fake, http, body)
    assert status == 200, answer
    assert json.loads(answer["choices"][0]["message"]["content"]) == {"verdicts": []}
    fake.verdicts(
        lambda request: {
            "verdicts": [
                {"sentence": n, "verdict": "supported", "entry": refs[0], "quote": "hello"}
                for n, (_, refs) in request.sentences.items()
            ]
        }
    )
    status, answer = await post(fake, http, body)
    content = json.loads(answer["choices"][0]["message"]["content"])
    assert content["verdicts"] == [
        {"sentence": 1, "verdict": "supported", "entry": "E1", "quote": "hello"}
    ]
    (_, taken) = fake.accepted
    assert taken.format_name == VERDICTS_FORMAT
    assert taken.sentences == {1: ("Dave said hello.", ["E1"])}
    assert taken.entry_text("E1") == "hello"
    # The sections' reply waits for a sections request.
    status, answer = await post(fake, http, warrooms())
    assert set(json.loads(answer["choices"][0]["message"]["content"])) == {
        "summary",
        "underlying_issue",
        "resolution",
        "lessons",
    }


@pytest.mark.parametrize(
    ("change", "param"),
    [
        (lambda body: body.pop("model"), ""),
        (lambda body: body.pop("messages"), ""),
        (lambda body: body.update(messages=[]), "messages"),
        (lambda body: body.update(temprature=0), "temprature"),
        (lambda body: body["messages"][0].update(role="robot"), "messages[0].role"),
        (lambda body: body["messages"][1].update(content=42), "messages[1].content"),
        (lambda body: body["messages"][1].update(mood="calm"), "messages[1].mood"),
        (lambda body: body.update(temperature=3), "temperature"),
        (lambda body: body["response_format"].update(type="yaml"), "response_format.type"),
        (lambda body: body["response_format"].pop("json_schema"), "response_format"),
        (
            lambda body: body["response_format"]["json_schema"].pop("name"),
            "response_format.json_schema",
        ),
        (
            lambda body: body["response_format"]["json_schema"].update(name="postmortem sections"),
            "response_format.json_schema.name",
        ),
        (lambda body: body.update(stream=True), "stream"),
    ],
)
async def test_a_request_the_description_does_not_allow_is_refused(
    fake: FakeChatModel, http: aiohttp.ClientSession, change: Any, param: str
) -> None:
    body = warrooms()
    change(body)
    status, answer = await post(fake, http, body)
    assert status == 400, answer
    error = answer["error"]
    assert error["type"] == "invalid_request_error" and set(error) == {
        "message",
        "type",
        "param",
        "code",
    }
    assert (error["param"] or "") == param, error
    assert fake.accepted == []


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda schema: schema.pop("additionalProperties"), "additionalProperties: false"),
        (lambda schema: schema["required"].pop(), "all fields must be required"),
        (
            lambda schema: schema["properties"]["summary"]["items"].pop("additionalProperties"),
            "additionalProperties: false",
        ),
        (lambda schema: schema.update(type="array"), "the root must be an object"),
        (lambda schema: schema.update(patternProperties={}), "not supported in strict mode"),
    ],
)
async def test_a_strict_schema_structured_outputs_does_not_support_is_refused(
    fake: FakeChatModel, http: aiohttp.ClientSession, change: Any, said: str
) -> None:
    body = warrooms()
    schema = copy.deepcopy(dict(SCHEMA))
    change(schema)
    body["response_format"]["json_schema"]["schema"] = schema
    status, answer = await post(fake, http, body)
    assert status == 400 and said in answer["error"]["message"], answer


async def test_the_key_the_path_the_method_and_the_model_are_checked(
    fake: FakeChatModel, http: aiohttp.ClientSession
) -> None:
    status, answer = await post(fake, http, warrooms(), headers={"Authorization": "Bearer no"})
    assert (status, answer["error"]["code"]) == (401, "invalid_api_key")
    async with http.post(fake.root + "/v1/chat/completions", json=warrooms()) as unsigned:
        assert unsigned.status == 401
    status, _ = await post(fake, http, warrooms(), headers={"Authorization": "Basic a2V5"})
    assert status == 401
    status, _ = await post(fake, http, warrooms(), path="/chat/completions")
    assert status == 404
    async with http.get(fake.root + "/v1/chat/completions") as answer:
        assert answer.status == 405
    status, _ = await post(fake, http, warrooms(), headers={"Content-Type": "text/plain"})
    assert status == 415
    status, _ = await post(fake, http, b"{not json")
    assert status == 400
    status, answer = await post(fake, http, {**warrooms(), "model": "gpt-4o"})
    assert (status, answer["error"]["code"]) == (404, "model_not_found")
    assert fake.accepted == []


async def test_a_server_without_a_key_takes_requests_without_one(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeChatModel(models={MODEL}) as local:
        async with http.post(local.root + "/v1/chat/completions", json=warrooms()) as answer:
            assert answer.status == 200
        assert len(local.accepted) == 1


async def test_scripted_answers_failures_and_stalls(
    fake: FakeChatModel, http: aiohttp.ClientSession
) -> None:
    fake.fail(500)
    status, answer = await post(fake, http, warrooms())
    assert (status, answer["error"]["type"]) == (500, "server_error")
    fake.answer_raw("<html>502</html>", status=200, content_type="text/html")
    async with http.post(
        fake.root + "/v1/chat/completions",
        json=warrooms(),
        headers={"Authorization": f"Bearer {KEY}"},
    ) as raw:
        assert raw.status == 200 and await raw.text() == "<html>502</html>"
    fake.stall(5)
    with pytest.raises(TimeoutError):
        async with http.post(
            fake.root + "/v1/chat/completions",
            json=warrooms(),
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=aiohttp.ClientTimeout(total=0.3),
        ):
            pass
    fake.reply(lambda request: {"echo": request.model})
    status, answer = await post(fake, http, warrooms())
    assert json.loads(answer["choices"][0]["message"]["content"]) == {"echo": MODEL}


def test_the_fixture_is_openais_description_with_its_license() -> None:
    cut = description()
    assert cut["x-cut-from"]["repository"] == "https://github.com/openai/openai-openapi"
    operation = cut["paths"]["/chat/completions"]["post"]
    assert operation["operationId"] == "createChatCompletion"
    assert cut["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    from emulator.openai_chat import FIXTURE

    license_text = (FIXTURE.parent / "openai-openapi.LICENSE").read_text()
    assert "MIT License" in license_text and "Copyright (c) OpenAI" in license_text
