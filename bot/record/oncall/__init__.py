"""On call: schedules of who answers when, and the overrides people make on top of them.

Bottom to top: the schedule file (``schedules``), a zone's clock as offset pieces
(``zones``), the engine that turns rules into shifts in UTC (``engine``), and the overrides
kept in the database (``overrides``), with the swaps and the requests to be on call from
outside a schedule that make some of them (``swaps``, ``covers``) and who may do what
(``rights``). Beside them, the calendars: what the .ics feeds hold
(``calendar``) and their secret links (``calendar_tokens``); an iCal layer's external feed
read (``ical_layers``) and its last good copy in the database (``feed_copies``, which gives
the engine schedules whose iCal layers carry their shifts). Record-level: no Slack, no HTTP,
no settings object.

May import: ``bot.basics``, ``bot.store`` and the rest of ``bot.record``.
"""
