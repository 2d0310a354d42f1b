"""Paging: pages to people (their notification rules, each notification a job) and to
pagers (PagerDuty's Events API), as jobs.

- ``pagerduty_events``: PagerDuty events sent as jobs, retried, failures told in the channel.
- ``pages``: a page per person an escalation reaches; each notification sent at its rule's
  offset, and what the phone provider reports of it.
- ``senders``: what sends a notification by each method (Slack, ntfy, SMS and voice, e-mail,
  webhook, Teams), in the incident's words.
- ``fallback``: a method that failed brings the person's next rule forward, said in the channel.
- ``delivery``: an SMS or call its provider has not reported delivered in time does the same.
- ``phones``: SMS and calls through the registry's phone providers (bot/clients/phone/), the
  contact's fallback provider at once.
- ``alert_pages``: an alert's pages (no incident): each notification sent in the alert's words
  (Slack, ntfy, SMS and calls, email); the alert acknowledged, resolved, its message shown.
- ``handed``: a page's first notifications handed from the transaction that writes them to
  their sender, with what the send needs: in process, or to the pager in the NOTIFY.
- ``hooks``: the ``webhook`` method's JSON document (the page as a receiver gets it).
- ``trouble``: a contact a service refuses for good, said once to its person and owners.
- ``own_contacts``: ``/oncall contact`` and ``/oncall rules``: people's own methods, verified.
- ``trying``: ``/oncall test-page``: a test through each verified method, kept, answered.
- ``drills``: the paging drill (``warroom paging drill``, ``WARROOM_PAGING_DRILL``): each
  paging provider exercised through people who opted in, its outcome waited for, a failure
  raised as an alert through what the caller hands it (``alerting.drill_alerts``: alerting's
  own alerts, as a missed heartbeat is).

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``, ``postmortem``; never one after it.
"""
