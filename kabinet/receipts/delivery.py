"""Delivery of payment documents by the deadline of ЖК РФ ст. 155 ч. 2 п. 1 (the 5th of the
month after the billed one, ``billing.law.document_deadline``).

A document counts as delivered (docs/payment-document.md, «Delivery by the 5th») when the
e-receipt mailing sent it to a subscriber of the account, or when a resident of the account
opened it in the portal, as the print page or the PDF. The first of these is recorded per
account and period (``DocumentDelivery``); later ones change nothing. Paper copies and ГИС ЖКХ
are not known to Kabinet: their accounts show as not delivered.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from kabinet.billing.law import document_deadline
from kabinet.billing.models import Period, PeriodStatus
from kabinet.housing.models import PersonalAccount
from kabinet.receipts.models import DocumentDelivery
from kabinet.users.models import AccountLink

# The billing page warns this many days before the deadline (and after it) while the period
# is still open: closing, the mailing and paper delivery take a few days.
WARN_DAYS_BEFORE = 5


def record_document_delivered(*, account, period: Period, channel: str, at=None) -> None:
    """Record that ``account``'s document for the closed ``period`` reached a resident by
    ``channel`` (``DeliveryChannel``), unless an earlier delivery is recorded already: safe to
    call on every send and every download, from concurrent requests too."""
    if not period.is_closed:
        return  # an open month has no payment document yet
    if DocumentDelivery.objects.filter(account=account, period=period).exists():
        return  # the usual case of a download: a read, not a write on every request
    DocumentDelivery.objects.bulk_create(
        [
            DocumentDelivery(
                account=account,
                period=period,
                delivered_at=at or timezone.now(),
                channel=channel,
            )
        ],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class DocumentPlan:
    """The open period's deadline as the billing page shows it."""

    deadline: datetime.date | None
    days_left: int | None  # to the deadline from today; negative once it has passed
    level: str  # "" (in time), "warning" (near), "error" (passed with the period open)


def document_plan(period: Period, today: datetime.date) -> DocumentPlan:
    """Whether the documents of the open ``period`` can still go out in time: the warning
    starts ``WARN_DAYS_BEFORE`` days before the deadline, the error once it has passed."""
    deadline = document_deadline(period.month)
    if deadline is None:
        return DocumentPlan(None, None, "")
    days_left = (deadline - today).days
    level = ""
    if not period.is_closed:
        if days_left < 0:
            level = "error"
        elif days_left <= WARN_DAYS_BEFORE:
            level = "warning"
    return DocumentPlan(deadline, days_left, level)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def undelivered_accounts(period: Period):
    """The accounts charged in the closed ``period`` whose document was not delivered by the
    deadline (never, or after it), with ``delivered_at``, ``delivered_by`` (the channel) and
    ``subscribed`` (to e-receipts). Before the rule (no deadline): those never delivered."""
    first = DocumentDelivery.objects.filter(period=period, account=OuterRef("pk"))
    accounts = (
        PersonalAccount.objects.filter(organization=period.organization_id)
        .filter(Exists(period.charges.filter(account=OuterRef("pk"))))
        .annotate(
            delivered_at=Subquery(first.values("delivered_at")[:1]),
            delivered_by=Subquery(first.values("channel")[:1]),
            subscribed=Exists(
                AccountLink.objects.filter(
                    account=OuterRef("pk"), receipts_by_email=True, user__is_active=True
                ).exclude(user__email="")
            ),
        )
        .select_related("premise__house")
        .order_by("number")
    )
    deadline = document_deadline(period.month)
    late = Q(delivered_at__isnull=True)
    if deadline is not None:
        late |= Q(delivered_at__gte=_day_start(deadline + datetime.timedelta(days=1)))
    return accounts.filter(late)


def closed_periods(organization):
    """The organisation's closed periods, the latest first (the page's choice)."""
    return Period.objects.filter(organization=organization, status=PeriodStatus.CLOSED).order_by(
        "-month"
    )


def period_of(organization, month: datetime.date | None) -> Period | None:
    """The closed period of ``month``, else the latest closed one."""
    periods = closed_periods(organization)
    if month is not None:
        return periods.filter(month=month).first()
    return periods.first()
