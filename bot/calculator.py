"""Contribution calculator: pure functions over the rate tables in knowledge/data/rates.yml.

BPU (self-employed): declared income → income level → JKK 1% and JHT 2% of the level's base, JKM
flat, with any discount in force for the contribution month. Employees (PU): wage, JKK risk class
and business size → each compulsory program's employer and worker share, JP on wages up to the cap
in force on the date.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PROGRAM_NAMES = {
    "jkk": "Jaminan Kecelakaan Kerja (JKK)",
    "jkm": "Jaminan Kematian (JKM)",
    "jht": "Jaminan Hari Tua (JHT)",
    "jp": "Jaminan Pensiun (JP)",
}
RISK_CLASSES = ("sangat_rendah", "rendah", "sedang", "tinggi", "sangat_tinggi")
SIZES = ("mikro", "kecil", "menengah", "besar")
SECTORS = ("transport", "non_transport")


def _rupiah(value: Decimal) -> int:
    """Whole rupiah, half up."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _month(text: str) -> dt.date:
    year, month = str(text).split("-")[:2]
    return dt.date(int(year), int(month), 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """First day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Level:
    level: int
    start: int      # lowest income in this level
    base: int       # the nominal income contributions are computed on
    confidence: str


@dataclass(frozen=True)
class Discount:
    id: str
    sector: str
    percent_off: Decimal
    programs: tuple[str, ...]
    first_month: dt.date
    last_month: dt.date
    basis: str
    confidence: str

    def applies(self, month: dt.date, sector: str) -> bool:
        return self.sector == sector and self.first_month <= month <= self.last_month


@dataclass(frozen=True)
class JpCap:
    start: dt.date
    cap: int
    basis: str
    confidence: str
    until: dt.date | None = None    # the newest known cap is known to hold through this day

    def stale_on(self, day: dt.date) -> bool:
        """True after the last known cap's year: a new cap is due but not yet in the tables."""
        return self.until is not None and day > self.until


@dataclass(frozen=True)
class Rates:
    """The rate tables, read from rates.yml."""

    bpu_levels: tuple[Level, ...]
    bpu_jkk_percent: Decimal
    bpu_jkm_flat: int
    bpu_jht_percent: Decimal
    bpu_prepay_months: tuple[int, ...]
    bpu_discounts: tuple[Discount, ...]
    bpu_basis: str
    pu_jkk_classes: dict[str, Decimal]
    pu_shares: dict[str, tuple[Decimal, Decimal]]   # program → (employer %, worker %)
    pu_jp_caps: tuple[JpCap, ...]
    pu_mandatory: dict[str, tuple[str, ...]]
    pu_basis: str

    @classmethod
    def from_dict(cls, raw: dict, facts: dict) -> "Rates":
        """The tables of rates.yml; dated figures (discount months, JP wage caps) come from the facts,
        so the calculator, the answers and the lessons use one table."""
        bpu, pu = raw["bpu"], raw["pu"]
        levels = tuple(
            Level(int(r["level"]), int(r["from"]), int(r["base"]), r["confidence"]) for r in bpu["levels"]
        )
        if [lv.start for lv in levels] != sorted(lv.start for lv in levels) or levels[0].start != 0:
            raise ValueError("rates.yml: BPU levels must start at 0 and rise")
        return cls(
            bpu_levels=levels,
            bpu_jkk_percent=Decimal(str(bpu["jkk_rate_percent"])),
            bpu_jkm_flat=int(bpu["jkm_flat"]),
            bpu_jht_percent=Decimal(str(bpu["jht_rate_percent"])),
            bpu_prepay_months=tuple(int(m) for m in bpu["prepay_months"]),
            bpu_discounts=tuple(
                Discount(
                    id=d["id"],
                    sector=d["sector"],
                    percent_off=Decimal(str(d["percent_off"])),
                    programs=tuple(d["programs"]),
                    first_month=facts[d["period"]].period()[0].replace(day=1),
                    last_month=facts[d["period"]].period()[1].replace(day=1),
                    basis=d["basis"],
                    confidence=facts[d["period"]].confidence,
                )
                for d in bpu.get("discounts") or ()
            ),
            bpu_basis=bpu["basis"],
            pu_jkk_classes={k: Decimal(str(v)) for k, v in pu["jkk_risk_classes"].items()},
            pu_shares={
                name: (Decimal(str(pu[name]["employer"])), Decimal(str(pu[name]["worker"])))
                for name in ("jkm", "jht", "jp")
            },
            pu_jp_caps=_jp_caps(facts[pu["jp_wage_cap"]]),
            pu_mandatory={k: tuple(v) for k, v in pu["mandatory_by_size"].items()},
            pu_basis=pu["basis"],
        )


def _jp_caps(fact) -> tuple[JpCap, ...]:
    steps = fact.schedule
    return tuple(JpCap(step.start, int(step.value), step.basis, step.confidence,
                       fact.until if step is steps[-1] else None) for step in steps)


# ---------------------------------------------------------------- BPU (self-employed)

@dataclass(frozen=True)
class BpuLine:
    program: str
    normal: int       # the regular monthly amount
    charged: int      # after any discount in force


@dataclass(frozen=True)
class BpuQuote:
    income: int
    level: Level
    month: dt.date
    lines: tuple[BpuLine, ...]
    discount: Discount | None

    @property
    def normal_total(self) -> int:
        return sum(line.normal for line in self.lines)

    @property
    def total(self) -> int:
        return sum(line.charged for line in self.lines)

    @property
    def estimate(self) -> bool:
        """True when a figure rests on a medium-confidence level or discount."""
        return self.level.confidence != "high" or (self.discount is not None and self.discount.confidence != "high")


def bpu_level(rates: Rates, income: int) -> Level:
    """The income level a declared monthly income falls in (the last level it reaches)."""
    if income < 0:
        raise ValueError("income must not be negative")
    chosen = rates.bpu_levels[0]
    for level in rates.bpu_levels:
        if income >= level.start:
            chosen = level
    return chosen


def bpu_discount(rates: Rates, month: dt.date, sector: str) -> Discount | None:
    month = month.replace(day=1)
    return next((d for d in rates.bpu_discounts if d.applies(month, sector)), None)


def bpu_quote(rates: Rates, income: int, month: dt.date, with_jht: bool = False,
              sector: str = "non_transport", owner: bool = False) -> BpuQuote:
    """One month's BPU contribution for a declared income, in the contribution month of `month`.

    A business owner (registered in the employer category) is quoted the normal rate: whether the
    PP 50/2025 discount covers owners is open, so it is never promised to them."""
    if sector not in SECTORS:
        raise ValueError(f"sector must be one of {SECTORS}")
    level = bpu_level(rates, income)
    discount = None if owner else bpu_discount(rates, month, sector)
    base = Decimal(level.base)
    amounts = {
        "jkk": base * rates.bpu_jkk_percent / 100,
        "jkm": Decimal(rates.bpu_jkm_flat),
    }
    if with_jht:
        amounts["jht"] = base * rates.bpu_jht_percent / 100
    lines = []
    for program, amount in amounts.items():
        charged = amount
        if discount and program in discount.programs:
            charged = amount * (100 - discount.percent_off) / 100
        lines.append(BpuLine(program, _rupiah(amount), _rupiah(charged)))
    return BpuQuote(income, level, month.replace(day=1), tuple(lines), discount)


@dataclass(frozen=True)
class Prepayment:
    months: int
    quotes: tuple[BpuQuote, ...]

    @property
    def total(self) -> int:
        return sum(q.total for q in self.quotes)

    @property
    def discounted_months(self) -> int:
        return sum(1 for q in self.quotes if q.discount)


def bpu_prepay(rates: Rates, income: int, start: dt.date, months: int, with_jht: bool = False,
               sector: str = "non_transport", owner: bool = False) -> Prepayment:
    """Paying `months` ahead from `start`'s month: each month at the rate in force for it."""
    if months not in rates.bpu_prepay_months:
        raise ValueError(f"BPU can pay ahead for {rates.bpu_prepay_months} months")
    quotes = tuple(
        bpu_quote(rates, income, add_months(start, i), with_jht, sector, owner) for i in range(months)
    )
    return Prepayment(months, quotes)


@dataclass(frozen=True)
class Schedule:
    """What a BPU participant pays per month from `start`: the discounted amount while the discount
    covers the month, then the normal amount (what enrolment confirms and stores)."""

    first: BpuQuote
    discount_until: dt.date | None    # the last discounted contribution month, if any
    normal: int                       # the amount per month after the discount

    @property
    def amount(self) -> int:
        return self.first.total


def bpu_schedule(rates: Rates, income: int, start: dt.date, with_jht: bool = False,
                 sector: str = "non_transport", owner: bool = False) -> Schedule:
    first = bpu_quote(rates, income, start, with_jht, sector, owner)
    until = first.discount.last_month if first.discount else None
    return Schedule(first, until, first.normal_total)


# ---------------------------------------------------------------- PU (employees)

@dataclass(frozen=True)
class PuLine:
    program: str
    employer_percent: Decimal
    worker_percent: Decimal
    wage_base: int
    employer: int
    worker: int


@dataclass(frozen=True)
class PuQuote:
    wage: int
    risk_class: str
    size: str
    day: dt.date
    lines: tuple[PuLine, ...]
    jp_cap: JpCap | None

    @property
    def employer_total(self) -> int:
        return sum(line.employer for line in self.lines)

    @property
    def worker_total(self) -> int:
        return sum(line.worker for line in self.lines)

    @property
    def capped(self) -> bool:
        """True when the wage is above the JP wage cap (JP is computed on the cap)."""
        return self.jp_cap is not None and self.wage > self.jp_cap.cap

    @property
    def estimate(self) -> bool:
        """True when a figure rests on a medium-confidence JP wage cap."""
        return self.capped and self.jp_cap.confidence != "high"


def jp_cap_on(rates: Rates, day: dt.date) -> JpCap:
    caps = [c for c in rates.pu_jp_caps if c.start <= day]
    if not caps:
        raise ValueError(f"no JP wage cap known for {day}")
    return caps[-1]


def pu_quote(rates: Rates, wage: int, risk_class: str, size: str, day: dt.date) -> PuQuote:
    """Monthly contributions for one employee: each compulsory program's employer and worker share."""
    if wage <= 0:
        raise ValueError("wage must be positive")
    if risk_class not in rates.pu_jkk_classes:
        raise ValueError(f"risk class must be one of {tuple(rates.pu_jkk_classes)}")
    if size not in rates.pu_mandatory:
        raise ValueError(f"business size must be one of {tuple(rates.pu_mandatory)}")
    programs = rates.pu_mandatory[size]
    cap = jp_cap_on(rates, day) if "jp" in programs else None
    lines = []
    for program in programs:
        if program == "jkk":
            employer_pct, worker_pct = rates.pu_jkk_classes[risk_class], Decimal(0)
        else:
            employer_pct, worker_pct = rates.pu_shares[program]
        base = min(wage, cap.cap) if program == "jp" and cap else wage
        lines.append(
            PuLine(
                program,
                employer_pct,
                worker_pct,
                base,
                _rupiah(Decimal(base) * employer_pct / 100),
                _rupiah(Decimal(base) * worker_pct / 100),
            )
        )
    return PuQuote(wage, risk_class, size, day, tuple(lines), cap)
