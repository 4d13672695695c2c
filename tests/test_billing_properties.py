"""Properties of the billing engine over random organisations: money is conserved month to
month (the stored balances, the ledger and the lines agree to the kopeck), a run repeated on
an open period changes nothing — in one process, or shared by the task workers in parts. The
common-house share's properties are in test_common_share.py."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.billing import billed, tasks
from kabinet.billing.closing import close_period
from kabinet.billing.jobs import queue_billing_run
from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    Charge,
    Penalty,
    PeriodStatus,
    Recalculation,
)
from kabinet.billing.run import run_billing
from kabinet.jobs.models import JobStatus
from kabinet.metering.models import Resource
from kabinet.months import add_months
from tests.factories import (
    HouseFactory,
    MeterFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
FIRST = datetime.date(2026, 3, 1)
MONTHS = 4

money = st.decimals(D("0.01"), D("9999.99"), places=2)
account_specs = st.lists(
    st.tuples(
        st.decimals(D("10.00"), D("150.00"), places=2),  # area
        st.integers(0, 5),  # residents
        st.booleans(),  # a water meter
        st.lists(  # payments: the day, the amount, the month named (an offset) or none
            st.tuples(st.integers(0, MONTHS * 30), money, st.none() | st.integers(-1, MONTHS)),
            max_size=4,
        ),
    ),
    min_size=1,
    max_size=4,
)
tariffs = st.tuples(
    st.decimals(D("0.01"), D("99.99"), places=2), st.decimals(D("0.01"), D("99.99"), places=2)
)


def build(accounts, tariff_pair, change_day, recalculation):
    house = HouseFactory()
    organization = house.organization
    # A second house without a house meter (its common share by the normative): the accounts
    # alternate between the two, so that a run in parts of one house each has two parts.
    houses = [house, HouseFactory(organization=organization)]
    organization.key_rates.create(valid_from=datetime.date(2025, 1, 1), rate=D("21"))
    upkeep = ServiceFactory(organization=organization, method=CalculationMethod.AREA)
    TariffFactory(service=upkeep, value=tariff_pair[0], valid_from=datetime.date(2025, 1, 1),
                  valid_to=FIRST + datetime.timedelta(days=change_day - 1))  # fmt: skip
    TariffFactory(service=upkeep, value=tariff_pair[1],
                  valid_from=FIRST + datetime.timedelta(days=change_day))  # fmt: skip
    water = ServiceFactory(organization=organization, method=CalculationMethod.METER,
                           resource=Resource.COLD_WATER, normative=D("4.5"))  # fmt: skip
    TariffFactory(service=water, value=D("48.50"), valid_from=datetime.date(2025, 1, 1))
    ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    house_meter = MeterFactory(account=None, house=house, resource=Resource.COLD_WATER, digits=7)
    for offset in range(-1, MONTHS):
        ReadingFactory(meter=house_meter, period=add_months(FIRST, offset),
                       value=D(1000 + 40 * (offset + 1)))  # fmt: skip
    made = []
    for index, (area, residents, metered, payments) in enumerate(accounts):
        account = PersonalAccountFactory(premise__house=houses[index % 2], premise__area=area,
                                         residents=residents)  # fmt: skip
        if metered:
            meter = MeterFactory(account=account)
            for offset in range(-1, MONTHS, 2):  # every other month: estimates in between
                ReadingFactory(meter=meter, period=add_months(FIRST, offset),
                               value=D(100 + 7 * (offset + 1)))  # fmt: skip
        for day, amount, named in payments:
            PaymentFactory(account=account, amount=amount,
                           paid_on=FIRST + datetime.timedelta(days=day),
                           period=None if named is None else add_months(FIRST, named))  # fmt: skip
        made.append(account)
    first_period = PeriodFactory(organization=organization, month=FIRST, status=PeriodStatus.OPEN)
    return organization, made, first_period, upkeep, recalculation


def snapshot(period):
    charges = Charge.objects.filter(period=period).order_by("account", "service")
    penalties = Penalty.objects.filter(period=period).order_by("account", "date_from", "debt_month")
    charge_fields = ["account", "service", "tariff", "volume", "common_volume", "charged"]
    penalty_fields = ["account", "debt_month", "date_from", "date_to", "amount"]
    return (
        list(charges.values_list(*charge_fields, "recalculation", "total")),
        list(penalties.values_list(*penalty_fields)),
    )


def run_by_workers(period):
    """The run as staff start it: a part per house, each a task (the test backend runs each at
    once), the lines written by the last."""
    with mock.patch.object(billed, "PART_ACCOUNTS", 1):
        job = queue_billing_run(period)
        tasks.run_billing_job.call(job.pk, period.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.problems


@pytest.mark.parametrize("run", [run_billing, run_by_workers], ids=["one process", "workers"])
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    accounts=account_specs,
    tariff_pair=tariffs,
    change_day=st.integers(1, 27),
    recalculation=st.decimals(D("-500.00"), D("500.00"), places=2),
)
def test_money_is_conserved_and_a_rerun_changes_nothing(
    run, accounts, tariff_pair, change_day, recalculation
):
    organization, made, period, upkeep, amount = build(
        accounts, tariff_pair, change_day, recalculation
    )
    for index in range(MONTHS):
        if index == 2 and amount:
            first_month = organization.periods.get(month=FIRST)
            Recalculation.objects.create(period=period, corrected_period=first_month,
                                         account=made[0], service=upkeep, amount=amount,
                                         reason="Проверка")  # fmt: skip
        run_billing(period)
        before = snapshot(period)
        run(period)
        assert snapshot(period) == before
        period = close_period(period)

    last_month = add_months(FIRST, MONTHS - 1)
    for account in made:
        stored = list(AccountBalance.objects.filter(account=account).order_by("period__month"))
        ledger = account_ledger(account, FIRST, last_month)
        assert len(stored) == MONTHS
        previous_closing = D("0.00")
        for balance, month in zip(stored, ledger.months, strict=True):
            assert balance.opening == previous_closing
            assert balance.closing == (
                balance.opening + balance.charged + balance.recalculation + balance.penalties
                - balance.paid
            )  # fmt: skip
            assert (balance.opening, balance.charged, balance.recalculation, balance.penalties,
                    balance.paid, balance.closing) == (
                month.opening, month.charged, month.recalculation, month.penalties, month.paid,
                month.closing,
            )  # fmt: skip
            lines = Charge.objects.filter(account=account, period=balance.period)
            assert sum((line.total for line in lines), D(0)) == (
                balance.charged + balance.recalculation + balance.penalties
            )
            previous_closing = balance.closing
