"""Paging: pages to people (their notification rules, each notification a job) and to
pagers (PagerDuty's Events API), as jobs.

- ``pagerduty_events``: PagerDuty events sent as jobs, retried, failures told in the channel.
- ``pages``: a page per person an escalation reaches; each notification sent at its rule's
  offset, and what the phone provider reports of it.
- ``destinations/``: every way a person is reached, a module per method (Slack, ntfy,
  Pushover, SMS and voice, e-mail, webhook, Teams) with its callbacks and receipts, what is
  sent (pages, verification codes, drills, tests) and its words; one registry every sender
  reads.
- ``notifying``: one notification sent through its destination and what became of it kept
  (an alert's page sent and settled; a notification's row as an outcome leaves it).
- ``fallback``: a method that failed brings the person's next rule forward, said in the channel.
- ``delivery``: an SMS or call its provider has not reported delivered in time does the same.
- ``phones``: SMS and calls through the registry's phone providers (bot/clients/phone/), the
  contact's fallback provider at once.
- ``alert_pages``: what an alert of its own is to paging: acknowledged, resolved, its
  message shown.
- ``handed``: a page's first notifications handed from the transaction that writes them to
  their sender, with what the send needs: in process, or to the pager in the NOTIFY.
- ``trouble``: a contact a service refuses for good, said once to its person and owners.
- ``own_contacts``: ``/oncall contact`` and ``/oncall rules``: people's own methods, verified.
- ``trying``: ``/oncall test-page``: a test through each verified method, kept, answered.
- ``drills``: the paging drill (``warroom paging drill``, ``WARROOM_PAGING_DRILL``): each
  paging provider exercised through people who opted in, its outcome waited for, a failure
  raised as an alert through what the caller hands it (``alerting.drill_alerts``: alerting's
  own alerts, as a missed heartbeat is).
- ``watchdog``: the dead man's switch (``WARROOM_WATCHDOG_URL``): warroom's own check (the
  database, the job runner, the pager, a provider answering), and the ping outside it while
  the check passes.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``; never one after it.
"""
