"""Postmortem drafts, from the record. The flow that asks Slack for what the draft lacks and
posts it is ``bot.flows.postmortem.posting``; ``warroom postmortem`` is
``bot.admin.postmortem.postmortems``.

- ``language``: how a language writes dates, times and durations (its ``language.yaml``),
  and its words (``words.yaml``, the catalog every style's skeleton says: ``Words``).
- ``draft``: the draft (``Draft``): its facts by section, written sections, citations.
- ``draft_format``: how a draft says moments, durations and its lines' parts in its
  language and zone, each worked out once (``DraftFormat``).
- ``draft_rows``: the Markdown rows of its long sections (timeline, misleading paths,
  impacts, causes, mitigations, updates) filled from the template's shapes (``DraftRows``).
- ``parts``: the draft's parts: its lines, the milestones' times, its sections' typed rows
  (no words: the templates say them).
- ``sources``: what the draft is written from: the record (``Record``, ``load_record``).
- ``writing``: writing the draft from the record (``build_draft``), section by section.
- ``people_parts``: the draft's parts people wrote, said or published (written sections,
  suggestions, statements, marks, lessons, repeats, fields, status updates), from the record.
- ``written``: the draft written out: rendered in a language and style (``render_draft``),
  read from the database (``read_draft``).
- ``alert_steps``: an attached alert's own paging (its history's entries) as rows of the
  draft's escalation table: whom each step paged, when, by whom, who acknowledged.
- ``edits``: the sections people rewrote, kept so a regenerated draft never overwrites them.
- ``evidence``: the record as the team's model reads it, an entry a line (``E42``).
- ``checks``: every sentence the model suggests checked against the entries it cites.
- ``wording``: what those checks read in words (numbers in words, durations, content words,
  negation, blame, addresses, identifiers), in English and French.
- ``verification``: the model's verdicts on the sentences' meaning, judged against its quotes.
- ``controls``: the model's own sentences, each changed in one checkable way to be false,
  shuffled among them: a model that fails one has its verdicts void.
- ``suggestions``: what the model suggested for each written section, kept, and accepted.
- ``causes``: the possible causes the model proposes of an open incident: the changes and
  earlier causes beside the record as entries, the entries holding each, people's marks.
- ``grades``: every cause proposed (the model's, agents' findings) graded against the root
  cause on incident.io's four points: the model's proposal, a person's confirmation.
- ``timeline_page``: one page of a long incident's timeline, read without the rest.
- ``semantics``: what the facts mean: when the mitigation worked and the impact ended, where
  a milestone set by hand stands, each misleading path's end, each escalation's answer.
- ``figures``: the incident's figures, each defined once: its milestones as the record decides
  them and the times between (``Figures``, ``figures_of``), read by every page and message.
- ``back_words``: the words that say a service is back (en, fr), negations not counted: a
  message after the fix saying them proposes the impact's end.
- ``prompts``: the questions asked for the draft in a marked message's thread, and answers.
- ``statements``: what a person says on the draft's page where the record has nothing: who
  else was brought in (or nobody), that no path led the investigation astray.
- ``review``: the review state (draft → in review → published), who may move it, its moves.
- ``lessons``: the day-after question to the participants: who, asked once, their answers.
- ``publication``: asking the job runner to write and post the draft again.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``) and
the domains before it in ``DOMAINS`` (tests/test_layers.py): ``incident``, ``insights``,
``follow_ups``, ``escalation``, ``status_page``, ``alerting``, ``oncall``, ``paging``,
``changes``, ``workflows``; never one after it.
"""
