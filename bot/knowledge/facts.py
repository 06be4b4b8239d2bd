"""Facts the bot may state, and how they are written in Indonesian."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = "id_ID"
KINDS = ("rupiah", "percent", "number", "text", "date", "period")
CONFIDENCES = ("high", "medium")


def rupiah(amount: float) -> str:
    """`Rp16.800` — Indonesian thousands separator, no decimals, no space."""
    return format_currency(amount, "IDR", locale=LOCALE, format="¤#,##0", currency_digits=False)


def rupiah_juta(amount: float) -> str:
    """`Rp42 juta`, `Rp1,5 juta` for large round amounts."""
    return f"Rp{format_decimal(amount / 1_000_000, locale=LOCALE)} juta"


def number(value: float) -> str:
    return format_decimal(value, locale=LOCALE)


def percent(value: float) -> str:
    return f"{format_decimal(value, locale=LOCALE)}%"


def date_text(day: dt.date) -> str:
    return format_date(day, format="d MMMM y", locale=LOCALE)


def month_text(day: dt.date) -> str:
    return format_date(day, format="MMMM y", locale=LOCALE)


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# How a dated figure is written once the day it was known to hold through has passed.
STALE = "{value} (terakhir diumumkan; angka baru sedang diperbarui)"


@dataclass(frozen=True)
class Step:
    """One value of a dated table (a fact with a `schedule`), in force from `start`."""

    start: dt.date
    value: Any
    basis: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Fact:
    """One sourced figure: value, how to write it, its legal basis, source and effective date.

    A figure that changes on known dates (the JP wage cap every March, the pension age) carries a
    `schedule`: the value in force is chosen by the date. `until` is the last day the newest known
    value is known to hold; after it the figure is written as "terakhir diumumkan". `review` is
    the day staff must re-check it (`python -m bot facts --due N`).
    """

    id: str
    value: Any
    kind: str
    basis: str
    source: str
    effective: str
    confidence: str
    note: str = ""
    schedule: tuple[Step, ...] = ()
    until: dt.date | None = None
    review: dt.date | None = None
    as_of: str = ""     # when only the confirming source's date is known, not the rule's

    def step_on(self, day: dt.date | None) -> Step | None:
        """The schedule's value in force on `day` (the newest when no day is given)."""
        if not self.schedule:
            return None
        if day is None:
            return self.schedule[-1]
        steps = [s for s in self.schedule if s.start <= day]
        return steps[-1] if steps else self.schedule[0]

    def value_on(self, day: dt.date | None = None) -> Any:
        step = self.step_on(day)
        return step.value if step else self.value

    def confidence_on(self, day: dt.date | None = None) -> str:
        step = self.step_on(day)
        return step.confidence if step else self.confidence

    def stale_on(self, day: dt.date | None) -> bool:
        """True when `day` is past the last day the figure is known to hold."""
        return day is not None and self.until is not None and day > self.until

    def render(self, style: str = "", day: dt.date | None = None) -> str:
        if self.kind == "period" and style in ("from", "until"):
            start, end = self.period()
            return month_text(start if style == "from" else end)
        text = self._render_value(self.value_on(day), style)
        return STALE.format(value=text) if self.stale_on(day) and style != "plain" else text

    def _render_value(self, value: Any, style: str) -> str:
        if self.kind == "rupiah":
            return rupiah_juta(value) if style == "juta" else rupiah(value)
        if self.kind == "percent":
            return percent(value)
        if self.kind == "number":
            return number(value)
        if self.kind == "date":
            return date_text(_to_date(value))
        if self.kind == "period":
            start, end = self.period()
            if start.year == end.year:
                return f"{format_date(start, format='MMMM', locale=LOCALE)}–{month_text(end)}"
            return f"{month_text(start)}–{month_text(end)}"
        return str(value)

    def period(self) -> tuple[dt.date, dt.date]:
        """(first day, last day) of a `period` fact."""
        if self.kind != "period":
            raise ValueError(f"fact {self.id} is not a period")
        return _to_date(self.value["from"]), _to_date(self.value["until"])

    def active_on(self, day: dt.date) -> bool:
        start, end = self.period()
        return start <= day <= end

    def ended_on(self, day: dt.date) -> bool:
        return day > self.period()[1]

    def changes(self) -> list[tuple[dt.date, str]]:
        """Every known date the figure changes or must be re-checked, with what happens then."""
        out: list[tuple[dt.date, str]] = []
        if self.kind == "period":
            start, end = self.period()
            out += [(start, "mulai berlaku"), (end + dt.timedelta(days=1), "berakhir")]
        for step in self.schedule[1:]:
            out.append((step.start, f"menjadi {self._render_value(step.value, '')}"))
        if self.until is not None:
            out.append((self.until + dt.timedelta(days=1), "angka baru jatuh tempo (sampai ditambahkan, bot menulis 'terakhir diumumkan')"))
        if self.review is not None:
            out.append((self.review, "periksa ulang"))
        return sorted(out, key=lambda change: change[0])

    def next_change(self, day: dt.date) -> tuple[dt.date, str] | None:
        """The first change or re-check date on or after `day`."""
        return next(((when, what) for when, what in self.changes() if when >= day), None)


