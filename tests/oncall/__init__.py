"""Tests of on call: bot/record/oncall/, bot/flows/oncall/, bot/web/oncall/, commands/oncall/ and
`warroom oncall`; ical_source, reference and samples are their helpers (a feed server, the
minute-by-minute reference, sample schedule files)."""
