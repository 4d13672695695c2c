"""Bank payment registries (реестры платежей): reading them, and crediting their payments.

Two forms are read, told apart by content:

* **Sberbank's text registry**: one payment per line, fields separated by «;», CP1251 or
  UTF-8. The full line is ``дата;время;отделение;ВСП;номер операции;ЛС;ФИО;адрес;период;
  сумма[;сумма перевода];комиссия``; the short one (banks and payment agents that copy it) is
  ``дата;ЛС;ФИО;адрес;период;сумма[;комиссия]``. Dates as ``ДД-ММ-ГГГГ``, ``ДД.ММ.ГГГГ`` or
  ``ДД/ММ/ГГГГ``; the period as ``ММГГ``, ``ММГГГГ`` or ``ММ.ГГГГ``; amounts with a point or a
  comma. The closing summary line starts with «=» (``=количество;сумма;…``) and is checked;
  lines starting with «#» are header lines (``#FILESUM`` is checked like the summary).
* **A table** (CSV or XLSX) with a header row: «Дата», «Лицевой счёт», «Сумма», and optionally
  «Плательщик», «Адрес», «Период», «Комиссия», «Номер операции».

**What identifies a bank payment** (a registry has no id of its own): the organisation, the
payment date, the account, the amount and the bank's operation reference (time, branch, office
and operation number of the full line, or the table's «Номер операции»). Without a reference
the payer's name, the period and the payment's order among identical rows of its file stand in
for it: the second identical row of one file is a second payment, but the same row in another
file (an overlapping registry sent again) is the payment already credited. That key, hashed, is
the payment's ``external_id``, unique per source, so no payment is credited twice.
"""

import datetime
import hashlib
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import plain, record
from kabinet.bulk import insert_rows
from kabinet.formats import format_rubles
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.services import create_job, fail_job, finish_job, report_progress, start_job
from kabinet.money import MONEY_FIELD, ZERO, fits, parse_money, shown
from kabinet.months import month_of
from kabinet.payments.models import (
    Payment,
    PaymentRegistry,
    PaymentSource,
    RegistryDay,
    RegistryFormat,
    RegistryStatus,
)
from kabinet.tabular import (
    XLSX_MAGIC,
    RowError,
    TableError,
    check_row_count,
    decode_text,
    read_table,
)

logger = logging.getLogger(__name__)

MAX_ERRORS = 200  # the first ones are enough to fix a file; the count says how many in all

# ASCII digits only (``re.ASCII``): «١٥» is a digit to ``\d`` and to ``int``, not to a bank.
PLAIN_AMOUNT = re.compile(r"\d{1,12}\.\d\d", re.ASCII)  # how banks write amounts: the fast path
COUNT = re.compile(r"\d{1,9}", re.ASCII)  # the summary's number of payments
TIME = re.compile(r"\d{1,2}[-:.]\d{2}([-:.]\d{2})?", re.ASCII)
DATE = re.compile(r"(\d{2})[-./](\d{2})[-./](\d{4})|(\d{4})-(\d{2})-(\d{2})", re.ASCII)
PERIOD = re.compile(r"(\d{2})[./-]?(\d{2}|\d{4})|(\d{4})-(\d{2})(-01)?", re.ASCII)  # 1026, 10.2026

TABLE_COLUMNS = {
    "date": ("дата", "дата платежа", "дата оплаты"),
    "account": ("лицевой счёт", "лицевой счет", "лс", "л/с", "номер лс"),
    "amount": ("сумма", "сумма платежа"),
    "payer": ("плательщик", "фио", "фио плательщика"),
    "address": ("адрес", "адрес плательщика"),
    "period": ("период", "период оплаты", "за период"),
    "commission": ("комиссия", "сумма комиссии", "комиссия банка"),
    "operation": ("номер операции", "идентификатор платежа", "уно"),
}
TABLE_OPTIONAL = {"payer", "address", "period", "commission", "operation"}


@dataclass(slots=True)
class RegistryRow:
    line: int
    paid_on: datetime.date
    account_number: str
    amount: Decimal
    commission: Decimal = ZERO
    payer: str = ""
    address: str = ""
    period: datetime.date | None = None
    reference: str = ""  # the bank's operation reference, if the registry gives one


