"""The generic shape: ``POST /alerts/generic``, one alert as JSON from any system (a script,
an uptime check), the shared token as a bearer token; also the shape of the alerts warroom
raises itself (a missed heartbeat, a failed paging drill).

- ``receiver``: ``GENERIC``, the source, and ``GenericNotification``, the body's model.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``,
``checks``, ``webhook``); no other source's folder.
"""
