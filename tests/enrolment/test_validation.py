"""Each enrolment field's rule, with good and bad examples."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.enrolment.validation import (Invalid, find_places, parse_birth_date, parse_name, parse_nik,
                                      parse_occupation, parse_phone, place_from_nik)

TODAY = dt.date(2026, 11, 24)


def invalid(function, *args):
    with pytest.raises(Invalid) as caught:
        function(*args)
    return caught.value


def test_a_valid_nik_gives_birth_date_gender_and_place():
    nik = parse_nik("3201 0117 0890 0001", TODAY)
    assert nik.number == "3201011708900001"
    assert (nik.birth_date, nik.gender, nik.province, nik.regency) == (dt.date(1990, 8, 17), "L", "Jawa Barat", "Bogor")


def test_women_have_forty_added_to_the_birth_day():
    nik = parse_nik("3201015708900002", TODAY)
    assert (nik.birth_date, nik.gender) == (dt.date(1990, 8, 17), "P")


def test_a_two_digit_year_is_read_in_the_plausible_century():
    assert parse_nik("3201011708050001", TODAY).birth_date == dt.date(2005, 8, 17)
    assert parse_nik("3201011708500001", TODAY).birth_date == dt.date(1950, 8, 17)


@pytest.mark.parametrize("text, key, values", [
    ("320101170890000", "nik_length", {"count": 15}),
    ("32010117089000011", "nik_length", {"count": 17}),
    ("3201O11708900001", "nik_letters", {}),
    ("", "nik_empty", {}),
    ("9901011708900001", "nik_province", {"code": "99"}),
    ("3299011708900001", "nik_regency", {"code": "99", "province": "Jawa Barat"}),
    ("3201013302900001", "nik_date", {"code": "330290"}),
    ("3201017313900001", "nik_date", {"code": "731390"}),     # day 33 for a woman, month 13
])
def test_each_nik_mistake_is_named(text, key, values):
    problem = invalid(parse_nik, text, TODAY)
    assert problem.key == key and problem.values == values


@pytest.mark.parametrize("text", ["17-08-1990", "17/8/90", "17 Agustus 1990", "17 agt 1990", "17.08.1990",
                                  "1990-08-17", "17 8 1990"])
def test_birth_dates_as_people_write_them(text):
    assert parse_birth_date(text, TODAY) == dt.date(1990, 8, 17)


@pytest.mark.parametrize("text, key", [("kemarin", "date_format"), ("31/02/1990", "date_format"),
                                       ("17-08-2030", "date_future"), ("17-08-2020", "date_age"),
                                       ("1-1-1900", "date_age"), ("lahir tahun 90an", "date_format")])
def test_impossible_birth_dates_are_refused(text, key):
    assert invalid(parse_birth_date, text, TODAY).key == key


@pytest.mark.parametrize("text", ["081234567890", "0812-3456-7890", "0812 3456 7890", "+6281234567890",
                                  "6281234567890", "+62 812 3456 7890"])
def test_each_phone_form_is_normalised(text):
    assert parse_phone(text) == "+6281234567890"


@pytest.mark.parametrize("text, key", [("nomor saya", "phone_format"), ("0812", "phone_invalid"),
                                       ("+14155552671", "phone_country"), ("0211234567", "phone_mobile")])
def test_bad_phone_numbers_are_refused(text, key):
    assert invalid(parse_phone, text).key == key


def test_names_as_on_the_ktp():
    assert parse_name("  siti   aminah ") == "SITI AMINAH"
    assert parse_name("Ni Luh Putu Ayu") == "NI LUH PUTU AYU"
    assert parse_name("Muh. Ma'ruf") == "MUH. MA'RUF"
    assert invalid(parse_name, "A").key == "name_short"
    assert invalid(parse_name, "Budi 2").key == "name_digits"
    assert invalid(parse_name, "Budi 😀").key == "name_chars"


def test_places_from_typing_and_from_the_nik():
    assert [p.regency for p in find_places("bogor")] == ["Bogor"]
    assert [p.regency for p in find_places("Kota Surbaya")] == ["Surabaya"]      # a typo
    assert find_places("xyzzy") == []
    assert place_from_nik("3171011708900001").province.startswith("Daerah Khusus Ibukota Jakarta")


def test_occupations_typed_freely():
    assert parse_occupation("Jualan Sayur keliling") == "jualan sayur keliling"
    assert invalid(parse_occupation, "..").key == "occupation_short"
