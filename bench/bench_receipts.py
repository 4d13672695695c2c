"""Mass receipts: payment documents (data from the database + PDF with the QR code) per second on
one core, and memory that stays flat whether 100 or 1000 receipts are made in a row (the
process's RSS and the count of live Python objects after 100 and after 1000).

Goal: at least 30 receipts/s. Run: ``make bench BENCH=receipts`` (PostgreSQL:
``DATABASE_URL=postgres://… make bench BENCH=receipts``)."""

import datetime
import gc
import os
import random
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection

from kabinet.billing.models import CalculationMethod, Charge, Period, PeriodStatus, Service
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.money import round_money
from kabinet.orgs.models import Organization
from kabinet.payments.models import Payment, PaymentSource
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import payee_of, receipt_data

ACCOUNTS = 1000
OCT, SEP = datetime.date(2026, 10, 1), datetime.date(2026, 9, 1)
SERVICES = [  # name, unit, method, tariff, common-house share of the volume
    ("Ремонт жилья", "кв м", CalculationMethod.AREA, "13.10", 0),
    ("Содержание жилья", "кв м", CalculationMethod.AREA, "19.30", 0),
    ("Холодное водоснабжение", "куб м", CalculationMethod.METER, "51.20", "0.08"),
    ("Горячее водоснабжение", "куб м", CalculationMethod.METER, "257.60", "0.05"),
    ("Водоотведение", "куб м", CalculationMethod.WASTEWATER, "41.90", 0),
    ("Электроснабжение", "кВтч", CalculationMethod.METER, "6.84", "0.1"),
    ("Отопление", "Гкал", CalculationMethod.AREA_NORMATIVE, "3098.00", 0),
    ("Пени", "", CalculationMethod.PENALTY, "0", 0),
]


def build() -> Period:
    """One house of ``ACCOUNTS`` flats: September and October closed, water meters read."""
    organization = Organization.objects.create(
        name='ОАО "Камал"', inn="1659001230", kpp="165901001", ogrn="1021600012345",
        address="420021, г. Казань, ул. Гражданская, д. 10", phone="+7 (843) 231-54-00",
        email="info@kamal-uk.ru", bank_name="Отделение «Банк Татарстан» № 8610 ПАО Сбербанк",
        bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810462000012345",
    )  # fmt: skip
    house = House.objects.create(organization=organization, address="ул. Гражданская, д. 12")
    services = []
    for position, (name, unit, method, _, _) in enumerate(SERVICES):
        services.append(
            Service.objects.create(
                organization=organization, name=name, unit=unit, method=method, position=position
            )
        )
    periods = [
        Period.objects.create(organization=organization, month=month, status=PeriodStatus.CLOSED)
        for month in (SEP, OCT)
    ]
    rng = random.Random(42)
    Premise.objects.bulk_create(
        Premise(house=house, number=str(n), area=rng.randrange(3000, 9000) / Decimal(100))
        for n in range(1, ACCOUNTS + 1)
    )
    PersonalAccount.objects.bulk_create(
        PersonalAccount(
            organization=organization,
            premise=premise,
            number=f"10{int(premise.number):05}",
            holder_name="Муравьев Сергей Иванович",
            residents=rng.randint(1, 5),
        )
        for premise in Premise.objects.filter(house=house)
    )
    charges, payments, meters = [], [], []
    for account in PersonalAccount.objects.filter(organization=organization):
        for period in periods:
            charges += _charges(rng, account, period, services)
        payments.append(
            Payment(
                account=account,
                paid_on=datetime.date(2026, 10, 10),
                amount=rng.randrange(100000, 900000) / Decimal(100),
                source=PaymentSource.BANK,
            )
        )
        for index, resource in enumerate((Resource.COLD_WATER, Resource.HOT_WATER)):
            meters.append(
                Meter(
                    account=account,
                    resource=resource,
                    serial_number=f"{account.number}-{index}",
                    verification_due=datetime.date(2030, 1, 1),
                )
            )
    Charge.objects.bulk_create(charges, batch_size=2000)
    Payment.objects.bulk_create(payments, batch_size=2000)
    Meter.objects.bulk_create(meters, batch_size=2000)
    Reading.objects.bulk_create(
        (
            Reading(meter=meter, value=Decimal(value), period=month, taken_on=month,
                    source=ReadingSource.RESIDENT)
            for meter in Meter.objects.filter(account__organization=organization)
            for month, value in ((SEP, "120.500"), (OCT, "125.273"))
        ),
        batch_size=2000,
    )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh tables: let the planner see their sizes
    return periods[1]


