"""Autopay: a resident's standing order to pay one account's receipts from a saved method.

Setting it up is an ordinary online payment that asks the gateway to save the way the resident
pays (``start_online_payment(save_method=True)``); its success gives the saved method's id —
all we keep. Then ``run_autopay`` (a background task after a period closes, and a daily
command) does, each time it runs and however often:

1. **schedule** — for the latest closed period of the account's organisation, one
   ``AutopayCharge`` per (autopay, month), created under a unique constraint: in «каждую новую
   квитанцию» mode the day after the period closed, in «в день N» mode on day N of the month
   after it; never sooner than tomorrow, so that the notice comes a day ahead;
2. **notify** — e-mail the resident the day before the charge (once: ``notice_sent_at``);
3. **charge** — claim each due charge by a conditional UPDATE (of two concurrent runs only one
   wins), pay what the account owes now (``account_balance``) unless it is above the
   resident's monthly limit (then nothing is paid and the letter says why), retry a refusal up
   to ``MAX_ATTEMPTS`` times a day apart, and e-mail the result.

The charge is an ``OnlinePayment`` credited through ``apply_gateway_state`` like any other, so
exactly once. Capital repair contributions (their own payee) are not paid by autopay.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.billing.models import Period, PeriodStatus
from kabinet.billing.selectors import account_balance
from kabinet.formats import format_rubles, month_name
from kabinet.mail import absolute_url
from kabinet.months import add_months
from kabinet.payments import fiscal, services
from kabinet.payments.models import (
    Autopay,
    AutopayCharge,
    AutopayChargeStatus,
    AutopayMode,
    OnlinePayment,
    OnlinePaymentStatus,
)
from kabinet.payments.providers import GatewayError, GatewayPayment, get_provider
from kabinet.users.models import AccountLink

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a refused charge is tried again twice, a day apart, then the resident is told
RETRY_AFTER = datetime.timedelta(days=1)
BINDING_AMOUNT = Decimal("1.00")  # saving a method with nothing owed: credited as an advance
# ЮKassa's cancellation_details.reason of a refused charge, for the resident's letter.
DECLINE_REASONS = {
    "insufficient_funds": "на карте недостаточно денег",
    "card_expired": "истёк срок действия карты",
    "permission_revoked": "разрешение на списание без подтверждения отозвано",
    "expired_on_confirmation": "платёж не подтверждён вовремя",
}
UNFINISHED = (AutopayChargeStatus.SCHEDULED, AutopayChargeStatus.CHARGING)


class AutopayRefused(Exception):
    """The autopay cannot be set up or changed; ``str(error)`` is the message for the resident."""


def autopay_of(account) -> Autopay | None:
    """The account's autopay in force (with a saved method or waiting for one), if any."""
    return (
        Autopay.objects.filter(account=account, canceled_at__isnull=True)
        .select_related("binding_payment", "user")
        .first()
    )


def check_limit(account, limit: Decimal) -> None:
    """Refuse (``AutopayRefused``) a monthly limit above the organisation's limit of one online
    payment (``services.payment_limit``): a charge above that is never made, so such a limit
    would promise what autopay cannot do."""
    ceiling = services.payment_limit(account)
    if limit > ceiling:
        raise AutopayRefused(
            f"Лимит не может быть больше {format_rubles(ceiling)}: больше организация не "
            "принимает одной онлайн-оплатой."
        )


