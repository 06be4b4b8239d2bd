"""Storage on SQLite and PostgreSQL: schema from Alembic, users, state, progress, log, deletion."""
from __future__ import annotations

from bot.storage.database import Database
from bot.storage.models import MessageLog
from bot.storage.repository import Repository


def test_schema_is_at_the_newest_revision(database):
    assert database.current() == database.head()
    database.migrate()                       # idempotent
    assert database.current() == database.head()


def test_an_outdated_schema_is_refused_with_a_clear_message(tmp_path):
    import pytest

    from bot.storage.database import SchemaOutdated

    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutdated, match="python -m bot migrate"):
        db.ensure_schema(upgrade=False)
    db.ensure_schema(upgrade=True)
    assert db.current() == db.head()


def test_state_progress_and_log_survive_a_new_connection(database):
    with database.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "42", "42")
        repo.set_state(user, "calculator", "income", {"type": "bpu", "tries": 1})
        repo.progress(user, "jkk").card = 2
        repo.log(user, "in", "text", "halo", intent="greet", confidence=0.99, entities=[])
    other = Database(database.url)
    with other.transaction() as session:
        repo = Repository(session)
        user = repo.user("telegram", "42", "42")
        assert (user.flow, user.step, user.data) == ("calculator", "income", {"type": "bpu", "tries": 1})
        assert repo.all_progress(user)["jkk"].card == 2
        assert [(m.text, m.intent) for m in repo.history(user)] == [("halo", "greet")]
    other.dispose()


def test_a_failed_transaction_changes_nothing(database):
    try:
        with database.transaction() as session:
            repo = Repository(session)
            repo.set_state(repo.user("telegram", "7", "7"), "lesson", "card", {"lesson": "jkk", "card": 1})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with database.transaction() as session:
        assert Repository(session).find("telegram", "7") is None


def test_forget_removes_the_user_and_their_log(database):
    with database.transaction() as session:
        repo = Repository(session)
        keep, gone = repo.user("telegram", "1", "1"), repo.user("telegram", "2", "2")
        for user in (keep, gone):
            repo.progress(user, "jht")
            repo.log(user, "in", "text", "apa itu jht")
    with database.transaction() as session:
        repo = Repository(session)
        repo.forget(repo.find("telegram", "2"))
    with database.transaction() as session:
        repo = Repository(session)
        assert repo.find("telegram", "2") is None
        assert session.query(MessageLog).count() == 1
        assert list(repo.all_progress(repo.find("telegram", "1")))== ["jht"]
