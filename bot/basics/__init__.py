"""Basics: small helpers every layer uses, so that each is written once and depends on nothing
of ours.

- ``numbers``: the one reader of numbers and tokens from outside (query strings, headers,
  buttons, vendors' JSON, cookies, forms).
- ``timestamps``: Slack message timestamps, both an id and a moment.
- ``durations``: durations operators write (``90s``, ``15m``, ``1h30m``).
- ``languages``: language codes as people give them and as browsers ask for them.
- ``errors``: errors a user can be told about, each with the template that explains it.
- ``logs``: JSON lines for ``warroom serve``, plain text at a terminal, the incident on each.
- ``yaml_files``: operator files in YAML, read once, errors named.
- ``background``: work that runs after Slack was answered, tracked so shutdown waits for it.
- ``render``: the Jinja2 renderer: everything a person reads, from ``templates/``.
- ``compiled_templates``: templates compiled once per process, whichever renderer asks.
- ``markdown_text``: Markdown: people's text escaped to show as itself, made HTML.
- ``slack_text``: text people typed in Slack: one model, decoded once, shown right everywhere.
- ``slack_mrkdwn``: Slack's message formatting as HTML, as Slack shows it (the channel history).
- ``safe_html``: HTML built from escaped pieces only: the one place people's words become HTML.
- ``slack_ids``: every callback, block and action id warroom gives Slack, named once.
- ``slack_links``: links to Slack messages, made from one permalink per channel.
- ``link_hosts``: where a link goes (named beside a link another system gave), and whether
  its host passes for one of the workspace's own.
- ``slack_patterns``: Slack's ids and mentions as people and files write them.
- ``task_words``: a follow-up's task without "Follow-up:", and its content words (en, fr).
- ``trackers``: where follow-ups are filed: the three trackers, a destination, their settings.
- ``stalls``: event-loop stalls over half a second, logged with the code that ran.
- ``precedence``: pages first: while a page's work is in flight, a process's other work waits
  (briefly) at its next step.
- ``version``: the package's version and the commit it was built from (``--version``,
  the build info metric).
- ``key_digest``: the SHA-256 a key warroom makes is kept as.
- ``addresses``: which addresses warroom fetches from or posts to (feeds, subscribers'
  webhooks), and why not.
- ``backoff``: how long a durable retry waits (one doubling schedule, capped, never sooner
  than asked).
- ``rates``: how often each sender's key is let in (a token bucket per key).
- ``untrusted``: what other systems send, parsed in worker processes with a time limit.
- ``prompts``: when people are asked for what the draft needs after an incident: follow-up
  reminders, the day-after lessons question.

May import: nothing of warroom's own.
"""
