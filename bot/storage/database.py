"""The database of one process: engine, schema migrations (Alembic) and transactions."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.storage.driver import Driver

MIGRATIONS = Path(__file__).with_name("migrations")


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
    cursor.execute("PRAGMA busy_timeout=30000")    # a second process waits instead of failing
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A pool of open connections (SQLAlchemy 1.4 would open and close the file, and set the
        # pragmas again, for every transaction: a third of a turn's database time).
        pooled = {"poolclass": QueuePool, "pool_size": 8, "max_overflow": 48} if path and path != ":memory:" else {}
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30}, **pooled)
        event.listen(engine, "connect", _sqlite_pragmas)
        # IMMEDIATE takes the write lock up front, so two processes queue instead of failing to
        # upgrade a read lock half-way through a turn.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)

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
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One unit of work on a bare connection, for a single Core statement where the ORM's
        session would be all overhead (marking a reply sent); committed on success."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def driver(self) -> Iterator[Driver]:
        """One unit of work straight on a pooled DBAPI connection, for the single statement every
        reply runs (marking it sent): bot/storage/driver.py. Committed on success."""
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
