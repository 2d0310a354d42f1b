"""Postmortem drafts, from the record: how a language writes dates and durations
(``language``), the draft and its Markdown rows (``draft``), writing it from the record
(``writing``: ``read_draft`` from the database), and the sections people rewrite (``edits``).
The flow that asks Slack for what the draft lacks and posts it is
``bot.flows.postmortem_posting``; ``warroom postmortem`` is ``bot.admin.postmortems``.

May import: ``bot.basics``, ``bot.store`` and the record's own modules (``bot/record/*.py``);
not ``bot/record/alerting/``.
"""
