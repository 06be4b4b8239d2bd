"""Read rupiah amounts and periods the way Indonesian workers type them.

"2jt", "2,5 juta", "Rp 2.500.000", "1500rb", "800 ribu", "dua setengah juta", "1 juta 500 ribu"
become integers of rupiah; "3 bulan", "setahun", "enam bln" become months. Used by the NLU entity
component (so Rasa reports `amount` and `period` as integers) and by the chat flows that ask for an
income. No library reads Indonesian number words, so this is a small table-driven reader.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Found", "find_amounts", "find_periods", "parse_amount", "parse_period"]

_UNITS = {
    "satu": 1, "se": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9,
}
_TEENS_TENS = {"sepuluh": 10, "sebelas": 11}
_SE_WORDS = {"seratus": 100, "seribu": 1_000, "sejuta": 1_000_000, "setengah": 0.5}

# Multipliers written after a number ("2jt", "800 ribu", "1,5 m" is left out: M is ambiguous).
_MULTIPLIERS = {
    "juta": 1_000_000, "jt": 1_000_000, "jta": 1_000_000, "juta-an": 1_000_000, "jutaan": 1_000_000,
    "ribu": 1_000, "rb": 1_000, "rbu": 1_000, "rebu": 1_000, "ribuan": 1_000, "k": 1_000,
    "ratus": 100,
}
_MULT_PATTERN = "|".join(sorted((re.escape(k) for k in _MULTIPLIERS), key=len, reverse=True))

# A figure: thousands with dots ("2.500.000"), a decimal ("2,5" / "2.5"), or plain digits.
_FIGURE = r"\d{1,3}(?:[.,]\d{3})+(?![\d])|\d+(?:[.,]\d{1,2})?(?![\d])"
_AMOUNT_RE = re.compile(
    rf"(?P<rp>rp\.?\s*)?(?P<num>{_FIGURE})\s*(?P<mult>(?:{_MULT_PATTERN})(?![a-z]))?"
    rf"(?:\s*(?P<num2>\d{{1,3}})\s*(?P<mult2>rb|ribu|rebu|k)(?![a-z]))?",
    re.IGNORECASE,
)
_PERIOD_RE = re.compile(
    r"(?P<num>\d{1,2}|satu|se|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|"
    r"dua belas)\s*-?\s*(?P<unit>bulan|bln|bl|tahun|thn|th)(?![a-z])",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[a-z]+")
# A bare number below this, with no unit and no "Rp", is not taken as rupiah ("3 orang", "jam 7").
_MIN_BARE_AMOUNT = 10_000


@dataclass(frozen=True)
class Found:
    """A value found in a text, with its character span (for NLU entities)."""

    value: int
    start: int
    end: int
    text: str


def _figure_value(raw: str, has_multiplier: bool) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw):
        return float(raw.replace(".", ""))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        # "2,500,000" is thousands; "1,500 rb" too. A lone "2,500" with "juta" is read as 2.5.
        if has_multiplier and raw.count(",") == 1 and raw.endswith("00"):
            return float(raw.replace(",", "."))
        return float(raw.replace(",", ""))
    return float(raw.replace(",", "."))


def find_amounts(text: str) -> list[Found]:
    """All rupiah amounts in a text, in order of appearance."""
    found = [f for f in _digit_amounts(text)]
    taken = [(f.start, f.end) for f in found]
    for f in _word_amounts(text):
        if not any(s < f.end and f.start < e for s, e in taken):
            found.append(f)
    return sorted(found, key=lambda f: f.start)


def _digit_amounts(text: str):
    for m in _AMOUNT_RE.finditer(text):
        mult_word = (m.group("mult") or "").lower()
        value = _figure_value(m.group("num"), bool(mult_word))
        if value is None:
            continue
        if mult_word:
            value *= _MULTIPLIERS[mult_word]
        if m.group("num2"):
            value += int(m.group("num2")) * 1_000
        end = m.end()
        # "1 juta 500 ribu" / "2jt 500rb": a trailing figure with its own unit adds on.
        if mult_word in ("juta", "jt", "jta"):
            tail = _AMOUNT_RE.match(text, end) or _AMOUNT_RE.match(text, _skip_space(text, end))
            if tail and not m.group("num2") and (tail.group("mult") or "").lower() in (
                "ribu", "rb", "rbu", "rebu", "k", "ratus"
            ) and not tail.group("rp"):
                extra = _figure_value(tail.group("num"), True) or 0
                value += extra * _MULTIPLIERS[tail.group("mult").lower()]
                end = tail.end()
        if value < _MIN_BARE_AMOUNT and not (mult_word or m.group("rp")):
            continue
        if _followed_by_period_unit(text, m.end("num")) and not mult_word:
            continue
        yield Found(int(round(value)), m.start(), end, text[m.start():end].strip())


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _followed_by_period_unit(text: str, i: int) -> bool:
    return bool(re.match(r"\s*(bulan|bln|tahun|thn|hari|orang|kali)\b", text[i:], re.IGNORECASE))


def _word_amounts(text: str):
    """Amounts written in words: "dua juta", "dua setengah juta", "lima ratus ribu"."""
    words = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(text.lower())]
    i = 0
    while i < len(words):
        value, used = _read_number_words([w for w, _, _ in words[i:]])
        if used and value >= _MIN_BARE_AMOUNT:
            start, end = words[i][1], words[i + used - 1][2]
            yield Found(int(round(value)), start, end, text[start:end])
            i += used
        else:
            i += 1


def _read_number_words(words: list[str]) -> tuple[float, int]:
    """Read the longest number at the start of `words`; returns (value, words used).

    Only numbers that reach a scale word ("ribu", "juta") count: "dua" alone is not an amount.
    """
    total = 0.0    # completed millions and thousands
    group = 0.0    # the part below a thousand
    pending = 0    # a digit word waiting for "puluh", "belas", "ratus" or a scale
    used = 0
    saw_scale = False
    for n, w in enumerate(words):
        if w in _UNITS and w != "se" and not pending:
            pending = _UNITS[w]
        elif w in _TEENS_TENS:
            group += _TEENS_TENS[w]
        elif w == "belas" and pending:
            group, pending = group + pending + 10, 0
        elif w == "puluh" and pending:
            group, pending = group + pending * 10, 0
        elif w == "ratus" and pending:
            group, pending = group + pending * 100, 0
        elif w == "seratus":
            group += 100
        elif w == "setengah" and n + 1 < len(words) and words[n + 1] in ("juta", "ribu"):
            group, pending = group + pending + 0.5, 0
        elif w in ("juta", "ribu") and (group or pending):
            scale = 1_000_000 if w == "juta" else 1_000
            total += (group + pending) * scale
            group, pending, saw_scale = 0.0, 0, True
        elif w in ("sejuta", "seribu"):
            total += _SE_WORDS[w]
            saw_scale = True
        else:
            break
        used = n + 1
    if not saw_scale:
        return 0.0, 0
    return total + group + pending, used


def parse_amount(text: str) -> int | None:
    """The first rupiah amount in `text`, or None. A bare number is read as rupiah when large."""
    amounts = find_amounts(text)
    return amounts[0].value if amounts else None


def find_periods(text: str) -> list[Found]:
    """Periods of months: "3 bulan" → 3, "setahun"/"1 tahun" → 12, "enam bln" → 6."""
    found = []
    for m in _PERIOD_RE.finditer(text):
        raw = m.group("num").lower()
        if raw.isdigit():
            n = int(raw)
        elif raw == "dua belas":
            n = 12
        else:
            n = _UNITS.get(raw) or _TEENS_TENS.get(raw) or 0
        unit = m.group("unit").lower()
        months = n * 12 if unit.startswith("t") else n
        # Payment periods are a few months; "umur 35 tahun" is an age, not a period.
        if 0 < months <= 24:
            found.append(Found(months, m.start(), m.end(), m.group(0)))
    return found


def parse_period(text: str) -> int | None:
    periods = find_periods(text)
    return periods[0].value if periods else None
