"""What the fake PagerDuty REST API (``emulator.pagerduty_rest``) serves beside schedules and
policies: services with their integrations, and a user's contact methods and notification
rules, built from the OpenAPI description's own examples (given by the caller)."""

from __future__ import annotations

import json
from typing import Any


def services(example: dict[str, Any], engineering: str, sun: str) -> list[dict[str, Any]]:
    """The description's example service (GET /services: "My Application Service", its
    e-mail integration), paging the account's Engineering policy, with an Events API v2
    integration from Datadog beside; and a service with no integration."""
    documented = json.loads(json.dumps(example))
    documented["escalation_policy"] = {"id": engineering, "type": "escalation_policy_reference"}
    documented["integrations"] = [
        {
            "id": "PQ12345",
            "type": "generic_email_inbound_integration",
            "summary": "Email Integration",
            "name": "Email Integration",
            "integration_email": "my-email-based-integration@subdomain.pagerduty.com",
        },
        {
            "id": "PDDOG01",
            "type": "events_api_v2_inbound_integration",
            "summary": "Datadog",
            "name": "Datadog",
            "vendor": {"id": "PAM4FGS", "type": "vendor_reference", "summary": "Datadog"},
        },
    ]
    quiet = {
        "id": "PSVC002",
        "type": "service",
        "summary": "Status Site",
        "name": "Status Site",
        "description": "The public status site",
        "escalation_policy": {"id": sun, "type": "escalation_policy_reference"},
        "integrations": [],
    }
    return [documented, quiet]


def paging(
    example_method: dict[str, Any], example_rule: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A user's contact methods (the description's e-mail example; an SMS number of the
    PhoneContactMethod's shape; a push) and notification rules (the description's example,
    e-mail at once for high urgency; SMS after 5 minutes; push, not carried; e-mail after 10
    minutes for low urgency)."""
    email = json.loads(json.dumps(example_method))
    sms = {
        "id": "PSMS001",
        "type": "sms_contact_method",
        "summary": "Mobile",
        "label": "Mobile",
        "address": "5555550123",
        "country_code": 1,
    }
    push = {
        "id": "PPUSH01",
        "type": "push_notification_contact_method",
        "summary": "iPhone",
        "label": "iPhone",
        "address": "a-device-token",
    }
    documented = json.loads(json.dumps(example_rule))
    documented["contact_method"] = {"id": email["id"], "type": "email_contact_method_reference"}

    def rule(ident: str, minutes: int, method: dict[str, Any], urgency: str) -> dict[str, Any]:
        return {
            "id": ident,
            "type": "assignment_notification_rule",
            "start_delay_in_minutes": minutes,
            "contact_method": {"id": method["id"], "type": f"{method['type']}_reference"},
            "urgency": urgency,
        }

    rules = [
        documented,
        rule("PRULSMS", 5, sms, "high"),
        rule("PRULPSH", 0, push, "high"),
        rule("PRULLOW", 10, email, "low"),
    ]
    return [email, sms, push], rules
