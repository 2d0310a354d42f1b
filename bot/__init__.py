"""warroom, the incident bot. Its folders are the layers, bottom to top (``LAYERS`` in
tests/test_layers.py), and the few modules at this top sit in them as listed:

- ``basics/``: small helpers every layer uses.
- ``store/``: the tables, the database, and the rows that carry work between processes.
- ``record/``: what happened in an incident and who did it; no Slack, no HTTP in it.
- ``config``: ``Settings``, the only reader of the environment (the settings layer).
- ``metrics``: what ``GET /metrics`` shows Prometheus (the settings layer).
- ``clients/``: everything warroom sends out of the process.
- ``services``: what every listener and flow needs, built once per application (the flows
  layer).
- ``flows/``: everything that decides and calls out.
- ``slack/``: incoming Slack: the Bolt app and its listeners.
- ``web/``: every HTTP route that is not Slack's.
- ``keys``: typed keys for what the aiohttp application holds (the incoming layer).
- ``app``: the composition root: the aiohttp app and the Bolt app from one ``Settings``.
- ``server``: ``warroom serve``.
- ``pager``: ``warroom pager``, a replica's paging work in a process of its own, which serve
  starts on PostgreSQL (unless WARROOM_PAGER_PROCESS=off).
- ``admin/``: the other command-line verbs.
- ``cli``: the ``warroom`` command line.
- ``__main__``: ``python -m bot``, the same as ``warroom``.

``commands/``, beside this folder, is the slash commands: incoming, with ``slack/`` and ``web/``.
This file is in the basics layer and imports nothing; each folder's ``__init__.py`` says what
that folder may import.
"""
