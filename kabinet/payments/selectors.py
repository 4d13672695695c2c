import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from kabinet.money import ZERO, round_money
from kabinet.payments.models import (
    OnlinePayment,
    Payment,
    PaymentRegistry,
    PaymentSource,
    RegistryDay,
    RegistryStatus,
)


def payments_of(account):
    """The account's payments, newest first."""
    return Payment.objects.filter(account=account).order_by("-paid_on", "-id")


def online_payments_of(account):
    """The account's online payments (pending, paid or cancelled), newest first — a payment of
    several accounts (``OnlinePaymentPart``) among those of each of them."""
    return (
        OnlinePayment.objects.filter(Q(account=account) | Q(parts__account=account))
        .distinct()
        .select_related("payment")
    )


def registries_for(organizations):
    return PaymentRegistry.objects.for_organizations(organizations).select_related(
        "organization", "uploaded_by"
    )


@dataclass
class ReconciliationDay:
    day: datetime.date
    paid: dict[str, Decimal] = field(default_factory=dict)  # by PaymentSource
    counts: dict[str, int] = field(default_factory=dict)
    registries: Decimal = ZERO  # what the banks' registries say was paid that day
    registry_rows: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.paid.values(), ZERO)

    @property
    def bank(self) -> Decimal:
        return self.paid.get(PaymentSource.BANK, ZERO)

    @property
    def difference(self) -> Decimal:
        """Registered by the bank but not credited (positive), or credited as bank payments
        that no registry lists (negative)."""
        return self.registries - self.bank

    def by_source(self) -> list[Decimal]:
        return [self.paid.get(source, ZERO) for source in PaymentSource.values]


def reconciliation(organizations, first_day: datetime.date, last_day: datetime.date):
    """Payments received each day by source, against the totals of the banks' registries
    (those credited, fully or the good rows only). Days with neither are left out."""
    days: dict[datetime.date, ReconciliationDay] = {}
    payments = (
        Payment.objects.for_organizations(organizations)
        .filter(paid_on__gte=first_day, paid_on__lte=last_day)
        .values("paid_on", "source")
        .annotate(total=Sum("amount"), count=Count("id"))
    )
    for row in payments:
        day = days.setdefault(row["paid_on"], ReconciliationDay(row["paid_on"]))
        day.paid[row["source"]] = round_money(row["total"])
        day.counts[row["source"]] = row["count"]
    registered = (
        RegistryDay.objects.for_organizations(organizations)
        .filter(
            day__gte=first_day,
            day__lte=last_day,
            registry__status__in=[RegistryStatus.IMPORTED, RegistryStatus.PARTIAL],
        )
        .values("day")
        .annotate(total=Sum("amount"), rows=Sum("count"))
    )
    for row in registered:
        day = days.setdefault(row["day"], ReconciliationDay(row["day"]))
        day.registries = round_money(row["total"])
        day.registry_rows = row["rows"]
    return [days[day] for day in sorted(days)]


@dataclass(frozen=True)
class ReconciliationTotals:
    """The month's line under the days of «Сверка»: paid by source (in ``PaymentSource``'s
    order), in all, by the registries, and their difference."""

    by_source: list[Decimal]
    total: Decimal
    registries: Decimal
    difference: Decimal


def reconciliation_totals(days: list[ReconciliationDay]) -> ReconciliationTotals:
    """The totals of ``reconciliation``'s days."""
    columns = [day.by_source() for day in days]
    by_source = [sum((row[i] for row in columns), ZERO) for i in range(len(PaymentSource.values))]
    return ReconciliationTotals(
        by_source=by_source,
        total=sum(by_source, ZERO),
        registries=sum((day.registries for day in days), ZERO),
        difference=sum((day.difference for day in days), ZERO),
    )
