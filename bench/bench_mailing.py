"""The e-receipts mailing of a period's issued documents (issue 21 item 3: a million documents
at ≥ 200 messages per second to a local SMTP server, the connection reused, resumable).

Builds ``BENCH_MAILING_DOCS`` accounts (20 000 by default) of a closed month, one subscriber
each, and their issued documents: one drawn for real, the others kept as copies of it (its
bytes stored once per document through the file system, its data as their snapshot) — the
renderer's speed is ``bench_receipts``'. Then mails them as staff start it
(``receipts.tasks.start_receipt_mailing``) — by the in-process task backend (one worker),
and on PostgreSQL by ``db_worker`` processes sharing its batches (``BENCH_MAILING_WORKERS``,
e.g. ``0,1,2``: in-process, then one worker, then two; the period mailed afresh each time) —
to an SMTP server on 127.0.0.1 in a subprocess (``BENCH_MAILING_SERVER``) — a private Postfix
(``bench/postfix_counter.py``; the default where it can run: installed by ``make bench-servers``,
started as root), its smtp-sink, or aiosmtpd (``bench/smtp_counter.py``) — which
counts the messages, connections and distinct recipients, in processes of its own, so that its
CPU is not the sender's. Printed: the load average; messages per second by the clock and per core
of CPU (the letters over the CPU time of the senders, and of the server: what each would do
on a free core of its own); the CPU per message of both; whether each subscriber got exactly
one letter; the growth of this process's peak memory (``VmHWM``, reset before the mailing) or
the workers' peak.

Run: ``BENCH_MAILING_DOCS=20000 BENCH_MAILING_WORKERS=0,1,2 DATABASE_URL=postgres://…
.venv/bin/python -m bench mailing``.
"""

import datetime
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test import override_settings
from django.utils import timezone

from bench.common import benchmark_organization, process_cpu, reset_peak, status_mb, task_workers
from bench.postfix_counter import POSTFIX
from kabinet.billing.models import CalculationMethod, Charge, Period, PeriodStatus, Service
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.jobs.models import Job, JobStatus
from kabinet.receipts import issuing
from kabinet.receipts.models import (
    DocumentDelivery,
    IssuedDocument,
    ReceiptDelivery,
    issued_document_path,
)
from kabinet.receipts.tasks import start_receipt_mailing
from kabinet.users.models import AccountLink, User

DOCUMENTS = int(os.environ.get("BENCH_MAILING_DOCS", "20000"))
GOAL = 200  # messages per second
# Who mails: 0 is this process (the in-process task backend), n that many ``db_worker``
# processes (PostgreSQL only): ``BENCH_MAILING_WORKERS=0,1,2``.
WORKERS = [int(n) for n in os.environ.get("BENCH_MAILING_WORKERS", "0").split(",") if n]
WORKERS_TIMEOUT = 3 * 3600
# The receiving server, counting what it got (``BENCH_MAILING_SERVER``): a private Postfix, a
# mail server as in service, or its smtp-sink, which takes a tenth of the CPU a letter, so that
# the sender's limit shows (``make bench-servers`` installs both); or aiosmtpd (pure Python).
SERVERS = {
    "postfix": ["bench.postfix_counter", "postfix"],
    "smtp-sink": ["bench.postfix_counter", "smtp-sink"],
    "aiosmtpd": ["bench.smtp_counter"],
}
# Postfix by default where it can run (installed, and root to start its master); else aiosmtpd.
POSTFIX_RUNS = os.path.exists(POSTFIX) and os.geteuid() == 0
SERVER = os.environ.get("BENCH_MAILING_SERVER", "postfix" if POSTFIX_RUNS else "aiosmtpd")
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
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
    if SERVER not in SERVERS:
        raise SystemExit(f"BENCH_MAILING_SERVER={SERVER}: one of {', '.join(SERVERS)}")
    started = time.perf_counter()
    period = build()
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        size = issue_copies(period, media)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{DOCUMENTS} documents of {size / 1024:.0f} KB, one subscriber each "
              f"(built in {time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
        for workers in WORKERS:
            if workers and connection.vendor != "postgresql":
                print(f"  by {workers} task workers: PostgreSQL only (they share its database)")
                continue
            # Each run mails the whole period afresh.
            ReceiptDelivery.objects.filter(period=period).delete()
            DocumentDelivery.objects.filter(period=period).delete()
            _mail(period, media, workers)


