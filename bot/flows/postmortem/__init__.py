"""Postmortem: the draft posted, its links and questions, the model's written sections,
and the day-after lessons.

- ``posting``: the draft posted in the channel, as a canvas or a file.
- ``links``: the links a draft gives to the messages its lines came from.
- ``suggestions``: the draft's written sections asked of the team's model, checked; a person
  accepting or editing them.
- ``verification``: the suggested sentences' meaning asked of the model (a second request).
- ``prompts``: the draft's questions in a marked message's thread, and their answers (the
  :x:'s answered on the draft's page too).
- ``answers``: an escalation's answer said by a person when the record has none.
- ``statements``: what a person says on the draft's page where the record has nothing (who
  else was brought in, that no path misled), and a message marked there as a reaction would.
- ``grading``: once published, each cause proposed during the incident graded by the model
  against the root cause, for a person to confirm.
- ``review``: the postmortem published or reopened (with a reason): said in the channel, its
  canvas brought up to date; a published one is not edited until it is reopened.
- ``lessons``: the day-after lessons DM to each participant, and their answers.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``) and the domains before it in ``DOMAINS`` (tests/test_layers.py): ``home``,
``oncall``, ``follow_ups``; never one after it.
"""
