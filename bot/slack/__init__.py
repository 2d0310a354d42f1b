"""Incoming Slack: the Bolt app (``bolt``), its listeners for events, shortcuts and the App
Home (``home``), the request adapter, and the app manifest. What warroom sends to Slack is
``bot.clients.slack``.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower) and ``bot.keys``. Of its sibling folders, ``bolt`` imports
``commands`` to register it (listed in tests/test_layers.py); nothing of ``bot.web``.
"""
