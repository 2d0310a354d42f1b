"""Who may act, in the web view: every form the web view takes (each POST,
PUT, PATCH or DELETE of the route table, ``bot.app.ROUTES``) is posted by a signed-in guest
of the workspace, of each kind (``users.info`` ``is_restricted``: multi-channel,
``is_ultra_restricted``: single-channel, https://docs.slack.dev/reference/objects/user-object),
brought into the incident's channel: each is refused (403, saying guests may not) and nothing
is published, paged, silenced, spent, changed on call or accepted for someone. A new route
fails here until it is walked or said why not. A member then accepts the agent's note and
the model's section with the same forms: the guest's were ones that act.
"""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import ROUTES
from bot.web.routing import RouteKind
from emulator import Channel, SlackEmulator
from emulator.statuspage import FakeStatuspage
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.flows.test_rights import (
    GUEST,
    KINDS,
    OWEN,
    T0,
    _proposals,
    rights_settings,
    watched,
)
from tests.helpers.drafts import invite_guest
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import (
    browser,
    csrf_of,
    sign_in,
    visible_text,
    web_settings,
)

# Each form, with what it is sent (``{note}``, ``{suggestion}``: the proposals' ids).
WALKED: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/incidents/{reference}/postmortem/sections/{section}"): {
        "body": "Alice rebuilt the index.",
        "suggestion": "{suggestion}",
    },
    ("POST", "/incidents/{reference}/postmortem/suggestions/{suggestion}/accept"): {},
    ("POST", "/incidents/{reference}/postmortem/impact"): {"what": "Checkout slow"},
    ("POST", "/incidents/{reference}/postmortem/follow-ups"): {"task": "Alert on lag"},
    ("POST", "/incidents/{reference}/postmortem/misleading"): {"end": "x"},
    ("POST", "/incidents/{reference}/postmortem/escalations"): {"answer": "x"},
    ("POST", "/incidents/{reference}/postmortem/brought-in"): {"answer": "x"},
    ("POST", "/incidents/{reference}/postmortem/mitigation"): {"at": "10:05"},
    ("POST", "/incidents/{reference}/postmortem/marks"): {"mark": "x"},
    ("POST", "/incidents/{reference}/postmortem/follow-ups/{item}/file"): {},
    ("POST", "/incidents/{reference}/postmortem/follow-ups/{item}"): {"act": "remove"},
    ("POST", "/incidents/{reference}/postmortem/lines/{entry}"): {"text": "Nothing happened"},
    ("POST", "/incidents/{reference}/postmortem/figures/{entry}"): {"customers": "1"},
    ("POST", "/incidents/{reference}/postmortem/review"): {"to": "in_review"},
    ("POST", "/incidents/{reference}/postmortem/grades/{grade}"): {"grade": "100"},
    ("POST", "/incidents/{reference}/notes/{note}/accept"): {},
    ("POST", "/incidents/{reference}/follow-ups/merge"): {"first": "INC-1-1", "second": "INC-1-2"},
    ("POST", "/incidents/{reference}/follow-ups/{item}/done"): {},
    ("POST", "/oncall/{schedule}/overrides"): {
        "user": BOB,
        "start": "now",
        "end": "18:00",
        "step": "confirm",
    },
    ("POST", "/oncall/{schedule}/overrides/{override}/cancel"): {"step": "confirm"},
    ("POST", "/oncall/{schedule}/calendar"): {},
    # The alerts' worklist: those selected acknowledged together (an id of none will do: the
    # guest is refused before any is read).
    ("POST", "/alerts"): {"do": "acknowledge", "alert": "1"},
    ("POST", "/maintenance"): {"labels": "service=checkout", "start": "now", "end": "18:00"},
    ("POST", "/maintenance/{window}/cancel"): {},
    ("POST", "/agents"): {"name": "gus-agent", "scope": "read", "reason": "to read"},
    ("POST", "/agents/{name}/revoke"): {"reason": "done"},
    ("POST", "/integrations"): {"kind": "generic", "service": "checkout", "reason": "alerts"},
    ("POST", "/integrations/{name}/revoke"): {"reason": "done"},
    ("POST", "/oncall/people/{user}/contacts"): {"kind": "email", "address": "gus@example.com"},
    ("POST", "/oncall/people/{user}/contacts/{name}/verify"): {"code": "123456"},
    ("POST", "/oncall/people/{user}/contacts/{name}/test"): {},
    ("POST", "/oncall/people/{user}/contacts/{name}/remove"): {},
    ("POST", "/oncall/people/{user}/leave"): {"first": "2026-12-24", "last": "2026-12-27"},
    ("POST", "/oncall/people/{user}/leave/{leave}/remove"): {},
    ("POST", "/oncall/people/{user}/leave/feed"): {"url": "https://example.com/off.ics"},
}
# What is in each path of WALKED.
PARAMETERS = {
    "reference": "INC-1",
    "section": "fix",
    "schedule": "payments",
    "item": "1",
    "grade": "1",
    "entry": "1",
    "override": "1",
    "window": "1",
    # A token's, an integration's or a contact method's name; the guest's own page.
    "name": "email",
    "user": GUEST,
    "leave": "1",
}
# The forms and calls not walked here, and why.
NOT_WALKED = {
    "/logout": "signs the person out, no more",
    "/api/oncall/{schedule}/overrides": "the API's changes take the API token: the operator",
    "/api/oncall/{schedule}/overrides/{override}": "the API's changes take the API token",
    "/slack/events": "Slack's, signed: every command, button and form is walked as a guest "
    "in tests/flows/test_rights.py",
    "/alerts/{source}": "the operator's alert sources, each with its own token",
    "/v2/enqueue": "PagerDuty Events v2: an integration's routing key, no person",
    "/generic/2010-04-15/create_event.json": "PagerDuty Events v1: an integration's service "
    "key, no person",
    "/v2/alerts": "the Opsgenie Alert API: an integration's GenieKey, no person",
    "/v2/alerts/{identifier}/close": "the Opsgenie Alert API: an integration's GenieKey",
    "/v2/alerts/{identifier}/acknowledge": "the Opsgenie Alert API: an integration's GenieKey",
    "/v2/alerts/{identifier}/notes": "the Opsgenie Alert API: an integration's GenieKey",
    "/alerts/cloudwatch/{key}": "Amazon SNS: an integration's key, messages signed by AWS",
    "/heartbeats/{name}": "the operator's monitors, each with its own token",
    "/v2/change/enqueue": "PagerDuty's change events: an integration's routing key, no person",
    "/changes/github/{integration}": "GitHub's webhooks, signed with an integration's secret",
    "/changes/argocd": "Argo CD's notifications: an `argocd` integration's key, no person",
    "/api/changes": "change events: a `changes` integration's key, no person",
    "/trackers/{tracker}": "the trackers' signed webhooks: an issue closed or reopened",
    "/ack/{token}": "the link sent to the person paged (a guest is never on call)",
    "/ack/{token}/escalate": "the same link's push button: as the person paged, whose right "
    "to escalate is asked afresh (tests/alerting/test_alert_console_home.py)",
    "/twilio/sms": "Twilio's signed webhooks: the paged person's answers",
    "/twilio/voice": "Twilio's signed webhooks: the paged person's answers",
    "/twilio/status": "Twilio's signed delivery reports",
    "/twilio/route/voice": "Twilio's signed webhooks: a call to a service's number (a caller, "
    "no person of the workspace)",
    "/twilio/route/dial": "Twilio's signed webhooks: a routed call's leg ended",
    "/twilio/route/record": "Twilio's signed webhooks: a routed call's voicemail",
    "/twilio/route/recording": "Twilio's signed recording status callback",
    "/twilio/route/transcription": "Twilio's signed transcription callback",
    "/twilio/route/missed": "Twilio's signed webhooks: a routed call with no message left",
    "/vonage/status": "Vonage's signed delivery reports",
    "/vonage/inbound": "Vonage's signed webhooks: the paged person's answers",
    "/vonage/event": "Vonage's signed call events",
    "/vonage/input": "Vonage's signed webhooks: the paged person's answers",
    "/pushover/receipt": "Pushover's callback: only a hint, the receipt read back from Pushover",
    "/status/subscribe": "the public status page's sign-up: a customer's own address",
    "/status/confirm/{token}": "a subscriber's own link",
    "/status/manage/{token}": "a subscriber's own link",
    "/status/unsubscribe/{token}": "a subscriber's own link",
    "/mcp": "agents' tokens, each checked afresh; what they propose waits for a member",
}


