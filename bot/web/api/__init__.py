"""The JSON API under ``/api/``: what every domain's API handlers answer with, and the
document that describes them all.

- ``models``: the JSON API's answers as models.
- ``answers``: how every JSON API handler answers, and who is calling.
- ``document``: ``/api/openapi.json``, generated from the API's table (every domain's
  operations: bot/web/routes.py ``API_OPERATIONS``, handed in by the application).
- ``docs``: ``GET /api/docs``, the OpenAPI document as a page a person reads.

Each domain's operations are its own (``incident/api``, ``oncall/api``, ``alerting/api``,
``alerting/services``, ``changes/pages``); ``openapi`` (``bot/web/``) builds a document from
a table.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``); it is the first
domain, so no other.
"""
