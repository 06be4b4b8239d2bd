"""The database of one process: engine, schema migrations (Alembic) and transactions."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.storage.driver import Driver

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000


class SchemaOutdated(RuntimeError):
    pass


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs: let SQLAlchemy emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")      # readers don't block the writer
    # WAL's recommended level: a commit survives a killed or crashed process, as before; only a power
    # cut or an OS crash can roll back the last commits (they never corrupt the file). FULL synced
    # the WAL on every commit: measured 0.5-0.9 ms of CPU a commit here (two a typed message).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")    # a second process waits instead of failing
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A pool of open connections (SQLAlchemy 1.4 would open and close the file, and set the
        # pragmas again, for every transaction: a third of a turn's database time). Last in, first
        # out: with the process's transactions taken one at a time (Database.serial), the one
        # connection that wrote last is the one used next, and its page cache is still valid (a
        # connection that another one wrote behind drops its cache at its next BEGIN).
        pooled = ({"poolclass": QueuePool, "pool_size": 8, "max_overflow": 48, "pool_use_lifo": True}
                  if path and path != ":memory:" else {})
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}, **pooled)
        event.listen(engine, "connect", _sqlite_pragmas)
        # IMMEDIATE takes the write lock up front, so two processes queue instead of failing to
        # upgrade a read lock half-way through a turn.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


class OneWriter:
    """The turn of this process's threads at SQLite's write lock. Re-entrant, as a thread may open
    a nested unit; a thread that waits longer than SQLite's own busy timeout gets SQLite's error."""

    def __init__(self, timeout: float = BUSY_TIMEOUT_MS / 1000):
        self.timeout = timeout
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self.timeout):
            raise OperationalError("BEGIN IMMEDIATE", (), sqlite3.OperationalError("database is locked"))

    def __exit__(self, *exc) -> None:
        self._lock.release()


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)
        # SQLite has one writer at a time, and every transaction here takes the write lock at BEGIN
        # (make_engine). Threads of this process queue for it on a lock of their own, not in SQLite's
        # busy handler, which polls and sleeps in steps of up to 100 ms. Measured with 16 users
        # typing: a turn's BEGIN took 130-340 us of CPU before, 65-90 after (its cache kept, no
        # connections opened beyond the pool). Other processes still wait in the busy handler.
        self.serial = OneWriter() if self.engine.dialect.name == "sqlite" else nullcontext()

    # Schema --------------------------------------------------------------------------------
    def _alembic(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def head(self) -> str:
        return ScriptDirectory.from_config(self._alembic()).get_current_head()

    def current(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        config = self._alembic()
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as connection:
            if sqlite:
                # Batch migrations rebuild SQLite tables by copy-and-swap; with foreign keys on,
                # dropping the old copy would cascade into (or null) the rows that point at it.
                # The pragma only takes effect outside a transaction, hence on the raw connection.
                connection.connection.cursor().execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                        raise RuntimeError("a migration left rows pointing at missing rows")
            finally:
                if sqlite:
                    connection.connection.cursor().execute("PRAGMA foreign_keys=ON")

    def ensure_schema(self, upgrade: bool) -> None:
        """Upgrade when allowed; otherwise refuse to run on an outdated schema with a clear message."""
        if self.current() == self.head():
            return
        if upgrade:
            self.migrate()
            return
        raise SchemaOutdated(
            f"Skema database belum terbaru ({self.current() or 'kosong'} → {self.head()}). "
            "Jalankan `python -m bot migrate` dulu."
        )

    # Transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        with self.serial, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One unit of work on a bare connection, for a single Core statement where the ORM's
        session would be all overhead (marking a reply sent); committed on success."""
        with self.serial, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def driver(self) -> Iterator[Driver]:
        """One unit of work straight on a pooled DBAPI connection, for the single statement every
        reply runs (marking it sent): bot/storage/driver.py. Committed on success."""
        with self.serial:
            raw = self.engine.raw_connection()
            try:
                driver = Driver(raw, self.engine.dialect, self.engine.dispatch.before_cursor_execute)
                try:
                    if driver.sqlite:
                        driver.execute("BEGIN IMMEDIATE")       # as every transaction here (make_engine)
                    yield driver
                    if driver.sqlite:
                        driver.execute("COMMIT")
                    else:
                        raw.commit()
                except BaseException:
                    if not driver.sqlite:
                        raw.rollback()
                    elif raw.in_transaction:
                        raw.execute("ROLLBACK")
                    raise
            finally:
                raw.close()                                     # back to the pool

    def dispose(self) -> None:
        self.engine.dispose()
