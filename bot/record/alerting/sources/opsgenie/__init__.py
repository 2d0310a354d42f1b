"""Opsgenie's Alert API: ``POST /v2/alerts`` and ``/v2/alerts/{identifier}/close``,
``/acknowledge`` or ``/notes``, the integration's key as ``Authorization: GenieKey <key>``,
answered as Opsgenie answers.

- ``receiver``: ``OPSGENIE``, the source.
- ``ids``: the Opsgenie ids of warroom's alerts and requests (``id``, ``requestId``).
- ``reads``: a request's status and an alert, read back (``GET /v2/alerts/requests/…``,
  ``GET /v2/alerts/{identifier}``) for the key's own integration only.

May import: what ``bot.record.alerting.sources`` may and its modules (``source``); no other
source's folder.
"""
