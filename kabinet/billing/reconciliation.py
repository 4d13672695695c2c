"""The reconciliation statement (акт сверки взаиморасчётов) of a personal account, for any range
of days.

It follows the ledger of «Платежи» (``billing.ledger``) and its rules, with no second
computation: the opening balance is ``ledger.opening_balance`` at the first day, the charges are
the ledger's month sums (``ledger.month_sums``), the payments the same ``Payment`` rows. A
month's charges, recalculation and penalties fall on the **last day of the billed month** (the
ledger's rule: the balance at the start of a month counts the charges of every earlier month),
so a range takes a month's charges when it holds that month's last day; a payment falls on its
date. For a range of whole months the statement's figures are the ledger's to the kopeck, and
for any range

    closing = opening + charged + recalculation + penalties − paid

where closing is ``opening_balance`` the day after the last.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from kabinet.billing.ledger import month_sums, opening_balance
from kabinet.formats import month_name
from kabinet.money import ZERO, summed
from kabinet.months import add_months, first_of_month
from kabinet.payments.models import Payment, PaymentSource

ONE_DAY = datetime.timedelta(days=1)


def charge_day(month: datetime.date) -> datetime.date:
    """The day a month's charges are due in the statement: the last day of the billed month."""
    return add_months(first_of_month(month), 1) - ONE_DAY


@dataclass(frozen=True)
class StatementLine:
    day: datetime.date  # a payment's date, or the last day of the month charged
    text: str
    debit: Decimal = ZERO  # owed by the resident: charges, a recalculation up, penalties
    credit: Decimal = ZERO  # a payment, or a recalculation down
    source: str = ""  # a payment's source (PaymentSource's label)
    is_payment: bool = False


@dataclass(frozen=True)
class Statement:
    account: object
    first: datetime.date  # the opening balance is at the start of this day
    to: datetime.date  # the closing balance is at the end of this day
    opening: Decimal
    charged: Decimal
    recalculation: Decimal
    penalties: Decimal
    payments: tuple[Payment, ...]
    lines: tuple[StatementLine, ...]

    @property
    def paid(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.charged + self.recalculation + self.penalties - self.paid

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def paid_by_source(self) -> list[tuple[str, Decimal]]:
        """(source label, paid) for each source that paid in the period, in PaymentSource order."""
        totals: dict[str, Decimal] = {}
        for payment in self.payments:
            totals[payment.source] = totals.get(payment.source, ZERO) + payment.amount
        return [(label, totals[value]) for value, label in PaymentSource.choices if value in totals]


def _charge_lines(month: datetime.date, row: dict) -> list[StatementLine]:
    name, day = month_name(month), charge_day(month)
    charged, recalculation = summed(row.get("base_sum")), summed(row.get("recalculation_sum"))
    penalties = summed(row.get("penalty_sum"))
    lines = []
    if charged:
        lines.append(StatementLine(day, f"Начислено за {name}", debit=charged))
    if recalculation > 0:
        lines.append(StatementLine(day, f"Перерасчёт за {name}", debit=recalculation))
    elif recalculation < 0:
        lines.append(StatementLine(day, f"Перерасчёт за {name}", credit=-recalculation))
    if penalties:
        lines.append(StatementLine(day, f"Пени за {name}", debit=penalties))
    return lines


def _payment_line(payment) -> StatementLine:
    text = "Оплата"
    if payment.period:
        text += f" за {month_name(payment.period)}"
    if payment.capital_repair:
        text += " (взнос на капитальный ремонт)"
    return StatementLine(
        payment.paid_on,
        text,
        credit=payment.amount,
        source=payment.get_source_display(),
        is_payment=True,
    )


def reconciliation_statement(account, first: datetime.date, last: datetime.date) -> Statement:
    """The statement of ``account`` from the start of ``first`` to the end of ``last``."""
    if last < first:
        raise ValueError("The statement's last day is before its first.")
    first_month = first_of_month(first)  # its last day is on or after ``first``
    last_month = add_months(first_of_month(last + ONE_DAY), -1)  # the last one ended by ``last``
    sums = month_sums(account, first_month, last_month) if first_month <= last_month else {}
    payments = tuple(
        Payment.objects.filter(account=account, paid_on__gte=first, paid_on__lte=last).order_by(
            "paid_on", "id"
        )
    )
    lines = [line for month in sorted(sums) for line in _charge_lines(month, sums[month])]
    lines += [_payment_line(payment) for payment in payments]
    lines.sort(key=lambda line: (line.day, line.is_payment))  # stable: a month's lines in order

    def total(name):
        return sum((summed(row.get(name)) for row in sums.values()), ZERO)

    return Statement(
        account=account,
        first=first,
        to=last,
        opening=opening_balance(account, first),
        charged=total("base_sum"),
        recalculation=total("recalculation_sum"),
        penalties=total("penalty_sum"),
        payments=payments,
        lines=tuple(lines),
    )
