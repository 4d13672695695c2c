"""The reconciliation statement (акт сверки взаиморасчётов) of a personal account.

It is the ledger of «Платежи» (``billing.ledger.account_ledger``) laid out as a statement: the
opening balance, then in date order each month's charges, recalculation and penalties (dated the
month they are for) and each payment (by its date and source), then the closing balance. No
figure is computed anew: every line and total is read off the same ``Ledger``, so the statement
and «Платежи» agree to the kopeck:

    closing = opening + charged + recalculation + penalties − paid

A month's charges belong to the whole month (the period is billed by months), so the statement
covers whole months, from the first day of the first to the last day of the last (or today,
while it runs).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from kabinet.billing.ledger import Ledger, account_ledger
from kabinet.formats import month_name
from kabinet.money import ZERO
from kabinet.payments.models import PaymentSource


@dataclass(frozen=True)
class StatementLine:
    day: datetime.date  # a charge's month (its first day) or a payment's date
    text: str
    debit: Decimal = ZERO  # owed by the resident: charges, a recalculation up, penalties
    credit: Decimal = ZERO  # a payment, or a recalculation down
    source: str = ""  # a payment's source (PaymentSource's label)
    is_payment: bool = False


@dataclass(frozen=True)
class Statement:
    account: object
    ledger: Ledger
    to: datetime.date  # the day the closing balance is at
    lines: tuple[StatementLine, ...]

    @property
    def first(self) -> datetime.date:
        return self.ledger.first_month

    opening = property(lambda self: self.ledger.opening)
    charged = property(lambda self: self.ledger.charged)
    recalculation = property(lambda self: self.ledger.recalculation)
    penalties = property(lambda self: self.ledger.penalties)
    paid = property(lambda self: self.ledger.paid)
    closing = property(lambda self: self.ledger.closing)

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
        for payment in self.ledger.payments:
            totals[payment.source] = totals.get(payment.source, ZERO) + payment.amount
        return [(label, totals[value]) for value, label in PaymentSource.choices if value in totals]


def _month_lines(month) -> list[StatementLine]:
    name = month_name(month.month)
    lines = []
    if month.charged:
        lines.append(StatementLine(month.month, f"Начислено за {name}", debit=month.charged))
    if month.recalculation > 0:
        lines.append(StatementLine(month.month, f"Перерасчёт за {name}", debit=month.recalculation))
    elif month.recalculation < 0:
        lines.append(
            StatementLine(month.month, f"Перерасчёт за {name}", credit=-month.recalculation)
        )
    if month.penalties:
        lines.append(StatementLine(month.month, f"Пени за {name}", debit=month.penalties))
    for payment in month.payments:
        text = "Оплата"
        if payment.period:
            text += f" за {month_name(payment.period)}"
        if payment.capital_repair:
            text += " (взнос на капитальный ремонт)"
        lines.append(
            StatementLine(
                payment.paid_on,
                text,
                credit=payment.amount,
                source=payment.get_source_display(),
                is_payment=True,
            )
        )
    return lines


def reconciliation_statement(
    account, first_month: datetime.date, last_month: datetime.date, *, today: datetime.date
) -> Statement:
    """The statement of ``account`` from the start of ``first_month`` to the end of
    ``last_month`` (or ``today``, while that month runs)."""
    ledger = account_ledger(account, first_month, last_month)
    lines = tuple(line for month in ledger.months for line in _month_lines(month))
    return Statement(account, ledger, ledger.closing_date(today), lines)
