"""Bank payment registries (реестры платежей): reading the three forms a bank sends.

Told apart by content:

* **Sberbank's full text registry**: one payment per line, fields separated by «;», CP1251 or
  UTF-8: ``дата;время;отделение;ВСП;номер операции;ЛС;ФИО;адрес;период;сумма[;сумма
  перевода];комиссия``.
* **The short text registry** (banks and payment agents that copy Sberbank's):
  ``дата;ЛС;ФИО;адрес;период;сумма[;комиссия]``. In both text forms dates are ``ДД-ММ-ГГГГ``,
  ``ДД.ММ.ГГГГ`` or ``ДД/ММ/ГГГГ``; the period ``ММГГ``, ``ММГГГГ`` or ``ММ.ГГГГ``; amounts
  with a point or a comma. The closing summary line starts with «=» (``=количество;сумма;…``)
  and is checked; lines starting with «#» are header lines (``#FILESUM`` is checked like the
  summary).
* **A table** (CSV or XLSX) with a header row: «Дата», «Лицевой счёт», «Сумма», and optionally
  «Плательщик», «Адрес», «Период», «Комиссия», «Номер операции», «Назначение платежа» (a
  payment by the receipt's QR code names its ЛС and month there: ``registry.purpose``; an
  empty ЛС or period cell is taken from it).

Crediting what was read is ``registry.crediting``.
"""

import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone

from kabinet.formats import format_rubles
from kabinet.money import MONEY_FIELD, ZERO, fits, parse_money, shown
from kabinet.months import month_of
from kabinet.payments.models import RegistryFormat
from kabinet.payments.registry.purpose import read_purpose
from kabinet.tabular import (
    RowError,
    TableError,
    check_row_count,
    is_xlsx,
    read_table,
    text_lines,
)

# ASCII digits only (``re.ASCII``): «١٥» is a digit to ``\d`` and to ``int``, not to a bank.
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
    "purpose": ("назначение платежа", "назначение"),
}
TABLE_OPTIONAL = {"payer", "address", "period", "commission", "operation", "purpose"}


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
class RegistryScan:
    """What one pass over a registry tells besides its rows (``read_registry``)."""

    format: str
    lines: int = 0  # payment lines, readable or not
    rows: int = 0  # readable lines
    amount: Decimal = ZERO  # of the readable lines
    commission: Decimal = ZERO
    declared_count: int | None = None
    declared_amount: Decimal | None = None
    summary_line: int | None = None


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


def _sberbank_items(file: BinaryIO, today: datetime.date, scan: RegistryScan) -> Iterator:
    reader = _RowReader(today)
    limit = settings.IMPORT_MAX_ROWS  # read once: a lazy setting costs a call per line
    for number, line in enumerate(text_lines(file), start=1):
        if number > limit:
            check_row_count(number)
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition(" ")
            if key.upper() == "FILESUM":
                try:
                    scan.declared_amount = parse_money(value)
                except ValueError:
                    yield RowError(number, f"неверная сумма в «{line}»")
            continue
        cells = [cell.strip() for cell in line.split(";")]
        if cells[-1] == "":
            cells.pop()  # many banks end every line with «;»
        if line.startswith("="):
            scan.summary_line = number
            try:
                scan.declared_count, scan.declared_amount = _summary_numbers(
                    [cells[0][1:], *cells[1:2]]
                )
            except (ValueError, IndexError):
                yield RowError(number, "итоговая строка не читается")
            continue
        scan.lines += 1
        try:
            if len(cells) >= 10 and TIME.fullmatch(cells[1]):
                date, time, branch, office, operation, account, payer, address, period, amount = (
                    cells[:10]
                )
                # …;сумма[;сумма перевода];комиссия — or no commission at all
                commission = cells[11] if len(cells) >= 12 else "".join(cells[10:11])
                reference = f"{time}|{branch}|{office}|{operation}"
                yield reader.row(number, date, account, amount, commission, payer, address,
                                 period, reference)  # fmt: skip
            elif len(cells) in (6, 7):
                yield reader.row(number, cells[0], cells[1], cells[5],
                                 cells[6] if len(cells) == 7 else "", cells[2], cells[3],
                                 cells[4])  # fmt: skip
            else:
                raise ValueError(
                    f"{len(cells)} полей через «;» — это не строка реестра (ожидается "
                    "дата;ЛС;ФИО;адрес;период;сумма;комиссия или полная строка Сбербанка)"
                )
        except ValueError as error:
            yield RowError(number, str(error))


