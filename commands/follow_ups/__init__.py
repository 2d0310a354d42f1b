"""Follow-ups' subcommand and buttons: ``/incident action``, its "File as issue" and
"Mark done" buttons, and merging two follow-ups in a click.

- ``action``: ``/incident action [--file[=tracker]] [--due <day>] [@owner] <task>``: a follow-up
  task for the postmortem, due when ``--due`` says (its owner is reminded); and the "File as issue"
  button on its message, "Merge" on it (and on its owner's App Home), and "Mark done" on the
  reminder.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``; never one after it. Nothing imports it but
``commands`` (its table and ``register``).
"""
