"""Change events: what changed on a service before something broke (deploys, feature flags,
configuration, infrastructure, databases), each with who, when, what, a link and where it
came from, kept once per service. The receivers are ``bot.web.changes``; ``warroom changes``
is ``bot.admin.changes.changes``.

- ``events``: the one shape every source's body is read into (``ChangeSeen``), a change kept
  once (its idempotency key), and the questions asked of them: the changes on some services
  since a time, and the changes before a moment within some hours (what an alert or an
  incident will show beside it).
- ``beside``: what changed before an alert or an incident, on its services and what they
  depend on, and the job (``changes_beside``) that says it beside the alert or incident.
- ``suspects``: changes ranked by what the record shows of them, the likeliest suspect first
  (named or rolled back in the channel, on the service or a dependency, before impact, its
  kind, how long before), each with why.
- ``sources/``: the senders, each read as its vendor documents it, behind one registry:
  PagerDuty's change events, GitHub's webhooks, Argo CD's notifications, warroom's own
  ``POST /api/changes``; and the apps' messages in the team's change channels.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``, ``status_page``, ``alerting``, ``oncall``, ``paging``; never one
after it.
"""
