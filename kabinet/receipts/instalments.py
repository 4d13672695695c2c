"""Section 5 of the payment document (Приказ Минстроя России от 26.01.2018 № 43/пр, «Расчёт
суммы к оплате с учётом рассрочки платежа»): the account's instalment plans (Правила № 354
п. 72, ``kabinet.billing.instalments``) with a month in the document's one."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from kabinet.billing.instalments import month_of, plans_in
from kabinet.money import ZERO


@dataclass(frozen=True)
class InstalmentRow:
    """A plan on the payment document of one month (Приказ № 43/пр, раздел 5 «Расчёт суммы
    к оплате с учётом рассрочки платежа»)."""

    service: str
    charged_month: datetime.date
    amount: Decimal  # spread
    months: int
    number: int  # this month's place in the plan
    rate: Decimal  # % a year
    share: Decimal  # this month's share of the amount
    interest: Decimal  # this month's interest
    remaining: Decimal  # of the amount, due in later months
    deferred: Decimal  # taken off this month's charge (the plan's first month), else 0

    @property
    def to_pay(self) -> Decimal:
        return self.share + self.interest


def instalment_rows(account, month: datetime.date, shared=None) -> tuple[InstalmentRow, ...]:
    """The account's plans with a month in ``month``, as the payment document shows them; a
    mass run of receipts passes a dict in ``shared`` that keeps the month's plans of every
    account for the next receipt (one query for all)."""
    if shared is None:
        plans = plans_in(account.organization_id, month, [account.pk])
    else:
        key = ("instalments", account.organization_id, month)
        if key not in shared:
            by_account = {}
            for plan in plans_in(account.organization_id, month):
                by_account.setdefault(plan.account_id, []).append(plan)
            shared[key] = by_account
        plans = shared[key].get(account.pk, [])
    rows = []
    for plan in plans:
        row = month_of(plan, month)
        rows.append(
            InstalmentRow(
                service=plan.service.name,
                charged_month=plan.period.month,
                amount=plan.amount,
                months=plan.months,
                number=row.number,
                rate=plan.rate,
                share=row.share,
                interest=row.interest,
                remaining=row.remaining,
                deferred=plan.amount if row.number == 1 else ZERO,
            )
        )
    return tuple(sorted(rows, key=lambda row: (row.charged_month, row.service)))
