"""The status pages: making an incident public and publishing its updates (warroom's page,
Statuspage).

May import: ``bot.services`` (beside this folder, in the same layer) and everything below it
(``bot.clients``, ``bot.config``, ``bot.metrics``, ``bot.record``, ``bot.store``, ``bot.basics``).
"""
