"""A Grafana OnCall stack's integrations, each listed with the warroom integration that
answers the same sender, as Grafana OnCall's API reference documents them (grafana/oncall
``docs/sources/oncall-api-reference/``: integrations.md).

- **Integrations** (``GET /api/v1/integrations/``): each becomes the ``integrations create
  --kind`` that answers the same sender, listed with its command, never made; Grafana OnCall has
  no services, so the team names the service.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.record.alerting.sources.registry import GRAFANA_ONCALL, SOURCES
from bot.record.oncall.importing.drafts import IntegrationDraft
from bot.record.oncall.importing.grafana_oncall_fields import Raw


def by_name(raw: Sequence[Raw]) -> list[Raw]:
    return sorted(raw, key=lambda one: (str(one.get("name")), str(one.get("id"))))


def integration(raw: Raw) -> IntegrationDraft:
    """A sender of alerts to Grafana OnCall (integrations.md: ``id``, ``name``, ``type``,
    ``link`` its address), to repoint at warroom. Grafana OnCall has no services: the
    integration's service is the team's to name (``--service SERVICE``). Its ``type`` is
    read in the sources' registry, each line naming the types it answers (none for a
    ``webhook``/``formatted_webhook`` integration: it takes any JSON by Grafana's templates,
    which warroom's generic shape is not)."""
    vendor_type = str(raw.get("type") or "")
    return IntegrationDraft(
        _id(raw),
        _text(raw, "name"),
        vendor_type,
        SOURCES.imported(GRAFANA_ONCALL).get(vendor_type),
        None,
    )


def _id(raw: Raw) -> str:
    return str(raw.get("id") or "")


def _text(raw: Raw, key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""
