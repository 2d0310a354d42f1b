"""The incident's record: the incident itself, its timeline, its channel's history, its
roles, fields, findings and milestones; what every other domain of the record hangs
from, so it comes first in the order.

- ``incidents``: open, find, attach to a channel, resolve.
- ``queries``: filtered, paginated lists, and one incident by reference.
- ``search``: search by words (the database's full-text index) and where they were found.
- ``typed_times``: a time typed about a past incident, read on its days in its zone.
- ``incident_types``: incident types and custom fields as operators write them.
- ``fields``: an incident's type and field values, set with their history.
- ``findings``: impact, causes and follow-up tasks people state for the postmortem.
- ``milestones``: milestone times set or corrected after the fact (and ``METRICS``).
- ``roles``: who leads an incident and who holds its other roles.
- ``timeline``: the curated timeline.
- ``messages``: the raw history of an incident channel, edits and deletions included.
- ``message_links``: links to the messages a record came from, learned once per channel.
- ``reactions``: reactions that promote messages into the timeline, and take them out.
- ``event_batch``: a batch of plain Slack events kept in a few statements.
- ``involvement``: who is in which incident (the App Home's "your incidents").
- ``related``: earlier incidents sharing a service, components, alert names or labels, and why
  (the agents' tool, the incident page, the channel's offer, and a draft's repeats).
- ``wrap_up``: what the form offered on resolving records, and the impact end it proposes.

May import: ``bot.basics``, ``bot.store``, the record's own modules (``bot/record/*.py``); it is
the first domain, so no other.
"""
