"""Online payment: from «Оплатить» to one credited payment, whatever the gateway sends.

The gateway's word is taken only from its API (``PaymentProvider.fetch_payment``): a
notification, the resident's return and the background re-check all just ask it again and apply
the answer under a row lock. A payment is credited once — the lock, and the unique
``(source, external_id)`` of ``Payment`` behind it, see to that.
"""

import datetime
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kabinet.formats import format_rubles, month_name
from kabinet.money import ZERO
from kabinet.payments import fiscal, providers, tasks
from kabinet.payments.commission import commission_for
from kabinet.payments.models import (
    FiscalReceiptStatus,
    OnlinePayment,
    OnlinePaymentPart,
    OnlinePaymentStatus,
    Payment,
    PaymentSource,
)
from kabinet.payments.providers import (
    GatewayError,
    GatewayPayment,
    InvalidNotification,
    get_provider,
)
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import EventKind

logger = logging.getLogger(__name__)

RECHECK_AFTER = datetime.timedelta(minutes=2)  # a notification usually comes sooner
# A payment the gateway cannot be asked about (it does not answer) is expired after this long
# even without its word; should it confirm the payment later, it is still credited.
STOP_CHECKING_AFTER = datetime.timedelta(days=3)


class PaymentRefused(Exception):
    """The payment could not be started; ``str(error)`` is the message for the resident."""


def payment_limit(account) -> Decimal:
    """The largest amount the resident may pay online (set by the organisation's staff)."""
    return account.organization.online_payment_limit


def online_payment_enabled() -> bool:
    """Whether a payment gateway is configured (else no «Оплатить» anywhere)."""
    return providers.is_enabled()


def gateway_name() -> str:
    """The configured gateway's name, as its notification address names it."""
    return get_provider().name


def suggested_amount(balance: Decimal, limit: Decimal) -> Decimal | None:
    """What «Оплатить» offers to pay: the debt ``balance``, but no more than the organisation's
    ``limit`` of one online payment; nothing when nothing is owed."""
    return min(balance, limit) if balance > 0 else None


def capital_repair_payee(account):
    """The capital repair fund the account's contributions are paid to, when the configured
    gateway can take a payment for it (``None``: contributions are not paid online)."""
    from kabinet.billing.models import CapitalRepairFund

    fund = CapitalRepairFund.objects.filter(house=account.premise.house_id).first()
    if fund is None or not providers.is_enabled() or not get_provider().can_pay_to(fund):
        return None
    return fund


