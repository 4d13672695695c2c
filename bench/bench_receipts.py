"""The mass issue of payment documents (issue 21 item 2: ≥ 150 documents per second per core,
memory flat over the run), on one house of ``BENCH_RECEIPTS_ACCOUNTS`` flats (1000 by default)
with a closed month:

- drawing: ``receipts.pdf.receipt_pdf`` over data gathered beforehand, by this process's CPU
  time (one core) — the part that drawing the fixed parts once speeds up;
- gathering: ``receipts.selectors.receipt_data`` alone, a batch read at a time as the issue
  reads it (``receipt_batch``);
- the issue as the task does it (``receipts.issuing.issue_period_documents``): data, drawing,
  the file through the storage API (a temporary MEDIA_ROOT), the row — per core by this
  process's CPU time (the database server's own CPU is not in it) and by the clock, less the
  time of the bench's own memory count after each batch (printed);
- memory: the process's peak RSS over the issue (``VmHWM``, reset before it), its RSS after
  the first batch of documents and after the last, and the live Python objects.

Run: ``make bench BENCH=receipts`` (PostgreSQL: ``DATABASE_URL=postgres://… make bench
BENCH=receipts``); ``BENCH_RECEIPTS_PROFILE=1`` adds cProfile's top of drawing 100 documents."""

import cProfile
import datetime
import gc
import io
import os
import pstats
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.db import connection
from django.dispatch import Signal
from django.utils import timezone

from kabinet.billing import closing
from kabinet.billing.models import CalculationMethod, Charge, Period, PeriodStatus, Service
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.jobs.models import JobKind
from kabinet.jobs.services import create_job
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.money import round_money
from kabinet.orgs.models import Organization
from kabinet.payments.models import Payment, PaymentSource
from kabinet.receipts import issuing
from kabinet.receipts.models import IssuedDocument
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import payee_of, receipt_batch, receipt_data

ACCOUNTS = int(os.environ.get("BENCH_RECEIPTS_ACCOUNTS", "1000"))
DRAWN = 200  # documents drawn from data gathered beforehand
GOAL = 150  # documents per second per core
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
        Period.objects.create(
            organization=organization, month=month, status=PeriodStatus.OPEN,
            calculated_at=timezone.now(),
        )
        for month in (SEP, OCT)
    ]  # fmt: skip
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
    # closed as staff close them (the balances stored), without issuing or mailing anything
    with mock.patch.object(closing, "period_closed", Signal()):
        for period in periods:
            closing.close_period(period)
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


def gathered(period: Period, count: int) -> list:
    """The documents' data of the first ``count`` accounts, as the issue gathers it: read a
    batch of ``issuing.BATCH`` accounts at a time."""
    payee, shared = payee_of(period.organization), {}
    accounts = list(
        PersonalAccount.objects.filter(organization=period.organization_id)
        .select_related("organization", "premise__house")
        .order_by("number")[:count]
    )
    receipts = []
    for start in range(0, len(accounts), issuing.BATCH):
        batch = accounts[start : start + issuing.BATCH]
        read = receipt_batch(batch, period, frozen=True)
        receipts += [
            receipt_data(account, period, payee, shared, frozen=True, batch=read)
            for account in batch
        ]
    return receipts


def memory() -> dict[str, float]:
    """The process's RSS and peak RSS (``VmHWM``), MiB."""
    figures = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0]) / 1024
    return figures


def reset_peak() -> bool:
    """Start ``VmHWM`` again from the current RSS (Linux: ``/proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def run() -> None:
    settings.DEBUG = False  # as in production: in DEBUG every query is also kept in a log
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-receipts-")
    started = time.perf_counter()
    period = build()
    print(f"data: {ACCOUNTS} accounts, 2 closed months ({time.perf_counter() - started:.1f} s)")
    print(f"load average: {os.getloadavg()[0]:.1f} (the machine's 2 cores are shared)")

    cpu = time.process_time()
    data = gathered(period, DRAWN)
    gathering = time.process_time() - cpu
    for receipt in data[:10]:  # warm-up: fonts registered, their subsets made once
        receipt_pdf(receipt)
    cpu = time.process_time()
    size = sum(len(receipt_pdf(receipt)) for receipt in data)
    drawing = time.process_time() - cpu
    print(
        f"drawing:   {per_second(DRAWN, drawing):6.1f} documents/s per core "
        f"({1000 * drawing / DRAWN:.1f} ms CPU each, {size / DRAWN / 1024:.0f} KiB)"
    )
    print(
        f"gathering: {per_second(DRAWN, gathering):6.1f} documents/s per core "
        f"({1000 * gathering / DRAWN:.1f} ms CPU each)"
    )

    batches = []
    report_progress = issuing.report_progress
    counting = [0.0, 0.0]  # CPU and clock seconds of the counting below, left out of the issue's

    def progress(job, done, failed=0, problem=None):
        if problem is None:
            cpu, wall = time.process_time(), time.perf_counter()
            gc.collect()
            batches.append((done, memory()["VmRSS"], len(gc.get_objects())))
            counting[0] += time.process_time() - cpu
            counting[1] += time.perf_counter() - wall
        report_progress(job, done, failed, problem)

    issuing.report_progress = progress
    job = create_job(period.organization, JobKind.DOCUMENTS_ISSUE, "Выпуск", subject=period)
    gc.collect()
    peak_reset = reset_peak()
    before = memory()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        result = issuing.issue_period_documents(period, job)
    finally:
        issuing.report_progress = report_progress
    wall, cpu = time.perf_counter() - wall - counting[1], time.process_time() - cpu - counting[0]
    after = memory()
    issued = IssuedDocument.objects.filter(period=period).count()
    print(
        f"issue:     {per_second(issued, cpu):6.1f} documents/s per core by this process's CPU, "
        f"{per_second(issued, wall):.1f}/s by the clock ({issued} documents, {result}); "
        f"goal ≥ {GOAL}/s per core"
    )
    print(
        f"           (the bench's gc.collect and object count after each batch: "
        f"{counting[0]:.2f} s CPU, left out)"
    )
    peak = after["VmHWM"] if peak_reset else None
    print(
        f"memory:    RSS {before['VmRSS']:.0f} MiB before the issue, "
        + (f"peak {peak:.0f} MiB during it" if peak else "peak not measurable here")
    )
    for done, rss, objects in (batches[0], batches[-1]) if batches else ():
        print(f"           after {done:>6} documents: RSS {rss:.0f} MiB, {objects} live objects")

    if os.environ.get("BENCH_RECEIPTS_PROFILE"):
        profile = cProfile.Profile()
        profile.enable()
        for receipt in data[:100]:
            receipt_pdf(receipt)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
