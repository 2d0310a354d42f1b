"""Follow-ups on the web: their page, and the trackers that say an issue was closed.

- ``pages``: ``GET /follow-ups``, the follow-ups not done yet, and marking one done.
- ``tracker_webhooks``: ``POST /trackers/{github,jira,linear}``, an issue closed or reopened.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``; never one
after it.
"""
