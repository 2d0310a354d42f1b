"""Incoming Slack. What warroom sends to Slack is ``bot.clients.slack.web_api``.

- ``bolt``: the Bolt app: signature checks, dependency injection, listeners, one error path.
- ``listeners``: the Events API's listeners: parse, then hand to the recorder.
- ``shortcuts``: the message shortcuts ("Add to incident timeline", "Declare incident").
- ``home``: the App Home tab, published afresh each time it is opened.
- ``adapter``: aiohttp <-> Bolt requests and responses.
- ``manifest``: the Slack app manifest.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower) and ``bot.keys``. Of its sibling folders, ``bolt`` imports
``commands`` to register it (listed in tests/test_layers.py); nothing of ``bot.web``.
"""