def start_online_payment(
    account,
    user,
    amount: Decimal,
    *,
    return_url: Callable[[OnlinePayment], str],
    notification_url: str,
    period: datetime.date | None = None,
    capital_repair: bool = False,
    method: str = "",
    parts: list[tuple[object, Decimal]] = (),
    save_method: bool = False,
) -> OnlinePayment:
    """Create the payment at the gateway; the resident then goes to its ``confirmation_url``.

    ``return_url(online_payment)`` is where the gateway sends the resident back; ``period`` is
    the billed month the resident chose to pay (the credited payment names it, so it settles
    that month first, ГК РФ ст. 319.1). With ``capital_repair`` the money goes to the capital
    repair payee of the account's house (``capital_repair_payee``), and the credited payment
    settles the contributions only (``Payment.capital_repair``). ``method`` is the way to pay
    the resident chose (``OnlinePaymentMethod``; empty — chosen on the gateway's page).

    ``parts`` — (account, amount) of each account one payment pays for (``payments.several``:
    ``account`` is the first of them, ``amount`` their sum); each is credited its part.
    ``save_method`` asks the gateway to save the way the resident pays, for autopay
    (``payments.autopay.services``)."""
    limit = payment_limit(account)
    if amount <= 0:
        raise PaymentRefused("Сумма должна быть больше нуля.")
    if amount > limit:
        raise PaymentRefused(f"Онлайн можно оплатить не больше {format_rubles(limit)} за раз.")
    payee = None
    if capital_repair:
        payee = capital_repair_payee(account)
        if payee is None:
            raise PaymentRefused(
                "Взносы на капитальный ремонт по этому дому онлайн не принимаются."
            )
    provider = get_provider()
    with transaction.atomic():
        fee = ZERO if capital_repair else commission_for(
            account.organization, amount, timezone.localdate()
        )  # fmt: skip
        online_payment = OnlinePayment.objects.create(
            account=account, user=user, email=user.email, amount=amount, provider=provider.name,
            period=period, capital_repair=capital_repair, method=method, commission=fee,
        )  # fmt: skip
        OnlinePaymentPart.objects.bulk_create(
            OnlinePaymentPart(online_payment=online_payment, account=part_account, amount=share)
            for part_account, share in parts
        )
        online_payment.fiscal_receipt_data = fiscal.receipt_data(online_payment)
        online_payment.save(update_fields=["fiscal_receipt_data"])
    if parts:
        numbers = ", ".join(f"№ {part_account.number}" for part_account, _ in parts)
        description = f"Оплата ЖКУ, ЛС {numbers}, {account.organization}"
    elif payee is not None:
        description = (
            f"Взнос на капитальный ремонт, ЛС № {account.number}, получатель {payee.payee_name}"
        )
    else:
        description = f"Оплата ЖКУ, ЛС № {account.number}, {account.organization}"
    if period:
        description += f", за {month_name(period)}"
    try:
        created = provider.create_payment(
            online_payment,
            description=description,
            return_url=return_url(online_payment),
            notification_url=notification_url,
            payee=payee,
            save_method=save_method,
        )
    except GatewayError as error:
        logger.error("Online payment %s not created: %s", online_payment.pk, error)
        online_payment.status = OnlinePaymentStatus.CANCELED
        online_payment.save(update_fields=["status", "updated_at"])
        raise PaymentRefused(
            "Платёжный сервис сейчас недоступен. Попробуйте ещё раз через несколько минут."
        ) from error
    online_payment.gateway_id = created.id
    online_payment.confirmation_url = created.confirmation_url
    online_payment.save(update_fields=["gateway_id", "confirmation_url", "updated_at"])
    return online_payment


def refresh_online_payment(online_payment: OnlinePayment) -> OnlinePayment:
    """Ask the gateway about a pending payment and apply its answer. A gateway that does not
    answer leaves the payment pending (the background re-check asks again)."""
    receipt_pending = online_payment.fiscal_receipt_status == FiscalReceiptStatus.PENDING
    if not (online_payment.is_pending or receipt_pending) or not online_payment.gateway_id:
        return online_payment
    state = _ask_gateway(online_payment)
    if state is None:
        return online_payment
    return apply_gateway_state(online_payment, state)


def _ask_gateway(online_payment: OnlinePayment) -> GatewayPayment | None:
    """The gateway's state of the payment, or ``None`` (logged) if it does not answer."""
    try:
        return get_provider(online_payment.provider).fetch_payment(online_payment.gateway_id)
    except GatewayError as error:
        logger.warning("Online payment %s not checked: %s", online_payment.pk, error)
        OnlinePayment.objects.filter(pk=online_payment.pk).update(checked_at=timezone.now())
        return None


