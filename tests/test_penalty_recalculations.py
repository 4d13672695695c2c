"""Recalculations of closed months reach the penalties: a month's debt is its charges and the
recalculations of it. A reduction lowers it from the month's own due date (what it takes back
was never owed); a raise is due with the payment document that presents it (ЖК РФ ст. 155
ч. 1–2; docs/billing-law.md, «Recalculations and penalties»). Figures checked by hand; the
key rate on every day here is capped at 9,5 % (Постановление № 329)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kabinet.billing.debts import recalculated_debts
from kabinet.billing.models import CalculationMethod, Charge, Penalty, PeriodStatus, Recalculation
from kabinet.billing.penalty_statement import penalty_statement
from kabinet.billing.run import run_billing
from tests.factories import (
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
MARCH, MAY, JUNE = datetime.date(2026, 3, 1), datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
TO = datetime.date(2026, 8, 31)


def day(month, number):
    return datetime.date(2026, month, number)


@pytest.fixture
def world():
    """1 000,00 for March 2026 (due 15.04.2026, Федеральный закон № 177-ФЗ), never paid."""
    account = PersonalAccountFactory()
    organization = account.organization
    upkeep = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    march = PeriodFactory(organization=organization, month=MARCH)
    ChargeFactory(account=account, service=upkeep, period=march, charged=D("1000.00"))
    return account, upkeep


def recalculate(account, service, presented, amount, *, status=PeriodStatus.CLOSED):
    """A recalculation of March presented in the month ``presented`` (history: the line of that
    month carries it, as the run writes it)."""
    organization = account.organization
    period = PeriodFactory(organization=organization, month=presented, status=status)
    corrected = PeriodFactory(organization=organization, month=MARCH)
    if status == PeriodStatus.CLOSED:  # an open month's lines are the run's to write
        ChargeFactory(account=account, service=service, period=period, charged=D("0"),
                      recalculation=amount)  # fmt: skip
    Recalculation.objects.bulk_create([Recalculation(
        period=period, corrected_period=corrected, account=account, service=service,
        amount=amount, reason="исправлены показания",
    )])  # fmt: skip
    return period


def figures(statement):
    return [(line.debt_month, line.due, line.first, line.last, line.debt, line.fraction,
             line.amount) for line in statement.lines]  # fmt: skip


def test_a_reduction_lowers_the_months_debt_from_its_own_due_date(world):
    """−400,00 of March presented in May: March owed 600,00 all along. Day 31 after 15.04 is
    16.05, day 91 is 15.07:
    600 × 16 × 9,5 % / 300 = 3,04; × 30 → 5,70; × 14 → 2,66;
    600 × 17 × 9,5 % / 130 = 7,453… → 7,45; × 31 → 13,592… → 13,59; in all 32,44.
    Before, March bore 1 000,00 and May's −400,00 nothing: 54,07."""
    account, upkeep = world
    assert penalty_statement(account, to=TO).total == D("54.07")
    recalculate(account, upkeep, MAY, D("-400.00"))
    statement = penalty_statement(account, to=TO)
    due = day(4, 15)
    assert figures(statement) == [
        (MARCH, due, day(5, 16), day(5, 31), D("600.00"), 300, D("3.04")),
        (MARCH, due, day(6, 1), day(6, 30), D("600.00"), 300, D("5.70")),
        (MARCH, due, day(7, 1), day(7, 14), D("600.00"), 300, D("2.66")),
        (MARCH, due, day(7, 15), day(7, 31), D("600.00"), 130, D("7.45")),
        (MARCH, due, day(8, 1), day(8, 31), D("600.00"), 130, D("13.59")),
    ]
    assert statement.total == D("32.44")


def test_a_raise_is_due_with_the_document_that_presents_it(world):
    """+300,00 of March presented in June, whose bill is due 15.07.2026: its day 31 is
    15.08, 300 × 17 × 9,5 % / 300 = 1,615 → 1,62 (half up), at 1/300 — its own days of delay,
    not March's. March's own 1 000,00 is unchanged: 5,07 + 9,50 + 4,43 + 12,42 + 22,65 = 54,07.
    In all 55,69."""
    account, upkeep = world
    recalculate(account, upkeep, JUNE, D("300.00"))
    statement = penalty_statement(account, to=TO)
    raise_ = [line for line in statement.lines if line.due == day(7, 15)]
    assert [(line.first, line.last, line.debt, line.fraction, line.amount) for line in raise_] == [
        (day(8, 15), day(8, 31), D("300.00"), 300, D("1.62"))
    ]
    assert raise_[0].debt_month == MARCH
    assert sum(line.amount for line in statement.lines if line.due == day(4, 15)) == D("54.07")
    assert statement.total == D("55.69")


