"""Today's date where the users live: Asia/Jakarta (WIB), whatever the server's clock zone.

Every dated rule (a discount's contribution months, the JP wage cap, the pension age) is chosen by
this date, so a December discount stops being quoted at midnight WIB on 1 January, not at 07:00
when a UTC server's date changes. Every default clock (Engine, Dialogue, the answer book, the
settings) uses `today`; tests pin a moment with `fixed(...)`.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def now() -> dt.datetime:
    """The current moment in WIB."""
    return dt.datetime.now(WIB)


def today() -> dt.date:
    """Today's date in WIB."""
    return now().date()


def date_at(moment: dt.datetime) -> dt.date:
    """The WIB date of a moment. A naive moment is UTC, as the database stores (SQLite gives them back
    without a zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(WIB).date()


def fixed(moment: dt.datetime | dt.date) -> Callable[[], dt.date]:
    """A clock stuck at one moment (or date): for tests and LINDUNGI_TODAY."""
    day = moment if not isinstance(moment, dt.datetime) else date_at(moment)
    return lambda: day
