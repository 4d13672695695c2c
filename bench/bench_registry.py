"""Importing a bank registry of 100 000 payments (goal: under 10 s on PostgreSQL;
BENCH_REGISTRY_ROWS=1000000 for the million rows of issue 21 item 5: under 60 s, memory flat).

Builds 10 000 personal accounts, writes a Sberbank-style registry (CP1251, full lines and the
summary line), then times its upload and import as staff run it: every row checked, the
payments created, the totals by day recorded. A second, overlapping registry (half of it already
credited) shows the cost of recognising payments credited before.
"""

import datetime
import os
import random
import tempfile
import time
from decimal import Decimal

from django.test import override_settings

from bench.common import benchmark_organization, reset_peak, server_cpu, status_mb
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.orgs.models import Organization
from kabinet.payments.models import Payment
from kabinet.payments.registry.formats import parse_registry
from kabinet.payments.registry.uploads import upload_registry

ACCOUNTS = 10_000
PAYMENTS = int(os.environ.get("BENCH_REGISTRY_ROWS", 100_000))


def _organization_with_accounts() -> tuple[Organization, list[str]]:
    organization = benchmark_organization()
    house = House.objects.create(organization=organization, address="ул. Бенчмарка, д. 1")
    premises = Premise.objects.bulk_create(
        Premise(house=house, number=str(n), area=Decimal("50.00"), ownership="private")
        for n in range(1, ACCOUNTS + 1)
    )
    numbers = [f"{2_000_000 + n}" for n in range(ACCOUNTS)]
    PersonalAccount.objects.bulk_create(
        PersonalAccount(
            organization=organization, number=number, holder_name="Иванов И. И.", premise=premise
        )
        for number, premise in zip(numbers, premises, strict=True)
    )
    return organization, numbers


def _registry_lines(numbers: list[str], first_operation: int, count: int) -> list[str]:
    rng = random.Random(first_operation)
    start = datetime.date(2026, 10, 1)
    lines = []
    for operation in range(first_operation, first_operation + count):
        day = start + datetime.timedelta(days=rng.randrange(50))
        amount = Decimal(rng.randrange(10_000, 1_500_000)) / 100
        commission = (amount / 100).quantize(Decimal("0.01"))
        lines.append(
            f"{day:%d-%m-%Y};{rng.randrange(8, 20):02d}-{rng.randrange(60):02d}-00;8610;"
            f"8610/{rng.randrange(1, 400):04d};{operation};{rng.choice(numbers)};"
            f"ИВАНОВ ИВАН ИВАНОВИЧ;Г КАЗАНЬ, УЛ БЕНЧМАРКА, Д 1;{day:%m%Y};{amount};"
            f"{amount - commission};{commission}"
        )
    return lines


def _file(lines: list[str]) -> bytes:
    total = sum(Decimal(line.split(";")[9]) for line in lines)
    return ("\r\n".join([*lines, f"={len(lines)};{total}"]) + "\r\n").encode("cp1251")


def _timed_import(organization, name: str, data: bytes):
    """The import as staff run it: (registry, wall seconds, CPU seconds of this process, a text
    of the database server's CPU seconds and the load average)."""
    load, server = os.getloadavg()[0], server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    # Outside a transaction the upload's on_commit runs the import task at once (in-process).
    registry = upload_registry(organization, name, data, None)
    registry.refresh_from_db()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = f"server CPU {server_cpu() - server:.2f} s, " if server is not None else ""
    return registry, seconds, cpu, f"{server}load average {load:.1f}"


def run() -> None:
    organization, numbers = _organization_with_accounts()
    lines = _registry_lines(numbers, 1, PAYMENTS)
    data = _file(lines)
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        rss_before = reset_peak()
        registry, seconds, cpu, server = _timed_import(organization, "reestr-1.txt", data)
        rss_growth = status_mb("VmHWM") - rss_before
        started = time.perf_counter()
        parsed = parse_registry(data)
        parse_seconds = time.perf_counter() - started
        print(f"registry of {len(lines)} payments, {len(data) / 2**20:.1f} MB, CP1251")
        print(f"  reading and checking the file alone: {parse_seconds:.2f} s "
              f"({len(parsed.rows)} rows)")  # fmt: skip
        print(f"  import (upload → credited): {seconds:.2f} s, {len(lines) / seconds:,.0f} rows/s; "
              f"{registry.get_status_display()}, credited {registry.rows_credited}")  # fmt: skip
        print(f"  CPU time of this process: {cpu:.2f} s; {server}")
        print(
            f"  the process's peak memory grew by {rss_growth:.0f} MB during the import "
            f"(the file itself is {len(data) / 2**20:.0f} MB: the upload holds it)"
        )

        overlapping = lines[PAYMENTS // 2 :] + _registry_lines(numbers, PAYMENTS + 1, PAYMENTS // 2)
        registry, seconds, cpu, server = _timed_import(
            organization, "reestr-2.txt", _file(overlapping)
        )
        print(f"overlapping registry of {len(overlapping)} payments, half credited before: "
              f"{seconds:.2f} s (CPU {cpu:.2f} s; {server}); credited {registry.rows_credited}, "
              f"recognised as credited before {registry.rows_duplicate}")  # fmt: skip
    print(f"payments in the database: {Payment.objects.count()}")