def apply_gateway_state(online_payment: OnlinePayment, state: GatewayPayment) -> OnlinePayment:
    """Record the gateway's verdict once: a success credits the account, a cancellation closes
    the payment; anything after the first verdict changes nothing."""
    with transaction.atomic():
        online_payment = OnlinePayment.objects.select_for_update().get(pk=online_payment.pk)
        online_payment.checked_at = timezone.now()
        late_success = (
            online_payment.may_still_succeed and state.status == OnlinePaymentStatus.SUCCEEDED
        )
        if late_success:
            # Expired or cancelled here, yet paid at the gateway: the money is the resident's.
            logger.warning(
                "Online payment %s was %s here but the gateway took it: crediting",
                online_payment.pk, online_payment.status,
            )  # fmt: skip
        elif not online_payment.is_pending or state.status == OnlinePaymentStatus.PENDING:
            online_payment.save(
                update_fields=["checked_at", *_record_receipt(online_payment, state)]
            )
            return online_payment
        _record_receipt(online_payment, state)
        if state.status == OnlinePaymentStatus.SUCCEEDED:
            if state.amount != online_payment.gateway_amount:
                logger.error(
                    "Online payment %s: the gateway took %s instead of %s; crediting what it took",
                    online_payment.pk, state.amount, online_payment.gateway_amount,
                )  # fmt: skip
            online_payment.paid_at = state.paid_at or timezone.now()
            online_payment.payment = payment = _credit(online_payment, state)
            tasks.enqueue_payment_receipt(online_payment)
            webhooks.emit(
                online_payment.account.organization_id,
                EventKind.PAYMENT_CREDITED,
                lambda: webhooks.payment_payload(payment),
            )
        online_payment.status = state.status
        online_payment.save()
    return online_payment


def _record_receipt(online_payment: OnlinePayment, state: GatewayPayment) -> list[str]:
    """Take what the gateway reports of the fiscal receipt; the fields it changed."""
    changed = []
    for field, value in (
        ("fiscal_receipt_status", state.receipt_status),
        ("fiscal_receipt_id", state.receipt_id),
        ("fiscal_receipt_url", state.receipt_url),
        ("fiscal_receipt_details", state.receipt_details),
    ):
        if value and getattr(online_payment, field) != value:
            setattr(online_payment, field, value)
            changed.append(field)
    return changed


def _credit(online_payment: OnlinePayment, state: GatewayPayment) -> Payment:
    """The credited ``Payment`` — of the payment's account, or, for a payment of several
    accounts, one per part (the first part's is returned). Raises, so that the caller's
    transaction rolls every part back, if any part cannot be credited."""
    # The commission passed on to the payer is the organisation's, not the debt's.
    credited_amount = state.amount - online_payment.commission
    parts = list(online_payment.parts.select_related("account").order_by("id"))
    if not parts:
        return _credit_one(online_payment, online_payment.account, credited_amount, state.id)
    shares = [part.amount for part in parts]
    if credited_amount != online_payment.amount:  # split what the gateway took, to the kopeck
        shares = fiscal.split_amount(credited_amount, shares)
    credited = []
    for number, (part, share) in enumerate(zip(parts, shares, strict=True), 1):
        if share <= 0:
            continue
        part.payment = _credit_one(online_payment, part.account, share, f"{state.id}/{number}")
        part.save(update_fields=["payment"])
        credited.append(part.payment)
    return credited[0]


def _credit_one(online_payment: OnlinePayment, account, amount: Decimal, external_id: str):
    user = online_payment.user
    payment, _ = Payment.objects.get_or_create(
        source=PaymentSource.ONLINE,
        external_id=external_id,
        defaults={
            "account": account,
            "paid_on": timezone.localdate(online_payment.paid_at),
            "amount": amount,
            "period": online_payment.period,
            "capital_repair": online_payment.capital_repair,
            "payer_name": (user.full_name or user.username) if user else "",
        },
    )
    return payment


def handle_notification(
    provider_name: str, body: bytes, headers: Mapping[str, str], remote_addr: str
) -> OnlinePayment | None:
    """A gateway's notification: check that it is the gateway's, then ask the gateway about
    the payment it names. Raises ``InvalidNotification`` (logged) for anything untrusted and
    ``GatewayError`` when the gateway cannot be asked now (it will notify again)."""
    try:
        provider = get_provider(provider_name)
        gateway_id = provider.notification_payment_id(body, headers, remote_addr)
    except (LookupError, InvalidNotification) as error:
        logger.warning(
            "Refused a payment notification for %r from %s: %s", provider_name, remote_addr, error
        )
        raise InvalidNotification(str(error)) from error
    online_payment = OnlinePayment.objects.filter(
        provider=provider.name, gateway_id=gateway_id
    ).first()
    if online_payment is None:
        logger.warning(
            "Notification from %s about an unknown payment %s", provider.name, gateway_id
        )
        return None
    if not (online_payment.is_pending or online_payment.may_still_succeed):
        return online_payment
    return apply_gateway_state(online_payment, provider.fetch_payment(gateway_id))


