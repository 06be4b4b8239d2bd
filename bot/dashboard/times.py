"""Times for staff: stored in UTC, shown in WIB (Asia/Jakarta, the office's time) and labelled so.

Dates typed into filters are WIB days too: "from 2026-11-23" starts at 00:00 WIB.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
LABEL = "WIB"
OFFSET_HOURS = 7          # Jakarta has no daylight saving time


def local(moment: dt.datetime) -> dt.datetime:
    """The moment in WIB; naive values (SQLite) are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(WIB)


def wib(moment: dt.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """`2026-11-23 14:05 WIB`; empty for no time."""
    return f"{local(moment).strftime(pattern)} {LABEL}" if moment else ""


def wib_day(moment: dt.datetime | None) -> str:
    return local(moment).strftime("%Y-%m-%d") if moment else ""


def day_start(day: dt.date) -> dt.datetime:
    """00:00 WIB of a WIB day, as an aware UTC-comparable datetime."""
    return dt.datetime.combine(day, dt.time(), WIB)


def today(moment: dt.datetime | None = None) -> dt.date:
    return local(moment or dt.datetime.now(dt.timezone.utc)).date()


def duration(seconds: float | None) -> str:
    """A short Indonesian duration: `45 dtk`, `12 mnt`, `3 j 05 mnt`, `2 hari 4 j`."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} dtk"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} mnt"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} j {minutes:02d} mnt"
    days, hours = divmod(hours, 24)
    return f"{days} hari {hours} j"


def between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.timezone.utc)
    if end.tzinfo is None:
        end = end.replace(tzinfo=dt.timezone.utc)
    return (end - start).total_seconds()
