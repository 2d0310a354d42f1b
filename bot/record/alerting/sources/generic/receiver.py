"""The generic shape (the manual's "Alerts"): one alert, named by ``dedup_key``, from anything
that can post JSON. Every field's problem is named at once, in the words the Alertmanager
shape's checks use (the same checkers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from bot.record.alerting.payloads import AlertSeen, Link, Notification, PayloadError
from bot.record.alerting.sources import checks
from bot.record.alerting.sources.webhook import WebhookSource

# Its kind, as its registry line names it: each body it sends is stored as this source's.
KIND = "generic"

# A link of the generic shape: a URL, or {href, text}.
GenericLink = Annotated[Link, BeforeValidator(checks.link_of)]


class GenericNotification(BaseModel):
    """The generic shape (README, "Alerts"): one alert, named by ``dedup_key``. Every field's
    problem is named at once, fields in this order, in the words the Alertmanager shape's
    checks use (the same checkers)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: Annotated[str, BeforeValidator(checks.required_text)] = Field(
        default=None, validate_default=True
    )
    dedup_key: Annotated[str, BeforeValidator(checks.dedup_key)] = Field(
        default=None, validate_default=True
    )
    status: Annotated[str, BeforeValidator(checks.status_of)] = "firing"
    started_at: Annotated[datetime | None, BeforeValidator(checks.time_of)] = None
    ended_at: Annotated[datetime | None, BeforeValidator(checks.time_of)] = None
    labels: Annotated[dict[str, str], BeforeValidator(checks.strings_of)] = Field(
        default_factory=dict
    )
    severity: Annotated[str | None, BeforeValidator(checks.optional_text)] = None
    source: Annotated[str, BeforeValidator(checks.text_of)] = ""
    description: Annotated[str, BeforeValidator(checks.text_of)] = ""
    links: Annotated[list[GenericLink], BeforeValidator(checks.link_list)] = Field(
        default_factory=list
    )

    def notification(self, received_at: datetime) -> Notification:
        """The notification this body makes; ``received_at`` stands in for missing times."""
        ended_at = self.ended_at
        if self.status == "resolved" and ended_at is None:
            ended_at = received_at
        severity, source = self.severity, self.source
        labels = {**self.labels, **({"severity": severity} if severity else {})}
        labels = {**labels, **({"source": source} if source else {})}
        annotations = {
            "summary": self.title.strip(),
            **({"description": self.description} if self.description else {}),
        }
        alert = AlertSeen(
            fingerprint=self.dedup_key,
            status=self.status,
            labels=labels,
            annotations=annotations,
            starts_at=self.started_at or received_at,
            ends_at=ended_at,
            links=tuple(self.links),
            start_given=self.started_at is not None,
        )
        stated = severity.upper() if severity else ""
        return Notification(
            source=KIND,
            group_key=self.dedup_key,
            status=self.status,
            alerts=(alert,),
            common_labels=labels,
            common_annotations=annotations,
            title=self.title.strip(),
            message=self.description,
            severity=stated if stated in {"SEV1", "SEV2", "SEV3", "SEV4"} else None,
            sender=source or "webhook",
        )


def read_generic(document: dict[str, Any], received_at: datetime) -> Notification:
    """A body of the generic shape; ``received_at`` stands in for the times it leaves out."""
    try:
        body = GenericNotification.model_validate(document)
    except ValidationError as error:
        raise PayloadError([_problem(problem) for problem in error.errors()]) from None
    return body.notification(received_at)


def _problem(error: ErrorDetails) -> str:
    """``links[0]: must be ...``: where, then what is wrong (the checker's words)."""
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    return f"{where}: {error['msg']}"


GENERIC = WebhookSource(reader=read_generic)
