"""The App Home: what a person's Home tab shows (their incidents, follow-ups, on-call
shifts, open alerts and how pages reach them), built when they open it.

- ``publishing``: what a person's App Home shows, published when they open it or it changes.

May import: ``bot.services`` and everything below it, the flows' own modules
(``bot/flows/*.py``); it is the first domain, so no other.
"""
