"""Closing a period: freeze it, store each account's balances and open the next month."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.billing.bulk import insert_period_rows, without_cycle_collection
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    PENALTY_METHODS,
    AccountBalance,
    Charge,
    Period,
    PeriodStatus,
)
from kabinet.billing.run import locked_open
from kabinet.billing.signals import period_closed
from kabinet.money import ZERO, summed
from kabinet.months import add_months
from kabinet.payments.models import Payment
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import EventKind


def close_period(period: Period, user=None, *, ip: str | None = None) -> Period:
    """Freeze ``period``: store each account's balances, open the next month, and (after the
    commit) send ``period_closed``, which starts the e-receipt mailing. Returns the next period.
    The audit log keeps the closing, by ``user`` from ``ip``, with the month's total."""
    asked = period
    with without_cycle_collection(), transaction.atomic():
        period = locked_open(period)
        earlier_open = Period.objects.filter(
            organization=period.organization, status=PeriodStatus.OPEN, month__lt=period.month
        )
        if earlier_open.exists():
            raise BillingError("Сначала закройте более ранний открытый период.")
        if period.calculated_at is None:
            raise BillingError(
                "Период ещё не рассчитан: выполните расчёт или загрузите начисления."
            )
        if period.month > timezone.localdate():
            raise BillingError("Месяц ещё не начался: закрывать его рано.")
        total = _store_balances(period)
        period.status = PeriodStatus.CLOSED
        period.closed_at = timezone.now()
        period.save(update_fields=["status", "closed_at"])
        record(
            action=AuditAction.PERIOD_CLOSED,
            organization=period.organization,
            actor=user,
            ip=ip,
            obj=period,
            changes={"status": [PeriodStatus.OPEN, PeriodStatus.CLOSED]},
            amount=total,
        )
        webhooks.emit(
            period.organization_id,
            EventKind.PERIOD_CLOSED,
            lambda: {
                "period_id": period.pk,
                "month": period.month,
                "total": total,
                "closed_at": period.closed_at,
            },
        )
        asked.status, asked.closed_at = period.status, period.closed_at
        following, _ = Period.objects.get_or_create(
            organization=period.organization, month=add_months(period.month, 1)
        )
        transaction.on_commit(lambda: period_closed.send(sender=Period, period=period))
    return following


def _sums(queryset, *group, **sums) -> dict:
    named = {f"sum_{name}": expression for name, expression in sums.items()}
    rows = queryset.values(*group).annotate(**named).values_list(*group, *named)
    return {row[: len(group)] if len(group) > 1 else row[0]: row[len(group) :] for row in rows}


def _store_balances(period: Period) -> Decimal:
    """Each account's opening and closing balance (ledger.py's figures) for the period.
    Returns the month's total charged (with recalculations and penalties)."""
    organization, month = period.organization, period.month
    next_month = add_months(month, 1)
    charges = Charge.objects.filter(
        Q(period__status=PeriodStatus.CLOSED) | Q(period=period),
        period__organization=organization,
    )
    is_penalty = Q(service__method__in=PENALTY_METHODS)
    before = _sums(charges.filter(period__month__lt=month), "account", total=Sum("total"))
    this_month = _sums(
        charges.filter(period=period),
        "account",
        charged=Sum("charged", filter=~is_penalty),
        recalculation=Sum("recalculation"),
        penalties=Sum("charged", filter=is_penalty),
    )
    payments = Payment.objects.filter(account__organization=organization, paid_on__lt=next_month)
    paid_before = _sums(payments.filter(paid_on__lt=month), "account", total=Sum("amount"))
    paid_now = _sums(payments.filter(paid_on__gte=month), "account", total=Sum("amount"))
    accounts = set(before) | set(this_month) | set(paid_before) | set(paid_now)

    def money(table, account, index=0):
        row = table.get(account)
        return summed(row[index] if row else None)

    rows, total = [], ZERO
    for account in sorted(accounts):
        opening = money(before, account) - money(paid_before, account)
        charged, recalculation, penalties = (money(this_month, account, i) for i in range(3))
        paid = money(paid_now, account)
        closing = opening + charged + recalculation + penalties - paid
        total += charged + recalculation + penalties
        rows.append((period.pk, account, opening, charged, recalculation, penalties, paid, closing))
    fields = ["period", "account", "opening", "charged", "recalculation", "penalties", "paid"]
    insert_period_rows(period, AccountBalance, [*fields, "closing"], rows)
    return total