def set_up_autopay(
    account, user, *, mode: str, day: int | None, limit: Decimal, return_url, notification_url
) -> Autopay:
    """Start the resident's autopay of ``account``: the settings, then a payment on the
    gateway's page that saves the method (its ``binding_payment.confirmation_url`` is where the
    resident goes). It pays the debt (up to the organisation's limit of one online payment), or
    ``BINDING_AMOUNT`` as an advance when nothing is owed. A resident who left an earlier
    set-up unfinished starts it again; another resident's autopay of the account is theirs."""
    existing = autopay_of(account)
    if existing is not None and existing.user_id != user.pk:
        raise AutopayRefused("Автоплатёж по этому лицевому счёту уже настроил другой жилец.")
    if existing is not None and existing.method_id:
        raise AutopayRefused("Автоплатёж уже настроен: измените его настройки.")
    check_limit(account, limit)
    amount = services.suggested_amount(account_balance(account), services.payment_limit(account))
    with transaction.atomic():
        autopay = existing or Autopay(account=account, user=user)
        autopay.email, autopay.provider = user.email, services.gateway_name()
        autopay.mode, autopay.day, autopay.limit = mode, _day(mode, day), limit
        try:
            with transaction.atomic():
                autopay.save()
        except IntegrityError:  # the same resident, twice at once
            raise AutopayRefused("Автоплатёж по этому счёту уже настраивается.") from None
    try:
        binding = services.start_online_payment(
            account,
            user,
            amount or BINDING_AMOUNT,
            return_url=return_url,
            notification_url=notification_url,
            save_method=True,
        )
    except services.PaymentRefused as error:
        raise AutopayRefused(str(error)) from error
    autopay.binding_payment = binding
    autopay.save(update_fields=["binding_payment", "updated_at"])
    return autopay


def activate_autopay(autopay: Autopay) -> Autopay:
    """Take the saved method from the set-up payment once the gateway confirms it (the resident
    returns from its page, or the next run asks). The payment itself is credited as any."""
    binding = autopay.binding_payment
    if autopay.method_id or binding is None or not binding.gateway_id:
        return autopay
    try:
        state = get_provider(binding.provider).fetch_payment(binding.gateway_id)
    except GatewayError as error:
        logger.warning("Autopay %s: set-up payment not checked: %s", autopay.pk, error)
        return autopay
    services.apply_gateway_state(binding, state)
    if state.status == OnlinePaymentStatus.SUCCEEDED and state.saved_method_id:
        Autopay.objects.filter(pk=autopay.pk, method_id="").update(
            method_id=state.saved_method_id,
            method_title=state.saved_method_title[:100],
            activated_at=timezone.now(),
            updated_at=timezone.now(),
        )
        autopay.refresh_from_db()
    return autopay


def change_autopay(autopay: Autopay, *, mode: str, day: int | None, limit: Decimal) -> Autopay:
    """New settings, in force at once: a charge not yet made moves to the new day. A limit
    above the organisation's limit of one payment is refused (``check_limit``)."""
    check_limit(autopay.account, limit)
    autopay.mode, autopay.day, autopay.limit = mode, _day(mode, day), limit
    autopay.save(update_fields=["mode", "day", "limit", "updated_at"])
    today = timezone.localdate()
    for charge in autopay.charges.filter(status=AutopayChargeStatus.SCHEDULED, attempts=0):
        period = Period.objects.get(
            organization=autopay.account.organization_id, month=charge.month
        )
        due_on = _due_on(autopay, period, today)
        if due_on != charge.due_on:  # a new day: a new notice the day before it
            charge.due_on, charge.notice_sent_at = due_on, None
            charge.save(update_fields=["due_on", "notice_sent_at", "updated_at"])
    return autopay


def cancel_autopay(autopay: Autopay) -> None:
    """Switch the autopay off; a charge not yet made is not made. The saved method stays at
    the gateway but is never charged again (a new autopay saves a new one)."""
    now = timezone.now()
    with transaction.atomic():
        Autopay.objects.filter(pk=autopay.pk, canceled_at__isnull=True).update(
            canceled_at=now, updated_at=now
        )
        autopay.charges.filter(status=AutopayChargeStatus.SCHEDULED).update(
            status=AutopayChargeStatus.CANCELED, updated_at=now
        )
    autopay.refresh_from_db()


def next_month_to_pay(autopay: Autopay) -> datetime.date:
    """The receipt month the next charge pays: a scheduled one's, else the month being billed
    now (whose receipt comes when it closes)."""
    scheduled = autopay.charges.filter(status=AutopayChargeStatus.SCHEDULED).first()
    if scheduled is not None:
        return scheduled.month
    latest = _latest_closed(autopay.account.organization_id)
    return add_months(latest.month, 1) if latest else timezone.localdate().replace(day=1)


