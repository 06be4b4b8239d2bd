"""Persistence: users, conversation state, lesson progress and the message log (SQLAlchemy)."""
