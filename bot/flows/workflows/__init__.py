"""Workflows: where flows start them, and running their actions.

May import: ``bot.services`` (beside this folder, in the same layer) and everything below it
(``bot.clients``, ``bot.config``, ``bot.metrics``, ``bot.record``, ``bot.store``, ``bot.basics``).
"""
