"""Crediting a bank registry: every row checked, then all of it credited in one transaction
(or none of it, unless staff chose to credit the good rows only), each payment once.

**What identifies a bank payment** (a registry has no id of its own): the organisation, the
payment date, the account, the amount and the bank's operation reference (time, branch, office
and operation number of the full line, or the table's «Номер операции»). Without a reference
the payer's name, the period and the payment's order among identical rows of its file stand in
for it: the second identical row of one file is a second payment, but the same row in another
file (an overlapping registry sent again) is the payment already credited. That key, hashed, is
the payment's ``external_id``, unique per source, so no payment is credited twice.
"""

import hashlib
import logging
from collections import Counter, defaultdict

from django.db import transaction
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.bulk import insert_rows
from kabinet.formats import format_rubles
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.services import fail_job, finish_job, report_progress, start_job
from kabinet.money import ZERO
from kabinet.payments.models import (
    Payment,
    PaymentRegistry,
    PaymentSource,
    RegistryDay,
    RegistryStatus,
)
from kabinet.payments.registry.formats import RegistryRow, parse_registry
from kabinet.tabular import RowError, TableError
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import EventKind

logger = logging.getLogger(__name__)

MAX_ERRORS = 200  # the first ones are enough to fix a file; the count says how many in all


def payment_keys(organization_id: int, rows: list[RegistryRow], *, capital_repair=False
                 ) -> list[str]:  # fmt: skip
    """Each row's ``external_id`` (see the module's docstring); a repeated key within one
    file means the bank listed the same operation twice. A registry of the capital repair
    payee's account has keys of its own: the same payer may pay both accounts alike."""
    keys, seen = [], Counter()
    for row in rows:
        if row.reference:
            basis = f"{row.paid_on}|{row.reference}|{row.account_number}|{row.amount}"
        else:
            basis = (f"{row.paid_on}|{row.account_number}|{row.amount}|{row.payer.lower()}|"
                     f"{row.period}")  # fmt: skip
            seen[basis] += 1
            basis += f"|#{seen[basis]}"
        if capital_repair:
            basis = f"capital_repair|{basis}"
        digest = hashlib.sha256(f"{organization_id}|{basis}".encode()).hexdigest()
        keys.append(f"reg:{digest[:40]}")
    return keys


def import_registry(registry_id: int, *, ip: str | None = None) -> str:
    """Check every row of an uploaded registry, then credit it: all rows, or none if any is
    bad — unless staff chose to credit the good rows only. Returns the registry's status.
    The audit log keeps the crediting, by the staff member who queued it, from ``ip``."""
    registry = PaymentRegistry.objects.select_related("organization", "job").get(pk=registry_id)
    if registry.is_finished:
        return registry.status
    try:
        return _import(registry, ip)
    except Exception:
        # Nothing was credited (the crediting is one transaction); staff see why it stopped.
        logger.exception("Registry %s failed to import", registry.pk)
        message = "Реестр не загружен из-за внутренней ошибки; попробуйте загрузить его снова."
        PaymentRegistry.objects.filter(pk=registry.pk).update(
            status=RegistryStatus.FAILED, errors=[message]
        )
        fail_job(registry.job, message)
        raise