def test_a_later_reduction_takes_back_the_raise_first(world):
    """+300,00 presented in May, −300,00 in June: the raise is gone and March's own debt is the
    1 000,00 it was (54,07), not 700,00 from April and 300,00 from June."""
    account, upkeep = world
    recalculate(account, upkeep, MAY, D("300.00"))
    recalculate(account, upkeep, JUNE, D("-300.00"))
    statement = penalty_statement(account, to=TO)
    assert {line.debt for line in statement.lines} == {D("1000.00")}
    assert statement.total == D("54.07")


def test_a_payment_naming_the_month_settles_its_raise_too(world):
    """A payment of 1 300,00 naming March on 10.05 settles March's own debt and its raise
    presented in June: nothing is late after it (March's days 16.05… are paid)."""
    account, upkeep = world
    recalculate(account, upkeep, JUNE, D("300.00"))
    PaymentFactory(account=account, paid_on=day(5, 10), amount=D("1300.00"), period=MARCH)
    assert penalty_statement(account, to=TO).lines == []


def test_a_reduction_of_a_contribution_lowers_the_ch14_1_debt(world):
    """The same for ЖК РФ ст. 155 ч. 14.1: March's contribution of 500,00, −200,00 of it
    presented in May; 300,00 from 16.04 at 1/300 with no free days: 300 × 15 × 9,5 % / 300 =
    1,425 → 1,43; May 2,945 → 2,95; June 2,85; July and August 2,95 each; in all 13,13."""
    account, _ = world
    organization = account.organization
    contribution = ServiceFactory(organization=organization,
                                  method=CalculationMethod.CAPITAL_REPAIR)  # fmt: skip
    march = PeriodFactory(organization=organization, month=MARCH)
    ChargeFactory(account=account, service=contribution, period=march, charged=D("500.00"))
    recalculate(account, contribution, MAY, D("-200.00"))
    repair = penalty_statement(account, to=TO).capital_repair
    assert {line.debt for line in repair.lines} == {D("300.00")}
    assert [line.amount for line in repair.lines] == [
        D("1.43"), D("2.95"), D("2.85"), D("2.95"), D("2.95")
    ]  # fmt: skip
    assert repair.total == D("13.13")


@pytest.mark.parametrize("status", [PeriodStatus.CLOSED, PeriodStatus.OPEN])
def test_the_run_counts_the_reduced_debt(world, status):
    """The August run after −400,00 of March presented in July (closed), or in August itself
    (the document the run makes presents it): 600 × 31 × 9,5 % / 130 = 13,592… → 13,59 —
    not 1 000 × 31 × 9,5 % / 130 = 22,65."""
    account, upkeep = world
    organization = account.organization
    penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    for month in (4, 5, 6):
        PeriodFactory(organization=organization, month=day(month, 1))
    if status == PeriodStatus.CLOSED:
        recalculate(account, upkeep, day(7, 1), D("-400.00"))
        august = PeriodFactory(organization=organization, month=day(8, 1),
                               status=PeriodStatus.OPEN)  # fmt: skip
    else:
        PeriodFactory(organization=organization, month=day(7, 1))
        august = recalculate(account, upkeep, day(8, 1), D("-400.00"), status=status)
    run_billing(august)
    line = Charge.objects.get(account=account, period=august, service=penalty)
    assert line.charged == D("13.59")
    assert Penalty.objects.get(account=account, period=august).debt == D("600.00")


# The move of recalculations to the months they correct, as a property -----------------------

MONTHS = [datetime.date(2025, month, 1) for month in range(1, 13)]
recalculations = st.lists(
    st.tuples(st.integers(1, 11), st.integers(1, 11),
              st.decimals(D("-500.00"), D("500.00"), places=2).filter(bool)),
    max_size=8,
)  # fmt: skip


@given(recalculations=recalculations)
def test_moving_recalculations_keeps_the_total_and_raises_stay_positive(recalculations):
    """Whatever recalculations of earlier months the later months present, the account owes
    the same in all (own debts plus raises), and every raise left is positive."""
    rows = sorted(
        (1, MONTHS[max(a, b)], MONTHS[min(a, b) - 1], amount) for a, b, amount in recalculations
    )
    totals = {1: {month: D("1000.00") for month in MONTHS}}
    for _, presented, _, amount in rows:
        totals[1][presented] += amount  # the presenting month's line carries it
    before = sum(totals[1].values(), D(0))
    raises = recalculated_debts(totals, FakeRows(rows))
    after = sum(totals[1].values(), D(0)) + sum(
        (amount for raised in raises.values() for amount in raised.values()), D(0)
    )
    assert after == before
    assert all(amount > 0 for raised in raises.values() for amount in raised.values())
    assert all(presented > month for (_, month), raised in raises.items() for presented in raised)


class FakeRows(list):
    """Stands for the queryset ``recalculated_debts`` reads: its rows already in order."""

    def values_list(self, *fields):
        return self

    def order_by(self, *fields):
        return self
