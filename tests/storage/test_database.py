"""SQLite has one writer at a time: the threads of one process take their turn on a lock of the
process (bot/storage/database.py), not in SQLite's busy handler, and reuse one warm connection."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.storage.database import Database, OneWriter
from bot.storage.models import User
from bot.storage.repository import Repository


@pytest.fixture()
def sqlite_db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/lindungi.db")
    database.migrate()
    database.dispose()                          # the connections made from here on are counted
    connections = []

    @event.listens_for(database.engine, "connect")
    def no_waiting(dbapi_connection, _record):
        # SQLite's own wait off: a BEGIN that finds the write lock taken fails at once.
        dbapi_connection.execute("PRAGMA busy_timeout=0")
        connections.append(dbapi_connection)

    yield database, connections
    database.dispose()


def test_threads_of_one_process_take_turns_without_sqlite_refusing_one(sqlite_db):
    database, connections = sqlite_db
    errors, done = [], []

    def user_types(number: int) -> None:
        for turn in range(15):
            try:
                with database.transaction() as session:
                    repo = Repository(session)
                    user = repo.user("telegram", str(number), str(number))
                    time.sleep(0.002)           # the turn's own work: the others arrive meanwhile
                    user.step = f"turn {turn}"
                    repo.save_user(user)
                with database.driver() as driver:
                    driver.execute("UPDATE users SET flow = ? WHERE external_id = ?", ("home", str(number)))
                done.append(number)
            except OperationalError as error:
                errors.append(error)

    threads = [threading.Thread(target=user_types, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(done) == 8 * 15
    with database.transaction() as session:
        rows = session.execute(select(User.external_id, User.step, User.flow)).all()
    assert sorted(rows) == [(str(n), "turn 14", "home") for n in range(8)]
    assert len(connections) == 1                # every unit of work on the same connection


def test_a_nested_unit_in_the_same_thread_does_not_wait_for_itself(sqlite_db):
    database, _ = sqlite_db
    with database.transaction() as session:
        Repository(session).user("telegram", "1", "1")
    with database.serial, database.transaction() as session:       # re-entrant
        assert session.execute(select(User.external_id)).scalars().all() == ["1"]


def test_waiting_longer_than_the_busy_timeout_gives_sqlites_error():
    writer = OneWriter(timeout=0.05)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            with writer:
                pass
    finally:
        release.set()
        holder.join()
    with writer:                                # free again once the holder is done
        pass
