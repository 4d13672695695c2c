"""Volumes by Правила № 354 (Постановление Правительства РФ от 06.05.2011 № 354), apart from
the database: the average consumption when a reading is missing (п. 59, 60), a meter past its
verification, with hand-checked figures and properties."""

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kabinet.billing import calculation as calc
from kabinet.months import add_months

D = Decimal
MAY = datetime.date(2026, 5, 1)


def used(previous, value):
    return value - previous


def months(*pairs):
    return {datetime.date(2026, month, 1): D(value) for month, value in pairs}


def test_average_is_over_the_last_six_months_before_the_last_reading():
    # January 10 is 7 months before August: the window starts at February's 20.
    readings = months((1, "10"), (2, "20"), (4, "30"), (8, "50"))
    assert calc.average_consumption(readings, used) == D("5")  # (50 − 20) / 6


def test_average_over_fewer_months_when_the_meter_worked_less_but_at_least_three():
    assert calc.average_consumption(months((5, "100"), (8, "112")), used) == D("4")
    assert calc.average_consumption(months((6, "100"), (8, "112")), used) is None


def test_missing_reading_is_estimated_for_three_months_then_by_normative():
    readings = months((5, "100"), (6, "103"), (7, "106"), (8, "112"))
    found = [calc.meter_volume(readings, datetime.date(2026, m, 1), used) for m in (9, 10, 11, 12)]
    assert [f.how for f in found] == ["average", "average", "average", "normative"]
    assert found[0].volume == D("4")


def test_missing_reading_with_less_than_three_months_of_history_is_by_normative():
    readings = months((7, "100"), (8, "104"))
    assert calc.meter_volume(readings, datetime.date(2026, 9, 1), used).how == "normative"


def test_meter_past_verification_is_averaged_for_three_months_then_failed():
    # Verified until 31.08.2026: failed from September; its September reading does not count.
    readings = months((5, "100"), (6, "103"), (7, "106"), (8, "112"), (9, "150"))
    september = datetime.date(2026, 9, 1)
    found = [
        calc.meter_volume(readings, datetime.date(2026, m, 1), used, failed_from=september)
        for m in (9, 10, 11, 12)
    ]
    assert [(f.volume, f.how) for f in found] == [(D("4"), "average")] * 3 + [(None, "failed")]


def test_meter_past_verification_without_history_is_failed_at_once():
    readings = months((8, "100"), (9, "102"))
    september = datetime.date(2026, 9, 1)
    found = calc.meter_volume(readings, september, used, failed_from=september)
    assert found == calc.MeterVolume(None, "failed")


def test_point_59_is_dated_data_with_its_source():
    rule = calc.estimate_rule(datetime.date(2026, 9, 1))
    assert (rule.average_months, rule.min_months, rule.limit) == (6, 3, 3)
    assert "не менее 6 месяцев" in rule.source
    assert calc.estimate_rule(datetime.date(2010, 1, 1)) == calc.ESTIMATE_RULES[0]


def test_a_change_of_point_59_is_a_new_row_applied_from_its_month(monkeypatch):
    """A row from January 2027 allowing the average for 6 periods: December 2026 (4 months
    after August's reading) is past the old row's 3, January 2027 (5 months) within the new
    row's 6."""
    later = calc.EstimateRule(datetime.date(2027, 1, 1), 6, 3, 6, "a later act")
    monkeypatch.setattr(calc, "ESTIMATE_RULES", (*calc.ESTIMATE_RULES, later))
    readings = months((5, "100"), (6, "103"), (7, "106"), (8, "112"))
    december = calc.meter_volume(readings, datetime.date(2026, 12, 1), used)
    january = calc.meter_volume(readings, datetime.date(2027, 1, 1), used)
    assert (december.how, january.how) == ("normative", "average")


@given(
    monthly=st.decimals(min_value=0, max_value=50, places=3),
    worked=st.integers(min_value=3, max_value=12),
    start=st.decimals(min_value=0, max_value=1000, places=3),
)
def test_a_steady_consumption_is_its_own_average(monthly, worked, start):
    readings = {add_months(MAY, i): start + monthly * i for i in range(worked + 1)}
    assert calc.average_consumption(readings, used) == calc.volume(monthly)


@given(
    before=st.decimals(min_value=0, max_value=200, places=2),
    after=st.decimals(min_value=0, max_value=200, places=2),
    change=st.integers(min_value=2, max_value=30),
    amount=st.decimals(min_value=0, max_value=500, places=6),
)
def test_a_split_line_is_its_parts_each_rounded_and_keeps_every_day(before, after, change, amount):
    november = datetime.date(2026, 11, 1)
    spans = [
        calc.TariffSpan(before, datetime.date(2026, 1, 1), november.replace(day=change - 1)),
        calc.TariffSpan(after, november.replace(day=change), None),
    ]
    pieces = calc.tariff_pieces(spans, november, datetime.date(2026, 11, 30))
    parts = calc.split_by_tariffs(pieces, amount, 30)
    assert sum(part.days for part in parts) == 30
    exact = (before * (change - 1) + after * (31 - change)) * amount / 30
    total = sum(part.amount for part in parts)
    assert abs(total - exact) <= D("0.01")  # at most half a kopeck per part
