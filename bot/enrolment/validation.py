"""Validating what a worker types when enrolling, with well-kept libraries, not hand-made rules.

NIK: python-stdnum (`stdnum.id.nik`, with its table of province and regency codes). Dates:
dateparser (Indonesian). Phones: phonenumbers. Each failure is an `Invalid` naming exactly what is
wrong, as a key into the reply texts plus the values to show.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from stdnum import numdb
from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

MIN_AGE, MAX_AGE = 15, 100


class Invalid(ValueError):
    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Nik:
    number: str
    birth_date: dt.date
    gender: str            # "L" or "P" (the birth day is +40 for women)
    province: str
    regency: str


# NIK ---------------------------------------------------------------------------------------------
def _places(code4: str) -> tuple[str, str]:
    """(province name, regency name) from stdnum's table; raises Invalid when either is unknown."""
    info = numdb.get("id/loc").info(code4)
    province = info[0][1].get("name_id") if info and info[0][0] == code4[:2] else None
    if not province:
        raise Invalid("nik_province", code=code4[:2])
    regency = info[1][1].get("name_id") if len(info) > 1 else None
    if not regency:
        raise Invalid("nik_regency", code=code4[2:4], province=province)
    return province, regency.title()


def birth_date_in_nik(number: str, today: dt.date) -> dt.date:
    """The encoded birth date, in the century that gives a plausible age (stdnum prefers 19xx)."""
    day, month, year = int(number[6:8]) % 40, int(number[8:10]), int(number[10:12])
    for century in (2000, 1900):
        try:
            date = dt.date(century + year, month, day)
        except ValueError:
            continue
        if date <= today:
            return date
    raise Invalid("nik_date", code=number[6:12])


def parse_nik(text: str, today: dt.date) -> Nik:
    raw = stdnum_nik.compact(text or "")
    if not raw:
        raise Invalid("nik_empty")
    if not raw.isdigit():
        raise Invalid("nik_letters")
    if len(raw) != 16:
        raise Invalid("nik_length", count=len(raw))
    try:
        stdnum_nik.validate(raw)
    except ValidationError:
        pass            # stdnum says *that* it is wrong; the checks below say *what* is wrong
    province, regency = _places(raw[:4])
    try:
        stdnum_nik.get_birth_date(raw)
    except ValidationError:
        raise Invalid("nik_date", code=raw[6:12]) from None
    birth = birth_date_in_nik(raw, today)
    gender = "P" if int(raw[6:8]) > 40 else "L"
    return Nik(raw, birth, gender, province, regency)


# Name --------------------------------------------------------------------------------------------
_NAME = re.compile(r"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ.'’\- ]*$")


def parse_name(text: str) -> str:
    name = " ".join((text or "").split())
    if len(name) < 2:
        raise Invalid("name_short")
    if len(name) > 80:
        raise Invalid("name_long")
    if any(ch.isdigit() for ch in name):
        raise Invalid("name_digits")
    if not _NAME.match(name):
        raise Invalid("name_chars")
    return name.upper()           # as on the KTP


# Birth date --------------------------------------------------------------------------------------
_SETTINGS = {"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["day", "month", "year"],
             "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DATES_FROM": "past"}


def parse_birth_date(text: str, today: dt.date) -> dt.date:
    cleaned = " ".join((text or "").split())
    if not re.search(r"\d", cleaned):
        raise Invalid("date_format")         # "kemarin", words only: not a birth date
    try:
        date = dt.date.fromisoformat(cleaned)
    except ValueError:
        import dateparser        # imported on first use: it costs a quarter second at start-up

        parsed = dateparser.parse(cleaned, languages=["id", "en"], settings=_SETTINGS)
        if parsed is None:
            raise Invalid("date_format") from None
        date = parsed.date()
    if date > today:
        raise Invalid("date_future")
    age = (today - date).days // 365
    if age < MIN_AGE or age > MAX_AGE:
        raise Invalid("date_age", age=age)
    return date


# Phone -------------------------------------------------------------------------------------------
def parse_phone(text: str) -> str:
    """An Indonesian mobile number in E.164 (`+6281234567890`)."""
    raw = (text or "").strip()
    if not re.search(r"\d", raw):
        raise Invalid("phone_format")
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        raise Invalid("phone_format") from None
    if number.country_code != 62:
        raise Invalid("phone_country")
    if not phonenumbers.is_valid_number(number):
        raise Invalid("phone_invalid")
    if phonenumbers.number_type(number) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise Invalid("phone_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def local_phone(e164: str) -> str:
    """`+6281234567890` → `081234567890`, the way people write it."""
    return "0" + e164[3:] if e164.startswith("+62") else e164


# Place -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    province: str
    regency: str

    @property
    def label(self) -> str:
        return f"{self.regency}, {self.province}"


_PREFIX = re.compile(r"^(kabupaten|kab\.?|kota|kotamadya|kodya|adm\.?)\s+", re.IGNORECASE)


def _plain(name: str) -> str:
    return _PREFIX.sub("", name.strip().lower()).replace(".", "").strip()


@lru_cache(maxsize=1)
def all_places() -> tuple[Place, ...]:
    """Every regency and city in stdnum's table, as (province, regency)."""
    places = []
    db = numdb.get("id/loc")
    for province_code in range(11, 100):
        for regency_code in range(1, 100):
            code = f"{province_code:02d}{regency_code:02d}"
            info = db.info(code)
            if len(info) > 1 and info[0][0] == code[:2] and info[1][1].get("name_id"):
                places.append(Place(info[0][1]["name_id"], info[1][1]["name_id"].title()))
    return tuple(places)


def find_places(text: str, limit: int = 3) -> list[Place]:
    """Regencies/cities whose name matches what the user typed, best first."""
    wanted = _plain(text)
    if len(wanted) < 3:
        return []
    places = all_places()
    names = {}
    for place in places:
        names.setdefault(_plain(place.regency), []).append(place)
    exact = [p for name, group in names.items() if name == wanted for p in group]
    if exact:
        return list(dict.fromkeys(exact))[:limit]
    contains = [p for name, group in names.items() if wanted in name.split() or name in wanted.split()
                for p in group]
    close = [p for name in difflib.get_close_matches(wanted, list(names), n=limit, cutoff=0.75)
             for p in names[name]]
    seen, result = set(), []
    for place in contains + close:
        if place not in seen:
            seen.add(place)
            result.append(place)
    return result[:limit]


def place_from_nik(nik: str) -> Place | None:
    try:
        province, regency = _places(nik[:4])
    except Invalid:
        return None
    return Place(province, regency)


# Occupation --------------------------------------------------------------------------------------
def parse_occupation(text: str) -> str:
    job = " ".join((text or "").split())
    if len(job) < 3 or not re.search(r"[A-Za-z]", job):
        raise Invalid("occupation_short")
    if len(job) > 60:
        raise Invalid("occupation_long")
    return job.lower()
