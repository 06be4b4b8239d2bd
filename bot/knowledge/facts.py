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


@dataclass(frozen=True)
class Fact:
    """One sourced figure: value, how to write it, its legal basis, source and effective date."""

    id: str
    value: Any
    kind: str
    basis: str
    source: str
    effective: str
    confidence: str
    note: str = ""

    def render(self, style: str = "") -> str:
        if self.kind == "rupiah":
            return rupiah_juta(self.value) if style == "juta" else rupiah(self.value)
        if self.kind == "percent":
            return percent(self.value)
        if self.kind == "number":
            return number(self.value)
        if self.kind == "date":
            return date_text(_to_date(self.value))
        if self.kind == "period":
            start, end = self.period()
            if start.year == end.year:
                return f"{format_date(start, format='MMMM', locale=LOCALE)}–{month_text(end)}"
            return f"{month_text(start)}–{month_text(end)}"
        return str(self.value)

    def period(self) -> tuple[dt.date, dt.date]:
        """(first day, last day) of a `period` fact."""
        if self.kind != "period":
            raise ValueError(f"fact {self.id} is not a period")
        return _to_date(self.value["from"]), _to_date(self.value["until"])

    def active_on(self, day: dt.date) -> bool:
        start, end = self.period()
        return start <= day <= end


def parse_facts(raw: dict) -> dict[str, Fact]:
    """Build and check the fact table from `facts.yml` content; raises ValueError on bad entries."""
    facts: dict[str, Fact] = {}
    problems = []
    for fact_id, entry in (raw.get("facts") or {}).items():
        entry = dict(entry or {})
        missing = [k for k in ("value", "kind", "basis", "source", "effective", "confidence") if not entry.get(k) and entry.get(k) != 0]
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
            effective=str(entry["effective"]),
            confidence=entry["confidence"],
            note=str(entry.get("note") or ""),
        )
    if problems:
        raise ValueError("facts.yml: " + "; ".join(problems))
    return facts
