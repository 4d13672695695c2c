"""Crediting a bank registry: in one pass and one transaction every row is checked and sent to
be credited; all of it is credited, or none of it if any row is bad (the transaction rolled
back) unless staff chose to credit the good rows only; each payment once.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.bulk import copy_lines, copy_text, insert_rows
from kabinet.data_versions import bump_organizations
from kabinet.formats import format_rubles
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.services import fail_job, finish_job, report_progress, start_job
from kabinet.money import ZERO, summed
from kabinet.payments.models import (
    Payment,
    PaymentRegistry,
    PaymentSource,
    RegistryDay,
    RegistryStatus,
)
from kabinet.payments.registry.formats import RegistryRow, RegistryScan, read_registry
from kabinet.tabular import RowError, TableError, is_xlsx
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import EventKind

logger = logging.getLogger(__name__)

MAX_ERRORS = 200  # the first ones are enough to fix a file; the count says how many in all


def payment_keys(organization_id: int, rows: Iterable[RegistryRow], *, capital_repair=False
                 ) -> Iterator[tuple[RegistryRow, str]]:  # fmt: skip
    """Each row with its ``external_id`` (see the module's docstring), as the rows come; a
    repeated key within one file means the bank listed the same operation twice. A registry of
    the capital repair payee's account has keys of its own: the same payer may pay both
    accounts alike. Rows without a reference are counted by a 16-byte digest of their basis,
    not by its text: a million such rows of one file stay a few dozen megabytes."""
    seen = Counter()
    for row in rows:
        if row.reference:
            basis = f"{row.paid_on}|{row.reference}|{row.account_number}|{row.amount}"
        else:
            basis = (f"{row.paid_on}|{row.account_number}|{row.amount}|{row.payer.lower()}|"
                     f"{row.period}")  # fmt: skip
            repeat = hashlib.blake2b(basis.encode(), digest_size=16).digest()
            seen[repeat] += 1
            basis += f"|#{seen[repeat]}"
        if capital_repair:
            basis = f"capital_repair|{basis}"
        digest = hashlib.sha256(f"{organization_id}|{basis}".encode()).hexdigest()
        yield row, f"reg:{digest[:40]}"


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


@dataclass
class _Check:
    """What the first pass over a registry found: its totals and the first of its errors."""

    scan: RegistryScan
    known: int = 0  # readable rows of the organisation's accounts
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS by line
    unknown_days: dict = field(default_factory=lambda: defaultdict(lambda: [0, ZERO, ZERO]))

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        self.errors.append(error)
        if len(self.errors) >= 2 * MAX_ERRORS:  # errors come nearly in line order: keep few
            self.errors = self.first_errors()

    def first_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda error: error.line)[:MAX_ERRORS]


class _Rejected(Exception):
    """The file has bad rows and staff asked for all of it or nothing: what the pass wrote is
    rolled back."""


class _CreditedMeanwhile(Exception):
    """Another run of the same registry's task (requeued while the first still ran) credited
    it while this one waited for the organisation's crediting lock: this one writes nothing."""


def _credited_rows(check: _Check, items, accounts: dict, *, all_or_nothing: bool
                   ) -> Iterator[RegistryRow]:  # fmt: skip
    """The one pass: every row read and checked — counts, sums, the first errors and the day
    totals of unknown accounts kept in ``check`` — and the rows of known accounts given on to
    be credited. In an all-or-nothing import no row is given on after the first error, and
    ``_Rejected`` is raised once the last row is checked (every error counted): the rows given
    before are undone with the transaction, and COPY's are never inserted."""
    for item in items:
        if type(item) is not RegistryRow:
            check.add_error(item)
        elif item.account_number in accounts:
            check.known += 1
            if not (all_or_nothing and check.error_count):
                yield item
        else:
            check.add_error(
                RowError(item.line, f"неизвестный лицевой счёт «{item.account_number}»")
            )
            totals = check.unknown_days[item.paid_on]
            totals[0] += 1
            totals[1] += item.amount
            totals[2] += item.commission
    if all_or_nothing and check.error_count:
        raise _Rejected


def _line_count(file) -> int:
    """The lines of a text file, counted in its bytes a megabyte at a time (the job's total
    while the rows are read; an XLSX has none to count): the scan says the exact count after."""
    if is_xlsx(file):
        return 0
    count = 0
    while chunk := file.read(2**20):
        count += chunk.count(b"\n")
    file.seek(0)
    return count


def _import(registry: PaymentRegistry, ip) -> str:
    """One pass over the file, not holding its rows, inside the one transaction: each row is
    checked and, while the file may still be credited, sent to be credited (COPY into a
    temporary table on PostgreSQL); a file refused is rolled back, nothing of it written."""
    job = registry.job
    today = timezone.localdate()
    accounts = dict(
        PersonalAccount.objects.filter(organization=registry.organization).values_list(
            "number", "pk"
        )
    )
    with registry.file.open("rb") as file:
        start_job(job, total=_line_count(file))
    check = None
    try:
        with transaction.atomic():
            with registry.file.open("rb") as file:
                scan, items = read_registry(file, today)
                check = _Check(scan)
                rows = _credited_rows(
                    check, items, accounts, all_or_nothing=not registry.good_rows_only
                )
                _credit(registry, rows, accounts, check, job)
            _describe(registry, check, job)
            registry.rows_duplicate = check.known - registry.rows_credited
            webhooks.emit_many(
                registry.organization_id,
                EventKind.PAYMENT_CREDITED,
                lambda: (
                    webhooks.payment_payload(payment)
                    for payment in Payment.objects.filter(registry=registry)
                    .select_related("account")
                    .order_by("pk")
                    .iterator(chunk_size=2000)
                ),
            )
            _record_days(registry, check.unknown_days)
            registry.status = (
                RegistryStatus.PARTIAL if check.error_count else RegistryStatus.IMPORTED
            )
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
    except TableError as error:
        registry.status, registry.errors = RegistryStatus.FAILED, [str(error)]
        registry.save(update_fields=["status", "errors"])
        fail_job(job, str(error))
        return registry.status
    except _CreditedMeanwhile:
        return PaymentRegistry.objects.get(pk=registry.pk).status  # its job finished by that run
    except _Rejected:
        _describe(registry, check, job)
        registry.status = RegistryStatus.REJECTED
        registry.save()
        report_progress(job, done=check.scan.lines, failed=registry.rows_rejected)
        finish_job(job, {"Ошибок в файле": check.error_count, "Зачтено": "ничего"})
        return registry.status
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


def _describe(registry: PaymentRegistry, check: _Check, job) -> None:
    """What the pass found, onto the registry (unsaved) and the job's total."""
    scan = check.scan
    job.total = scan.lines
    registry.format = scan.format
    registry.rows_total = scan.lines
    registry.rows_rejected = scan.lines - check.known
    registry.declared_count = scan.declared_count
    registry.declared_amount = scan.declared_amount
    registry.errors = [str(error) for error in check.first_errors()]


PAYMENT_COLUMNS = ("account", "paid_on", "amount", "commission", "source", "external_id",
                   "period", "payer_name", "registry", "created_at", "capital_repair")  # fmt: skip
# What each row brings to its payment (and its line, to name it); the rest of a payment — its
# source, registry, time and capital repair flag — is one value for the whole file, given once
# by the INSERT rather than written into each of a million COPY lines.
STAGED_COLUMNS = ("line", "account_id", "paid_on", "amount", "commission", "external_id",
                  "period", "payer_name")  # fmt: skip
# The first key of the ``pg_advisory_xact_lock`` held while an organisation's (the second key)
# registry is credited: «RGST».
CREDITING_LOCK = 0x52475354


def _credit(registry, rows: Iterable[RegistryRow], accounts: dict, check: _Check, job) -> None:
    """Create the payments of ``rows`` not credited before, as the rows come, then count what
    was credited in the database: the registry's own payments."""
    staged = (
        (row.line, accounts[row.account_number], row.paid_on, row.amount, row.commission, key,
         row.period, row.payer[:255])
        for row, key in payment_keys(registry.organization_id, rows,
                                     capital_repair=registry.capital_repair)
    )  # fmt: skip
    if connection.vendor == "postgresql":
        _insert_staged(registry, staged, accounts, check, job)
    else:
        _insert_rows(registry, staged, job)
    # Written by raw SQL, unseen by the models' signals: the resident pages' cached figures of
    # every account of the organisation are read anew (one row written, not one per account).
    bump_organizations({registry.organization_id})
    totals = Payment.objects.filter(registry=registry).aggregate(
        count=Count("pk"), amount=Sum("amount"), commission=Sum("commission")
    )
    registry.rows_credited = totals["count"]
    registry.amount_credited = summed(totals["amount"])
    registry.commission = summed(totals["commission"])


def payment_copy_lines(staged: Iterable[tuple]) -> Iterator[str]:
    """Staged payments (``STAGED_COLUMNS``) as ``bulk``'s COPY lines, written knowing their
    types: only the payer's name is text to escape, only the period may be NULL, and the file's
    few days and months are formatted once each (the general writer tests the type of every
    value of a million rows and formats each anew)."""
    dates = {None: "\\N"}
    for line, account, paid_on, amount, commission, key, period, payer in staged:
        day = dates.get(paid_on) or dates.setdefault(paid_on, str(paid_on))
        month = dates.get(period) or dates.setdefault(period, str(period))
        yield (f"{line}\t{account}\t{day}\t{amount}\t{commission}\t{key}\t{month}\t"
               f"{copy_text(payer)}")  # fmt: skip


def _insert_staged(registry, staged: Iterable[tuple], accounts: dict, check: _Check, job) -> None:
    """PostgreSQL: COPY the rows into a temporary table, check their accounts set-wise, and
    insert in one statement those whose key no payment has yet.

    Credited before — by an earlier registry, or by a line the bank repeated within the file —
    is seen by a look-up of the unique index per row and by ``DISTINCT ON`` (the file's first of
    repeated lines; sorted by key, the index is then written in its order), not by ``ON
    CONFLICT``, whose speculative insertion costs a third more per row (bench/README.md «Bank
    registry import»). A look-up, not ``NOT EXISTS``: planned as an anti-join, that would read
    every bank payment ever credited. It is exact because no other transaction writes the
    organisation's bank payments meanwhile: its registries are credited one at a time (the
    advisory lock, taken before the INSERT's snapshot), and their keys hash the organisation's
    id. The unique ``(source, external_id)`` stays the guarantee: a payment that ever slipped
    past would fail the whole crediting, never be credited twice."""
    quote = connection.ops.quote_name
    payments = quote(Payment._meta.db_table)
    columns = ", ".join(STAGED_COLUMNS[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
            [CREDITING_LOCK, registry.organization_id],
        )
        if PaymentRegistry.objects.get(pk=registry.pk).is_finished:
            raise _CreditedMeanwhile
        cursor.execute(
            "CREATE TEMPORARY TABLE registry_rows ON COMMIT DROP AS "
            f"SELECT 0 AS line, {columns} FROM {payments} WITH NO DATA"
        )
        sent = copy_lines(
            cursor,
            "registry_rows",
            ", ".join(STAGED_COLUMNS),
            payment_copy_lines(staged),
            lambda done: report_progress(job, done=done),
        )
        report_progress(job, done=sent)
        _refuse_vanished_accounts(cursor, accounts, check)
        cursor.execute(
            f"INSERT INTO {payments} (source, registry_id, created_at, capital_repair, {columns}) "
            f"SELECT DISTINCT ON (external_id) %s, %s, %s, %s, {columns} FROM registry_rows r "
            f"WHERE (SELECT 1 FROM {payments} p WHERE p.source = %s "
            "AND p.external_id = r.external_id AND p.external_id <> '' LIMIT 1) IS NULL "
            "ORDER BY external_id, line",
            [PaymentSource.BANK, registry.pk, timezone.now(), registry.capital_repair,
             PaymentSource.BANK],
        )  # fmt: skip
        cursor.execute("DROP TABLE registry_rows")


def _refuse_vanished_accounts(cursor, accounts: dict, check: _Check) -> None:
    """The accounts of the staged rows, locked ``FOR KEY SHARE`` in one statement and checked
    in one anti-join, instead of a trigger per row: an account deleted since the import read
    the organisation's accounts refuses the file (``_Rejected``, in either mode), each of its
    rows named; crediting the good rows again then finds it unknown. Once locked, an account
    cannot be deleted before the commit, and after it the payments' foreign key refuses its
    deletion — Django's PROTECT cannot: it looks for payments before its DELETE waits for the
    lock, and finds none committed yet (``tests/test_registry_concurrency.py``)."""
    table = connection.ops.quote_name(PersonalAccount._meta.db_table)
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE id IN "
        "(SELECT account_id FROM registry_rows) FOR KEY SHARE) locked"
    )
    cursor.execute(
        f"SELECT line, account_id, count(*) OVER () FROM registry_rows r WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} a WHERE a.id = r.account_id) ORDER BY line LIMIT %s",
        [MAX_ERRORS],
    )
    vanished = cursor.fetchall()
    if not vanished:
        return
    numbers = {pk: number for number, pk in accounts.items()}
    for line, account, _ in vanished:
        check.add_error(
            RowError(line, f"лицевой счёт «{numbers[account]}» удалён, пока реестр загружался")
        )
    count = vanished[0][2]
    check.known -= count
    check.error_count += count - len(vanished)
    raise _Rejected


def _insert_rows(registry, staged: Iterable[tuple], job) -> None:
    """Elsewhere (SQLite, one writer at a time): the shared writer's ``executemany``,
    skipping keys credited before (``ON CONFLICT DO NOTHING``)."""
    whole_file = (registry.pk, timezone.now(), registry.capital_repair)
    sent = insert_rows(
        Payment,
        PAYMENT_COLUMNS,
        staged,
        skip_existing=True,
        row=lambda values: (*values[1:5], PaymentSource.BANK, *values[5:], *whole_file),
        progress=lambda done: report_progress(job, done=done),
    )
    report_progress(job, done=sent)


def _record_days(registry: PaymentRegistry, unknown_days: dict) -> None:
    """What the registry says was paid each day, rows repeated from earlier registries aside:
    its payments credited now, by a query, and its rows of unknown accounts (``unknown_days``:
    day → [count, amount, commission])."""
    days = defaultdict(lambda: [0, ZERO, ZERO], unknown_days)
    credited = (
        Payment.objects.filter(registry=registry)
        .values("paid_on")
        .annotate(count=Count("pk"), amount=Sum("amount"), commission=Sum("commission"))
        .values_list("paid_on", "count", "amount", "commission")
    )
    for day, count, amount, commission in credited:
        totals = days[day]
        totals[0] += count
        totals[1] += summed(amount)
        totals[2] += summed(commission)
    RegistryDay.objects.bulk_create(
        RegistryDay(registry=registry, day=day, count=count, amount=amount, commission=commission)
        for day, (count, amount, commission) in sorted(days.items())
    )
