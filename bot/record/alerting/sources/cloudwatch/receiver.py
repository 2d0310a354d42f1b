"""Amazon CloudWatch alarms, as SNS posts them to an HTTPS subscription of the integration's
topic: ``POST /alerts/cloudwatch/{key}`` (the URL ``warroom integrations create --kind
cloudwatch`` prints), the key in the path, since SNS posts to a URL and sends no header of the
subscriber's.

Before a body is parsed here its signature was checked and its topic is the integration's
(``bot.web.alerting.sns``); a subscription's confirmation is answered there, never stored.

An alarm's message (the ``Message`` of an SNS notification, a JSON document: the examples in
AWS's Lambda events, https://github.com/aws/aws-lambda-go/blob/main/events/testdata/cloudwatch-alarm-sns-payload-single-metric.json,
and https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html):
``AlarmName``, ``AlarmDescription``, ``AWSAccountId``, ``NewStateValue`` (``ALARM``, ``OK``,
``INSUFFICIENT_DATA``), ``NewStateReason``, ``StateChangeTime``, ``Region`` (its name in
words), ``AlarmArn``, ``OldStateValue`` and ``Trigger`` (``MetricName``, ``Namespace``,
``Dimensions``…). ``ALARM`` pages, ``OK`` resolves, both keyed by ``AlarmArn``: one alert per
alarm while it is open. ``INSUFFICIENT_DATA`` says neither: answered and not kept
(``bot.web.alerting.sns``).

Answers: SNS counts any 2xx as delivered and tries again after anything else
(https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html): 200
``{"status": "accepted", "id": …}``; warroom's own error shape otherwise, 403 for a message
that is not SNS's (``bot.web.alerting.sns``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.record.alerting.payloads import AlertSeen, Notification, PayloadError, json_object
from bot.record.alerting.sources.checks import noted, time_of
from bot.record.alerting.sources.cloudwatch.sns import NOTIFICATION, Envelope, read_envelope
from bot.record.alerting.sources.source import Delivery, Reply

STATES = {"ALARM": "firing", "OK": "resolved"}
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


def _text(alarm: dict[str, Any], name: str, problems: list[str]) -> str:
    value = alarm.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"Message.{name}: required, a non-empty string")
        return ""
    return value


def _labels(alarm: dict[str, Any]) -> dict[str, str]:
    """What routes match an alarm on: its name, account, region, metric and dimensions."""
    trigger = alarm.get("Trigger") if isinstance(alarm.get("Trigger"), dict) else {}
    assert isinstance(trigger, dict)
    # arn:aws:cloudwatch:<region>:<account>:alarm:<name>: the region's code, where the
    # message's ``Region`` is its name in words.
    arn = str(alarm.get("AlarmArn", "")).split(":")
    labels = {
        "alertname": str(alarm.get("AlarmName", "")),
        "aws_account": str(alarm.get("AWSAccountId") or ""),
        "region": arn[3] if len(arn) > 3 else "",
        "namespace": str(trigger.get("Namespace") or ""),
        "metric": str(trigger.get("MetricName") or ""),
    }
    dimensions = trigger.get("Dimensions")
    for each in dimensions if isinstance(dimensions, list) else []:
        if isinstance(each, dict) and isinstance(each.get("name"), str):
            labels[f"dimension_{each['name']}"] = str(each.get("value", ""))
    return {name: value for name, value in labels.items() if value}


def _annotations(alarm: dict[str, Any], name: str, arn: str) -> dict[str, str]:
    """The alarm's name, description, reason, ARN and region, those it gives."""
    return {
        key: value
        for key, value in (
            ("summary", name),
            ("description", str(alarm.get("AlarmDescription") or "")),
            ("reason", str(alarm.get("NewStateReason") or "")),
            ("alarm_arn", arn),
            ("region_name", str(alarm.get("Region") or "")),
        )
        if value
    }


def read_alarm(body: str, received_at: datetime) -> Notification:
    """An SNS notification of a CloudWatch alarm in the one shape; PayloadError names every
    field wrong."""
    envelope = read_envelope(body)
    if envelope.type != NOTIFICATION:
        raise PayloadError([f"'Type' {envelope.type} carries no alarm"])
    alarm = json_object(envelope.message)
    problems: list[str] = []
    name = _text(alarm, "AlarmName", problems)
    arn = _text(alarm, "AlarmArn", problems)
    state = alarm.get("NewStateValue")
    if state not in STATES:
        problems.append("Message.NewStateValue: must be ALARM or OK")
    changed = noted(
        problems, "Message.StateChangeTime", time_of, alarm.get("StateChangeTime"), None
    )
    if problems:
        raise PayloadError(problems)
    status = STATES[str(state)]
    labels = _labels(alarm)
    reason = str(alarm.get("NewStateReason") or "")
    description = str(alarm.get("AlarmDescription") or "")
    annotations = _annotations(alarm, name, arn)
    at = changed or received_at
    alert = AlertSeen(
        fingerprint=arn,
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=at,
        ends_at=at if status == "resolved" else None,
        start_given=changed is not None,
    )
    return Notification(
        source="cloudwatch",
        group_key=arn,
        status=status,
        alerts=(alert,),
        common_labels=labels,
        common_annotations=annotations,
        title=name,
        message="\n\n".join(part for part in (description, reason) if part),
        sender="Amazon CloudWatch",
    )


@dataclass(frozen=True)
class CloudWatchAlarms:
    """CloudWatch alarms through SNS, the key in the subscription's URL; SNS counts any 2xx
    as delivered, so a body kept is answered 200."""

    def key(self, delivery: Delivery) -> str | None:
        return delivery.params.get("key") or None

    def parse(self, body: str, *, received_at: datetime) -> Notification:
        return read_alarm(body, received_at)

    def accepted(self, kept: int, _parsed: Notification) -> Reply:
        return Reply(200, {"status": "accepted", "id": kept})


CLOUDWATCH = CloudWatchAlarms()


def opened(body: str) -> tuple[Envelope, str | None]:
    """The SNS message posted, and its alarm's ``NewStateValue`` when it is a notification
    of one (the gate's read, in a worker process); PayloadError when it is not SNS's shape."""
    envelope = read_envelope(body)
    if envelope.type != NOTIFICATION:
        return envelope, None
    try:
        alarm = json.loads(envelope.message)
    except (ValueError, RecursionError):
        return envelope, None
    state = alarm.get("NewStateValue") if isinstance(alarm, dict) else None
    return envelope, state if isinstance(state, str) else None