def _mail(period: Period, media: str, workers: int) -> None:
    """Mail ``period`` to a fresh counting SMTP server: in this process (``workers`` 0, the
    in-process task backend) or by ``workers`` ``db_worker`` processes; print the figures."""
    port = 20000 + os.getpid() % 20000 + workers
    server = subprocess.Popen(
        [sys.executable, "-m", *SERVERS[SERVER], str(port)],
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
        if workers:
            job, seconds, cpu, growth = _mail_by_workers(period, media, workers, port)
        else:
            with override_settings(MAILERS=mailers):
                rss_before = reset_peak()
                started, cpu = time.perf_counter(), time.process_time()
                job = start_receipt_mailing(period)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                grown = max(0, status_mb("VmHWM") - rss_before)  # not «+-0»
                growth = f"this process's peak memory +{grown:.0f} MB"
        server.stdin.close()
        messages, sessions, recipients, server_cpu = server.stdout.readline().split()
        server.wait(timeout=60)  # its servers stopped
    finally:
        server.terminate() if server.poll() is None else None
        server.wait()
    server_cpu = float(server_cpu)
    job.refresh_from_db()
    rate = DOCUMENTS / seconds
    who = f"by {workers} task worker{'s' if workers > 1 else ''}" if workers else "in-process"
    print(f" {who} to {SERVER}: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  mailing: {seconds:.1f} s, {rate:,.0f} messages/s by the clock (goal ≥ {GOAL}) "
          f"{'✓' if rate >= GOAL else '✗'}")  # fmt: skip
    print(f"  per core of CPU: the sender{'s' if workers > 1 else ''} {DOCUMENTS / cpu:,.0f} "
          f"messages/s, the SMTP server {DOCUMENTS / server_cpu:,.0f}")  # fmt: skip
    print(f"  CPU per message: sender {1000 * cpu / DOCUMENTS:.2f} ms, "
          f"the SMTP server {1000 * server_cpu / DOCUMENTS:.2f} ms")  # fmt: skip
    print(f"  job: {job.get_status_display()}, {job.result}")
    print(f"  the server received {messages} messages for {recipients} distinct recipients "
          f"over {sessions} connections "
          f"{'✓ one each' if int(messages) == int(recipients) == DOCUMENTS else '✗'}")  # fmt: skip
    print(f"  {growth}")
    print(f"  a million documents at this rate: {1_000_000 / rate / 60:.0f} min", flush=True)


def _mail_by_workers(period: Period, media: str, workers: int, port: int):
    """The mailing as staff start it in service: queued (``django_tasks_db``) and run by
    ``workers`` ``manage.py db_worker`` processes sharing its batches. Returns the seconds from
    queueing to the job's end, the job, the workers' CPU in that time and their peak memory."""
    environment = {"MEDIA_ROOT": media, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
    with task_workers(workers, "mailing", **environment) as (processes, log):
        cpu_before = sum(process_cpu(process.pid) for process in processes)
        with override_settings(TASKS=DATABASE_TASKS):
            started = time.perf_counter()
            job = start_receipt_mailing(period)
            while not Job.objects.filter(pk=job.pk, finished_at__isnull=False).exists():
                time.sleep(0.05)
                if time.perf_counter() - started > WORKERS_TIMEOUT:
                    raise RuntimeError(f"{workers} workers: over {WORKERS_TIMEOUT} s")
            seconds = time.perf_counter() - started
        cpu = sum(process_cpu(process.pid) for process in processes) - cpu_before
        peaks = [status_mb("VmHWM", process.pid) for process in processes]
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED:
        print(f"  the workers' mailing failed: {job.problems}; their log: {log}")
    peaks_text = ", ".join(f"{peak:,.0f}" for peak in peaks)
    return job, seconds, cpu, f"the workers' peak memory {peaks_text} MB (Django's start included)"
