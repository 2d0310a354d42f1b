"""Opsgenie's Alert API, answered as Opsgenie documents it, so a script or a tool that calls
Opsgenie is repointed by its base URL and key alone.

Requests (https://docs.opsgenie.com/docs/alert-api, "Create Alert", "Close Alert",
"Acknowledge Alert"): ``Authorization: GenieKey <key>`` (an integration's key, of kind
``opsgenie``); ``POST /v2/alerts`` with ``message`` (required; Opsgenie keeps its first 130
characters, as warroom does), ``alias`` (the alert's de-duplication key, at most 512),
``description``, ``priority`` (``P1`` to ``P5``, default ``P3``: P1 and P2 page at high
urgency, P3 to P5 at low; P1 to P4 state SEV1 to SEV4, P5 SEV4), ``tags``, ``details``,
``entity``, ``source``;
``POST /v2/alerts/{identifier}/close`` and ``/acknowledge`` with ``identifierType``
(``alias``; ``tiny``: the alert's number in warroom, as its page ``/alerts/<number>`` shows
it; ``id``: the alert's Opsgenie id, as ``GET /v2/alerts/requests/{requestId}`` and ``GET
/v2/alerts/{identifier}`` give it (``ids``); each applied only to an alert the same
integration sent; any other value is refused naming the three). An alias, tiny or id nobody
sent is accepted and changes nothing, as Opsgenie accepts a valid request and fails it later
(the request's status says so).
``POST /v2/alerts/{identifier}/notes`` ("Add Note to Alert",
https://docs.opsgenie.com/docs/alert-api#add-note-to-alert), the same ``identifierType``,
with ``note`` (required, at most 25000 characters; more is refused, not cut), ``user`` and
``source`` (display names, at most 100 characters each; Opsgenie's limit, longer ones cut):
the note is kept on the alert, by ``user`` (else the integration's name), and said on the
incident the alert is in. A close's or an acknowledgement's body may hold the same three
(the OpenAPI's ``AlertActionPayload``): its note is kept the same way, as Opsgenie adds it to
the alert's notes.

Answers (https://docs.opsgenie.com/docs/response): 202 ``{"result": "Request will be
processed", "took": …, "requestId": …}`` (the request id made from the stored payload's:
``ids``); 401 for a key nobody has (``{"message": "Could not
authenticate", …}``: which services exist is never said); 400 for a body that is not JSON;
422 ``{"message": "Request body is not processable. Please check the errors.", "errors":
{field: why}, …}`` for a field wrong; 5xx when it should be sent again. The Response page
gives the shape and the codes, not the texts: those are the live API's (its 401 to a wrong
GenieKey) and Opsgenie's own SDK's (its 422), each cited in
tests/payloads/vendors/opsgenie_alert_api.json ("answers").
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import (
    ACKNOWLEDGED,
    NOTED,
    AlertSeen,
    Note,
    Notification,
    PayloadError,
    json_object,
)
from bot.record.alerting.sources.opsgenie import ids
from bot.record.alerting.sources.source import STATUS, Delivery, Refusal, Reply, Why

# Its kind, as its registry line names it: each body it sends is stored as this source's.
KIND = "opsgenie"

CREATE, CLOSE, ACKNOWLEDGE = "create", "close", "acknowledge"
# "Add Note to Alert": its path's last part, as close's and acknowledge's are theirs.
NOTE = "notes"
ACTIONS_ON_ALERT = (CLOSE, ACKNOWLEDGE, NOTE)
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
IDENTIFIER_TYPES = ("id", "alias", "tiny")
# A tiny id is warroom's alert number: digits, short of a 64-bit integer's.
TINY_DIGITS = 18
URGENCY = {"P1": "high", "P2": "high", "P3": "low", "P4": "low", "P5": "low"}
# The severity a priority states, as Opsgenie's own PagerDuty and Jira mappings pair them
# (P5 "Informational" with the lowest): the declare form and an incident a route opens
# without a severity of its own take it.
SEVERITY = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4"}
MESSAGE_LIMIT, ALIAS_LIMIT = 130, 512
NOTE_LIMIT, DISPLAY_NAME_LIMIT = 25_000, 100
# The request's own problems (not JSON): 400; a field's: 422.
SYNTAX = "body "


def genie_key(headers: Any) -> str | None:
    """The key of an ``Authorization: GenieKey <key>`` header; None without one."""
    scheme, _, given = str(headers.get("Authorization", "")).partition(" ")
    return given.strip() if scheme.lower() == "geniekey" else None


def _field(where: str, why: str) -> str:
    return f"{where}: {why}"


def _create(document: dict[str, Any], received_at: datetime, key: str) -> Notification:
    problems: list[str] = []
    message = document.get("message")
    if not isinstance(message, str) or not message.strip():
        problems.append(_field("message", "Message can not be empty."))
        message = ""
    alias = document.get("alias")
    if alias is not None and (not isinstance(alias, str) or len(alias) > ALIAS_LIMIT):
        problems.append(_field("alias", f"Alias must be a string of at most {ALIAS_LIMIT}."))
    priority = document.get("priority", "P3")
    if priority not in PRIORITIES:
        problems.append(_field("priority", "Priority should be one of [P1, P2, P3, P4, P5]"))
    tags, details = _tags_and_details(document, problems)
    texts = _texts(document, problems)
    if problems:
        raise PayloadError(problems)
    if not alias:
        # No alias: a new alert each time, as Opsgenie makes one (``stored`` made its key).
        alias = key
    title = message.strip()[:MESSAGE_LIMIT]
    labels = _labels(title, str(priority), texts, tags, details)
    annotations = {"summary": title}
    if "description" in texts:
        annotations["description"] = texts["description"]
    alert = AlertSeen(
        fingerprint=str(alias),
        status="firing",
        labels=labels,
        annotations=annotations,
        starts_at=received_at,
        ends_at=None,
        start_given=False,
    )
    return Notification(
        source=KIND,
        group_key=str(alias),
        status="firing",
        alerts=(alert,),
        common_labels=labels,
        common_annotations=annotations,
        title=title,
        message=texts.get("description", ""),
        sender=texts.get("source", "Opsgenie Alert API"),
        urgency=URGENCY[str(priority)],
        severity=SEVERITY[str(priority)],
    )


def _tags_and_details(
    document: dict[str, Any], problems: list[str]
) -> tuple[list[str], dict[str, Any]]:
    """The alert's tags (strings) and details (an object), each problem said."""
    tags = document.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        problems.append(_field("tags", "Tags must be a list of strings."))
    details = document.get("details", {})
    if not isinstance(details, dict):
        problems.append(_field("details", "Details must be an object."))
    return tags, details


