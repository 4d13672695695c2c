"""What the billing run writes is what it computed, column by column, and the penalty law's
memory of its answers changes no penalty: the guards of the run's speed-ups (the run's own
COPY lines on PostgreSQL, ``PenaltyLaw``'s memo) where the figures' tests would not notice
a value lost or moved between columns."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    CommonNeedsNormative,
    Penalty,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.billing.penalty_calculation import Debt, penalty_lines
from kabinet.billing.penalty_rules import PenaltyLaw, RateCap
from kabinet.billing.run import calculate, run_billing
from kabinet.metering.models import Resource
from tests.factories import (
    ChargeFactory,
    HouseFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
)

D = Decimal
OCTOBER = datetime.date(2026, 10, 1)
COLUMNS = [
    "tariff", "volume", "basis", "common_volume", "charged", "common_charged", "recalculation",
    "total", "coefficient", "coefficient_charged", "tariff_spans",
]  # fmt: skip


def expected(line) -> tuple:
    spans = [
        {"tariff": str(part.tariff), "from": str(part.first), "to": str(part.last),
         "days": part.days, "volume": str(part.volume), "amount": str(part.amount)}
        for part in line.split
    ] or None  # fmt: skip
    return (
        line.tariff, line.volume, line.basis, line.common_volume, line.charged,
        line.common_charged, line.recalculation, line.total, line.coefficient,
        line.coefficient_charged, spans,
    )  # fmt: skip


@pytest.mark.django_db
def test_every_column_of_every_line_is_stored_as_computed():
    house = HouseFactory(common_property_area=D("80.00"), common_by_meter=False)
    organization = house.organization
    CommonNeedsNormative.objects.create(  # ОДН by the normative: 80 m² × 0,033 m³ by area
        organization=organization, resource=Resource.COLD_WATER, value=D("0.033"),
        valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip
    accounts = [
        PersonalAccountFactory(premise__house=house, premise__area=D(area), residents=people)
        for area, people in (("50.00", 2), ("37.45", 1), ("61.30", 3))
    ]
    upkeep = ServiceFactory(organization=organization, method=CalculationMethod.AREA)
    TariffFactory(service=upkeep, value=D("20.15"), valid_from=datetime.date(2026, 1, 1),
                  valid_to=datetime.date(2026, 10, 15))  # fmt: skip
    TariffFactory(service=upkeep, value=D("23.40"), valid_from=datetime.date(2026, 10, 16))
    water = ServiceFactory(organization=organization, method=CalculationMethod.METER,
                           resource=Resource.COLD_WATER, normative=D("4.5"))  # fmt: skip
    sewage = ServiceFactory(organization=organization, method=CalculationMethod.WASTEWATER)
    fixed = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    for made, value in ((water, "51.20"), (sewage, "41.90"), (fixed, "120.00")):
        TariffFactory(service=made, value=D(value), valid_from=datetime.date(2026, 1, 1))
    penalty = ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    august = PeriodFactory(organization=organization, month=datetime.date(2026, 8, 1))
    ChargeFactory(account=accounts[0], service=fixed, period=august, charged=D("9000.00"))
    october = PeriodFactory(organization=organization, month=OCTOBER, status=PeriodStatus.OPEN)
    Recalculation.objects.create(
        period=october, account=accounts[1], service=upkeep, corrected_period=august,
        amount=D("-12.34"), reason="Перерасчёт", kind=RecalculationKind.OTHER,
    )  # fmt: skip
    run_billing(october)
    computed = calculate(october).lines
    stored = {
        (account, service): rest
        for account, service, *rest in Charge.objects.filter(period=october).values_list(
            "account", "service", *COLUMNS
        )
    }
    assert stored == {key: list(expected(line)) for key, line in computed.items()}
    # the world covers what the writer formats: a split tariff, a coefficient, ОДН, a
    # recalculation, a penalty line and its days
    assert any(line.split for line in computed.values())
    assert any(line.common_volume and line.common_charged for line in computed.values())
    assert any(line.coefficient for line in computed.values())
    assert computed[accounts[1].pk, upkeep.pk].recalculation == D("-12.34")
    assert computed[accounts[0].pk, penalty.pk].charged > 0
    assert Penalty.objects.filter(period=october, account=accounts[0]).exists()


def fresh_law() -> PenaltyLaw:
    return PenaltyLaw(
        key_rates=((datetime.date(2025, 1, 1), D("21")), (datetime.date(2026, 9, 20), D("16.5"))),
        caps=(RateCap(datetime.date(2026, 10, 10), None, D("9.5")),),
    )


SHARED = fresh_law()  # one law for every example, as the run shares one for every account

months = st.sampled_from([datetime.date(2026, month, 1) for month in range(1, 10)])
debts = st.lists(
    st.builds(
        lambda month, amount: Debt(month, datetime.date(2026, month.month + 1, 15), amount),
        months,
        st.decimals("0.01", "50000", places=2),
    ),
    max_size=4,
    unique_by=lambda debt: debt.month,
)
payments = st.lists(
    st.tuples(
        st.dates(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)),
        st.decimals("0.01", "30000", places=2),
    ),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(debts, st.decimals("0", "20000", places=2), payments)
def test_a_law_shared_by_many_accounts_answers_as_a_fresh_one(owed, paid_before, paid):
    first, last = OCTOBER, datetime.date(2026, 10, 31)
    shared = penalty_lines(owed, paid_before, paid, first, last, SHARED)
    assert shared == penalty_lines(owed, paid_before, paid, first, last, fresh_law())


@pytest.mark.django_db
def test_payments_recorded_in_the_month_reach_the_written_penalty():
    """A guard of the run's shared law across accounts: the same debt, paid on different days
    by two accounts, gives each its own days."""
    account = PersonalAccountFactory()
    organization = account.organization
    other = PersonalAccountFactory(organization=organization)
    ServiceFactory(organization=organization, method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    august = PeriodFactory(organization=organization, month=datetime.date(2026, 8, 1))
    for debtor in (account, other):
        ChargeFactory(account=debtor, service=base, period=august, charged=D("10000"))
    PaymentFactory(account=other, paid_on=datetime.date(2026, 10, 20), amount=D("10000"))
    october = PeriodFactory(organization=organization, month=OCTOBER, status=PeriodStatus.OPEN)
    run_billing(october)
    days = {
        debtor: list(Penalty.objects.filter(period=october, account=debtor)
                     .values_list("date_from", "date_to"))
        for debtor in (account, other)
    }  # fmt: skip
    assert days == {
        account: [(datetime.date(2026, 10, 16), datetime.date(2026, 10, 31))],
        other: [(datetime.date(2026, 10, 16), datetime.date(2026, 10, 20))],
    }


@pytest.mark.django_db
def test_the_lines_table_keeps_only_the_indexes_its_lookups_need():
    # Each index costs every line of every run its upkeep (bench/README.md «what each index of
    # a line costs»): the primary key and (account, service, period), the account first (billing
    # 0031). On PostgreSQL the primary key has the period too: the table is partitioned by it
    # (billing 0030). SQLite keeps all periods in one table and (period, account) besides, made
    # by billing 0031 outside the model's Meta: a later migration that rebuilt the table from the
    # model would drop it, and this fails then.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Charge._meta.db_table)
    indexed = sorted(
        tuple(found["columns"])
        for found in constraints.values()
        if found["index"] or found["unique"] or found["primary_key"]
    )
    if connection.vendor == "postgresql":
        assert indexed == [("account_id", "service_id", "period_id"), ("id", "period_id")]
    else:
        assert indexed == [
            ("account_id", "service_id", "period_id"), ("id",), ("period_id", "account_id"),
        ]  # fmt: skip


@pytest.mark.django_db
def test_the_lines_json_columns_are_stored_as_written_where_the_database_can():
    # billing 0033: PostgreSQL keeps ``inputs`` and ``tariff_spans`` as ``json`` (checked, not
    # parsed into ``jsonb``: a third of a part's COPY); SQLite has JSON as text anyway.
    with connection.cursor() as cursor:
        columns = {
            column.name: column.type_code
            for column in connection.introspection.get_table_description(
                cursor, Charge._meta.db_table
            )
        }
    if connection.vendor == "postgresql":
        assert columns["inputs"] == columns["tariff_spans"] == 114  # pg_type: json
    else:
        assert Charge._meta.get_field("inputs").db_type(connection) == "text"
