"""The penalty's lines computed by spans of days (``penalty_calculation._lines_by_spans``) equal
those of asking every day (``_lines_day_by_day``, the reference), line by line and in order,
under the shipped law: key rates, the editions of ч. 14, the moratoria of 2020 and 2022 and the
caps of 2022+; and published worked examples come out to the kopeck."""

import datetime
from decimal import Decimal as D
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing import shipped_law
from kabinet.billing.penalty_calculation import Debt, penalty_lines
from kabinet.months import add_months

DAY = datetime.timedelta(days=1)


LAW = shipped_law.penalty_law()
FIXED = shipped_law.penalty_law(D("9.5"))


def by_days(debts, paid_before, payments, first, last, law, fraction_of=None, named_before=None):
    """``penalty_lines`` with the lines found day by day (``_lines_day_by_day``), as for a rule
    the spans do not know."""
    with patch.object(pcalc, "_lateness_changes", lambda fraction_of, law: None):
        return penalty_lines(debts, paid_before, payments, first, last, law,
                             named_before=named_before, fraction_of=fraction_of)  # fmt: skip


months = st.dates(datetime.date(2015, 1, 1), datetime.date(2026, 6, 1)).map(
    lambda day: day.replace(day=1)
)
amounts = st.integers(-20_000, 300_000).map(lambda kopecks: D(kopecks) / 100)


@st.composite
def histories(draw):
    """Debts of distinct months (some with a raise presented in a later month), payments by
    date (some naming a month), and a range of days that may span years of the law."""
    owed = sorted(draw(st.sets(months, min_size=1, max_size=6)))
    debts = []
    for month in owed:
        due = add_months(month, 1).replace(day=draw(st.integers(1, 28)))
        debts.append(Debt(month, due, draw(amounts)))
        if draw(st.integers(0, 4)) == 0:
            presented = add_months(month, draw(st.integers(1, 5)))
            debts.append(Debt(month, add_months(presented, 1).replace(day=10), draw(amounts),
                              presented))  # fmt: skip
    first = owed[0] + datetime.timedelta(days=draw(st.integers(0, 500)))
    last = first + datetime.timedelta(days=draw(st.integers(0, 400)))
    payment_days = st.dates(owed[0], last + 10 * DAY)
    named = st.one_of(st.none(), st.sampled_from(owed), months)
    payments = draw(st.lists(st.tuples(payment_days, amounts.map(abs), named), max_size=6))
    paid_before = draw(st.sampled_from([D(0), D(0), D("500"), D("2000.55")]))
    named_before = draw(st.sampled_from([None, {owed[0]: D("300")}]))
    return debts, paid_before, payments, first, last, named_before


def assert_spans_equal_days(debts, paid_before, payments, first, last, law, fraction_of,
                            named_before):  # fmt: skip
    assert penalty_lines(
        debts, paid_before, payments, first, last, law,
        named_before=named_before, fraction_of=fraction_of,
    ) == by_days(
        debts, paid_before, payments, first, last, law, fraction_of, named_before
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    histories(),
    st.sampled_from([LAW, FIXED]),
    st.sampled_from([None, pcalc.capital_repair_fraction]),
)
def test_the_spans_give_the_lines_of_the_days(history, law, fraction_of):
    debts, paid_before, payments, first, last, named_before = history
    assert_spans_equal_days(debts, paid_before, payments, first, last, law, fraction_of,
                            named_before)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(histories(), st.sampled_from([None, pcalc.capital_repair_fraction]))
def test_the_spans_of_a_month_give_the_lines_of_its_days(history, fraction_of):
    """As the monthly run asks: one month's days, with what was paid before it."""
    debts, paid_before, payments, first, _, named_before = history
    first = first.replace(day=1)
    last = add_months(first, 1) - DAY
    assert_spans_equal_days(debts, paid_before, payments, first, last, LAW, fraction_of,
                            named_before)  # fmt: skip


def test_a_span_is_cut_where_the_law_or_the_debt_changes():
    """The days the spans are cut on: the law's (the moratorium of 2022 begins 01.04.2022 and
    ends after 01.10.2022; a cap begins 28.02.2022) and the debt's (day 31 and day 91 of delay
    of a debt due 10.01.2022; the day after a payment)."""
    assert LAW.changes(datetime.date(2022, 1, 1), datetime.date(2022, 12, 31)) == (
        datetime.date(2022, 2, 28), datetime.date(2022, 4, 1), datetime.date(2022, 10, 2),
    )  # fmt: skip
    assert datetime.date(2022, 2, 10) in LAW.lateness_changes(datetime.date(2022, 1, 10))
    assert datetime.date(2022, 4, 11) in LAW.lateness_changes(datetime.date(2022, 1, 10))


