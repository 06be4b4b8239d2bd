import pytest

from bot.amounts import find_amounts, parse_amount, parse_period


@pytest.mark.parametrize(
    "text, expected",
    [
        ("brp iuran jkk klo gaji 2jt", 2_000_000),
        ("2,5 juta", 2_500_000),
        ("2.5jt", 2_500_000),
        ("Rp 2.500.000", 2_500_000),
        ("rp2500000", 2_500_000),
        ("1500rb", 1_500_000),
        ("penghasilan 800 ribu sebulan", 800_000),
        ("dua juta", 2_000_000),
        ("dua setengah juta", 2_500_000),
        ("satu setengah juta", 1_500_000),
        ("setengah juta", 500_000),
        ("lima ratus ribu", 500_000),
        ("seratus dua puluh ribu", 120_000),
        ("dua puluh juta", 20_000_000),
        ("sejuta", 1_000_000),
        ("1 juta 500 ribu", 1_500_000),
        ("2jt 500rb", 2_500_000),
        ("gaji saya 4 jt", 4_000_000),
        ("3500000", 3_500_000),
        ("Rp 2.500.000,00", 2_500_000),
        ("1,2jt", 1_200_000),
    ],
)
def test_reads_amounts_as_workers_type_them(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["jam 7 pagi", "umur 35 tahun", "anak 2 orang", "kerja 3 bulan", "", "halo"])
def test_small_numbers_without_a_unit_are_not_money(text):
    assert parse_amount(text) is None


def test_spans_point_at_the_amount_in_the_text():
    text = "kalo gaji 2,5 juta brp"
    (found,) = find_amounts(text)
    assert text[found.start:found.end] == "2,5 juta"


@pytest.mark.parametrize(
    "text, months",
    [("bayar 3 bulan sekaligus", 3), ("setahun", 12), ("1 tahun", 12), ("enam bln", 6), ("sebulan", 1)],
)
def test_reads_periods_in_months(text, months):
    assert parse_period(text) == months


def test_an_age_is_not_a_period():
    assert parse_period("umur saya 45 tahun") is None
