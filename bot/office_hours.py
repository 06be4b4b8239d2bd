"""When staff answer: office hours in Indonesian western time (WIB), e.g. "mon-fri 08:00-16:00"."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


@dataclass(frozen=True)
class OfficeHours:
    first_day: int
    last_day: int
    opens: dt.time
    closes: dt.time

    @classmethod
    def parse(cls, text: str) -> "OfficeHours":
        match = re.fullmatch(r"\s*(\w{3})-(\w{3})\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})\s*", text.lower())
        if not match or match.group(1) not in DAYS or match.group(2) not in DAYS:
            raise ValueError(f"office hours must look like 'mon-fri 08:00-16:00', not {text!r}")
        return cls(DAYS.index(match.group(1)), DAYS.index(match.group(2)),
                   dt.time(int(match.group(3)), int(match.group(4))), dt.time(int(match.group(5)), int(match.group(6))))

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(WIB)
        return self.first_day <= local.weekday() <= self.last_day and self.opens <= local.time() < self.closes

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(WIB)
        for days in range(0, 8):
            day = local.date() + dt.timedelta(days=days)
            start = dt.datetime.combine(day, self.opens, WIB)
            if self.first_day <= day.weekday() <= self.last_day and start > local:
                return start
        raise ValueError("no opening within a week")

    def describe(self) -> str:
        """`Senin–Jumat pukul 08.00–16.00 WIB`"""
        return (f"{DAY_NAMES[self.first_day]}–{DAY_NAMES[self.last_day]} pukul "
                f"{self.opens:%H.%M}–{self.closes:%H.%M} WIB")


def when_text(moment: dt.datetime) -> str:
    """`Senin, 08.00 WIB`"""
    local = moment.astimezone(WIB)
    return f"{DAY_NAMES[local.weekday()]}, {local:%H.%M} WIB"