def _import(registry: PaymentRegistry, ip) -> str:
    job = registry.job
    try:
        with registry.file.open("rb") as file:
            parsed = parse_registry(file.read())
    except TableError as error:
        registry.status, registry.errors = RegistryStatus.FAILED, [str(error)]
        registry.save(update_fields=["status", "errors"])
        fail_job(job, str(error))
        return registry.status
    start_job(job, total=parsed.lines)
    accounts = dict(
        PersonalAccount.objects.filter(organization=registry.organization).values_list(
            "number", "pk"
        )
    )
    errors = list(parsed.errors)
    known, unknown = [], []
    for row in parsed.rows:
        if row.account_number in accounts:
            known.append(row)
        else:
            unknown.append(row)
            errors.append(RowError(row.line, f"неизвестный лицевой счёт «{row.account_number}»"))
    errors.sort(key=lambda error: error.line)
    registry.format = parsed.format
    registry.rows_total = parsed.lines
    registry.rows_rejected = parsed.lines - len(known)
    registry.declared_count = parsed.declared_count
    registry.declared_amount = parsed.declared_amount
    registry.errors = [str(error) for error in errors[:MAX_ERRORS]]
    if errors and not registry.good_rows_only:
        registry.status = RegistryStatus.REJECTED
        registry.save()
        report_progress(job, done=parsed.lines, failed=registry.rows_rejected)
        finish_job(job, {"Ошибок в файле": len(errors), "Зачтено": "ничего"})
        return registry.status
    with transaction.atomic():
        credited_rows = _credit(registry, known, accounts, job)
        webhooks.emit_many(
            registry.organization_id,
            EventKind.PAYMENT_CREDITED,
            lambda: [
                webhooks.payment_payload(payment)
                for payment in Payment.objects.filter(registry=registry)
                .select_related("account")
                .order_by("pk")
            ],
        )
        _record_days(registry, [*credited_rows, *unknown])
        registry.status = RegistryStatus.PARTIAL if errors else RegistryStatus.IMPORTED
        registry.save()
        record(
            action=AuditAction.REGISTRY_CREDITED,
            organization=registry.organization,
            actor=job.created_by,
            ip=ip,
            obj=registry,
            changes={
                "rows_credited": [None, registry.rows_credited],
                "amount_credited": [None, plain(registry.amount_credited)],
            },
            amount=registry.amount_credited,
        )
    finish_job(
        job,
        {
            "Зачтено платежей": registry.rows_credited,
            "На сумму": format_rubles(registry.amount_credited),
            "Уже были зачтены раньше": registry.rows_duplicate,
            "Строк с ошибкой": registry.rows_rejected,
        },
    )
    return registry.status


PAYMENT_COLUMNS = ("account", "paid_on", "amount", "commission", "source", "external_id",
                   "period", "payer_name", "registry", "created_at", "capital_repair")  # fmt: skip


def _credit(registry, rows: list[RegistryRow], accounts: dict, job) -> list[RegistryRow]:
    """Create the payments of ``rows`` not credited before; returns the rows credited now.

    A payment credited before — by an earlier registry, or by an import running at the same
    moment — meets the unique ``(source, external_id)`` and is skipped (``ON CONFLICT DO
    NOTHING``)."""
    keys = payment_keys(registry.organization_id, rows, capital_repair=registry.capital_repair)
    now = timezone.now()
    values = [
        (accounts[row.account_number], row.paid_on, row.amount, row.commission,
         PaymentSource.BANK, key, row.period, row.payer[:255], registry.pk, now,
         registry.capital_repair)
        for row, key in zip(rows, keys, strict=True)
    ]  # fmt: skip
    _insert_payments(values, job)
    credited = set(Payment.objects.filter(registry=registry).values_list("external_id", flat=True))
    credited_rows = []
    for row, key in zip(rows, keys, strict=True):
        if key in credited:
            credited.discard(key)  # a row the bank repeated within the file counts once
            credited_rows.append(row)
    registry.rows_credited = len(credited_rows)
    registry.rows_duplicate = len(rows) - len(credited_rows)
    registry.amount_credited = sum((row.amount for row in credited_rows), ZERO)
    registry.commission = sum((row.commission for row in credited_rows), ZERO)
    return credited_rows


def _insert_payments(values: list[tuple], job) -> None:
    """Insert payment rows in bulk, skipping those whose key exists (``kabinet.bulk``: COPY on
    PostgreSQL, ``executemany`` on SQLite). Not through model instances: 100 000 rows must take
    seconds (``bench/bench_registry.py``)."""
    insert_rows(
        Payment,
        PAYMENT_COLUMNS,
        values,
        skip_existing=True,
        progress=lambda done: report_progress(job, done=done),
    )
    report_progress(job, done=len(values))


def _record_days(registry: PaymentRegistry, rows: list[RegistryRow]) -> None:
    """What the registry says was paid each day, rows repeated from earlier registries aside."""
    days = defaultdict(lambda: [0, ZERO, ZERO])
    for row in rows:
        totals = days[row.paid_on]
        totals[0] += 1
        totals[1] += row.amount
        totals[2] += row.commission
    RegistryDay.objects.bulk_create(
        RegistryDay(registry=registry, day=day, count=count, amount=amount, commission=commission)
        for day, (count, amount, commission) in days.items()
    )