def _charges(rng, account, period, services):
    """A month's lines of one account: every service, ОДН where it has a share, sometimes
    penalties."""
    lines = []
    for service, (_, _, method, tariff, share) in zip(services, SERVICES, strict=True):
        if method == CalculationMethod.PENALTY:
            if rng.random() < 0.2:
                amount = rng.randrange(100, 5000) / Decimal(100)
                lines.append(Charge(period=period, account=account, service=service, tariff=0,
                                    volume=0, charged=amount, total=amount))  # fmt: skip
            continue
        volume = rng.randrange(100, 20000) / Decimal(1000)
        common = (volume * Decimal(share)).quantize(Decimal("0.001"))
        common_charged = round_money(common * Decimal(tariff))
        charged = round_money(volume * Decimal(tariff)) + common_charged
        lines.append(
            Charge(
                period=period,
                account=account,
                service=service,
                tariff=Decimal(tariff),
                volume=volume,
                common_volume=common,
                charged=charged,
                common_charged=common_charged,
                total=charged,
            )
        )
    return lines


def make_receipts(period: Period, count: int, every: int = 0, on_batch=None) -> int:
    """What a mass run does per account: gather the receipt, draw the PDF; returns bytes made.
    ``on_batch(made)`` is called after every ``every`` receipts."""
    payee, shared = payee_of(period.organization), {}
    accounts = (
        PersonalAccount.objects.filter(organization=period.organization_id)
        .select_related("organization", "premise__house")
        .order_by("number")[:count]
    )
    size = 0
    for made, account in enumerate(accounts.iterator(chunk_size=200), start=1):
        size += len(receipt_pdf(receipt_data(account, period, payee, shared)))
        if every and made % every == 0:
            on_batch(made)
    return size


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run() -> None:
    settings.DEBUG = False  # as in production: in DEBUG every query is also kept in a log
    started = time.perf_counter()
    period = build()
    print(f"data: {ACCOUNTS} accounts, 2 closed months ({time.perf_counter() - started:.1f} s)")
    make_receipts(period, 20)  # warm-up: fonts registered, code paths loaded

    batch, batch_cpu, memory = 100, [], {}
    last_cpu = time.process_time()

    def on_batch(made):
        nonlocal last_cpu
        batch_cpu.append(time.process_time() - last_cpu)
        if made in (batch, ACCOUNTS):
            gc.collect()
            memory[made] = (rss_mib(), len(gc.get_objects()))
        last_cpu = time.process_time()

    wall, cpu = time.perf_counter(), time.process_time()
    size = make_receipts(period, ACCOUNTS, every=batch, on_batch=on_batch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"load average: {os.getloadavg()[0]:.1f} (the machine's 2 cores are shared)")
    print(
        f"{ACCOUNTS} receipts in {wall:.1f} s: {ACCOUNTS / wall:.1f} receipts/s by the clock, "
        f"{ACCOUNTS / cpu:.1f}/s by this process's CPU time on its one core; "
        f"best batch of {batch}: {batch / min(batch_cpu):.1f}/s (goal ≥ 30/s); "
        f"{size / ACCOUNTS / 1024:.0f} KiB per PDF"
    )
    for made, (rss, objects) in memory.items():
        print(f"after {made:>4} receipts: process RSS {rss:.0f} MiB, {objects} live Python objects")
