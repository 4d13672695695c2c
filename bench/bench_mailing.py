"""The e-receipts mailing of a period's issued documents (issue 21 item 3: a million documents
at ≥ 200 messages per second to a local SMTP server, the connection reused, resumable).

Builds ``BENCH_MAILING_DOCS`` accounts (20 000 by default) of a closed month, one subscriber
each, and their issued documents: one drawn for real, the others kept as copies of it (its
bytes stored once per document through the file system, its data as their snapshot) — the
renderer's speed is ``bench_receipts``'. Then mails them as staff start it
(``receipts.tasks.start_receipt_mailing``, the in-process task backend: one worker) to an
aiosmtpd server on 127.0.0.1 in a subprocess (``bench/smtp_counter.py``), which counts the
messages and connections — in a process of its own, so that its CPU is not the sender's.
Printed: the load average; messages per second by the clock and per core of CPU (the
letters over the CPU time of this process, and of the server: what each would do on a free
core of its own); the CPU per message of both; the growth of this process's peak memory
(``VmHWM``, reset before the mailing) and what the server received.

Run: ``BENCH_MAILING_DOCS=20000 DATABASE_URL=postgres://… .venv/bin/python -m bench mailing``.
"""

import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test import override_settings
from django.utils import timezone

from bench.common import benchmark_organization, reset_peak, status_mb
from kabinet.billing.models import CalculationMethod, Charge, Period, PeriodStatus, Service
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.receipts import issuing
from kabinet.receipts.models import IssuedDocument, issued_document_path
from kabinet.receipts.tasks import start_receipt_mailing
from kabinet.users.models import AccountLink, User

DOCUMENTS = int(os.environ.get("BENCH_MAILING_DOCS", "20000"))
GOAL = 200  # messages per second
OCT = datetime.date(2026, 10, 1)
CHUNK = 5000


def build() -> Period:
    """``DOCUMENTS`` accounts charged in a closed October, each with one subscriber."""
    organization = benchmark_organization()
    house = House.objects.create(organization=organization, address="ул. Рассылки, д. 1")
    service = Service.objects.create(
        organization=organization, name="Содержание жилья", unit="кв м",
        method=CalculationMethod.AREA, position=0,
    )  # fmt: skip
    period = Period.objects.create(
        organization=organization, month=OCT, status=PeriodStatus.CLOSED,
        calculated_at=timezone.now(),
    )  # fmt: skip
    for start in range(0, DOCUMENTS, CHUNK):
        numbers = range(start + 1, min(start + CHUNK, DOCUMENTS) + 1)
        premises = Premise.objects.bulk_create(
            Premise(house=house, number=str(n), area=Decimal("50.00")) for n in numbers
        )
        accounts = PersonalAccount.objects.bulk_create(
            PersonalAccount(organization=organization, premise=premise,
                            number=f"30{int(premise.number):07}", holder_name="Иванов И. И.")
            for premise in premises
        )  # fmt: skip
        Charge.objects.bulk_create(
            Charge(period=period, account=account, service=service, tariff=Decimal("19.30"),
                   volume=Decimal("50"), charged=Decimal("965.00"), total=Decimal("965.00"))
            for account in accounts
        )  # fmt: skip
        users = User.objects.bulk_create(
            User(username=f"resident{n}", email=f"resident{n}@example.com", first_name="Иван")
            for n in numbers
        )
        AccountLink.objects.bulk_create(
            AccountLink(user=user, account=account, receipts_by_email=True)
            for user, account in zip(users, accounts, strict=True)
        )
    return period


def issue_copies(period: Period, media: str) -> int:
    """Issue the first account's document for real and keep a copy of it as every other
    account's; returns the size of the PDF."""
    accounts = PersonalAccount.objects.filter(organization=period.organization_id).order_by("pk")
    first = issuing.issued_document(accounts.first(), period)
    content = Path(media, first.file.name).read_bytes()
    others = accounts.select_related("organization").exclude(pk=first.account_id)
    for start in range(0, DOCUMENTS, CHUNK):
        documents = []
        for account in others[start : start + CHUNK]:
            document = IssuedDocument(
                account=account, period=period, version=1, number=f"{account.number}-10.2026",
                sha256=first.sha256, size=first.size, data=first.data, issued_at=first.issued_at,
            )  # fmt: skip
            document.file.name = issued_document_path(document, "document.pdf")
            path = Path(media, document.file.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            documents.append(document)
        IssuedDocument.objects.bulk_create(documents)
    return len(content)


def run() -> None:
    started = time.perf_counter()
    period = build()
    port = 20000 + os.getpid() % 20000
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_counter", str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    mailers = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 30},
        }
    }
    try:
        assert server.stdout.readline().strip() == "ready"
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(MEDIA_ROOT=media, MAILERS=mailers),
        ):
            size = issue_copies(period, media)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            print(f"{DOCUMENTS} documents of {size / 1024:.0f} KB, one subscriber each "
                  f"(built in {time.perf_counter() - started:.0f} s)")  # fmt: skip
            rss_before = reset_peak()
            started, cpu = time.perf_counter(), time.process_time()
            job = start_receipt_mailing(period)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            growth = status_mb("VmHWM") - rss_before
        server.stdin.close()
        messages, sessions = server.stdout.readline().split()
    finally:
        server.terminate() if server.poll() is None else None
        server.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server's, now that it has ended
    server_cpu = usage.ru_utime + usage.ru_stime
    job.refresh_from_db()
    rate = DOCUMENTS / seconds
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  mailing: {seconds:.1f} s, {rate:,.0f} messages/s by the clock (goal ≥ {GOAL}) "
          f"{'✓' if rate >= GOAL else '✗'}")  # fmt: skip
    print(f"  per core of CPU: the sender (this process) {DOCUMENTS / cpu:,.0f} messages/s, "
          f"the SMTP server (its own process) {DOCUMENTS / server_cpu:,.0f}")  # fmt: skip
    print(f"  CPU per message: this process {1000 * cpu / DOCUMENTS:.2f} ms, "
          f"the SMTP server {1000 * server_cpu / DOCUMENTS:.2f} ms")  # fmt: skip
    print(f"  job: {job.get_status_display()}, {job.result}")
    print(f"  the server received {messages} messages over {sessions} connections")
    print(f"  the process's peak memory grew by {growth:.0f} MB during the mailing")
    print(f"  a million documents at this rate: {1_000_000 / rate / 60:.0f} min")
