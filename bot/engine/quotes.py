"""Calculator results written for a worker: short lines, every figure from the rate tables."""
from __future__ import annotations

import datetime as dt
import re

from bot.calculator import bpu_quote
from bot.engine.replies import Button, Reply
from bot.knowledge import Knowledge
from bot.knowledge.facts import month_text, percent, rupiah

# Transport workers (ojol, couriers, drivers) have their own discount period.
_TRANSPORT = re.compile(
    r"\b(ojol|ojek|ojeg|gojek|grab|maxim|shopee ?food|kurir|courier|driver|sopir|supir|angkot|taksi|"
    r"ekspedisi|antar ?jemput|delivery)\b",
    re.IGNORECASE,
)
SHORT_NAMES = {"jkk": "JKK", "jkm": "JKM", "jht": "JHT", "jp": "JP"}


def sector_of(text: str) -> str:
    return "transport" if _TRANSPORT.search(text or "") else "non_transport"


def bpu_quote_reply(knowledge: Knowledge, income: int, today: dt.date, sector: str) -> Reply:
    """The monthly BPU contribution for a declared income: compulsory JKK + JKM, then JHT."""
    rates, texts = knowledge.rates, knowledge.texts["bpu_quote"]
    quote = bpu_quote(rates, income, today, with_jht=True, sector=sector)
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
                                              until=month_text(quote.discount.last_month)))
        bases.append(quote.discount.basis)
    lines.append(texts["due"].format(day=knowledge.facts["bpu_due_day"].render()))
    if quote.estimate:
        lines.append(texts["estimate"])
    lines.append(texts["employee_hint"])
    lines.append("Sumber: " + "; ".join(bases))
    buttons = texts["buttons"]
    return Reply(
        "\n".join(lines),
        (
            Button(buttons["pay"], "intent:payment_how"),
            Button(buttons["register"], "intent:registration_how"),
            Button(buttons["employee"], "intent:contribution_pu"),
        ),
    )
