import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.billing.ledger import Ledger, account_ledger, opening_balance
from kabinet.billing.models import CalculationMethod
from kabinet.billing.selectors import account_balance
from kabinet.months import add_months
from tests.factories import (
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
recalculations = st.decimals(min_value=Decimal("-999.99"), max_value=Decimal("999.99"), places=2)
charges = st.lists(
    st.tuples(st.integers(0, 11), amounts, recalculations, st.booleans()), max_size=12
)
payments = st.lists(st.tuples(st.integers(0, 364), amounts), max_size=12)


def make_history(account, charge_rows, payment_rows):
    base = ServiceFactory(organization=account.organization, method=CalculationMethod.AREA)
    penalty = ServiceFactory(organization=account.organization, method=CalculationMethod.PENALTY)
    lines = {}  # one line per account × service × period: rows of the same one add up
    for month_offset, amount, recalculation, is_penalty in charge_rows:
        key = (month_offset, penalty if is_penalty else base)
        charged, recalculated = lines.get(key, (0, 0))
        lines[key] = (charged + amount, recalculated + recalculation)
    for (month_offset, service), (charged, recalculation) in lines.items():
        period = PeriodFactory(
            organization=account.organization, month=add_months(JAN, month_offset)
        )
        ChargeFactory(account=account, period=period, service=service, charged=charged,
                      recalculation=recalculation)  # fmt: skip
    for day, amount in payment_rows:
        PaymentFactory(account=account, amount=amount, paid_on=JAN + datetime.timedelta(days=day))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charge_rows=charges, payment_rows=payments, split=st.integers(1, 11))
def test_ledger_reconciles_to_the_kopeck(charge_rows, payment_rows, split):
    account = PersonalAccountFactory()
    make_history(account, charge_rows, payment_rows)
    year = account_ledger(account, JAN, add_months(JAN, 11))

    for month in year.months:
        assert month.closing == (
            month.opening + month.charged + month.recalculation + month.penalties - month.paid
        )
    assert year.closing == (
        year.opening + year.charged + year.recalculation + year.penalties - year.paid
    )
    assert year.opening == 0
    assert year.closing == account_balance(account)
    expected_charged = sum((Decimal(row[1]) for row in charge_rows), Decimal(0))
    assert year.charged + year.penalties == expected_charged
    assert year.paid == sum((row[1] for row in payment_rows), Decimal(0))

    # Split anywhere: the first part's closing is the second part's opening.
    first = account_ledger(account, JAN, add_months(JAN, split - 1))
    second = account_ledger(account, add_months(JAN, split), add_months(JAN, 11))
    assert first.closing == second.opening == opening_balance(account, add_months(JAN, split))
    assert second.closing == year.closing


def test_month_by_month_with_penalties_recalculations_and_payments():
    account = PersonalAccountFactory()
    october = PeriodFactory(organization=account.organization, month=datetime.date(2026, 10, 1))
    november = PeriodFactory(organization=account.organization, month=datetime.date(2026, 11, 1))
    penalty = ServiceFactory(organization=account.organization, method=CalculationMethod.PENALTY)
    ChargeFactory(account=account, period=october, charged=Decimal("1000.00"))
    ChargeFactory(
        account=account,
        period=november,
        charged=Decimal("1100.00"),
        recalculation=Decimal("-50.00"),
    )
    ChargeFactory(account=account, period=november, service=penalty, charged=Decimal("3.21"))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 9, 30), amount=Decimal("200.00"))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 11, 10), amount=Decimal("800.00"))

    ledger = account_ledger(account, datetime.date(2026, 10, 1), datetime.date(2026, 11, 1))

    assert ledger.opening == Decimal("-200.00")  # paid in advance
    october_row, november_row = ledger.months
    assert (october_row.charged, october_row.paid, october_row.closing) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("800.00"),
    )
    assert november_row.opening == Decimal("800.00")
    assert november_row.charged == Decimal("1100.00")
    assert november_row.recalculation == Decimal("-50.00")
    assert november_row.penalties == Decimal("3.21")
    assert november_row.paid == Decimal("800.00")
    assert november_row.closing == Decimal("1053.21")
    assert [p.amount for p in ledger.payments] == [Decimal("800.00")]
    assert [month.billed for month in ledger.months] == [True, True]


def test_ledger_refuses_a_range_that_ends_before_it_starts():
    account = PersonalAccountFactory()
    with pytest.raises(ValueError, match="before"):
        account_ledger(account, datetime.date(2026, 10, 1), datetime.date(2026, 9, 1))


def test_an_open_periods_draft_charges_are_not_shown_to_residents():
    account = PersonalAccountFactory()
    draft = PeriodFactory(
        organization=account.organization, month=datetime.date(2026, 11, 1), status="open"
    )
    ChargeFactory(account=account, period=draft, charged=Decimal("500.00"))
    ChargeFactory(account=account, charged=Decimal("100.00"))  # October, closed

    assert account_balance(account) == Decimal("100.00")
    ledger = account_ledger(account, datetime.date(2026, 10, 1), datetime.date(2026, 11, 1))
    assert [month.charged for month in ledger.months] == [Decimal("100.00"), Decimal("0.00")]
    assert [month.billed for month in ledger.months] == [True, False]  # no receipt for a draft


@pytest.mark.parametrize(
    ("today", "closing"),
    [
        (datetime.date(2026, 12, 5), datetime.date(2026, 11, 30)),  # the month shown has ended
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 20)),  # it is still running
    ],
)
def test_the_closing_balance_is_shown_at_the_months_end_or_today(today, closing):
    ledger = Ledger(datetime.date(2026, 10, 1), datetime.date(2026, 11, 1), Decimal(0), ())
    assert ledger.closing_date(today) == closing
