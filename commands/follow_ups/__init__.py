"""Follow-ups' subcommand and buttons: ``/incident action``, its "File as issue" and
"Mark done" buttons, and merging two follow-ups in a click.

- ``action``: ``/incident action``: a follow-up task for the postmortem (``--due``, an owner,
  ``--file``); its "File as issue", "Merge" and "Mark done" buttons.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``; never one after it. Nothing imports it but
``commands`` (its table and ``register``).
"""