def check_pending_online_payments(now: datetime.datetime | None = None) -> int:
    """Ask the gateway about every payment pending for a while (a notification may be lost),
    and expire those still pending past the gateway's lifetime (``expire_online_payment``).
    Returns how many of them got a verdict (expired ones included)."""
    now = now or timezone.now()
    due = OnlinePayment.objects.filter(
        status=OnlinePaymentStatus.PENDING, created_at__lte=now - RECHECK_AFTER
    )
    decided = 0
    for payment in due:
        state = _ask_gateway(payment) if payment.gateway_id else None
        if state is not None:
            payment = apply_gateway_state(payment, state)
        if payment.is_pending:
            answered = state is not None or not payment.gateway_id
            payment = expire_online_payment(payment, gateway_answered=answered, now=now)
        decided += not payment.is_pending
    receipts_due = OnlinePayment.objects.filter(
        status=OnlinePaymentStatus.SUCCEEDED,
        fiscal_receipt_status=FiscalReceiptStatus.PENDING,
        created_at__gte=now - STOP_CHECKING_AFTER,
    ).exclude(gateway_id="")
    for payment in receipts_due:  # the gateway registers the receipt after the payment
        refresh_online_payment(payment)
    return decided


def lifetime() -> datetime.timedelta:
    """How long an online payment may stay pending (``settings.ONLINE_PAYMENT_LIFETIME``)."""
    return datetime.timedelta(seconds=settings.ONLINE_PAYMENT_LIFETIME)


def expire_online_payment(
    online_payment: OnlinePayment, *, gateway_answered: bool, now: datetime.datetime
) -> OnlinePayment:
    """Close a payment left pending past its lifetime as «истёк срок» — when the gateway, just
    asked, still called it pending (``gateway_answered``), or when the gateway has not answered
    for ``STOP_CHECKING_AFTER``. A later success at the gateway is still credited
    (``apply_gateway_state``)."""
    age = now - online_payment.created_at
    if age < lifetime() or not (gateway_answered or age >= STOP_CHECKING_AFTER):
        return online_payment
    OnlinePayment.objects.filter(pk=online_payment.pk, status=OnlinePaymentStatus.PENDING).update(
        status=OnlinePaymentStatus.EXPIRED, updated_at=now
    )
    online_payment.refresh_from_db()
    return online_payment


class CannotCancel(Exception):
    """The payment is no longer pending; ``str(error)`` is the message for the resident."""


def cancel_online_payment(online_payment: OnlinePayment) -> OnlinePayment:
    """The payer gives up a pending payment. The gateway is asked first (it may have been paid
    in the meantime — then it is credited, not cancelled), then told to cancel where it can
    (``PaymentProvider.cancel_payment``). Should the gateway confirm it paid later anyway, it
    is credited (``apply_gateway_state``)."""
    online_payment = refresh_online_payment(online_payment)
    if not online_payment.is_pending:
        raise CannotCancel(
            f"Оплату уже нельзя отменить: она {online_payment.get_status_display()}."
        )
    if online_payment.gateway_id:
        try:
            get_provider(online_payment.provider).cancel_payment(online_payment.gateway_id)
        except GatewayError as error:
            logger.warning("Online payment %s not cancelled at the gateway: %s",
                           online_payment.pk, error)  # fmt: skip
    OnlinePayment.objects.filter(pk=online_payment.pk, status=OnlinePaymentStatus.PENDING).update(
        status=OnlinePaymentStatus.CANCELED, updated_at=timezone.now()
    )
    online_payment.refresh_from_db()
    if online_payment.status == OnlinePaymentStatus.SUCCEEDED:
        raise CannotCancel("Оплату уже нельзя отменить: она оплачена.")
    return online_payment
