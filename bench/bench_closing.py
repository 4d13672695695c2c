"""Closing a period alone at 100 000 accounts (issue 21 item 1: 1 000 000 under 60 s on
PostgreSQL, the process's peak memory under 1 GB whatever the size).
``BENCH_CLOSING_SIZES=1000000`` runs the sizes it lists, ``BENCH_CLOSING_MONTHS`` the months
closed one after another (3 by default: the cost of the first closings grew with the history).

The charges are loaded, not computed (``kabinet.bulk.insert_rows``; the billing run has its own
bench): each account has eight lines a month, one in ten a penalty line, one in twenty a
recalculation. Nine accounts in ten pay the month's total in the next month; one in fifty has
a payment dated in a month already closed, recorded after its closing (a bank's late registry).
Each closing prints its wall time, the CPU time of this process and of the database backend
(read from ``/proc``: PostgreSQL must run on this machine), the growth of the process's peak
memory during it, and a digest of the balances it stored (count and sums), which must not
change with the way they are computed.
"""

import datetime
import os
import time
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Sum
from django.test import override_settings
from django.utils import timezone

from bench.common import benchmark_organization, reset_peak, status_mb
from kabinet.billing.closing import close_period
from kabinet.billing.lines import CHARGE_FIELDS
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    Charge,
    ChargeBasis,
    Period,
    Service,
)
from kabinet.bulk import insert_rows
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.money import round_money
from kabinet.months import add_months
from kabinet.payments.models import Payment, PaymentSource

SIZES = [int(size) for size in os.environ.get("BENCH_CLOSING_SIZES", "100000").split(",")]
MONTHS = int(os.environ.get("BENCH_CLOSING_MONTHS", "3"))
FIRST = datetime.date(2026, 6, 1)
HOUSE_SIZE = 100
SERVICES = 8
# Closing enqueues the mass issue of payment documents: a worker's job (`bench receipts`).
QUEUE_ONLY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
PAYMENT_FIELDS = ["account", "paid_on", "amount", "source", "external_id", "period",
                  "payer_name", "commission", "created_at", "capital_repair"]  # fmt: skip