@dataclass
class ParsedRegistry:
    format: str
    rows: list[RegistryRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    lines: int = 0  # payment lines, readable or not
    declared_count: int | None = None
    declared_amount: Decimal | None = None


class _RowReader:
    """Turns the text of one row's fields into values; dates are cached (a registry has few)."""

    def __init__(self, today: datetime.date):
        self.today = today
        self.dates: dict[str, datetime.date] = {}
        self.periods: dict[str, datetime.date | None] = {}

    def date(self, text: str) -> datetime.date:
        if text not in self.dates:
            match = DATE.fullmatch(text)
            try:
                if not match:
                    raise ValueError
                day, month, year = match.group(1, 2, 3) if match.group(1) else match.group(6, 5, 4)
                value = datetime.date(int(year), int(month), int(day))
                month_of(value.year, value.month)
            except ValueError:
                raise ValueError(
                    f"неверная дата платежа {shown(text)} (нужно ДД.ММ.ГГГГ)"
                ) from None
            if value > self.today:
                raise ValueError(f"дата платежа {value:%d.%m.%Y} ещё не наступила")
            self.dates[text] = value
        return self.dates[text]

    @staticmethod
    def money(text: str, title: str) -> Decimal:
        if PLAIN_AMOUNT.fullmatch(text):
            return Decimal(text)
        try:
            return parse_money(text)
        except ValueError as error:
            raise ValueError(f"{title} {error}") from None

    def amount(self, text: str) -> Decimal:
        amount = self.money(text, "сумма")
        if amount <= 0:
            raise ValueError(f"сумма {shown(text)} должна быть больше нуля")
        return amount

    def commission(self, text: str) -> Decimal:
        return self.money(text, "комиссия") if text else ZERO

    def period(self, text: str) -> datetime.date | None:
        if text not in self.periods:
            self.periods[text] = self._period(text) if text else None
        return self.periods[text]

    @staticmethod
    def _period(text: str) -> datetime.date:
        match = PERIOD.fullmatch(text)
        month, year = (
            (match.group(1, 2) if match.group(1) else match.group(4, 3)) if match else (0, 0)
        )
        year = int(year)
        try:
            return month_of(year + 2000 if year < 100 else year, int(month))
        except ValueError:
            raise ValueError(f"неверный период {shown(text)} (нужно ММГГГГ или ММ.ГГГГ)") from None

    def row(self, line, date, account, amount, commission="", payer="", address="", period="",
            reference="") -> RegistryRow:  # fmt: skip
        if not account:
            raise ValueError("не указан лицевой счёт")
        return RegistryRow(
            line=line,
            paid_on=self.date(date),
            account_number=account,
            amount=self.amount(amount),
            commission=self.commission(commission),
            payer=payer,
            address=address,
            period=self.period(period),
            reference=reference,
        )


def _summary_numbers(cells: list[str]) -> tuple[int, Decimal]:
    if not COUNT.fullmatch(cells[0]):
        raise ValueError(cells[0])
    return int(cells[0]), parse_money(cells[1])


def parse_sberbank(text: str, today: datetime.date) -> ParsedRegistry:
    parsed = ParsedRegistry(format=RegistryFormat.SBERBANK)
    reader = _RowReader(today)
    summary_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        check_row_count(number)
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition(" ")
            if key.upper() == "FILESUM":
                try:
                    parsed.declared_amount = parse_money(value)
                except ValueError:
                    parsed.errors.append(RowError(number, f"неверная сумма в «{line}»"))
            continue
        cells = [cell.strip() for cell in line.split(";")]
        if cells[-1] == "":
            cells.pop()  # many banks end every line with «;»
        if line.startswith("="):
            summary_line = number
            try:
                parsed.declared_count, parsed.declared_amount = _summary_numbers(
                    [cells[0][1:], *cells[1:2]]
                )
            except (ValueError, IndexError):
                parsed.errors.append(RowError(number, "итоговая строка не читается"))
            continue
        parsed.lines += 1
        try:
            if len(cells) >= 10 and TIME.fullmatch(cells[1]):
                date, time, branch, office, operation, account, payer, address, period, amount = (
                    cells[:10]
                )
                # …;сумма[;сумма перевода];комиссия — or no commission at all
                commission = cells[11] if len(cells) >= 12 else "".join(cells[10:11])
                reference = f"{time}|{branch}|{office}|{operation}"
                row = reader.row(number, date, account, amount, commission, payer, address,
                                 period, reference)  # fmt: skip
            elif len(cells) in (6, 7):
                row = reader.row(number, cells[0], cells[1], cells[5],
                                 cells[6] if len(cells) == 7 else "", cells[2], cells[3],
                                 cells[4])  # fmt: skip
            else:
                raise ValueError(
                    f"{len(cells)} полей через «;» — это не строка реестра (ожидается "
                    "дата;ЛС;ФИО;адрес;период;сумма;комиссия или полная строка Сбербанка)"
                )
        except ValueError as error:
            parsed.errors.append(RowError(number, str(error)))
        else:
            parsed.rows.append(row)
    _check_summary(parsed, summary_line)
    return parsed


def _check_summary(parsed: ParsedRegistry, line: int | None) -> None:
    """The bank's own totals must agree with the lines (a cut-off file is caught here)."""
    problems = []
    if parsed.declared_count is not None and parsed.declared_count != parsed.lines:
        problems.append(f"по итоговой строке платежей {parsed.declared_count}, "
                        f"а в файле {parsed.lines}")  # fmt: skip
    if parsed.declared_amount is not None and len(parsed.rows) == parsed.lines:
        total = sum((row.amount for row in parsed.rows), ZERO)
        if total != parsed.declared_amount:
            problems.append(f"итоговая сумма {format_rubles(parsed.declared_amount)}, "
                            f"а строки дают {format_rubles(total)}")  # fmt: skip
    if problems:
        parsed.errors.append(RowError(line or 1, "итог не сходится: " + "; ".join(problems)))


def parse_table(data: bytes, today: datetime.date) -> ParsedRegistry:
    parsed = ParsedRegistry(format=RegistryFormat.TABLE)
    reader = _RowReader(today)
    for number, cells in read_table(data, TABLE_COLUMNS, TABLE_OPTIONAL):
        if cells["date"].lower().startswith("итог"):
            continue
        parsed.lines += 1
        try:
            row = reader.row(number, cells["date"], cells["account"], cells["amount"],
                             cells["commission"], cells["payer"], cells["address"],
                             cells["period"], cells["operation"])  # fmt: skip
        except ValueError as error:
            parsed.errors.append(RowError(number, str(error)))
        else:
            parsed.rows.append(row)
    return parsed


def parse_registry(data: bytes, today: datetime.date | None = None) -> ParsedRegistry:
    """Read a registry of either form; ``TableError`` if the file as a whole is unreadable."""
    today = today or timezone.localdate()
    if data.startswith(XLSX_MAGIC):
        parsed = parse_table(data, today)
    else:
        text = decode_text(data)
        first = next(
            (line.strip() for line in text.splitlines() if line.strip()[:1] not in ("", "#")),
            "",
        )
        if first.startswith("=") or DATE.match(first):
            parsed = parse_sberbank(text, today)
        else:
            parsed = parse_table(data, today)
    if not parsed.lines:
        raise TableError("В файле нет ни одного платежа.")
    for title, total in (
        ("сумма платежей", sum((row.amount for row in parsed.rows), ZERO)),
        ("комиссия", sum((row.commission for row in parsed.rows), ZERO)),
    ):
        if not fits(total, **MONEY_FIELD):
            parsed.errors.append(
                RowError(
                    1,
                    f"{title} всего файла {format_rubles(total)} — много для одного "
                    "реестра: разделите файл на части",
                )
            )
    return parsed


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


class DuplicateRegistry(Exception):
    """This very file was uploaded before (``registry`` is that upload)."""

    def __init__(self, registry):
        super().__init__(f"Этот файл уже загружен: {registry}, {registry.uploaded_at:%d.%m.%Y}.")
        self.registry = registry


def upload_registry(organization, name: str, data: bytes, user, *, good_rows_only=False,
                    capital_repair=False, ip: str | None = None):  # fmt: skip
    """Keep an uploaded registry file and queue its import (progress on its page). A registry
    of the capital repair payee's account (``capital_repair``) credits payments that settle
    the contributions only (``Payment.capital_repair``, docs/billing-law.md).
    Raises ``DuplicateRegistry`` for a file uploaded before. The crediting is logged as done
    by ``user`` from ``ip``."""
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = PaymentRegistry.objects.filter(organization=organization, sha256=sha256).first()
    if earlier:
        raise DuplicateRegistry(earlier)
    registry = PaymentRegistry(
        organization=organization,
        file_name=name[:255],
        sha256=sha256,
        uploaded_by=user,
        good_rows_only=good_rows_only,
        capital_repair=capital_repair,
    )
    registry.file.save(name, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            _queue_import(registry, user, ip)
    except IntegrityError:  # the same file, uploaded at the same moment
        raise DuplicateRegistry(
            PaymentRegistry.objects.get(organization=organization, sha256=sha256)
        ) from None
    return registry


def import_good_rows(registry, user, *, ip: str | None = None) -> PaymentRegistry:
    """A registry refused for its errors: credit its good rows after all."""
    if registry.status != RegistryStatus.REJECTED:
        raise ValueError("Only a rejected registry can have its good rows imported.")
    registry.good_rows_only = True
    registry.status = RegistryStatus.QUEUED
    _queue_import(registry, user, ip)
    return registry


def _queue_import(registry, user, ip) -> None:
    from kabinet.payments.tasks import import_registry as import_task

    registry.job = create_job(
        registry.organization, "payment_registry", f"Реестр платежей «{registry.file_name}»", user
    )
    registry.save()
    transaction.on_commit(lambda: import_task.enqueue(registry.pk, ip))


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
