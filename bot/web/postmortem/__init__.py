"""The postmortem draft's parts of the web view.

- ``draft_places``: the draft cut where its written sections stand, each form at its gap.
- ``suggestions``: Accept and Edit on the sections the team's model suggested.
- ``page``: the draft's page itself, shown again with a form's refusal at its fields.
- ``facts``: the record's gaps filled from the page (impact, cause, wrap-up, follow-ups).
- ``gaps``: the gaps the draft's lines leave, filled from the page (what ruled out a
  misleading idea, who answered an escalation).
- ``times``: the forms' times read as the incident's, shown back in words to confirm.
- ``grades``: a person confirms or changes the grade of a cause proposed during the incident.
- ``review``: the review state moved from the page (draft, in review, published).

May import: what ``bot.web`` may, the web view's own modules (``bot/web/*.py``) and the domains
before it in ``DOMAINS`` (tests/test_layers.py): ``api``, ``oncall``, ``insights``,
``follow_ups``; never one after it.
"""