def skip_month(autopay: Autopay, month: datetime.date) -> None:
    """Do not pay the receipt of ``month`` (once); the next one is paid as usual. An autopay
    not yet connected (no saved method) pays nothing, so there is nothing to skip: refused."""
    if not autopay.method_id:
        raise AutopayRefused(
            "Автоплатёж ещё не подключён: способ оплаты не сохранён, пропускать нечего."
        )
    now = timezone.now()
    autopay.skip_month = month
    autopay.save(update_fields=["skip_month", "updated_at"])
    autopay.charges.filter(month=month, status=AutopayChargeStatus.SCHEDULED).update(
        status=AutopayChargeStatus.SKIPPED, updated_at=now
    )


def unskip_month(autopay: Autopay) -> None:
    """Pay the skipped month after all, if its charge was not yet due."""
    if autopay.skip_month is None:
        raise AutopayRefused("Пропущенного месяца нет: автоплатёж оплатит квитанции как обычно.")
    month, autopay.skip_month = autopay.skip_month, None
    autopay.save(update_fields=["skip_month", "updated_at"])
    autopay.charges.filter(
        month=month, status=AutopayChargeStatus.SKIPPED, due_on__gt=timezone.localdate()
    ).update(status=AutopayChargeStatus.SCHEDULED, updated_at=timezone.now())


def charges_of(autopay: Autopay):
    return autopay.charges.select_related("online_payment")


# --- the background run ------------------------------------------------------------------


def run_autopay(today: datetime.date | None = None) -> dict[str, int]:
    """One run (safe to repeat and to run twice at once): finish set-ups, schedule, notify,
    charge, and settle charges the gateway left pending. Returns how many of each."""
    today = today or timezone.localdate()
    cancel_unlinked_autopays()
    unbound = Autopay.objects.filter(
        canceled_at__isnull=True, method_id="", binding_payment__isnull=False
    ).select_related("binding_payment")
    for autopay in unbound:
        activate_autopay(autopay)
    return {
        "scheduled": schedule_charges(today),
        "notified": send_notices(today),
        "charged": charge_due(today),
        "settled": settle_pending_charges(),
    }


def cancel_unlinked_autopays() -> int:
    """A resident who unlinked the account (or lost the link) pays it no more: their autopay
    is cancelled before anything is charged."""
    linked = AccountLink.objects.filter(user=OuterRef("user"), account=OuterRef("account"))
    unlinked = Autopay.objects.filter(canceled_at__isnull=True).exclude(Exists(linked))
    cancelled = 0
    for autopay in unlinked:
        cancel_autopay(autopay)
        cancelled += 1
    return cancelled


def _latest_closed(organization_id) -> Period | None:
    return (
        Period.objects.filter(organization=organization_id, status=PeriodStatus.CLOSED)
        .order_by("-month")
        .first()
    )


def _day(mode: str, day: int | None) -> int | None:
    return day if mode == AutopayMode.DAY else None


def _nominal_due_on(autopay: Autopay, period: Period) -> datetime.date:
    closed_on = timezone.localdate(period.closed_at) + datetime.timedelta(days=1)
    if autopay.mode == AutopayMode.FULL:
        return closed_on
    return max(add_months(period.month, 1).replace(day=autopay.day), closed_on)


def _due_on(autopay: Autopay, period: Period, today: datetime.date) -> datetime.date:
    """When to charge ``period``'s receipt: never sooner than tomorrow (a day's notice)."""
    return max(_nominal_due_on(autopay, period), today + datetime.timedelta(days=1))


def _is_new_to(autopay: Autopay, period: Period) -> bool:
    """Whether the receipt of ``period`` is one the autopay pays: issued after it was set up
    («каждую новую квитанцию»), or due on the chosen day after it was set up."""
    if period.closed_at is None or autopay.activated_at is None:
        return False
    if autopay.mode == AutopayMode.FULL:
        return period.closed_at >= autopay.activated_at
    return _nominal_due_on(autopay, period) >= timezone.localdate(autopay.activated_at)