def _summary_problems(scan: RegistryScan) -> Iterator[RowError]:
    """The bank's own totals must agree with the lines (a cut-off file is caught here)."""
    problems = []
    if scan.declared_count is not None and scan.declared_count != scan.lines:
        problems.append(f"по итоговой строке платежей {scan.declared_count}, "
                        f"а в файле {scan.lines}")  # fmt: skip
    amount = scan.declared_amount
    if amount is not None and scan.rows == scan.lines and scan.amount != amount:
        problems.append(f"итоговая сумма {format_rubles(amount)}, "
                        f"а строки дают {format_rubles(scan.amount)}")  # fmt: skip
    if problems:
        yield RowError(scan.summary_line or 1, "итог не сходится: " + "; ".join(problems))


def _table_items(file: BinaryIO, today: datetime.date, scan: RegistryScan) -> Iterator:
    reader = _RowReader(today)
    for number, cells in read_table(file, TABLE_COLUMNS, TABLE_OPTIONAL):
        if cells["date"].lower().startswith("итог"):
            continue
        scan.lines += 1
        if cells["purpose"]:  # a QR payment names its ЛС and month there (registry.purpose)
            account, period = read_purpose(cells["purpose"])
            cells["account"] = cells["account"] or account
            if not cells["period"] and period:
                cells["period"] = f"{period:%m.%Y}"
        try:
            yield reader.row(number, cells["date"], cells["account"], cells["amount"],
                             cells["commission"], cells["payer"], cells["address"],
                             cells["period"], cells["operation"])  # fmt: skip
        except ValueError as error:
            yield RowError(number, str(error))


def read_registry(
    file: BinaryIO, today: datetime.date | None = None
) -> tuple[RegistryScan, Iterator[RegistryRow | RowError]]:
    """Read a registry of either form from a seekable binary ``file`` as the rows are used,
    never holding the file or its rows whole: the scan, and the rows with the errors of the bad
    lines in the file's order, then the errors of the file as a whole (totals that disagree
    with the lines or overflow a column). The scan is complete once the rows are read.
    ``TableError`` (from this call or from the rows) if the file as a whole is unreadable."""
    today = today or timezone.localdate()
    if is_xlsx(file):
        scan = RegistryScan(format=RegistryFormat.TABLE)
        items = _table_items(file, today, scan)
    else:
        lines = text_lines(file)
        try:
            first = next((line.strip() for line in lines if line.strip()[:1] not in ("", "#")), "")
        finally:
            lines.close()
        if first.startswith("=") or DATE.match(first):
            scan = RegistryScan(format=RegistryFormat.SBERBANK)
            items = _sberbank_items(file, today, scan)
        else:
            scan = RegistryScan(format=RegistryFormat.TABLE)
            items = _table_items(file, today, scan)
    return scan, _counted(scan, items)


def _counted(scan: RegistryScan, items: Iterator) -> Iterator[RegistryRow | RowError]:
    for item in items:
        if type(item) is RegistryRow:
            scan.rows += 1
            scan.amount += item.amount
            scan.commission += item.commission
        yield item
    if scan.format == RegistryFormat.SBERBANK:
        yield from _summary_problems(scan)
    if not scan.lines:
        raise TableError("В файле нет ни одного платежа.")
    for title, total in (("сумма платежей", scan.amount), ("комиссия", scan.commission)):
        if not fits(total, **MONEY_FIELD):
            yield RowError(
                1,
                f"{title} всего файла {format_rubles(total)} — много для одного "
                "реестра: разделите файл на части",
            )


def parse_registry(data: bytes, today: datetime.date | None = None) -> ParsedRegistry:
    """``read_registry`` of a file's content, its rows and errors gathered in lists (for a
    look at a small file; the import streams)."""
    scan, items = read_registry(io.BytesIO(data), today)
    parsed = ParsedRegistry(format=scan.format)
    for item in items:
        (parsed.rows if type(item) is RegistryRow else parsed.errors).append(item)
    parsed.lines = scan.lines
    parsed.declared_count, parsed.declared_amount = scan.declared_count, scan.declared_amount
    return parsed
