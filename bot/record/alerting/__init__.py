"""Everything alert-shaped, bottom to top: what monitoring systems send (``payloads``), where
it goes (``routes``), the alerts and their groups in the record (``alerts``), the flow that
opens incidents and posts in Slack (``intake``), and the webhooks it arrives on
(``webhooks``). The ``warroom alerts`` verb is ``bot.admin.alerts``.

``payloads``, ``routes`` and ``alerts`` are record-level (they may import ``bot.basics``,
``bot.store``, ``bot.record``); ``intake`` is a flow; ``webhooks`` is incoming HTTP, beside
``bot.web`` and ``bot.slack``.
"""
