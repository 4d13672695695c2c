"""Penalties per ЖК РФ ст. 155 ч. 14, by hand-checked figures: nothing for 30 days of delay,
1/300 of the key rate from day 31 to day 90, 1/130 from day 91; a payment naming a month
settles it, the rest the oldest debt first (ГК РФ ст. 319.1); the
key rate of the day of payment (of the calculation for a debt still unpaid). The dated rules
(caps, moratoria, due dates) are in test_penalty_law.py."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kabinet.billing.models import CalculationMethod, Charge, Penalty, PeriodStatus
from kabinet.billing.penalty_calculation import Debt, allocate_payments, due_date, penalty_lines
from kabinet.billing.penalty_rules import PenaltyLaw
from kabinet.billing.run import run_billing
from tests.factories import (
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
)

D = Decimal
AUGUST = datetime.date(2026, 8, 1)
SEPTEMBER = datetime.date(2026, 9, 1)
RATE = D("16.5")


def day(month, number):
    return datetime.date(2026, month, number)


WEEKDAYS = PenaltyLaw()  # no dated rules; Saturdays and Sundays are days off
flat_rate = PenaltyLaw(fixed_rate=RATE)


def debt(month, amount):
    return Debt(month, due_date(month, 10, WEEKDAYS), D(amount))


def total(lines):
    return sum((line.amount for line in lines), D(0))


def test_the_debt_is_due_on_the_tenth_of_the_next_month():
    assert due_date(AUGUST, 10, WEEKDAYS) == day(9, 10)
    assert due_date(datetime.date(2026, 12, 1), 15, WEEKDAYS) == datetime.date(2027, 1, 15)


@pytest.mark.parametrize(
    ("days_late", "fraction"), [(1, None), (30, None), (31, 300), (90, 300), (91, 130), (400, 130)]
)
def test_fraction_of_the_rate_by_day_of_delay(days_late, fraction):
    assert WEEKDAYS.fraction(days_late, AUGUST) == fraction


def test_nothing_for_the_first_thirty_days():
    # August's debt is due on 10 September; day 30 of delay is 10 October.
    lines = penalty_lines([debt(AUGUST, "10000")], D(0), [], day(9, 1), day(10, 10), flat_rate)
    assert lines == []


def test_from_day_31_one_three_hundredth_of_the_rate():
    lines = penalty_lines([debt(AUGUST, "10000")], D(0), [], day(10, 1), day(10, 31), flat_rate)
    [line] = lines
    assert (line.first, line.last, line.days, line.fraction) == (day(10, 11), day(10, 31), 21, 300)
    assert line.amount == D("115.50")  # 10 000 × 21 × 16,5 % / 300


def test_from_day_91_one_hundred_thirtieth():
    # Day 90 of delay is 9 December, day 91 is 10 December.
    lines = penalty_lines([debt(AUGUST, "10000")], D(0), [], day(12, 1), day(12, 31), flat_rate)
    first, second = lines
    assert (first.first, first.last, first.fraction, first.amount) == (
        day(12, 1), day(12, 9), 300, D("49.50")
    )  # fmt: skip  # 10 000 × 9 × 16,5 % / 300
    assert (second.first, second.last, second.fraction, second.amount) == (
        day(12, 10), day(12, 31), 130, D("279.23")
    )  # fmt: skip  # 10 000 × 22 × 16,5 % / 130 = 279,230…


def test_payments_settle_the_oldest_debt_first_and_count_from_the_next_day():
    debts = [debt(AUGUST, "10000"), debt(SEPTEMBER, "5000")]
    payments = [(day(10, 15), D("12000"))]
    october = penalty_lines(debts, D(0), payments, day(10, 1), day(10, 31), flat_rate)
    [line] = october  # August's debt from 11 October until the payment day, 15 October
    assert (line.debt_month, line.first, line.last, line.amount) == (
        AUGUST, day(10, 11), day(10, 15), D("27.50")
    )  # fmt: skip
    november = penalty_lines(debts, D("12000"), [], day(11, 1), day(11, 30), flat_rate)
    # 3 000 of September's debt, due on Saturday 10 October, so on Monday the 12th (ГК РФ
    # ст. 193); day 31 of its delay is 12 November
    [line] = november
    assert (line.debt_month, line.debt, line.first, line.amount) == (
        SEPTEMBER, D("3000"), day(11, 12), D("31.35")
    )  # fmt: skip  # 3 000 × 19 × 16,5 % / 300


def test_the_rate_of_the_day_of_payment_or_of_the_calculation_day():
    """ЖК РФ ст. 155 ч. 14: «ключевой ставки ЦБ РФ, действующей на день фактической оплаты»;
    what is still unpaid bears the rate of the calculation day (not each day's rate, which is
    ГК РФ ст. 395's method)."""
    law = PenaltyLaw(key_rates=((datetime.date(2025, 1, 1), D("16.5")), (day(10, 27), D("15.0"))))
    payments = [(day(10, 20), D("4000"))]
    lines = penalty_lines([debt(AUGUST, "10000")], D(0), payments, day(10, 1), day(10, 31), law)
    paid, unpaid = sorted(lines, key=lambda line: line.debt)
    # 4 000 paid on 20 October (16,5 %): 11–20 October; 6 000 unpaid on the 31st (15 %)
    assert (paid.first, paid.last, paid.debt, paid.rate) == (day(10, 11), day(10, 20), D("4000"),
                                                            D("16.5"))  # fmt: skip
    assert (unpaid.first, unpaid.last, unpaid.debt, unpaid.rate) == (
        day(10, 11), day(10, 31), D("6000"), D("15.0")
    )  # fmt: skip
    assert (paid.amount, unpaid.amount) == (
        D("22.00"),
        D("63.00"),
    )  # 4000×10×16,5/300; 6000×21×15/300


def test_without_a_key_rate_nothing_is_charged():
    assert penalty_lines([debt(AUGUST, "10000")], D(0), [], day(10, 1), day(10, 31), WEEKDAYS) == []


@given(
    amounts=st.lists(st.decimals(D("0.01"), D("50000"), places=2), min_size=1, max_size=6),
    paid=st.decimals(D("0"), D("200000"), places=2),
    more=st.decimals(D("0.01"), D("10000"), places=2),
)
def test_paying_more_never_raises_the_penalty(amounts, paid, more):
    debts = [debt(datetime.date(2025, 6 + i, 1), amount) for i, amount in enumerate(amounts)]
    period = (day(3, 1), day(3, 31))
    less_paid = penalty_lines(debts, paid, [], *period, flat_rate)
    more_paid = penalty_lines(debts, paid + more, [], *period, flat_rate)
    assert D(0) <= total(more_paid) <= total(less_paid)
    if paid >= sum(amounts):
        assert less_paid == []


def test_a_payment_naming_a_month_settles_it_and_the_older_debt_keeps_its_penalty():
    """ГК РФ ст. 319.1 п. 1. 5 000 paid on 15 October naming September pays September; August's
    10 000 stays unpaid: 11–31 October 10 000 × 21 × 16,5 % / 300 = 115,50 (not 27,50 as when
    the payment paid August). In November, paid before it: 10 000 × 30 × 16,5 % / 300."""
    debts = [debt(AUGUST, "10000"), debt(SEPTEMBER, "5000")]
    payments = [(day(10, 15), D("5000"), SEPTEMBER)]
    [line] = penalty_lines(debts, D(0), payments, day(10, 1), day(10, 31), flat_rate)
    assert (line.debt_month, line.first, line.last, line.debt, line.amount) == (
        AUGUST, day(10, 11), day(10, 31), D("10000"), D("115.50")
    )  # fmt: skip
    november = penalty_lines(debts, D(0), [], day(11, 1), day(11, 30), flat_rate,
                             named_before={SEPTEMBER: D("5000")})  # fmt: skip
    assert [(line.debt_month, line.debt, line.amount) for line in november] == [
        (AUGUST, D("10000"), D("165.00"))
    ]


def test_what_a_payment_brings_beyond_its_named_month_settles_the_oldest_debt():
    """7 000 naming September: 5 000 pay September, 2 000 pay August. August: 11–15 October
    10 000 × 5 × 16,5 % / 300 = 27,50, 16–31 October 8 000 × 16 × 16,5 % / 300 = 70,40."""
    debts = [debt(AUGUST, "10000"), debt(SEPTEMBER, "5000")]
    payments = [(day(10, 15), D("7000"), SEPTEMBER)]
    lines = penalty_lines(debts, D(0), payments, day(10, 1), day(10, 31), flat_rate)
    assert [(line.first, line.last, line.debt, line.amount) for line in lines] == [
        (day(10, 11), day(10, 15), D("10000"), D("27.50")),
        (day(10, 16), day(10, 31), D("8000"), D("70.40")),
    ]


def test_a_payment_naming_a_month_without_debt_settles_the_oldest():
    parts = allocate_payments([debt(AUGUST, "100")], D(0),
                              [(day(10, 1), D("60"), datetime.date(2026, 12, 1))],
                              day(10, 31))  # fmt: skip
    assert parts == {(AUGUST, None): [(day(10, 1), D("60")), (day(10, 31), D("40"))]}


def unpaid(parts, last):
    return sum((amount for parts_of in parts.values() for paid_on, amount in parts_of
                if paid_on == last), D(0))  # fmt: skip


MONTHS_OWED = [datetime.date(2025, 6 + i, 1) for i in range(6)]


@given(
    amounts=st.lists(st.decimals(D("0.00"), D("50000"), places=2), min_size=1, max_size=6),
    paid=st.decimals(D("0"), D("20000"), places=2),
    payments=st.lists(
        st.tuples(
            st.integers(0, 150),
            st.decimals(D("0.01"), D("30000"), places=2),
            st.none() | st.sampled_from([*MONTHS_OWED, datetime.date(2026, 6, 1)]),
        ),
        max_size=6,
    ),
    named_before=st.dictionaries(
        st.sampled_from(MONTHS_OWED), st.decimals(D("0.01"), D("20000"), places=2), max_size=3
    ),
)
def test_naming_months_moves_the_debt_between_months_but_never_changes_its_total(
    amounts, paid, payments, named_before
):
    debts = [debt(month, amount) for month, amount in zip(MONTHS_OWED, amounts, strict=False)]
    first, last = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
    named = [(first + datetime.timedelta(days=d), amount, month) for d, amount, month in payments]
    plain = [(d, amount) for d, amount, _ in named]
    lump = paid + sum(named_before.values(), D(0))
    with_names = allocate_payments(debts, paid, named, last, named_before=named_before)
    without = allocate_payments(debts, lump, plain, last)
    assert (
        unpaid(with_names, last)
        == unpaid(without, last)
        == max(sum(amounts[: len(debts)], D(0)) - lump - sum((a for _, a in plain), D(0)), D(0))
    )
    assert all(amount > 0 for parts in with_names.values() for _, amount in parts)
    lines = penalty_lines(debts, paid, named, first, last, flat_rate, named_before=named_before)
    assert all(line.amount >= 0 for line in lines)


@pytest.mark.django_db
def test_the_run_charges_penalties_by_the_shipped_law_and_keeps_their_days():
    account = PersonalAccountFactory()
    organization = account.organization
    penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    ChargeFactory(account=account, service=base, charged=D("10000"),
                  period=PeriodFactory(organization=organization, month=AUGUST))  # fmt: skip
    PaymentFactory(account=account, paid_on=day(7, 25), amount=D("1"))  # before: not this debt
    october = PeriodFactory(organization=organization, month=day(10, 1),
                            status=PeriodStatus.OPEN)  # fmt: skip
    run_billing(october)
    line = Charge.objects.get(account=account, period=october, service=penalty)
    # August 2026 is due on 15 September (177-ФЗ), day 31 of delay is 16 October; the key
    # rate of 31 October 2026 (15,5 %) is capped at 9,5 % (Постановление № 329)
    assert line.charged == D("50.66")  # 9 999 × 16 × 9,5 % / 300 = 50,66…
    days = Penalty.objects.get(account=account, period=october)
    assert (days.date_from, days.date_to, days.debt, days.fraction, days.rate, days.rule) == (
        day(10, 16), day(10, 31), D("9999.00"), 300, D("9.50"), "rate_cap"
    )  # fmt: skip


@pytest.mark.django_db
def test_the_run_lets_a_payment_naming_a_month_settle_it_before_older_debt():
    """August 2026 (10 000, due 15 September) and September (5 000) closed; 5 000 paid naming
    September, before October (one account) or in it (another). August's whole 10 000 bears
    the penalty from day 31 of delay, 16 October: 10 000 × 16 × 9,5 % / 300 = 50,67; an unnamed
    payment on 1 October would have left 5 000 of it: 25,33."""
    organization = PersonalAccountFactory().organization
    penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    accounts = {}
    for paid_on in (day(10, 1), day(10, 20), None):
        account = PersonalAccountFactory(organization=organization)
        for month, amount in ((AUGUST, "10000"), (SEPTEMBER, "5000")):
            ChargeFactory(account=account, service=base, charged=D(amount),
                          period=PeriodFactory(organization=organization, month=month))  # fmt: skip
        PaymentFactory(account=account, paid_on=paid_on or day(10, 1), amount=D("5000"),
                       period=SEPTEMBER if paid_on else None)  # fmt: skip
        accounts[paid_on] = account
    october = PeriodFactory(organization=organization, month=day(10, 1),
                            status=PeriodStatus.OPEN)  # fmt: skip
    run_billing(october)
    charged = {
        paid_on: Charge.objects.get(account=account, period=october, service=penalty).charged
        for paid_on, account in accounts.items()
    }
    assert charged == {day(10, 1): D("50.67"), day(10, 20): D("50.67"), None: D("25.33")}
    line = Penalty.objects.get(account=accounts[day(10, 20)], period=october)
    assert (line.debt_month, line.date_from, line.date_to, line.debt) == (
        AUGUST, day(10, 16), day(10, 31), D("10000.00")
    )  # fmt: skip


@pytest.mark.django_db
def test_the_run_stops_charging_a_debts_penalty_once_its_three_years_have_run_out():
    """PENALTY_LOOKBACK = 37 (ГК РФ ст. 196, 200, 207): in October 2026 the debt of September
    2023 (due 10.10.2023, its limitation runs to 10.10.2026) still bears the penalty, August
    2023's (due 11.09.2023, limitation ended in September 2026) no longer does.
    1 000 × 31 × 9,5 % / 130 = 22,65 (the cap of Постановление № 329)."""
    account = PersonalAccountFactory(organization__payment_due_day=10)
    organization = account.organization
    penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    for month in (datetime.date(2023, 8, 1), datetime.date(2023, 9, 1)):
        ChargeFactory(account=account, service=base, charged=D("1000"),
                      period=PeriodFactory(organization=organization, month=month))  # fmt: skip
    october = PeriodFactory(organization=organization, month=day(10, 1),
                            status=PeriodStatus.OPEN)  # fmt: skip
    run_billing(october)
    assert Charge.objects.get(account=account, period=october, service=penalty).charged == D(
        "22.65"
    )
    assert list(Penalty.objects.filter(period=october).values_list("debt_month", flat=True)) == [
        datetime.date(2023, 9, 1)
    ]


def test_staff_naming_a_month_in_the_admin_store_its_first_day():
    payment = PaymentFactory.build(period=datetime.date(2026, 9, 17))
    payment.clean()
    assert payment.period == SEPTEMBER
