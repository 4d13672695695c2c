import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum, prefetch_related_objects

from kabinet.money import ZERO, round_money
from kabinet.payments.models import (
    OnlinePayment,
    OnlinePaymentPart,
    OnlinePaymentStatus,
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
    several accounts (``OnlinePaymentPart``) among those of each of them. Whole records: what a
    resident is shown of each goes through ``online_payment_seen_by``."""
    return (
        OnlinePayment.objects.filter(Q(account=account) | Q(parts__account=account))
        .distinct()
        .select_related("payment")
    )


@dataclass(frozen=True)
class OnlinePaymentPartSeen:
    """One account's share of a payment of several accounts, as its payer sees it."""

    account_number: str
    amount: Decimal
    credited: bool


@dataclass(frozen=True)
class OnlinePaymentSeen:
    """An online payment as one resident sees it on one account's pages and in the API.

    The payer (who started it) sees the whole: each account's part of a payment of several
    accounts, the e-mail the receipt went to, the gateway's page of a pending payment and the
    fiscal receipt. Anybody else linked to the account — a co-resident, who may have no access
    to the other accounts the payer paid with it — sees this account's share only: its amount,
    when, the state and what was credited; not the other accounts, not the payer's e-mail, not
    the gateway's page. Nor the fiscal receipt of a payment of several accounts: a receipt is
    one document of the whole payment (its ФП signs every item and its QR code carries the
    total), issued to the payer; a copy with this account's items only would be a receipt the
    tax service has never registered, and the whole one names the other accounts. The receipt
    of a payment of this account alone names nothing of anybody else and stays shown."""

    pk: int
    created_at: datetime.datetime
    paid_at: datetime.datetime | None
    status: str
    status_name: str
    amount: Decimal  # the whole for the payer; this account's part for anybody else
    credited: Decimal | None  # credited to this account, once the gateway confirmed it
    period: datetime.date | None
    capital_repair: bool
    is_payer: bool
    parts: tuple[OnlinePaymentPartSeen, ...] = ()  # the payer's view of several accounts
    email: str = ""
    confirmation_url: str = ""
    fiscal_receipt_status: str = ""
    fiscal_receipt_status_name: str = ""
    fiscal_receipt_url: str = ""
    fiscal_receipt_page: bool = False  # shown by the portal (from the gateway's attributes)

    @property
    def is_pending(self) -> bool:
        return self.status == OnlinePaymentStatus.PENDING

    @property
    def may_still_succeed(self) -> bool:
        return self.status in (OnlinePaymentStatus.EXPIRED, OnlinePaymentStatus.CANCELED)


def _parts_with_accounts():
    return Prefetch("parts", queryset=OnlinePaymentPart.objects.select_related("account"))


def online_payment_seen_by(
    user, account, online_payment: OnlinePayment
) -> OnlinePaymentSeen | None:
    """``online_payment`` (one of ``online_payments_of(account)``) as ``user`` sees it on
    ``account`` — the rule is ``OnlinePaymentSeen``'s — or None if it is not ``account``'s.
    Staff read the whole in the back office."""
    prefetch_related_objects([online_payment], _parts_with_accounts())  # once, if not yet
    is_payer = online_payment.user_id is not None and online_payment.user_id == user.pk
    parts = list(online_payment.parts.all())
    own_part = next((part for part in parts if part.account_id == account.pk), None)
    if own_part is None and (parts or online_payment.account_id != account.pk):
        return None
    if own_part is not None:
        credited = own_part.amount if own_part.payment_id else None
    else:
        payment = online_payment.payment
        credited = payment.amount if payment is not None else None
    seen = {
        "pk": online_payment.pk,
        "created_at": online_payment.created_at,
        "paid_at": online_payment.paid_at,
        "status": online_payment.status,
        "status_name": online_payment.get_status_display(),
        "amount": online_payment.amount,
        "credited": credited,
        "period": online_payment.period,
        "capital_repair": online_payment.capital_repair,
        "is_payer": is_payer,
    }
    if is_payer or not parts:  # the fiscal receipt: the payer's, or of this account alone
        seen |= {
            "fiscal_receipt_status": online_payment.fiscal_receipt_status,
            "fiscal_receipt_status_name": online_payment.get_fiscal_receipt_status_display(),
            "fiscal_receipt_url": online_payment.fiscal_receipt_url,
            "fiscal_receipt_page": bool(online_payment.fiscal_receipt_details),
        }
    if is_payer:
        seen |= {
            "parts": tuple(
                OnlinePaymentPartSeen(part.account.number, part.amount, part.payment_id is not None)
                for part in parts
            ),
            "email": online_payment.email,
            "confirmation_url": online_payment.confirmation_url,
        }
    elif own_part is not None:
        seen["amount"] = own_part.amount
    return OnlinePaymentSeen(**seen)


def online_payments_seen_by(user, account, limit: int) -> list[OnlinePaymentSeen]:
    """The latest ``limit`` online payments of ``account`` as ``user`` sees them (newest
    first): «Платежи» and the API's list."""
    payments = online_payments_of(account).prefetch_related(_parts_with_accounts())[:limit]
    seen = (online_payment_seen_by(user, account, payment) for payment in payments)
    return [payment for payment in seen if payment is not None]


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