def forms() -> set[tuple[str, str]]:
    """Every route of the table that takes a form or changes something."""
    return {(r.method, r.canonical) for r in ROUTES if r.method not in ("GET", "HEAD")}


def test_every_form_is_walked_or_said_why() -> None:
    """A new POST route fails here until it is walked as a guest (or said why not)."""
    unsaid = {(m, p) for m, p in forms() if (m, p) not in WALKED and p not in NOT_WALKED}
    assert unsaid == set(), "walk each new form as a guest in WALKED, or say why not"
    assert set(WALKED) <= forms(), "a walked form that is no longer a route"
    pages = {r.canonical for r in ROUTES if r.kind is RouteKind.PAGE and r.method == "POST"}
    assert pages - {p for _, p in WALKED} == {"/logout"}, "every page's form is walked"


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, statuspage: FakeStatuspage
) -> dict[str, object]:
    """On SQLite and PostgreSQL: the Slack walk's schedule, policies and status pages
    (``rights_settings``), and sign-in."""
    for user, name in ((OWEN, "owen"), (GUEST, "gus")):
        slack.add_user(user, name)
    return {
        "database_url": database_url,
        "clock": Clock(T0),
        **web_settings(slack, **rights_settings(statuspage)),
    }


async def post(
    session: aiohttp.ClientSession, warroom: Warroom, path: str, data: dict[str, str]
) -> tuple[int, str]:
    """Post ``data`` to ``path`` with the form token of the person's session."""
    async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
        token = csrf_of(await answer.text())
    async with session.post(
        f"{warroom.url}{path}", data={**data, "csrf": token}, allow_redirects=False
    ) as answer:
        return answer.status, await answer.text()


