"""``/incident public`` and its form.

- ``public``: ``/incident public``: components, public titles, ``off``.
- ``form``: the status page form, saved.

May import: what ``commands`` may, the modules of ``commands`` and the domains before it
(``oncall``, ``postmortem``, ``escalation``, ``incident``). Nothing imports it but
``commands`` (its table and ``register``).
"""