def test_a_debt_late_under_the_old_edition_keeps_its_days_though_paid_within_new_free_days():
    """A debt due 10.12.2015 and paid 05.01.2016: from 01.01.2016 its delay (day 22–26) is in
    the new edition's 30 free days, but up to 31.12.2015 the edition before bore a penalty from
    the first day of delay — the spans skip a debt only when neither day bears one."""
    debt = Debt(datetime.date(2015, 11, 1), datetime.date(2015, 12, 10), D("1000"))
    payments = [(datetime.date(2016, 1, 5), D("1000"))]
    first, last = datetime.date(2015, 12, 1), datetime.date(2016, 1, 31)
    lines = penalty_lines([debt], D(0), payments, first, last, LAW)
    assert lines == by_days([debt], D(0), payments, first, last, LAW)
    assert [(line.first, line.last) for line in lines] == [
        (datetime.date(2015, 12, 11), datetime.date(2015, 12, 31))
    ]


def test_an_unknown_rule_of_the_fraction_is_counted_day_by_day():
    """A ``fraction_of`` the spans cannot see the changes of (1/300 on even days of delay)."""
    debt = Debt(datetime.date(2019, 5, 1), datetime.date(2019, 6, 10), D("1000"))

    def even_days(days_late, day):
        return 300 if days_late > 0 and days_late % 2 == 0 else None

    lines = penalty_lines([debt], D(0), [], datetime.date(2019, 6, 11),
                          datetime.date(2019, 6, 20), FIXED, fraction_of=even_days)  # fmt: skip
    assert [line.first.day for line in lines] == [12, 14, 16, 18, 20]


def test_published_example_100000_for_50_days_at_8_25_percent():
    """https://gist.github.com/1ef3f0268581d79722f3a7fe0357737b («Пример расчёта пени»):
    100 000 рублей, ставка рефинансирования 8,25 %, просрочка 50 дней = 100 000 × 8,25 × 50
    / 100 / 300 = 1 375,00. Due 10.01.2018, counted to 31.03.2018: days 31–80 of delay."""
    debt = Debt(datetime.date(2017, 12, 1), datetime.date(2018, 1, 10), D("100000"))
    law = shipped_law.penalty_law(D("8.25"))
    [line] = penalty_lines([debt], D(0), [], datetime.date(2018, 1, 11),
                           datetime.date(2018, 3, 31), law)  # fmt: skip
    assert (line.first, line.last, line.fraction, line.amount) == (
        datetime.date(2018, 2, 10), datetime.date(2018, 3, 31), 300, D("1375.00"),
    )  # fmt: skip


def test_open_source_calculator_example_1000_for_may_2019_with_a_payment():
    """The worked example of the open-source ЖКХ penalty calculator aleoreh/penalty-calc-tricky
    (GitHub, src/features/calculator/domain/domain.spec/calculator.spec.ts): 1 000 ₽ for May
    2019 due 10.06.2019, 100 ₽ paid 01.01.2020, the rate fixed at 9,5 %, counted to 18.04.2024.
    Its «penaltyAmountOfStartDebt» 103,04 is the 1 000 ₽ part to 01.01.2020: 19,00 at 1/300
    (11.07–08.09.2019) + 84,04 at 1/130. Its moratoria differ from ours by two days (see
    tests/test_penalty_calc_command.py), so our total is 836,37 rather than 835,05."""
    debt = Debt(datetime.date(2019, 5, 1), datetime.date(2019, 6, 10), D("1000"))
    payments = [(datetime.date(2020, 1, 1), D("100"))]
    first, last = datetime.date(2019, 6, 11), datetime.date(2024, 4, 18)
    lines = penalty_lines([debt], D(0), payments, first, last, FIXED)
    assert lines == by_days([debt], D(0), payments, first, last, FIXED)
    by_range = {(line.first, line.last, line.debt): line.amount for line in lines}
    assert by_range[datetime.date(2019, 7, 11), datetime.date(2019, 9, 8), D("1000")] == D("19.00")
    assert by_range[datetime.date(2019, 9, 9), datetime.date(2020, 1, 1), D("1000")] == D("84.04")
    assert sum(line.amount for line in lines) == D("836.37")
