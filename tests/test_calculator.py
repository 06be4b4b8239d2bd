"""The calculator against the fact sheet's figures and worked examples."""
import datetime as dt

import pytest

from bot.calculator import bpu_level, bpu_prepay, bpu_quote, jp_cap_on, pu_quote

BEFORE_DISCOUNTS = dt.date(2025, 11, 1)
NOV_2026 = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def rates(knowledge):
    return knowledge.rates


def test_bpu_minimum_is_16800_and_36800_with_jht(rates):
    quote = bpu_quote(rates, 1_000_000, BEFORE_DISCOUNTS)
    assert {line.program: line.charged for line in quote.lines} == {"jkk": 10_000, "jkm": 6_800}
    assert quote.total == 16_800
    assert bpu_quote(rates, 1_000_000, BEFORE_DISCOUNTS, with_jht=True).total == 36_800


def test_bpu_maximum_level(rates):
    quote = bpu_quote(rates, 50_000_000, BEFORE_DISCOUNTS, with_jht=True)
    assert quote.level.base == 20_700_000
    assert {line.program: line.charged for line in quote.lines} == {"jkk": 207_000, "jkm": 6_800, "jht": 414_000}
    assert quote.total == 627_800


@pytest.mark.parametrize(
    "income, base",
    [(0, 1_000_000), (500_000, 1_000_000), (1_099_000, 1_000_000), (1_099_500, 1_000_000),
     (1_100_000, 1_200_000), (2_000_000, 2_000_000), (2_699_000, 2_600_000), (2_700_000, 2_950_000),
     (8_199_000, 7_950_000), (8_200_000, 8_700_000), (20_199_000, 19_700_000), (20_200_000, 20_700_000)],
)
def test_income_levels_follow_the_table(rates, income, base):
    assert bpu_level(rates, income).base == base


def test_middle_levels_are_marked_as_estimates(rates):
    assert not bpu_quote(rates, 1_000_000, BEFORE_DISCOUNTS).estimate
    assert bpu_quote(rates, 3_000_000, BEFORE_DISCOUNTS).estimate


def test_pp50_discount_halves_jkk_and_jkm_not_jht(rates):
    quote = bpu_quote(rates, 1_000_000, NOV_2026, with_jht=True, sector="non_transport")
    assert {line.program: line.charged for line in quote.lines} == {"jkk": 5_000, "jkm": 3_400, "jht": 20_000}
    assert quote.total == 28_400 and quote.normal_total == 36_800
    assert bpu_quote(rates, 1_000_000, NOV_2026).total == 8_400


@pytest.mark.parametrize(
    "day, sector, discounted",
    [
        (dt.date(2025, 12, 31), "transport", False),
        (dt.date(2026, 1, 1), "transport", True),
        (dt.date(2027, 3, 31), "transport", True),
        (dt.date(2027, 4, 1), "transport", False),
        (dt.date(2026, 3, 31), "non_transport", False),
        (dt.date(2026, 4, 1), "non_transport", True),
        (dt.date(2026, 12, 31), "non_transport", True),
        (dt.date(2027, 1, 1), "non_transport", False),
    ],
)
def test_discount_periods_by_sector(rates, day, sector, discounted):
    assert (bpu_quote(rates, 1_000_000, day, sector=sector).discount is not None) is discounted


def test_prepaying_across_the_end_of_the_discount_prices_each_month(rates):
    plan = bpu_prepay(rates, 1_000_000, dt.date(2026, 11, 1), 6)
    assert [q.total for q in plan.quotes] == [8_400, 8_400, 16_800, 16_800, 16_800, 16_800]
    assert plan.total == 84_000 and plan.discounted_months == 2


def test_prepay_only_for_allowed_periods(rates):
    with pytest.raises(ValueError):
        bpu_prepay(rates, 1_000_000, NOV_2026, 5)


def test_pu_worked_example_from_the_sheet(rates):
    """Rp3.000.000 wage, very low risk: micro JKK 7.200 + JKM 9.000; small adds JHT 111.000/60.000;
    medium adds JP 60.000/30.000."""
    shares = lambda size: {
        line.program: (line.employer, line.worker)
        for line in pu_quote(rates, 3_000_000, "sangat_rendah", size, NOV_2026).lines
    }
    assert shares("mikro") == {"jkk": (7_200, 0), "jkm": (9_000, 0)}
    assert shares("kecil") == {"jkk": (7_200, 0), "jkm": (9_000, 0), "jht": (111_000, 60_000)}
    assert shares("menengah") == {**shares("kecil"), "jp": (60_000, 30_000)}


def test_jp_wage_cap_in_force_on_the_date(rates):
    assert jp_cap_on(rates, dt.date(2024, 5, 1)).cap == 10_042_300
    assert jp_cap_on(rates, dt.date(2026, 2, 28)).cap == 10_547_400
    assert jp_cap_on(rates, dt.date(2026, 3, 1)).cap == 11_086_300
    quote = pu_quote(rates, 15_000_000, "sedang", "menengah", NOV_2026)
    jp = next(line for line in quote.lines if line.program == "jp")
    assert (jp.wage_base, jp.employer, jp.worker) == (11_086_300, 221_726, 110_863)
    assert quote.estimate   # the 2026 cap is medium confidence


def test_worker_share_is_only_jht_and_jp(rates):
    quote = pu_quote(rates, 4_000_000, "sangat_tinggi", "besar", NOV_2026)
    assert quote.worker_total == 4_000_000 * 3 // 100


@pytest.mark.parametrize("kwargs", [{"wage": 0}, {"risk_class": "extreme"}, {"size": "raksasa"}])
def test_pu_rejects_bad_input(rates, kwargs):
    args = {"wage": 3_000_000, "risk_class": "rendah", "size": "kecil", **kwargs}
    with pytest.raises(ValueError):
        pu_quote(rates, day=NOV_2026, **args)


def test_jp_cap_only_matters_above_it(rates):
    below = pu_quote(rates, 4_200_000, "rendah", "menengah", NOV_2026)
    assert not below.capped and not below.estimate
