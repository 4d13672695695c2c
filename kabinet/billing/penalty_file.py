"""A debt's history from a CSV file, for a penalty calculation outside the billing run
(``manage.py penalty_calc``): the same engine (``penalty_calculation.penalty_lines``) and the
same law.

The file is UTF-8, ``;``-separated, with the header ``вид;период;сумма;дата``:
``начисление;2019-05;1000,00;2019-06-10`` (the billed month, its amount and due date; without
a date the due date the law sets for the month) and ``оплата;;100,00;2020-01-01`` or
``оплата;2019-05;100,00;2020-01-01`` (a payment and its date, optionally naming the month).
A payment naming a month settles that month first, what is beyond its debt and a payment naming
nothing settle the oldest debt first (ГК РФ ст. 319.1,
``penalty_calculation.allocate_payments``)."""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing import penalty_rules
from kabinet.formats import format_money, format_number, month_name
from kabinet.money import ZERO

HEADER = ["вид", "период", "сумма", "дата"]
CHARGE, PAYMENT = "начисление", "оплата"
DEFAULT_DUE_DAY = 10  # ЖК РФ ст. 155 ч. 1 before 01.03.2026, when no contract says otherwise
RULE_NAMES = {
    penalty_rules.KEY_RATE: "ключевая ставка",
    penalty_rules.RATE_CAP: "предельная ставка",
    penalty_rules.MORATORIUM: "мораторий",
}


class PenaltyFileError(Exception):
    """The file has bad rows; ``problems`` names each by its line number."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class DebtHistory:
    charges: dict[datetime.date, tuple[Decimal, datetime.date | None]] = field(
        default_factory=dict
    )  # billed month → (amount, due date or None: as the law sets)
    payments: list[tuple[datetime.date, Decimal, datetime.date | None]] = field(
        default_factory=list
    )  # (day, amount, the month the payment names or None)


def read_history(text: str) -> DebtHistory:
    """The charges and payments of the file; raises ``PenaltyFileError`` naming bad rows."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    header = next(rows, None)
    if [cell.strip().lower() for cell in header or []] != HEADER:
        raise PenaltyFileError(["строка 1: заголовок должен быть «вид;период;сумма;дата»"])
    history, problems = DebtHistory(), []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            _read_row(history, [cell.strip() for cell in row])
        except ValueError as error:
            problems.append(f"строка {number}: {error}")
    if not problems and not history.charges:
        problems.append("в файле нет ни одного начисления")
    if problems:
        raise PenaltyFileError(problems)
    return history


def _read_row(history: DebtHistory, row: list[str]) -> None:
    if len(row) != len(HEADER):
        raise ValueError(f"ожидается 4 поля через «;», а их {len(row)}")
    kind, period, amount, day = row
    amount = _amount(amount)
    if kind.lower() == CHARGE:
        month = _month(period)
        if month is None:
            raise ValueError("у начисления не указан период (ГГГГ-ММ)")
        due = _date(day) if day else None
        if month in history.charges:
            raise ValueError(f"начисление за {month_name(month)} уже было выше")
        history.charges[month] = (amount, due)
    elif kind.lower() == PAYMENT:
        named = _month(period)
        if not day:
            raise ValueError("у оплаты не указана дата")
        history.payments.append((_date(day), amount, named))
    else:
        raise ValueError(f"вид «{kind}» не «{CHARGE}» и не «{PAYMENT}»")


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"сумма «{text}» не число") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"сумма «{text}» должна быть больше нуля, с точностью до копейки")
    return value


def _month(text: str) -> datetime.date | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}", text, re.ASCII):
        raise ValueError(f"период «{text}» не в виде ГГГГ-ММ")
    try:
        return datetime.date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise ValueError(f"период «{text}» не в виде ГГГГ-ММ") from None


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"дата «{text}» не в виде ГГГГ-ММ-ДД") from None


def calculate(
    history: DebtHistory, to: datetime.date, law: penalty_rules.PenaltyLaw
) -> list[pcalc.PenaltyLine]:
    """The penalty on ``history`` from the first day of delay to ``to`` (the calculation day)."""
    debts = [
        pcalc.Debt(month, due or pcalc.due_date(month, DEFAULT_DUE_DAY, law), amount)
        for month, (amount, due) in sorted(history.charges.items())
    ]
    first = min(debt.due for debt in debts) + datetime.timedelta(days=1)
    if first > to:
        return []
    lines = pcalc.penalty_lines(debts, ZERO, history.payments, first, to, law)
    return sorted(lines, key=lambda line: (line.debt_month, line.first, line.rate))


def penalty_table(lines: list[pcalc.PenaltyLine]) -> list[str]:
    """The lines as a text table, per debt month, and the total as the last line."""
    header = ("Долг за", "Срок оплаты", "Дни просрочки", "Дней", "Долг", "Правило", "Ставка, %",
              "Доля", "Пени")  # fmt: skip
    rows = [
        (
            f"{line.debt_month:%m.%Y}",
            f"{line.due:%d.%m.%Y}",
            f"{line.first:%d.%m.%Y}–{line.last:%d.%m.%Y}",
            str(line.days),
            format_money(line.debt),
            RULE_NAMES[line.rule],
            format_number(line.rate, 2),
            f"1/{line.fraction}",
            format_money(line.amount),
        )
        for line in lines
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left = {0, 1, 2, 5}

    def text(row):
        cells = (
            cell.ljust(width) if index in left else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    total = sum((line.amount for line in lines), ZERO)
    return [text(header), *(text(row) for row in rows), f"Итого пени: {format_money(total)}"]
