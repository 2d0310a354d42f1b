"""Alert intake: what monitoring systems send (``payloads``) and where it goes (``routes``).

Nothing in here touches the database or Slack; ``bot.alerting.alerts`` applies a parsed notification
to the record, and ``bot.alerting.intake`` shows it in Slack.
"""
