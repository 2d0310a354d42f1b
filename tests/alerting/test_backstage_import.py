"""``warroom services import-backstage``: Backstage's ``catalog-info.yaml``
files (tests/payloads/backstage/, written as Backstage's descriptor format documents them)
made into a services file that warroom then reads; other kinds skipped and counted, and what
cannot be carried said."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.record.alerting.services import load_services
from tests.helpers.alerts import PAYLOADS

CATALOG = PAYLOADS / "backstage"


def test_components_become_services_and_the_rest_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "services.yaml"
    files = [str(CATALOG / "shop-catalog-info.yaml"), str(CATALOG / "payments-catalog-info.yaml")]
    assert main(["services", "import-backstage", *files, "--output", str(out)]) == 0
    said = capsys.readouterr().err
    assert "3 service(s) from Components; skipped: 1 API, 1 Group, 1 Resource, 1 System" in said
    assert "checkout: depends on resource:default/orders-db, not a component: left out" in said
    assert "fraud-scoring: owner user:default/alice is not a group" in said
    assert "fraud-scoring: depends on component ledger, not among the files: left out" in said

    written = yaml.safe_load(out.read_text())
    checkout, payments, fraud = written["services"]
    assert checkout == {
        "name": "checkout",
        "description": "The shop's checkout, from the basket to the payment",
        "owners": [{"usergroup": "team-payments"}],
        "system": "shop",
        "depends_on": ["payments-api"],
        "pagerduty_service_id": "PCHK123",
        "opsgenie_component_selector": "checkout",
    }
    assert payments["owners"] == [{"usergroup": "team-payments"}]
    assert payments["pagerduty_service_id"] == "PPAY456"
    assert fraud == {"name": "fraud-scoring"}
    # warroom reads what it wrote: a services file as any other.
    catalog = load_services(out)
    assert list(catalog.by_name) == ["checkout", "payments-api", "fraud-scoring"]
    assert catalog.depended_on_by("payments-api") == ["checkout"]


def test_a_file_that_is_not_yaml_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "catalog-info.yaml"
    broken.write_text("kind: Component\nmetadata: [unclosed\n")
    assert main(["services", "import-backstage", str(broken)]) == 1
    assert f"{broken} is not valid YAML" in capsys.readouterr().err
    assert main(["services", "import-backstage", str(tmp_path / "missing.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().err
