"""The JSON API under ``/api/``, and its document.

- ``operations``: the API's table of operations (every domain's, on-call's included) and the
  incidents' handlers; ``/api/openapi.json``.
- ``docs``: ``GET /api/docs``, the OpenAPI document as a page a person reads.
- ``models``: the JSON API's answers as models.
- ``answers``: how every JSON API handler answers, and who is calling.

What every domain's API handlers share (``api_answers``, ``api_models``, ``openapi``) stays in
``bot/web/``.

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and every
domain before it: it comes last.
"""
