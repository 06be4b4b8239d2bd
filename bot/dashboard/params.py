"""Reading query and form parameters safely: every value is checked, and a bad one becomes a
400 (or 404) on the dashboard's own friendly page, never a 500.

Use these in every handler instead of int()/date.fromisoformat() on request data:

    page = params.page(request.query_params)
    day = params.day(request.query_params, "from")
    message_id = params.record_id(form.get("message_id"), "message_id")

Form fields are length-checked for every POST by the dashboard (`check_form`): a field listed in
FORM_LIMITS may be that long, any other field DEFAULT_LIMIT characters.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Iterable, Mapping
from urllib.parse import urlsplit

# The largest id PostgreSQL's BIGINT and SQLite's INTEGER hold.
MAX_ID = 2 ** 63 - 1
MAX_PAGE = 100_000
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
_DIGITS = re.compile(r"[0-9]{1,19}")              # ASCII digits only: "²".isdigit() is True in Python

# Longest value of each form field the dashboard accepts (characters).
FORM_LIMITS = {
    "csrf": 100, "next": 500, "back": 500, "name": 64, "password": 256,
    "message_id": 20, "key": 200, "predicted": 100, "intent": 100,
    # A reply (3500) and a note (2000) are checked again by their page, which keeps the draft and
    # says how long it may be; the limit here only stops what no one types.
    "text": 8000, "note": 4000,
    "reason": 300, "status": 20, "confirm": 10,
    "group": 420,              # one ticked review group: JSON [normalized text, guess]
}
DEFAULT_LIMIT = 200
MAX_FIELDS = 200                       # keys of several selected groups at once, and more
MAX_BODY = 512 * 1024                  # bytes of one request body


class BadRequest(Exception):
    """A parameter the dashboard cannot use; `message` is shown to the staff member."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(BadRequest):
    status = 404


def _get(source: Mapping, name: str) -> str:
    value = source.get(name)
    return "" if value is None else str(value).strip()


def page(source: Mapping, name: str = "page") -> int:
    """A 0-based page number (empty: the first page)."""
    value = _get(source, name)
    if not value:
        return 0
    if not _DIGITS.fullmatch(value) or int(value) > MAX_PAGE:
        raise BadRequest(f"Nomor halaman harus angka 0 sampai {MAX_PAGE}.")
    return int(value)


def integer(source: Mapping, name: str, minimum: int = 0, maximum: int = MAX_ID, label: str = "") -> int | None:
    """A whole number between minimum and maximum, or None when empty."""
    value = _get(source, name)
    if not value:
        return None
    if not _DIGITS.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise BadRequest(f"{label or name} harus angka {minimum} sampai {maximum}.")
    return int(value)


def record_id(value, label: str = "Nomor") -> int:
    """The id of a record named in a form or link; too large for the database means it does not exist."""
    text = "" if value is None else str(value).strip()
    if not re.fullmatch(r"[0-9]{1,40}", text):
        raise BadRequest(f"{label} harus berupa angka.")
    if int(text) > MAX_ID:
        raise NotFound("Data ini tidak ada.")
    return int(text)


def day(source: Mapping, name: str, label: str = "Tanggal") -> dt.date | None:
    """A date written YYYY-MM-DD (what a date input sends), between 2000 and 2100; None when empty."""
    value = _get(source, name)
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadRequest(f"{label} harus ditulis TTTT-BB-HH, misalnya 2026-12-01.")
    if not EARLIEST <= parsed <= LATEST:
        raise BadRequest(f"{label} harus antara {EARLIEST.isoformat()} dan {LATEST.isoformat()}.")
    return parsed


def date_range(source: Mapping, start: str = "from", end: str = "to") -> tuple[dt.date | None, dt.date | None]:
    first, last = day(source, start, "Tanggal awal"), day(source, end, "Tanggal akhir")
    if first and last and first > last:
        raise BadRequest("Tanggal awal harus sebelum tanggal akhir.")
    return first, last


def number(source: Mapping, name: str, minimum: float, maximum: float, label: str = "") -> float | None:
    """A decimal number (dot or comma) between minimum and maximum, or None when empty."""
    value = _get(source, name).replace(",", ".")
    if not value:
        return None
    try:
        parsed = float(value) if re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?|\.[0-9]{1,6}", value) else math.nan
    except ValueError:
        parsed = math.nan
    if not minimum <= parsed <= maximum:          # NaN fails every comparison
        raise BadRequest(f"{label or name} harus angka {minimum:g} sampai {maximum:g}.")
    return parsed


def choice(source: Mapping, name: str, options: Iterable[str], label: str = "") -> str:
    """One of `options`, or "" when empty."""
    value = _get(source, name)
    if value and value not in set(options):
        raise BadRequest(f"Pilihan {label or name} tidak dikenal.")
    return value


def text(source: Mapping, name: str, limit: int = DEFAULT_LIMIT, label: str = "") -> str:
    value = _get(source, name)
    if len(value) > limit:
        raise BadRequest(f"{label or name} terlalu panjang: paling banyak {limit} karakter.")
    return value


def flag(source: Mapping, name: str) -> bool:
    return _get(source, name) in ("1", "on", "true")


def same_site(target, default: str = "/") -> str:
    """A path on this dashboard to redirect to; anything else (another site, `//host`, `/\\host`,
    a scheme, control characters) becomes `default`."""
    value = "" if target is None else str(target)
    if (not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > FORM_LIMITS["back"]
            or any(ord(ch) < 32 or ch == "\\" for ch in value)):
        return default
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else default


def check_query(query) -> None:
    """No control character a database refuses (PostgreSQL rejects NUL) in any query value."""
    for name, value in query.multi_items():
        if "\x00" in name or "\x00" in value:
            raise BadRequest("Alamat halaman ini berisi karakter yang tidak bisa dipakai.")


def check_form(form) -> None:
    """Every field of a submitted form within its length limit; no files; not too many fields;
    no NUL characters."""
    items = form.multi_items()
    if len(items) > MAX_FIELDS:
        raise BadRequest("Formulir ini berisi terlalu banyak isian.")
    for name, value in items:
        if not isinstance(value, str):
            raise BadRequest("Formulir ini tidak menerima berkas.")
        if "\x00" in name or "\x00" in value:
            raise BadRequest("Isian berisi karakter yang tidak bisa dipakai.")
        limit = FORM_LIMITS.get(name, DEFAULT_LIMIT)
        if len(value) > limit:
            raise BadRequest(f"Isian “{name[:40]}” terlalu panjang: paling banyak {limit} karakter "
                             f"(terkirim {len(value)}).")