def schedule_charges(today: datetime.date) -> int:
    """A charge for the latest receipt of each autopay in force that has none yet."""
    created = 0
    autopays = (
        Autopay.objects.filter(canceled_at__isnull=True)
        .exclude(method_id="")
        .select_related("account")
    )
    latest = {}
    for autopay in autopays:
        organization_id = autopay.account.organization_id
        if organization_id not in latest:
            latest[organization_id] = _latest_closed(organization_id)
        period = latest[organization_id]
        if period is None or not _is_new_to(autopay, period):
            continue
        skipped = autopay.skip_month == period.month
        _, was_created = AutopayCharge.objects.get_or_create(  # unique (autopay, month)
            autopay=autopay,
            month=period.month,
            defaults={
                "due_on": _due_on(autopay, period, today),
                "status": AutopayChargeStatus.SKIPPED if skipped else AutopayChargeStatus.SCHEDULED,
            },
        )
        created += was_created
    return created


def send_notices(today: datetime.date) -> int:
    """The letter a day ahead of each charge, once."""
    sent = 0
    due = AutopayCharge.objects.filter(
        status=AutopayChargeStatus.SCHEDULED,
        attempts=0,
        notice_sent_at__isnull=True,
        due_on__lte=today + datetime.timedelta(days=1),
    )
    for charge_id in due.values_list("pk", flat=True):
        claimed = AutopayCharge.objects.filter(pk=charge_id, notice_sent_at__isnull=True)
        if not claimed.update(notice_sent_at=timezone.now()):
            continue  # another run sends it
        charge = _charge_with_account(charge_id)
        _mail(charge, "notice", balance=account_balance(charge.autopay.account))
        sent += 1
    return sent


def charge_due(today: datetime.date) -> int:
    """Make each charge due today: claimed first, so that a concurrent run skips it."""
    made = 0
    due = AutopayCharge.objects.filter(
        status=AutopayChargeStatus.SCHEDULED,
        due_on__lte=today,
        autopay__canceled_at__isnull=True,
    )
    for charge_id in due.values_list("pk", flat=True):
        # Only the charge's own columns in the WHERE: a join would make Django's UPDATE a
        # subquery, which PostgreSQL does not re-check after waiting for the other run's lock,
        # and both runs would charge (the concurrent test caught it).
        claimed = AutopayCharge.objects.filter(
            pk=charge_id, status=AutopayChargeStatus.SCHEDULED
        ).update(status=AutopayChargeStatus.CHARGING, updated_at=timezone.now())
        if not claimed:
            continue
        charge = _charge_with_account(charge_id)
        if charge.autopay.canceled_at is not None:  # cancelled since the list was read
            _finish(charge, AutopayChargeStatus.CANCELED, amount=None, mail=False)
            continue
        _charge(charge, today)
        made += 1
    return made


def settle_pending_charges() -> int:
    """Charges the gateway answered «pending»: ask it again (as any online payment)."""
    settled = 0
    pending = AutopayCharge.objects.filter(status=AutopayChargeStatus.PENDING).select_related(
        "online_payment"
    )
    for charge in pending:
        online_payment = services.refresh_online_payment(charge.online_payment)
        if not online_payment.is_pending:
            _settle(_charge_with_account(charge.pk), online_payment, "", timezone.localdate())
            settled += 1
    return settled


def _charge_with_account(charge_id) -> AutopayCharge:
    return AutopayCharge.objects.select_related(
        "autopay__account__organization", "autopay__account__premise__house", "autopay__user"
    ).get(pk=charge_id)


