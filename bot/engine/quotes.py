"""Calculator results written for a worker: short lines, every figure from the rate tables."""
from __future__ import annotations

import datetime as dt
import re

from bot.calculator import bpu_prepay, bpu_quote, pu_quote
from bot.engine.replies import Button, Reply
from bot.knowledge import Knowledge
from bot.knowledge.facts import date_text, month_text, percent, rupiah

# Transport workers (ojol, couriers, drivers) have their own discount period.
_TRANSPORT = re.compile(
    r"\b(ojol|ojek|ojeg|gojek|grab|maxim|shopee ?food|kurir|courier|driver|sopir|supir|angkot|taksi|"
    r"ekspedisi|antar ?jemput|delivery)\b",
    re.IGNORECASE,
)
# A wage paid by an employer, as opposed to a self-employed income.
_EMPLOYEE = re.compile(
    r"\b(karyawan\w*|pegawai\w*|buruh pabrik|perusahaan\w*|pabrik|kantor\w*|pemberi kerja|"
    r"potong(an)? gaji|gaji (saya )?dipotong|umk|umr|ump|slip gaji|penerima upah|staf|staff)\b",
    re.IGNORECASE,
)
SHORT_NAMES = {"jkk": "JKK", "jkm": "JKM", "jht": "JHT", "jp": "JP"}


def sector_of(text: str) -> str:
    return "transport" if _TRANSPORT.search(text or "") else "non_transport"


# An income of one's own ("penghasilan saya", "omzet"), as opposed to a wage paid to someone.
_OWN_INCOME = re.compile(r"\b(penghasilan\w*|pendapatan\w*|omzet\w*|omset\w*|dapet\w*|untung\w*)\b", re.IGNORECASE)


def is_own_income(text: str) -> bool:
    """True when the amount is the asker's own income ("penghasilan saya 3 juta")."""
    return bool(_OWN_INCOME.search(text or ""))


def is_employee_wage(text: str) -> bool:
    """True when the amount is an employee's wage ("gaji karyawan saya 4 juta")."""
    return bool(_EMPLOYEE.search(text or ""))


def bpu_quote_reply(knowledge: Knowledge, income: int, today: dt.date, sector: str, owner: bool = False) -> Reply:
    """The monthly BPU contribution for a declared income: compulsory JKK + JKM, then JHT. A business
    owner gets the normal rate and the caveat (the discount is never promised to employers)."""
    rates, texts = knowledge.rates, knowledge.texts["bpu_quote"]
    quote = bpu_quote(rates, income, today, with_jht=True, sector=sector, owner=owner)
    compulsory = [line for line in quote.lines if line.program in ("jkk", "jkm")]
    jht = next(line for line in quote.lines if line.program == "jht")
    lines = [
        texts["title"].format(income=rupiah(income)),
        texts["level"].format(base=rupiah(quote.level.base)),
    ]
    for line in compulsory:
        name = SHORT_NAMES[line.program]
        if line.charged != line.normal:
            lines.append(texts["line_discounted"].format(program=name, amount=rupiah(line.charged),
                                                         normal=rupiah(line.normal)))
        else:
            lines.append(texts["line"].format(program=name, amount=rupiah(line.charged)))
    charged = sum(line.charged for line in compulsory)
    normal = sum(line.normal for line in compulsory)
    if charged != normal:
        lines.append(texts["total_discounted"].format(total=rupiah(charged), normal=rupiah(normal)))
    else:
        lines.append(texts["total"].format(total=rupiah(charged)))
    lines.append(texts["jht"].format(jht=rupiah(jht.charged), total=rupiah(charged + jht.charged)))
    bases = [rates.bpu_basis]
    if quote.discount:
        lines.append(texts["discount"].format(percent=percent(quote.discount.percent_off),
                                              until=month_text(quote.discount.last_month), normal=rupiah(normal)))
        bases.append(quote.discount.basis)
    if owner:
        lines.append(texts["owner_caveat"].format(call_centre=knowledge.facts["call_centre"].render()))
    lines.append(texts["due"].format(day=knowledge.facts["bpu_due_day"].render()))
    if quote.estimate:
        lines.append(texts["estimate"])
    if quote.level.confidence != "high":
        lines.append(texts["levels_source"])
    lines.append(texts["employee_hint"])
    return _reply(lines, bases, texts["buttons"])


def _reply(lines: list[str], bases: list[str], buttons: list[dict]) -> Reply:
    """The lines, closed by the sources line, with follow-up buttons to other answers."""
    text = "\n".join(lines + ["Sumber: " + "; ".join(bases)])
    return Reply(text, tuple(Button(b["label"], f"intent:{b['intent']}") for b in buttons))


