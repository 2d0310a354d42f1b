"""The incident's own subcommands: declaring it and changing what it is.

- ``start``: declare an incident from one line (the form is ``commands.incident.modal``).
- ``lead``, ``role``, ``sev``, ``status``: who leads, who holds a role, severity, status.
- ``update``: a stakeholder update, on the status pages too with ``--public``.
- ``update_form``: the public update form (``/incident update --public`` without text): the
  status it is filed under and the customers' text.
- ``note``: a key event on the timeline; ``timeline``: the curated timeline so far.
- ``timezone``: the incident's times in another zone.
- ``incident_type``: ``/incident type``; ``set_field``: ``/incident set``.
- ``field_forms``: the "Edit fields" form, and the one resolving opens for missing fields.
- ``resolve``: resolve and post the draft.
- ``proposed_note``: Accept on a timeline note an agent proposed.
- ``causes``: 👍, 👎 and Working theory on a possible cause the team's model proposed.
- ``alert_attach``: ``/incident alert attach <id>``: another open alert made the incident's.
- ``modal``: the declare form (``/incident`` alone): title, type, severity, description, the
  type's custom fields and visibility.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it in
``DOMAINS`` (tests/test_layers.py): ``oncall``, ``follow_ups``, ``postmortem``, ``escalation``;
never one after it. Nothing imports it but ``commands`` (its table and ``register``).
"""
