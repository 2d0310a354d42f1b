"""The ways alerts reach warroom, on the command line.

- ``alerts``: ``warroom alerts list`` and ``replay``: the stored payloads.
- ``integrations``: ``warroom integrations create``, ``list`` and ``revoke``: the ways
  alerts reach warroom, one key each.
- ``maintenance``: ``warroom maintenance add``, ``list`` and ``cancel``: maintenance windows.
- ``services``: ``warroom services list`` and ``import-backstage``: the services file, and
  one written from Backstage's catalog files.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
