"""The postmortem's subcommands and buttons: findings, the draft, its questions and lessons.

- ``draft``: ``/incident postmortem``: write the draft again.
- ``impact`` and ``cause``: findings for the postmortem, sharing ``finding``.
- ``milestone_time``: ``/incident time``: set or correct a milestone time.
- ``suggestion``: Accept and Edit on the sections the team's model suggested, and Edit's form.
- ``draft_prompts``: the buttons and the form of the draft's questions in threads.
- ``lessons``: the day-after lessons DM's Answer and Skip buttons, and its form.
- ``wrap_up``: the form offered on resolving: its Wrap up and Skip buttons, and the form.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``, ``follow_ups``; never one after it. Nothing
imports it but ``commands`` (its table and ``register``).
"""
