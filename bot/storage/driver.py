"""The few statements every message runs, on the DBAPI connection beneath SQLAlchemy.

Measured in place (`python -m tests.bench_floor`): a turn's statements and marking its reply sent
cost about 4.5 ms CPU a message through SQLAlchemy's execution path, against well under 1 ms
through the sqlite3 driver. So the statements of every typed message (the user with its open
handoff, the update's status, the log rows, the user's changes, the update marked done, the
replies, the chat's waiting check, the heartbeat, marking sent) go straight to the driver. In a
transaction they run on the session's own connection (already begun: the same transaction);
everything else stays on SQLAlchemy.

Values are written as SQLAlchemy writes them for the table's column types: JSON as `json.dumps`
text (None as JSON null), DateTime on SQLite as its `YYYY-MM-DD HH:MM:SS.ffffff` text (PostgreSQL
takes the datetime), and Python-side column defaults filled in for the columns not given; rows
read are converted by the column types' own result processors. The
driver's errors are raised as SQLAlchemy's (`OperationalError`, `IntegrityError`…), so outage and
conflict handling does not change, and the engine's `before_cursor_execute` listeners still see
every statement (tests and benchmarks that count statements count these too).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable, Sequence

from sqlalchemy import JSON, DateTime, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class Driver:
    """Statements with `?` placeholders on one DBAPI connection (sqlite3 or psycopg2)."""

    _inserts: dict[tuple, tuple] = {}             # (dialect, table, columns given) -> statement, plan
    _readers: dict[tuple, list] = {}              # (dialect, table) -> each column's result processor

    def __init__(self, dbapi_connection, dialect, events=None, connection: Connection | None = None):
        """`events`: the engine's `before_cursor_execute` listeners (told of each statement)."""
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.cursor = dbapi_connection.cursor()
        self._events = events
        self._connection = connection

    @classmethod
    def of(cls, connection: Connection) -> "Driver":
        """On a SQLAlchemy connection's own DBAPI connection, inside its transaction."""
        return cls(connection.connection, connection.dialect, connection.dispatch.before_cursor_execute, connection)

    def _announce(self, statement: str, parameters, many: bool) -> None:
        if self._events:
            self._events(self._connection, self.cursor, statement, parameters, None, many)

    def sql(self, statement: str) -> str:
        return statement if self.sqlite else statement.replace("?", "%s")

    def when(self, moment: dt.datetime | None):
        """A DateTime parameter as SQLAlchemy binds it."""
        return _sqlite_datetime(moment) if self.sqlite else moment

    def execute(self, statement: str, parameters: Sequence = ()):
        statement, parameters = self.sql(statement), tuple(parameters)
        self._announce(statement, parameters, False)
        try:
            self.cursor.execute(statement, parameters)
        except self.dialect.dbapi.Error as error:
            raise DBAPIError.instance(statement, parameters, error, self.dialect.dbapi.Error) from error
        return self.cursor

    def first(self, statement: str, parameters: Sequence = ()) -> tuple | None:
        return self.execute(statement, parameters).fetchone()

    def values(self, table: Table, row: Sequence) -> dict[str, Any]:
        """A row read as `SELECT <all of table's columns in order>, …`, as SQLAlchemy would hand
        its values back (the column types' own result processors: JSON parsed, SQLite's datetime
        text as datetimes)."""
        key = (self.dialect.name, table.name)
        readers = self._readers.get(key)
        if readers is None:
            readers = self._readers[key] = [
                (column.name, column.type.dialect_impl(self.dialect).result_processor(self.dialect, None) or _same)
                for column in table.columns]
        return {name: read(value) for (name, read), value in zip(readers, row)}

    def update(self, table: Table, values: dict[str, Any], **where) -> int:
        """UPDATE the rows matching `where` (column = value each) to `values`, bound as SQLAlchemy
        binds them; the number of rows changed."""
        names = ", ".join(f"{name} = ?" for name in values)
        matching = " AND ".join(f"{name} = ?" for name in where)
        bound = [self._converter(table.columns[name])(value) for name, value in values.items()]
        return self.execute(f"UPDATE {table.name} SET {names} WHERE {matching}", [*bound, *where.values()]).rowcount

    def insert(self, table: Table, rows: Iterable[dict[str, Any]], returning: bool = False,
               columns: Sequence[str] = ()) -> list[int]:
        """INSERT rows giving the first row's columns (or all of `columns`: a row without one of
        them takes the column's default, or NULL, as if it had not been given); with `returning`,
        their primary keys in order (one statement each), otherwise one executemany."""
        rows = list(rows)
        if not rows:
            return []
        statement, plan = self._plan(table, tuple(columns or rows[0]), returning)
        values = [tuple(convert(row.get(name)) if name in row else default() for name, convert, default in plan)
                  for row in rows]
        try:
            if not returning:
                self._announce(statement, values, True)
                self.cursor.executemany(statement, values)
                return []
            ids = []
            for one in values:
                self._announce(statement, one, False)
                self.cursor.execute(statement, one)
                ids.append(self.cursor.lastrowid if self.sqlite else self.cursor.fetchone()[0])
            return ids
        except self.dialect.dbapi.Error as error:
            raise DBAPIError.instance(statement, values[0], error, self.dialect.dbapi.Error) from error

    def _plan(self, table: Table, given: tuple[str, ...], returning: bool) -> tuple[str, list]:
        key = (self.dialect.name, table.name, given, returning)
        found = self._inserts.get(key)
        if found is None:
            plan = []
            for column in table.columns:
                default = column.default
                if column.name not in given and (default is None or column.primary_key):
                    continue
                plan.append((column.name, self._converter(column), self._default(column)))
            names = ", ".join(name for name, _, _ in plan)
            marks = ", ".join("?" for _ in plan)
            statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            if returning and not self.sqlite:
                statement += " RETURNING " + ", ".join(c.name for c in table.primary_key.columns)
            found = self._inserts[key] = (self.sql(statement), plan)
        return found

    def _converter(self, column):
        """How a value is bound (cached with the statement: nothing of this driver in it)."""
        if isinstance(column.type, JSON):
            return json.dumps                     # None too: JSON null, as SQLAlchemy's JSON type does
        if isinstance(column.type, DateTime) and self.sqlite:
            return _sqlite_datetime
        return _same

    def _default(self, column):
        default = column.default
        if default is None:
            return lambda: None
        convert = self._converter(column)
        if default.is_callable:
            return lambda: convert(default.arg(None))
        return lambda: convert(default.arg)


def _sqlite_datetime(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.strftime(SQLITE_DATETIME)


def _same(value):
    return value