async def _setting(warroom: Warroom, channel: Channel) -> dict[str, str]:
    """What the forms act on: two follow-ups, an override, a window, the proposals."""
    for task in ("Add an alert on replica lag", "Alert when the replica lags"):
        await command(warroom, channel, f"action {task}")
    slack = warroom.slack
    general = slack.channel_by_name("general")
    assert general is not None
    for where, name, text in (
        (general, "/oncall", "override payments now for 2h"),
        (general, "/incident", "maintenance service=checkout now to 18:00"),
    ):
        await slack.send_command(text, user=ALICE, channel=where.id, command=name)
        await settle(warroom)
    note, suggestion = await _proposals(warroom, channel)
    return {**PARAMETERS, "note": str(note), "suggestion": str(suggestion)}


def filled(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_guest_signed_in_posts_every_form_and_changes_nothing(
    warroom: Warroom, statuspage: FakeStatuspage, kind: str
) -> None:
    slack = warroom.slack
    setattr(slack.users[GUEST], kind, True)
    channel = await open_incident(warroom, "Checkout slow")
    await invite_guest(slack, channel, GUEST)
    values = await _setting(warroom, channel)
    async with browser() as gus:
        await sign_in(gus, warroom, GUEST)
        for (_, path), data in WALKED.items():
            before = await watched(warroom, statuspage)
            sent = {key: filled(value, values) for key, value in data.items()}
            status, page = await post(gus, warroom, filled(path, values), sent)
            await settle(warroom)
            # 404: on call shows a guest no schedule at all.
            assert status in (403, 404), (path, status, visible_text(page)[:300])
            if "accept" in path:  # the others' pages have their own words (theirs tested)
                assert "guests of the workspace" in visible_text(page).lower(), path
            assert await watched(warroom, statuspage) == before, path
    # The same forms accept for a member: the guest's would have acted.
    async with browser() as alice:
        await sign_in(alice, warroom, ALICE)
        for path in (
            "/incidents/{reference}/notes/{note}/accept",
            "/incidents/{reference}/postmortem/suggestions/{suggestion}/accept",
        ):
            before = await watched(warroom, statuspage)
            status, _ = await post(alice, warroom, filled(path, values), {})
            assert status == 303, path
            assert await watched(warroom, statuspage) != before, path
