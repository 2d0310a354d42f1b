"""Workflows: the workflows file, the signing secrets of the webhooks it names, and how long a
webhook may take."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.config.reading import Feature, Secret, problems_file, read, seconds, setting
from bot.record.workflows.definitions import NO_WORKFLOWS, WorkflowError, Workflows, load_workflows


@dataclass(frozen=True)
class WorkflowSettings(Feature):
    """What runs when an incident changes, and the webhooks it calls."""

    # bot/record/workflows/definitions.py.
    definitions: Workflows = setting(
        env="WARROOM_WORKFLOWS",
        default=NO_WORKFLOWS,
        parse=problems_file(load_workflows, WorkflowError),
        doc="path of the workflows file (above); each webhook's `secret_env` names a variable "
        "holding its signing secret",
        shown="none (no workflows)",
    )
    # The webhooks' signing secrets, by the variable each is read from (the file names them).
    webhook_secrets: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    # Seconds a workflow's webhook may take to answer before the attempt counts as failed.
    webhook_timeout: float = setting(
        env="WARROOM_WEBHOOK_TIMEOUT",
        default=10.0,
        parse=seconds,
        doc="seconds a workflow's webhook may take to answer before the try counts as failed",
        shown="`10`",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> WorkflowSettings:
        """The workflows, then the secrets they name."""
        found = read(cls, environ)
        secrets = {name: Secret(environ.get(name, "")) for name in found.definitions.secret_envs}
        return found.replace(webhook_secrets=MappingProxyType(secrets))
