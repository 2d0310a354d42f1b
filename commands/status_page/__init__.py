"""``/incident public`` and its form.

- ``public``: ``/incident public``: components, public titles, ``off``.
- ``form``: the status page form, saved.

May import: what ``commands`` may, the modules of ``commands`` and every other domain: it is the
last in ``DOMAINS`` (tests/test_layers.py). Nothing imports it but ``commands`` (its table and
``register``).
"""
