"""Changes on the command line.

- ``changes``: ``warroom changes list``: what changed on the services, newest first.

May import: what ``bot.admin`` may, and the other folders of ``bot.admin`` before it
(tests/test_layers.py DOMAINS).
"""
