"""The incident's pages: the list, one incident, its channel history, its postmortem.

- ``pages``: ``/``, ``/incidents/<reference>`` and what hangs below it.
- ``timeline_kinds``: the incident page's timeline filter (groups of kinds; paging folded).
- ``notes``: Accept on a timeline note an agent proposed, from the incident's page.
- ``api``: the incidents' JSON API (``/api/incidents``, one incident, its postmortem), which
  the agents' tools read through too.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``,
``follow_ups``, ``postmortem``, ``paging``; never one after it.
"""
