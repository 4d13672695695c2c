"""The balances a closing stores (billing/balances.py) are the ledger's full-history figures,
though a closing starts from the previous one's charges to date: random months of charges,
recalculations, penalties, capital repair and payments — some recorded, changed or deleted
after their month was closed — compared with the sum over every line and payment."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.billing.balances import chain_start
from kabinet.billing.closing import close_period
from kabinet.billing.models import (
    PENALTY_METHODS,
    AccountBalance,
    CalculationMethod,
    Charge,
    ChargeBasis,
    Period,
    PeriodStatus,
)
from kabinet.money import ZERO, summed
from kabinet.months import add_months
from kabinet.payments.models import Payment
from tests.factories import (
    HouseFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
FIRST = datetime.date(2026, 3, 1)
MONTHS = 4
FIGURES = ["opening", "charged", "recalculation", "penalties", "paid", "closing"]


def full_history_balances(period) -> dict:
    """{account: (figures…, charges to date)} as closing summed them before it kept charges to
    date: every charge of the closed months before the period, every payment ever."""
    organization, month = period.organization, period.month
    charges = Charge.objects.filter(
        Q(period__status=PeriodStatus.CLOSED) | Q(period=period),
        period__organization=organization,
    )
    is_penalty = Q(service__method__in=PENALTY_METHODS)

    def sums(queryset, **named):
        named = {f"sum_{name}": expression for name, expression in named.items()}
        rows = queryset.values("account").annotate(**named).values_list("account", *named)
        return {account: [summed(value) for value in values] for account, *values in rows}

    before = sums(charges.filter(period__month__lt=month), total=Sum("total"))
    this_month = sums(
        charges.filter(period=period),
        charged=Sum("charged", filter=~is_penalty),
        recalculation=Sum("recalculation"),
        penalties=Sum("charged", filter=is_penalty),
    )
    payments = Payment.objects.filter(
        account__organization=organization, paid_on__lt=add_months(month, 1)
    )
    paid_before = sums(payments.filter(paid_on__lt=month), total=Sum("amount"))
    paid_now = sums(payments.filter(paid_on__gte=month), total=Sum("amount"))
    expected = {}
    for account in set(before) | set(this_month) | set(paid_before) | set(paid_now):
        history = before.get(account, [ZERO])[0]
        opening = history - paid_before.get(account, [ZERO])[0]
        charged, recalculation, penalties = this_month.get(account, [ZERO] * 3)
        paid = paid_now.get(account, [ZERO])[0]
        accrued = charged + recalculation + penalties
        expected[account] = (opening, charged, recalculation, penalties, paid,
                             opening + accrued - paid, history + accrued)  # fmt: skip
    return expected


def stored_balances(period) -> dict:
    rows = AccountBalance.objects.filter(period=period).values_list(
        "account", *FIGURES, "charged_to_date"
    )
    return {account: tuple(figures) for account, *figures in rows}


def charge(period, account, service, charged, recalculation=ZERO):
    return Charge.objects.create(
        period=period, account=account, service=service, tariff=0, volume=0,
        basis=ChargeBasis.IMPORT, charged=charged, recalculation=recalculation,
    )  # fmt: skip


def calculated(period):
    Period.objects.filter(pk=period.pk).update(calculated_at=timezone.now())
    period.refresh_from_db()
    return period


def make_world():
    house = HouseFactory()
    organization = house.organization
    services = {
        method: ServiceFactory(organization=organization, method=method)
        for method in (CalculationMethod.AREA, CalculationMethod.CAPITAL_REPAIR,
                       CalculationMethod.PENALTY)
    }  # fmt: skip
    return house, organization, services


@pytest.fixture
def world():
    return make_world()


amounts = st.decimals(D("0.00"), D("5000.00"), places=2)
line = st.tuples(
    st.sampled_from(
        [CalculationMethod.AREA, CalculationMethod.CAPITAL_REPAIR, CalculationMethod.PENALTY]
    ),
    amounts,
    st.none() | st.decimals(D("-900.00"), D("900.00"), places=2),  # a recalculation
)
payment = st.tuples(
    st.integers(-45, 40),  # the day it is dated, from the month's first
    st.decimals(D("0.01"), D("5000.00"), places=2),
    st.booleans(),  # to the capital repair payee
    st.booleans(),  # recorded after the month is closed (a late registry)
)
month_spec = st.tuples(
    st.integers(0, 2),  # accounts opened this month
    st.lists(st.tuples(st.integers(0, 9), line), max_size=8),  # lines of accounts, by index
    st.lists(st.tuples(st.integers(0, 9), payment), max_size=6),
    # after the closing: a recorded payment changed
    st.lists(
        st.tuples(st.integers(0, 99), st.sampled_from(["amount", "date", "delete"])), max_size=2
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(months=st.lists(month_spec, min_size=2, max_size=MONTHS), first_accounts=st.integers(1, 3))
def test_stored_balances_are_the_full_history_figures(months, first_accounts):
    house, organization, services = make_world()
    accounts = [PersonalAccountFactory(premise__house=house) for _ in range(first_accounts)]
    period = PeriodFactory(organization=organization, month=FIRST, status=PeriodStatus.OPEN)
    for opened, lines, payments, changes in months:
        month = period.month
        accounts += [PersonalAccountFactory(premise__house=house) for _ in range(opened)]
        written = set()
        for index, (method, charged, recalculation) in lines:
            account = accounts[index % len(accounts)]
            if (account, method) not in written:
                written.add((account, method))
                charge(period, account, services[method], charged, recalculation or ZERO)
        late = []
        for index, (day, amount, capital_repair, after) in payments:
            made = dict(account=accounts[index % len(accounts)], amount=amount,
                        paid_on=month + datetime.timedelta(days=day),
                        capital_repair=capital_repair)  # fmt: skip
            if after and day < 0:
                late.append(made)  # dated in a month closed already
            else:
                PaymentFactory(**made)
        period = calculated(period)
        following = close_period(period)
        assert stored_balances(period) == full_history_balances(period)
        for made in late:
            PaymentFactory(**made)
        recorded = list(Payment.objects.filter(account__organization=organization).order_by("pk"))
        for index, change in changes:
            if not recorded:
                break
            changed = recorded[index % len(recorded)]
            if change == "delete":
                changed.delete()
                recorded.remove(changed)
            elif change == "amount":
                changed.amount += D("10.00")
                changed.save()
            else:
                changed.paid_on -= datetime.timedelta(days=35)
                changed.save()
        period = following


def test_a_payment_recorded_after_its_month_closed_counts_in_the_next_opening(world):
    house, organization, services = world
    account = PersonalAccountFactory(premise__house=house)
    march = PeriodFactory(organization=organization, month=FIRST, status=PeriodStatus.OPEN)
    charge(march, account, services[CalculationMethod.AREA], D("1000.00"))
    april = close_period(calculated(march))
    PaymentFactory(account=account, amount=D("400.00"), paid_on=datetime.date(2026, 3, 31))
    charge(april, account, services[CalculationMethod.AREA], D("1000.00"))
    close_period(calculated(april))
    march_row = AccountBalance.objects.get(period=march)
    april_row = AccountBalance.objects.get(period=april)
    assert (march_row.closing, march_row.charged_to_date) == (D("1000.00"), D("1000.00"))
    assert april_row.opening == D("600.00")  # not March's stored closing: the payment is dated
    assert (april_row.closing, april_row.charged_to_date) == (D("1600.00"), D("2000.00"))


def test_an_account_with_history_but_no_previous_row_gets_the_full_sum(world):
    """History loaded into a closed month (``bulk_create``, the loading path) after its
    closing: the account has lines there and no stored row."""
    house, organization, services = world
    kept, loaded, opened = (PersonalAccountFactory(premise__house=house) for _ in range(3))
    march = PeriodFactory(organization=organization, month=FIRST, status=PeriodStatus.OPEN)
    charge(march, kept, services[CalculationMethod.AREA], D("100.00"))
    april = close_period(calculated(march))
    Charge.objects.bulk_create([
        Charge(period=march, account=loaded, service=services[CalculationMethod.AREA], tariff=0,
               volume=0, basis=ChargeBasis.IMPORT, charged=D("70.00"), total=D("70.00"))
    ])  # fmt: skip
    charge(april, opened, services[CalculationMethod.AREA], D("5.00"))
    close_period(calculated(april))
    assert chain_start(april) == march
    assert stored_balances(april) == full_history_balances(april)
    assert stored_balances(april)[loaded.pk][0] == D("70.00")
    assert stored_balances(april)[opened.pk][0] == ZERO


def test_the_chain_starts_only_from_a_previous_closing_that_kept_charges_to_date(world):
    house, organization, services = world
    account = PersonalAccountFactory(premise__house=house)
    march = PeriodFactory(organization=organization, month=FIRST, status=PeriodStatus.OPEN)
    charge(march, account, services[CalculationMethod.AREA], D("100.00"))
    assert chain_start(march) is None  # the first closing sums the lines
    april = close_period(calculated(march))
    assert chain_start(april) == march
    # rows stored before the figure was kept (the migration leaves it empty)
    AccountBalance._base_manager.filter(period=march).update(charged_to_date=None)
    assert chain_start(april) is None
    charge(april, account, services[CalculationMethod.AREA], D("10.00"))
    close_period(calculated(april))
    row = AccountBalance.objects.get(period=april)
    assert (row.opening, row.closing, row.charged_to_date) == (D("100.00"),) + (D("110.00"),) * 2


def test_a_month_closed_after_the_previous_one_breaks_the_chain(world):
    """February, opened and closed after March was: March's charges to date miss its lines."""
    house, organization, services = world
    account = PersonalAccountFactory(premise__house=house)
    march = PeriodFactory(organization=organization, month=FIRST, status=PeriodStatus.OPEN)
    charge(march, account, services[CalculationMethod.AREA], D("100.00"))
    april = close_period(calculated(march))
    february = PeriodFactory(organization=organization, month=add_months(FIRST, -1),
                             status=PeriodStatus.OPEN)  # fmt: skip
    charge(february, account, services[CalculationMethod.AREA], D("30.00"))
    close_period(calculated(february))
    assert chain_start(april) is None
    close_period(calculated(april))
    assert stored_balances(april) == full_history_balances(april)
    assert AccountBalance.objects.get(period=april).opening == D("130.00")