def _charge(charge: AutopayCharge, today: datetime.date) -> None:
    autopay = charge.autopay
    account = autopay.account
    amount = account_balance(account)
    if amount <= 0:
        return _finish(charge, AutopayChargeStatus.NOTHING_DUE, amount=None, mail=False)
    if amount > autopay.limit:
        reason = (
            f"Сумма к оплате {format_rubles(amount)} больше лимита автоплатежа "
            f"{format_rubles(autopay.limit)} в месяц, который вы установили."
        )
        return _finish(charge, AutopayChargeStatus.OVER_LIMIT, amount=amount, reason=reason)
    if amount > services.payment_limit(account):
        reason = (
            f"Сумма к оплате {format_rubles(amount)} больше предела одной онлайн-оплаты "
            f"{format_rubles(services.payment_limit(account))}, установленного организацией."
        )
        return _finish(charge, AutopayChargeStatus.OVER_LIMIT, amount=amount, reason=reason)
    provider = get_provider(autopay.provider)
    online_payment = OnlinePayment.objects.create(
        account=account, user=autopay.user, email=autopay.email, amount=amount,
        provider=provider.name, period=charge.month,
        receipt_sent_at=timezone.now(),  # autopay's own letter tells of the payment
    )  # fmt: skip
    online_payment.fiscal_receipt_data = fiscal.receipt_data(online_payment)
    online_payment.save(update_fields=["fiscal_receipt_data"])
    charge.online_payment, charge.amount, charge.attempts = (
        online_payment,
        amount,
        charge.attempts + 1,
    )
    charge.save(update_fields=["online_payment", "amount", "attempts", "updated_at"])
    description = (
        f"Автоплатёж: оплата ЖКУ, ЛС № {account.number}, {account.organization}, "
        f"за {month_name(charge.month)}"
    )
    try:
        state = provider.charge_saved_method(
            online_payment,
            method_id=autopay.method_id,
            description=description,
            notification_url=absolute_url("portal:payment_notification", provider.name),
        )
    except GatewayError as error:
        logger.warning("Autopay charge %s refused by the gateway: %s", charge.pk, error)
        online_payment.status = OnlinePaymentStatus.CANCELED
        online_payment.save(update_fields=["status", "updated_at"])
        return _settle(charge, online_payment, "gateway_error", today)
    online_payment.gateway_id = state.id
    online_payment.save(update_fields=["gateway_id", "updated_at"])
    online_payment = services.apply_gateway_state(online_payment, state)
    return _settle(charge, online_payment, _reason_of(state), today)


def _reason_of(state: GatewayPayment) -> str:
    return state.decline_reason if state.status == OnlinePaymentStatus.CANCELED else ""


def _settle(charge, online_payment: OnlinePayment, decline: str, today: datetime.date) -> None:
    """Record the attempt's outcome: paid, pending at the gateway, retried, or failed."""
    if online_payment.status == OnlinePaymentStatus.SUCCEEDED:
        return _finish(charge, AutopayChargeStatus.SUCCEEDED, amount=online_payment.amount)
    if online_payment.is_pending:
        charge.status = AutopayChargeStatus.PENDING
        charge.save(update_fields=["status", "updated_at"])
        return None
    reason = DECLINE_REASONS.get(decline, "платёжный сервис отказал в списании")
    if decline == "gateway_error":
        reason = "платёжный сервис не ответил"
    if charge.attempts < MAX_ATTEMPTS and decline != "permission_revoked":
        charge.status, charge.reason = AutopayChargeStatus.SCHEDULED, reason
        charge.due_on = today + RETRY_AFTER
        charge.save(update_fields=["status", "reason", "due_on", "updated_at"])
        return None
    return _finish(
        charge,
        AutopayChargeStatus.FAILED,
        amount=charge.amount,
        reason=f"Списать не удалось ({reason}), попыток: {charge.attempts}. "
        "Оплатите квитанцию сами или проверьте карту.",
    )


def _finish(charge, status, *, amount, reason="", mail=True) -> None:
    charge.status, charge.amount, charge.reason = status, amount, reason
    charge.save(update_fields=["status", "amount", "reason", "updated_at"])
    if mail and AutopayCharge.objects.filter(pk=charge.pk, result_sent_at__isnull=True).update(
        result_sent_at=timezone.now()
    ):
        _mail(charge, "result")


def _mail(charge: AutopayCharge, letter: str, **extra) -> None:
    autopay = charge.autopay
    context = {
        "charge": charge,
        "autopay": autopay,
        "account": autopay.account,
        "month": month_name(charge.month),
        "page_url": absolute_url("portal:autopay", autopay.account_id),
        **extra,
    }
    send_mail(
        render_to_string(f"payments/email/autopay_{letter}_subject.txt", context).strip(),
        render_to_string(f"payments/email/autopay_{letter}.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [autopay.email],
    )
