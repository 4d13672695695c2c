"""The staff's billing page at 100 000 accounts: the run summary (totals by service against the
previous month, anomalies) and the import of a period's charges from a CSV file.

Builds 100 000 accounts with 9 services, a closed month and an open one (900 000 lines each,
a few hundred of them anomalies), then times ``run_summary`` and the import of the open
month's 900 000 lines (checked row by row, then written in one transaction).
"""

import datetime
import random
import time
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from bench.common import benchmark_organization
from kabinet.billing.imports import import_charges, read_import
from kabinet.billing.lines import CHARGE_FIELDS
from kabinet.billing.models import Charge, ChargeBasis, Period, PeriodStatus, Service
from kabinet.billing.summary import run_summary
from kabinet.bulk import insert_rows
from kabinet.housing.models import House, PersonalAccount, Premise

ACCOUNTS = 100_000
SERVICES = 9


def _organization():
    organization = benchmark_organization()
    house = House.objects.create(organization=organization, address="ул. Бенчмарка, д. 1")
    premises = Premise.objects.bulk_create(
        (
            Premise(house=house, number=str(n), area=Decimal("50.00"), ownership="private")
            for n in range(1, ACCOUNTS + 1)
        ),
        batch_size=5000,
    )
    PersonalAccount.objects.bulk_create(
        (
            PersonalAccount(
                organization=organization,
                number=f"{3_000_000 + n}",
                holder_name="Иванов И. И.",
                premise=premise,
            )
            for n, premise in enumerate(premises)
        ),
        batch_size=5000,
    )
    services = Service.objects.bulk_create(
        Service(organization=organization, name=f"Услуга {n}", method="area", position=n)
        for n in range(SERVICES)
    )
    return organization, services


def _lines(period, accounts, services, rng, scale=Decimal(1)):
    for account in accounts:
        for service in services:
            charged = (Decimal(rng.randrange(10_000, 200_000)) / 100 * scale).quantize(
                Decimal("0.01")
            )
            yield (period.pk, account, service.pk, Decimal("20"), Decimal("50"),
                   ChargeBasis.AREA, 0, charged, 0, 0, charged)  # fmt: skip


def run() -> None:
    organization, services = _organization()
    accounts = list(
        PersonalAccount.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    month = datetime.date(2026, 10, 1)
    previous = Period.objects.create(
        organization=organization, month=month, status=PeriodStatus.CLOSED
    )
    period = Period.objects.create(
        organization=organization,
        month=datetime.date(2026, 11, 1),
        calculated_at=timezone.now(),
    )
    rng = random.Random(1)
    insert_rows(Charge, CHARGE_FIELDS, _lines(previous, accounts, services, rng))
    # This month: 100 accounts not charged, 300 charged tenfold.
    insert_rows(Charge, CHARGE_FIELDS, _lines(period, accounts[100:-300], services, rng))
    insert_rows(Charge, CHARGE_FIELDS, _lines(period, accounts[-300:], services, rng, Decimal(10)))

    if connection.vendor == "postgresql":  # the planner's statistics, as autovacuum would gather
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    started = time.perf_counter()
    summary = run_summary(period)
    elapsed = time.perf_counter() - started
    print(f"run_summary, {ACCOUNTS} accounts × {SERVICES} services, two months: {elapsed:.2f} s")
    print(f"  accounts charged {summary.accounts}, anomalies {summary.anomaly_counts}")

    numbers = dict(PersonalAccount.objects.values_list("pk", "number"))
    names = {service.pk: service.name for service in services}
    rows = ["ЛС;Услуга;Тариф;Объём;Начислено"]
    for _, account, service, tariff, volume, _, _, charged, *_ in _lines(
        period, accounts, services, rng
    ):
        rows.append(f"{numbers[account]};{names[service]};{tariff};{volume};{charged}")
    data = "\n".join(rows).encode()
    started = time.perf_counter()
    table = read_import(data)
    result = import_charges(table, period)
    elapsed = time.perf_counter() - started
    print(
        f"import_charges, {len(table)} lines ({len(data) / 1e6:.0f} MB of CSV): {elapsed:.2f} s, "
        f"errors {len(result.errors)}"
    )
