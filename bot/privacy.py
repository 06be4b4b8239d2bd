"""Personal data protection: masking identity data before anything is logged or shown to staff."""
from __future__ import annotations

import re

# A NIK is 16 digits; people type it with spaces, dots or dashes between groups.
_NIK = re.compile(r"(?<!\d)(\d[\s.-]?){15}\d(?!\d)")
# Indonesian phone numbers: 08…, +628…, 628…, 9-13 digits after the prefix, with optional separators.
_PHONE = re.compile(r"(?<![\d+])(?:\+?62|0)8(?:[\s.-]?\d){7,12}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_digits(value: str, keep_start: int, keep_end: int) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    hidden = set(digits[keep_start:len(digits) - keep_end])
    return "".join("•" if i in hidden else ch for i, ch in enumerate(value))


def mask_nik(nik: str) -> str:
    """`32•••••••••••001` — the region code's first two digits and the last three."""
    return mask_digits(nik, 2, 3)


def mask_phone(phone: str) -> str:
    return mask_digits(phone, 4, 2)


def mask_text(text: str) -> str:
    """The text with every NIK, phone number and e-mail address in it masked."""
    text = _NIK.sub(lambda m: mask_nik(m.group(0)), text or "")
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _EMAIL.sub(lambda m: m.group(0)[0] + "•••@" + m.group(0).split("@", 1)[1], text)