def pu_quote_reply(knowledge: Knowledge, wage: int, today: dt.date, size: str | None = None) -> Reply:
    """Employer and worker shares for one employee's wage, for every business size (and, when the
    owner told the size of her business, which programs that size must have)."""
    rates, texts = knowledge.rates, knowledge.texts["pu_quote"]
    classes = list(rates.pu_jkk_classes)
    lowest = pu_quote(rates, wage, classes[0], "besar", today)
    highest = pu_quote(rates, wage, classes[-1], "besar", today)
    shares = {line.program: line for line in lowest.lines}
    first_size = {p: next(size for size, programs in rates.pu_mandatory.items() if p in programs)
                  for p in shares}

    def line(program: str, amount: int) -> str:
        size = first_size[program]
        if size == "mikro":
            return texts["line"].format(program=SHORT_NAMES[program], amount=rupiah(amount))
        return texts["line_from"].format(program=SHORT_NAMES[program], amount=rupiah(amount),
                                         size=texts["sizes"].get(size, size))

    jkk_high = next(l.employer for l in highest.lines if l.program == "jkk")
    lines = [texts["title"].format(wage=rupiah(wage)), texts["employer"],
             texts["jkk"].format(low=rupiah(shares["jkk"].employer), high=rupiah(jkk_high))]
    lines += [line(p, shares[p].employer) for p in ("jkm", "jht", "jp")]
    lines += [texts["worker"]] + [line(p, shares[p].worker) for p in ("jht", "jp")]
    if lowest.capped:
        lines.append(jp_cap_line(knowledge, lowest.jp_cap, today))
    if size in rates.pu_mandatory:
        programs = ", ".join(SHORT_NAMES[p] for p in rates.pu_mandatory[size])
        lines.append(texts["minimum_size"].format(size=size, programs=programs))
    else:
        lines.append(texts["minimum"])
    lines.append(texts["due"].format(day=knowledge.facts["pu_due_day"].render()))
    if lowest.estimate:
        lines.append(texts["estimate"])
    bases = [rates.pu_basis] + ([lowest.jp_cap.basis] if lowest.capped else [])
    return _reply(lines, bases, texts["buttons"])


def jp_cap_line(knowledge: Knowledge, cap, today: dt.date) -> str:
    """The JP wage cap in force; after the last known cap's year it is "terakhir diumumkan"."""
    texts = knowledge.texts["pu_quote"]
    if cap.stale_on(today):
        return texts["jp_cap_stale"].format(cap=rupiah(cap.cap), since=date_text(cap.start))
    return texts["jp_cap"].format(cap=rupiah(cap.cap))


def prepay_lines(knowledge: Knowledge, income: int, today: dt.date, sector: str, owner: bool = False) -> list[str]:
    """What paying 1/3/6/12 months ahead costs (JKK + JKM), each month at the rate in force for it."""
    rates, texts = knowledge.rates, knowledge.texts["dialogue"]["calculator"]
    lines = [texts["prepay_title"]]
    for months in rates.bpu_prepay_months:
        plan = bpu_prepay(rates, income, today, months, with_jht=False, sector=sector, owner=owner)
        line = texts["prepay_line"].format(months=months, total=rupiah(plan.total))
        if plan.discounted_months and plan.discounted_months < months:
            line += texts["prepay_discount"].format(discounted=plan.discounted_months)
        lines.append(line)
    lines.append(texts["prepay_note"])
    return lines


def owner_quote_text(knowledge: Knowledge, wage: int, risk_class: str, size: str, today: dt.date) -> str:
    """One employee's contributions for a known risk class and business size, program by program."""
    rates, texts = knowledge.rates, knowledge.texts["dialogue"]["calculator"]
    quote = pu_quote(rates, wage, risk_class, size, today)
    lines = [texts["owner_title"].format(wage=rupiah(wage), size=texts["sizes"][size].lower(),
                                         risk=texts["classes"][risk_class].lower())]
    for line in quote.lines:
        template = texts["owner_line_both"] if line.worker else texts["owner_line"]
        lines.append(template.format(program=SHORT_NAMES[line.program], employer=rupiah(line.employer),
                                     worker=rupiah(line.worker)))
    lines.append(texts["owner_total"].format(employer=rupiah(quote.employer_total),
                                             worker=rupiah(quote.worker_total)))
    lines.append(texts["owner_programs"].format(size=texts["sizes"][size].lower(),
                                                programs=", ".join(SHORT_NAMES[l.program] for l in quote.lines)))
    if quote.capped:
        lines.append(jp_cap_line(knowledge, quote.jp_cap, today))
    lines.append(knowledge.texts["pu_quote"]["due"].format(day=knowledge.facts["pu_due_day"].render()))
    if quote.estimate:
        lines.append(knowledge.texts["pu_quote"]["estimate"])
    bases = [rates.pu_basis] + ([quote.jp_cap.basis] if quote.capped else [])
    return "\n".join(lines + ["Sumber: " + "; ".join(bases)])