def _accounts(organization, size: int) -> list[int]:
    houses = House.objects.bulk_create(
        House(organization=organization, address=f"ул. Закрытия, д. {n + 1}")
        for n in range((size + HOUSE_SIZE - 1) // HOUSE_SIZE)
    )
    insert_rows(
        Premise,
        ["house", "number", "area", "ownership"],
        (
            (houses[i // HOUSE_SIZE].pk, str(i % HOUSE_SIZE + 1), Decimal("50.00"), "private")
            for i in range(size)
        ),
    )
    premises = Premise.objects.filter(house__organization=organization).order_by("pk")
    insert_rows(
        PersonalAccount,
        ["organization", "number", "holder_name", "premise", "share", "residents", "is_open"],
        (
            (organization.pk, f"{size}{index:07d}", "Иванов И. И.", premise, 1, 1, True)
            for index, premise in enumerate(list(premises.values_list("pk", flat=True)))
        ),
    )
    return list(
        PersonalAccount.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _amount(index: int, month: int, line: int) -> Decimal:
    """A charge between 1 and 3 000 ₽, different for each account, month and line."""
    return Decimal((index * 7919 + month * 104_729 + line * 1_299_709) % 299_900 + 100) / 100


def _charges(period, accounts: list[int], services: list[int], penalty: int, number: int):
    """The month's lines; returns {account: the month's total}."""
    totals = {}

    def lines():
        for index, account in enumerate(accounts):
            total = Decimal(0)
            for line, service in enumerate(services):
                charged = _amount(index, number, line)
                recalculated = line == 0 and index % 20 == 7
                recalculation = -round_money(charged / 2) if recalculated else Decimal(0)
                total += charged + recalculation
                yield (period.pk, account, service, Decimal(1), charged, ChargeBasis.IMPORT, 0,
                       charged, 0, recalculation, charged + recalculation)  # fmt: skip
            if index % 10 == 3:
                charged = round_money(_amount(index, number, 99) / 10)
                total += charged
                yield (period.pk, account, penalty, 0, 0, ChargeBasis.IMPORT, 0, charged, 0, 0,
                       charged)  # fmt: skip
            totals[account] = total

    insert_rows(Charge, CHARGE_FIELDS, lines())
    Period.objects.filter(pk=period.pk).update(calculated_at=timezone.now())
    return totals


def _payments(rows, tag: str) -> int:
    now = timezone.now()
    return insert_rows(
        Payment,
        PAYMENT_FIELDS,
        (
            (
                account,
                paid_on,
                amount,
                PaymentSource.BANK,
                f"{tag}-{account}",
                None,
                "",
                0,
                now,
                False,
            )
            for account, paid_on, amount in rows
        ),
    )


class Backend:
    """CPU seconds of the PostgreSQL backend serving this connection (none on SQLite)."""

    def __init__(self):
        self.pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]

    def cpu(self) -> float:
        if self.pid is None:
            return 0.0
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _digest(period) -> str:
    figures = AccountBalance.objects.filter(period=period).aggregate(
        n=Count("pk"),
        sum_opening=Sum("opening"),
        sum_paid=Sum("paid"),
        sum_closing=Sum("closing"),
        weighted=Sum(F("account_id") * F("closing")),
    )
    return (f"{figures['n']} rows, Σ opening {figures['sum_opening']}, Σ paid "
            f"{figures['sum_paid']}, Σ closing {figures['sum_closing']}, Σ account×closing "
            f"{figures['weighted']}")  # fmt: skip


def _run_size(size: int) -> None:
    started = time.perf_counter()
    organization = benchmark_organization(f"Закрытие {size}")
    services = [
        Service.objects.create(organization=organization, name=f"Услуга {n + 1}",
                               method=CalculationMethod.AREA, position=n).pk
        for n in range(SERVICES)
    ]  # fmt: skip
    penalty = Service.objects.create(
        organization=organization, name="Пени", method=CalculationMethod.PENALTY, position=99
    ).pk
    accounts = _accounts(organization, size)
    print(f"{size} accounts: {time.perf_counter() - started:.1f} s", flush=True)
    backend = Backend()
    period = Period.objects.create(organization=organization, month=FIRST)
    previous_totals = {}
    for number in range(MONTHS):
        month = period.month
        started = time.perf_counter()
        totals = _charges(period, accounts, services, penalty, number)
        if number:  # the previous month's bill, paid between the 10th and the 18th
            previous = add_months(month, -1)
            _payments(
                ((account, month.replace(day=10 + index % 9), previous_totals[account])
                 for index, account in enumerate(accounts) if index % 10 != 1),
                f"{previous:%Y%m}",
            )  # fmt: skip
        previous_totals = totals
        data = time.perf_counter() - started
        rss = reset_peak()
        wall, cpu, database = time.perf_counter(), time.process_time(), backend.cpu()
        with override_settings(TASKS=QUEUE_ONLY):
            following = close_period(period)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        database = backend.cpu() - database
        grown = status_mb("VmHWM") - rss
        print(f"  close {month:%m.%Y}: {wall:.2f} s ({wall / size * 100_000:.2f} s per 100 000 "
              f"accounts); CPU: this process {cpu:.2f} s, database {database:.2f} s; peak memory "
              f"+{grown:.0f} MB (process {status_mb('VmHWM'):.0f} MB); data {data:.1f} s",
              flush=True)  # fmt: skip
        print(f"    {_digest(period)}", flush=True)
        # A bank's registry recorded after the closing, with payments dated in the closed month.
        _payments(
            ((account, month.replace(day=28), Decimal("123.45"))
             for index, account in enumerate(accounts) if index % 50 == 5),
            f"late-{month:%Y%m}",
        )  # fmt: skip
        period = following


def run() -> None:
    for size in SIZES:
        _run_size(size)