def _schedule(fact_id: str, raw, problems: list[str]) -> tuple[Step, ...]:
    steps = []
    for entry in raw or ():
        try:
            steps.append(Step(_to_date(entry["from"]), entry["value"], str(entry["basis"]), str(entry["source"]),
                              str(entry["confidence"])))
        except (KeyError, ValueError) as error:
            problems.append(f"{fact_id}: schedule entry {entry!r} needs from, value, basis, source, confidence ({error})")
    if [s.start for s in steps] != sorted(s.start for s in steps):
        problems.append(f"{fact_id}: schedule must be in date order")
    for step in steps:
        if step.confidence not in CONFIDENCES:
            problems.append(f"{fact_id}: schedule confidence must be one of {CONFIDENCES}")
    return tuple(steps)


def _optional_date(fact_id: str, entry: dict, key: str, problems: list[str]) -> dt.date | None:
    if entry.get(key) in (None, ""):
        return None
    try:
        return _to_date(entry[key])
    except ValueError:
        problems.append(f"{fact_id}: {key} must be a date (YYYY-MM-DD)")
        return None


def parse_facts(raw: dict) -> dict[str, Fact]:
    """Build and check the fact table from `facts.yml` content; raises ValueError on bad entries."""
    facts: dict[str, Fact] = {}
    problems: list[str] = []
    for fact_id, entry in (raw.get("facts") or {}).items():
        entry = dict(entry or {})
        schedule = _schedule(fact_id, entry.get("schedule"), problems)
        if schedule:
            # A dated table: the newest step supplies value, basis, source, effective and confidence.
            newest = schedule[-1]
            entry.setdefault("value", newest.value)
            entry.setdefault("basis", newest.basis)
            entry.setdefault("source", newest.source)
            entry.setdefault("effective", newest.start.isoformat())
            entry.setdefault("confidence", newest.confidence)
        missing = [k for k in ("value", "kind", "basis", "source", "confidence") if not entry.get(k) and entry.get(k) != 0]
        if not entry.get("effective") and not entry.get("as_of"):
            missing.append("effective (the rule's date) or as_of (the source's date)")
        if missing:
            problems.append(f"{fact_id}: missing {', '.join(missing)}")
            continue
        if entry["kind"] not in KINDS:
            problems.append(f"{fact_id}: unknown kind {entry['kind']!r}")
        if entry["confidence"] not in CONFIDENCES:
            problems.append(f"{fact_id}: confidence must be one of {CONFIDENCES} (unsure facts are not stated)")
        facts[fact_id] = Fact(
            id=fact_id,
            value=entry["value"],
            kind=entry["kind"],
            basis=str(entry["basis"]),
            source=str(entry["source"]),
            effective=str(entry.get("effective") or ""),
            confidence=entry["confidence"],
            note=str(entry.get("note") or ""),
            schedule=schedule,
            until=_optional_date(fact_id, entry, "until", problems),
            review=_optional_date(fact_id, entry, "review", problems),
            as_of=str(entry.get("as_of") or ""),
        )
    if problems:
        raise ValueError("facts.yml: " + "; ".join(problems))
    return facts
