"""Paging: the pages sent to pagers (PagerDuty's Events API), as jobs.

- ``pagerduty_events``: PagerDuty events sent as jobs, retried, failures told in the channel.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and ``bot.flows.oncall``, the domain before it; never one after it
(``status_page`` on).
"""
