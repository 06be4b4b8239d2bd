"""Staff dashboard: review conversations, teach the bot, answer people, process enrolments."""
