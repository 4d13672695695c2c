"""Readings at the scale of a large УК: 5 000 apartments with three meters each and a year of
readings. Prints how long the staff's month list, its export, a whole month's import (and the
same file again) and residents' submissions take, and how many queries a resident's page makes.

    make bench BENCH=readings                      # SQLite
    DATABASE_URL=postgres://… make bench BENCH=readings
    BENCH_READINGS_ROWS=200000 DATABASE_URL=postgres://… .venv/bin/python -m bench readings

``BENCH_READINGS_ROWS`` (default: one row per meter, 15 000) sizes the import file: past the
meters' count it holds several months of every meter, the latest first (issue 21 item 5: a
million rows under 60 s, memory flat). The import prints its wall time, this process's CPU time
(and the database server's, when it is PostgreSQL on this machine), the load average and the
growth of the process's peak memory from before the file is read.
"""

import datetime
import io
import logging
import math
import os
import time
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from bench.common import reset_peak, server_cpu, status_mb
from kabinet.housing.models import House, OwnershipType, PersonalAccount, Premise
from kabinet.metering import exports, services
from kabinet.metering.imports import import_readings_file
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.metering.selectors import active_meters, meter_cards, organization_readings
from kabinet.months import add_months
from kabinet.orgs.models import Organization
from kabinet.users.models import User

ACCOUNTS = 5000
RESOURCES = [Resource.COLD_WATER, Resource.HOT_WATER, Resource.ELECTRICITY]
MONTHS = 12
TODAY = datetime.date(2026, 11, 20)
CURRENT = TODAY.replace(day=1)
SUBMISSIONS = 200
ROWS = int(os.environ.get("BENCH_READINGS_ROWS", ACCOUNTS * len(RESOURCES)))
IN_MEMORY_MAIL = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def timed(label, call, unit_count=None, unit="") -> object:
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    per_unit = f" ({elapsed / unit_count * 1000:.1f} ms per {unit})" if unit_count else ""
    print(f"{label}: {elapsed:.2f} s{per_unit}", flush=True)
    return result


def _import_file(meters: list[tuple[str, str]]) -> bytes:
    """``ROWS`` rows: every meter's reading of the current month, then of the month before, and
    so on; each above the stored readings of the months before the file's first and rising
    month by month, so all of them pass the checks."""
    lines = ["ЛС;Заводской номер;Показание;Дата"]
    for back in range(math.ceil(ROWS / len(meters))):
        month = add_months(CURRENT, -back)
        value = Decimal(1000 + 4 * (MONTHS - back)) + 1
        taken_on = f"{month.replace(day=20):%d.%m.%Y}"
        lines.extend(f"{number};{serial};{value};{taken_on}" for number, serial in meters)
    return "\n".join(lines[: ROWS + 1]).encode()


def timed_import(label, data: bytes, organization):
    """The import of ``data`` as the task runs it (``import_readings_file`` on the file: on
    PostgreSQL streamed), with its wall and CPU time, the load average and the growth of the
    peak memory."""
    load = os.getloadavg()[0]
    rss_before = reset_peak()
    server = server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    result = import_readings_file(io.BytesIO(data), organization, today=TODAY)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    growth = status_mb("VmHWM") - rss_before
    server = f", server CPU {server_cpu() - server:.2f} s" if server is not None else ""
    print(f"{label}: {elapsed:.2f} s ({ROWS / elapsed:,.0f} rows/s), CPU "
          f"{cpu:.2f} s{server}, load average {load:.1f}, peak memory +{growth:.0f} MB "
          f"(the file: {len(data) / 2**20:.0f} MB)", flush=True)  # fmt: skip
    return result


def build() -> Organization:
    organization = Organization.objects.create(
        name="УК Большая", inn="1659001230", ogrn="1021600012345", address="г. Казань",
        bank_name="Банк", bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810462000012345", readings_from_day=1, readings_to_day=31,
    )  # fmt: skip
    houses = House.objects.bulk_create(
        House(organization=organization, address=f"ул. Длинная, д. {n}") for n in range(50)
    )
    premises = Premise.objects.bulk_create(
        Premise(house=houses[n % 50], number=str(n), area=Decimal("50"),
                ownership=OwnershipType.PRIVATE)
        for n in range(ACCOUNTS)
    )  # fmt: skip
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(organization=organization, number=str(3_000_000 + n), holder_name="Ж",
                        premise=premise)
        for n, premise in enumerate(premises)
    )  # fmt: skip
    meters = Meter.objects.bulk_create(
        Meter(account=account, resource=resource, serial_number=f"{account.number}-{index}",
              verification_due=datetime.date(2030, 1, 1))
        for account in accounts
        for index, resource in enumerate(RESOURCES)
    )  # fmt: skip
    months = [add_months(CURRENT, offset) for offset in range(-MONTHS, 0)]
    Reading.objects.bulk_create(
        (
            Reading(meter=meter, period=month, value=Decimal(100 + 4 * index),
                    taken_on=month.replace(day=20), source=ReadingSource.RESIDENT)
            for meter in meters
            for index, month in enumerate(months)
        ),
        batch_size=5000,
    )  # fmt: skip
    return organization


def run():
    logging.getLogger("django.tasks").setLevel(logging.WARNING)  # one line per e-mail otherwise
    organization = timed(
        f"Data: {ACCOUNTS} accounts, {ACCOUNTS * len(RESOURCES)} meters, {MONTHS} months", build
    )
    organizations = Organization.objects.filter(pk=organization.pk)

    month = organization_readings(organizations, CURRENT)
    timed("Staff list: count and first page of 100", lambda: (month.count(), list(month[:100])))
    missing = organization_readings(organizations, CURRENT, missing=True)
    timed("Staff list, missing only", lambda: (missing.count(), list(missing[:100])))
    rows = timed("Export rows of the month", lambda: list(exports.readings_rows(month, CURRENT)))
    timed("Export as CSV", lambda: exports.as_csv(rows))
    timed("Export as XLSX", lambda: exports.as_xlsx(rows))

    meters = list(
        Meter.objects.filter(account__organization=organization)
        .values_list("account__number", "serial_number")
        .order_by("pk")
    )
    data = _import_file(meters)
    imported = timed_import(
        f"Import of {ROWS} rows (read, check all, write all)", data, organization
    )
    assert not imported.errors, imported.errors[:3]
    assert imported.created + imported.changed == ROWS, imported.summary()
    again = timed_import("The same file again (changes nothing)", data, organization)
    assert again.unchanged == ROWS, again.summary()

    Reading.objects.filter(period=CURRENT).delete()
    resident = User.objects.create_user("bench", "bench@example.com", "x")
    accounts = list(PersonalAccount.objects.filter(organization=organization)[:SUBMISSIONS])
    # October's reading is the history's or the file's: each submission is 6 above it
    october = dict(
        Reading.objects.filter(period=add_months(CURRENT, -1)).values_list("meter", "value")
    )

    def submit_all():
        for account in accounts:
            values = {meter: october[meter.pk] + 6 for meter in active_meters(account)}
            services.submit_resident_readings(account, values, resident, today=TODAY)

    with override_settings(MAILERS=IN_MEMORY_MAIL):
        timed(f"{SUBMISSIONS} residents submit three meters each", submit_all, SUBMISSIONS,
              "submission")  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        meter_cards(active_meters(accounts[0]), TODAY)
    print(f"Resident's meters page data: {len(queries)} queries")
