"""Closing a period: freeze it, store each account's balances and open the next month."""

from django.db import transaction
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.billing.balances import store_balances
from kabinet.billing.bulk import without_cycle_collection
from kabinet.billing.lines import BillingError
from kabinet.billing.models import Period, PeriodStatus
from kabinet.billing.parts import CLOSED, drop_runs
from kabinet.billing.run import locked_open
from kabinet.billing.signals import period_closed
from kabinet.months import add_months
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
        total = store_balances(period)
        drop_runs(period, CLOSED)  # a run still computing would find the period closed
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
