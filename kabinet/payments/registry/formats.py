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
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from kabinet.formats import format_rubles
from kabinet.money import MONEY_FIELD, ZERO, fits, parse_money, shown
from kabinet.months import month_of
from kabinet.payments.models import RegistryFormat
from kabinet.payments.registry.purpose import read_purpose
from kabinet.tabular import (
    XLSX_MAGIC,
    RowError,
    TableError,
    check_row_count,
    decode_text,
    read_table,
)

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
        if cells["purpose"]:  # a QR payment names its ЛС and month there (registry.purpose)
            account, period = read_purpose(cells["purpose"])
            cells["account"] = cells["account"] or account
            if not cells["period"] and period:
                cells["period"] = f"{period:%m.%Y}"
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
