"""The ledger (движение финансов) of a personal account, month by month.

A month's charges (base charges, recalculations, penalties) belong to its period and count once
the period is closed (an open period's lines are a draft); a payment
belongs to the month of its date. The balance at the start of a month is everything charged for
earlier months minus everything paid before the month began; positive is a debt, negative an
overpayment. Every figure here reconciles to the kopeck:

    closing = opening + charged + recalculation + penalties − paid
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum

from kabinet.billing.models import PENALTY_METHODS, Charge
from kabinet.money import ZERO, money_sum, summed
from kabinet.months import add_months, first_of_month
from kabinet.payments.models import Payment

IS_PENALTY = Q(service__method__in=PENALTY_METHODS)


@dataclass(frozen=True)
class LedgerMonth:
    month: datetime.date
    opening: Decimal
    charged: Decimal = ZERO
    recalculation: Decimal = ZERO
    penalties: Decimal = ZERO
    paid: Decimal = ZERO
    payments: tuple[Payment, ...] = field(default=(), compare=False)
    billed: bool = False  # a closed period charged the account for the month: it has a receipt

    @property
    def accrued(self) -> Decimal:
        """Everything charged for the month: base charges, recalculations and penalties."""
        return self.charged + self.recalculation + self.penalties

    @property
    def closing(self) -> Decimal:
        return self.opening + self.accrued - self.paid


@dataclass(frozen=True)
class Ledger:
    first_month: datetime.date
    last_month: datetime.date
    opening: Decimal
    months: tuple[LedgerMonth, ...]

    def _total(self, name) -> Decimal:
        return sum((getattr(month, name) for month in self.months), ZERO)

    def closing_date(self, today: datetime.date) -> datetime.date:
        """The day the closing balance is shown at: the last day of ``last_month``, or
        ``today`` while that month runs."""
        return min(today, add_months(self.last_month, 1) - datetime.timedelta(days=1))

    @property
    def charged(self) -> Decimal:
        return self._total("charged")

    @property
    def recalculation(self) -> Decimal:
        return self._total("recalculation")

    @property
    def penalties(self) -> Decimal:
        return self._total("penalties")

    @property
    def paid(self) -> Decimal:
        return self._total("paid")

    @property
    def closing(self) -> Decimal:
        return self.months[-1].closing if self.months else self.opening

    @property
    def payments(self) -> list[Payment]:
        return [payment for month in self.months for payment in month.payments]


def opening_balance(account, day: datetime.date) -> Decimal:
    """The debt (or, negative, the overpayment) at the start of ``day``: the charges of every
    month that ended before it (a month's charges fall on its last day, so those of ``day``'s
    own month are not yet due) minus every payment made before it. For the first day of a
    month this is the balance at the month's start."""
    charged = Charge.objects.published().filter(
        account=account, period__month__lt=first_of_month(day)
    )
    paid = Payment.objects.filter(account=account, paid_on__lt=day)
    return money_sum(charged, "total") - money_sum(paid, "amount")


def month_sums(account, first_month: datetime.date, last_month: datetime.date) -> dict:
    """{month: {"base_sum", "recalculation_sum", "penalty_sum"}} of the published charges of
    ``account`` for the months from ``first_month`` to ``last_month`` (sums may be ``None``:
    pass them through ``money.summed``)."""
    return {
        row["period__month"]: row
        for row in Charge.objects.published()
        .filter(account=account, period__month__gte=first_month, period__month__lte=last_month)
        .values("period__month")
        .annotate(
            base_sum=Sum("charged", filter=~IS_PENALTY),
            recalculation_sum=Sum("recalculation"),
            penalty_sum=Sum("charged", filter=IS_PENALTY),
        )
    }


def account_ledger(account, first_month: datetime.date, last_month: datetime.date) -> Ledger:
    """The money movement of ``account`` from the start of ``first_month`` to the end of
    ``last_month``, with the balance after each month."""
    first_month, last_month = first_of_month(first_month), first_of_month(last_month)
    if last_month < first_month:
        raise ValueError("The ledger's last month is before its first.")
    sums = month_sums(account, first_month, last_month)
    payments: dict[datetime.date, list[Payment]] = {}
    for payment in Payment.objects.filter(
        account=account, paid_on__gte=first_month, paid_on__lt=add_months(last_month, 1)
    ).order_by("paid_on", "id"):
        payments.setdefault(first_of_month(payment.paid_on), []).append(payment)

    opening = balance = opening_balance(account, first_month)
    months = []
    month = first_month
    while month <= last_month:
        row = sums.get(month, {})
        paid_in_month = payments.get(month, [])
        entry = LedgerMonth(
            month=month,
            opening=balance,
            charged=summed(row.get("base_sum")),
            recalculation=summed(row.get("recalculation_sum")),
            penalties=summed(row.get("penalty_sum")),
            paid=sum((payment.amount for payment in paid_in_month), ZERO),
            payments=tuple(paid_in_month),
            billed=month in sums,
        )
        months.append(entry)
        balance = entry.closing
        month = add_months(month, 1)
    return Ledger(first_month, last_month, opening, tuple(months))
