import datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kabinet.formats import (
    NBSP,
    format_for_input,
    format_money,
    format_number,
    format_reading,
    format_rubles,
    month_name,
    short_month_name,
    unit_name,
)
from kabinet.money import ZERO, parse_money, round_money, summed, to_kopecks


def test_money_groups_thousands_and_uses_comma():
    assert format_money(Decimal("6889.37")) == f"6{NBSP}889,37"
    assert format_rubles(Decimal("1234567.5")) == f"1{NBSP}234{NBSP}567,50{NBSP}₽"
    assert format_money(Decimal("-0.5")) == "-0,50"
    assert format_money(Decimal("0")) == "0,00"


def test_number_keeps_own_places_unless_told():
    assert format_number(Decimal("54.000000")) == "54"
    assert format_number(Decimal("4.2170")) == "4,217"
    assert format_number(Decimal("13.1"), 2) == "13,10"


def test_month_is_written_in_russian():
    assert month_name(datetime.date(2026, 10, 1)) == "октябрь 2026"
    assert month_name(datetime.date(2027, 1, 1)) == "январь 2027"
    assert short_month_name(datetime.date(2026, 11, 1)) == "ноя 2026"
    assert short_month_name(datetime.date(2026, 5, 1)) == "май 2026"


def test_money_rounds_half_up_to_kopecks():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.675")) == Decimal("2.68")
    assert to_kopecks(Decimal("6889.37")) == 688937


def test_a_database_sum_is_read_back_in_kopecks():
    assert summed(None) == ZERO  # a sum over no rows
    assert summed(0.1 + 0.2) == Decimal("0.30")  # SQLite adds decimals as floats
    assert summed(Decimal("993.60")) == Decimal("993.60")


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2))
def test_formatted_money_reads_back_as_the_same_amount(amount):
    text = format_money(amount)
    assert Decimal(text.replace(NBSP, "").replace(",", ".")) == amount


@given(st.decimals(min_value=0, max_value=10**9, places=2))
def test_an_amount_shown_for_editing_reads_back_as_the_same_amount(amount):
    text = format_for_input(amount)
    assert " " not in text
    assert NBSP not in text
    assert parse_money(text) == amount


def test_an_amount_for_editing_keeps_the_fields_places():
    assert format_for_input(Decimal("6889.3")) == "6889,30"
    assert format_for_input(Decimal("12.5"), 4) == "12,5000"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("815.270", "815,270"),
        ("815.27", "815,270"),
        ("0.633283", "0,633"),
        ("1015", f"1{NBSP}015,000"),
    ],
)
def test_readings_and_volumes_keep_the_meters_three_places(value, shown):
    assert format_reading(Decimal(value)) == shown


@pytest.mark.parametrize(
    ("written", "shown"),
    [("куб м", "м³"), ("м3", "м³"), ("кВтч", "кВт·ч"), ("КВт*ч", "кВт·ч"), ("кв м", "м²"),
     ("Гкал", "Гкал"), ("чел.", "чел."), ("", "")],
)  # fmt: skip
def test_units_are_written_one_way(written, shown):
    assert unit_name(written) == shown


def test_none_is_a_dash():
    from kabinet.portal.templatetags.kabinet_format import money_or_dash

    assert money_or_dash(Decimal("0")) == "—"
    assert money_or_dash(None) == "—"


@given(st.decimals(allow_nan=False, allow_infinity=False), st.one_of(st.none(), st.integers(0, 6)))
def test_a_number_is_grouped_by_threes_with_no_break_spaces_and_a_decimal_comma(value, places):
    assume(abs(value) < Decimal("1E+20"))
    written = format_number(value, places)
    rounded = value.normalize() if places is None else value.quantize(Decimal(1).scaleb(-places))
    integer, _, fraction = written.lstrip("-").partition(",")
    groups = integer.split("\u00a0")
    assert all(len(group) == 3 for group in groups[1:])
    assert 1 <= len(groups[0]) <= 3
    assert Decimal("".join(groups) + ("." + fraction if fraction else "")) == abs(rounded)
    assert written.startswith("-") == (rounded < 0)