def _labels(
    title: str, priority: str, texts: dict[str, str], tags: list[str], details: dict[str, Any]
) -> dict[str, str]:
    """The alert's labels: its name, priority, entity and source, tags and details."""
    labels = {"alertname": title, "priority": priority}
    labels |= {k: texts[k] for k in ("entity", "source") if k in texts}
    if tags:
        labels["tags"] = ",".join(tags)
    labels |= {f"details.{k}": str(v) for k, v in sorted(details.items())}
    return labels


def _texts(document: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """The alert's description, entity and source given, each a string."""
    texts = {}
    for name in ("description", "entity", "source"):
        value = document.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(_field(name, f"{name.capitalize()} must be a string."))
        elif value:
            texts[name] = value
    return texts


def _note(document: dict[str, Any], *, required: bool = True) -> Note | None:
    """A request's note, its user and source (Add Note's, required; Close's and
    Acknowledge's, which may hold one: None without); PayloadError names each wrong."""
    problems: list[str] = []
    text = document.get("note")
    if text is None and not required:
        pass
    elif not isinstance(text, str) or (required and not text.strip()):
        problems.append(_field("note", "Note can not be empty."))
    elif len(text) > NOTE_LIMIT:
        problems.append(_field("note", f"Note can not be longer than {NOTE_LIMIT} characters."))
    names: dict[str, str | None] = {}
    for name in ("user", "source"):
        value = document.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(_field(name, f"{name.capitalize()} must be a string."))
        given = value.strip()[:DISPLAY_NAME_LIMIT] if isinstance(value, str) else ""
        names[name] = given or None
    if problems:
        raise PayloadError(problems)
    if not isinstance(text, str) or not text.strip():
        return None
    return Note(text, names["user"], names["source"])


def _act(
    action: str, identifier: str, kind: str, received_at: datetime, note: Note | None = None
) -> Notification:
    if kind not in IDENTIFIER_TYPES:
        why = f"identifierType should be one of {', '.join(IDENTIFIER_TYPES)}, got {kind[:40]!r}"
        raise PayloadError([_field("identifierType", why)])
    number = None
    if kind == "id":
        number = ids.number_of(ids.ALERT, identifier)
        # An id warroom did not make names no alert: kept apart from every alias.
        identifier = f"tiny:{number}" if number is not None else f"id:{identifier}"
    elif kind == "tiny":
        if not identifier.isdecimal() or len(identifier) > TINY_DIGITS:
            raise PayloadError([_field("identifier", "A tiny id is the alert's number.")])
        number, identifier = int(identifier), f"tiny:{int(identifier)}"
    status = {CLOSE: "resolved", NOTE: NOTED}.get(action, ACKNOWLEDGED)
    alert = AlertSeen(
        fingerprint=identifier,
        status=status,
        labels={},
        annotations={},
        starts_at=received_at,
        ends_at=received_at if status == "resolved" else None,
        start_given=False,
    )
    return Notification(
        source=KIND,
        group_key=identifier,
        status=status,
        alerts=(alert,),
        alert_number=number,
        note=note,
    )


def read_request(stored: str, received_at: datetime) -> Notification:
    """A stored request (its action, identifier and body) in the one shape; PayloadError
    names each field wrong, in Opsgenie's words."""
    request = json.loads(stored)
    action, text = request["action"], request["body"]
    if action == CREATE:
        return _create(json_object(text), received_at, str(request.get("key") or "new"))
    # Add Note's note, or the one a close or an acknowledgement may carry (kept the same way).
    note = _note(json_object(text) if text.strip() else {}, required=action == NOTE)
    identifier = str(request.get("identifier", ""))
    if not identifier or len(identifier) > ALIAS_LIMIT:
        raise PayloadError([_field("identifier", "Identifier can not be empty.")])
    kind = str(request.get("identifierType") or "id")
    return _act(action, identifier, kind, received_at, note)


def answer(status: int, request_id: str | None = None, **body: Any) -> Reply:
    """An answer in Opsgenie's shape: ``took`` and ``requestId`` beside ``body`` (a request
    nothing was kept of gets a request id of its own)."""
    return Reply(status, {**body, "took": 0.0, "requestId": request_id or str(uuid.uuid4())})


@dataclass(frozen=True)
class OpsgenieAlerts:
    """The Alert API's create, close, acknowledge and add note, the key as ``GenieKey``."""

    def key(self, delivery: Delivery) -> str | None:
        return genie_key(delivery.headers)

    def stored(self, delivery: Delivery, body: str) -> str:
        action = delivery.path.rstrip("/").rsplit("/", 1)[-1]
        if action not in ACTIONS_ON_ALERT:
            # An alert created without an alias is a new one: kept with a key of its own.
            return json.dumps({"action": CREATE, "body": body, "key": uuid.uuid4().hex})
        return json.dumps(
            {
                "action": action,
                "identifier": delivery.params.get("identifier", ""),
                "identifierType": delivery.query.get("identifierType", "id"),
                "body": body,
            }
        )

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return read_request(body, received_at)

    def accepted(self, kept: int, _parsed: Notification) -> Reply:
        request_id = ids.made(ids.REQUEST, kept)
        return answer(202, request_id, result="Request will be processed")

    def refused(self, refusal: Refusal) -> Reply:
        if refusal.why is Why.UNAUTHORIZED:
            return answer(401, message="Could not authenticate")
        if refusal.why is Why.INVALID:
            fields = [p for p in refusal.problems if not p.startswith(SYNTAX)]
            if not fields:
                return answer(400, message="; ".join(refusal.problems) or refusal.message)
            errors = dict(p.split(": ", 1) for p in fields)
            message = "Request body is not processable. Please check the errors."
            return answer(422, message=message, errors=errors)
        return answer(STATUS[refusal.why], message=refusal.message)


OPSGENIE = OpsgenieAlerts()
