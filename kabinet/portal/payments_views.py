"""«Платежи» (the account's money movement) and online payment: the form, the return from the
gateway, and the gateway's notifications."""

import logging

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.timezone import localdate as today
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kabinet.billing.ledger import account_ledger
from kabinet.billing.selectors import account_balance, capital_repair_balance, unpaid_months
from kabinet.http import client_ip
from kabinet.money import ZERO
from kabinet.payments import fiscal, services
from kabinet.payments.commission import commission_for, commission_percent
from kabinet.payments.selectors import (
    online_payment_seen_by,
    online_payments_of,
    online_payments_seen_by,
)
from kabinet.portal.figures import account_figures, figures_key
from kabinet.portal.payments_forms import QUICK_CHOICES, LedgerPeriodForm, OnlinePaymentForm
from kabinet.portal.views import account_or_404, render_account

logger = logging.getLogger(__name__)
RECENT_ONLINE_PAYMENTS = 10
CAPITAL_REPAIR_PAYEE = "capital_repair"  # ?payee= of «Оплатить» for the contribution


@login_required
def account_payments(request, account_id):
    """«Платежи»: the money movement of the chosen months, reconciled, and online payments."""
    account = account_or_404(request, account_id)
    form = LedgerPeriodForm(request.GET or None, today=timezone.localdate())
    first, last, months = form.period()
    ledger, balance = account_figures(
        account,
        "payments",
        lambda: (account_ledger(account, first, last), account_balance(account)),
        first,
        last,
    )
    return render_account(
        request,
        account,
        "portal/payments/account_payments.html",
        "payments",
        form=form,
        quick_choices=QUICK_CHOICES,
        months=months,
        ledger=ledger,
        figures_key=figures_key(account, "payments", first, last),  # the drawn ledger's
        closing_date=ledger.closing_date(timezone.localdate()),
        balance=balance,
        online_payments=online_payments_seen_by(request.user, account, RECENT_ONLINE_PAYMENTS),
    )


@login_required
def pay(request, account_id):
    """«Оплатить»: the amount (the debt by default), then the gateway's page. With
    ``?payee=capital_repair``, the capital repair contribution, to its own payee (the house's
    fund), which the credited payment settles only."""
    account = account_or_404(request, account_id)
    if not services.online_payment_enabled():
        raise Http404
    capital_repair = request.GET.get("payee") == CAPITAL_REPAIR_PAYEE
    payee = services.capital_repair_payee(account) if capital_repair else None
    if capital_repair and payee is None:
        raise Http404
    balance = (
        (capital_repair_balance(account) or ZERO) if capital_repair else account_balance(account)
    )
    limit = services.payment_limit(account)
    form = OnlinePaymentForm(
        request.POST or None,
        initial={"amount": services.suggested_amount(balance, limit)},
        limit=limit,
        unpaid_months=unpaid_months(account, capital_repair=capital_repair),
    )
    percent = ZERO if capital_repair else commission_percent(account.organization, today())
    if form.is_valid() and percent and request.POST.get("confirm") != "1":
        # The commission passed on to the payer is shown, in rubles, before anything is paid.
        amount = form.cleaned_data["amount"]
        commission = commission_for(account.organization, amount, today())
        return render_account(
            request,
            account,
            "portal/pay_confirm.html",
            "payments",
            form=form,
            amount=amount,
            percent=percent,
            commission=commission,
            total=amount + commission,
            payee_query="",
        )
    if form.is_valid():
        try:
            online_payment = services.start_online_payment(
                account,
                request.user,
                form.cleaned_data["amount"],
                period=form.cleaned_data.get("period"),
                capital_repair=capital_repair,
                method=form.cleaned_data["method"],
                return_url=lambda payment: request.build_absolute_uri(
                    reverse("portal:online_payment", args=[account.pk, payment.pk])
                ),
                notification_url=request.build_absolute_uri(
                    reverse("portal:payment_notification", args=[services.gateway_name()])
                ),
            )
        except services.PaymentRefused as error:
            form.add_error(None, str(error))
        else:
            return redirect(online_payment.confirmation_url)
    return render_account(
        request,
        account,
        "portal/payments/pay.html",
        "payments",
        form=form,
        balance=balance,
        percent=percent,
        payee=payee,
        payee_query=f"?payee={CAPITAL_REPAIR_PAYEE}" if payee else "",
    )


@login_required
def online_payment(request, account_id, payment_id):
    """Where the gateway returns the resident: the payment's result, asked of the gateway if
    its notification has not come yet — as far as this resident may see it (a co-resident who
    did not pay it sees this account's share only: ``online_payment_seen_by``)."""
    account = account_or_404(request, account_id)
    payment = get_object_or_404(online_payments_of(account), pk=payment_id)
    seen = online_payment_seen_by(request.user, account, services.refresh_online_payment(payment))
    if seen is None:
        raise Http404
    return render_account(
        request,
        account,
        "portal/payments/online_payment.html",
        "payments",
        online_payment=seen,
        balance=account_balance(account),
    )


@login_required
def cancel_online_payment(request, account_id, payment_id):
    """«Отменить оплату», after a confirmation: the resident gives up a pending payment they
    started themselves (a co-resident's or a stranger's payment is not found)."""
    account = account_or_404(request, account_id)
    payment = get_object_or_404(
        online_payments_of(account).filter(user=request.user), pk=payment_id
    )
    if request.method == "POST":
        try:
            services.cancel_online_payment(payment)
        except services.CannotCancel as error:
            messages.warning(request, str(error))
        else:
            messages.success(request, f"Онлайн-оплата № {payment.pk} отменена.")
        return redirect("portal:online_payment", account.pk, payment.pk)
    return render_account(
        request,
        account,
        "portal/payments/cancel_online_payment.html",
        "payments",
        online_payment=payment,
    )


@csrf_exempt
@require_POST
def payment_notification(request, provider):
    """The gateway's webhook. Anything not provably from the gateway is refused (and logged by
    the service); the payment's state is asked of the gateway, never taken from the body."""
    try:
        services.handle_notification(provider, request.body, request.headers, client_ip(request))
    except services.InvalidNotification:
        return HttpResponseBadRequest("invalid notification")
    except services.GatewayError:
        logger.warning("Notification from %s not processed: the gateway did not answer", provider)
        return HttpResponse("try again", status=503)
    return HttpResponse("ok")


@login_required
def fiscal_receipt(request, account_id, payment_id):
    """The fiscal receipt of a paid online payment, from the fiscal attributes the gateway gave
    without a link of its own (ЮKassa): the items sent, ФН, ФД, ФП, and the receipt's QR code
    that ФНС's «Проверка чеков» reads. The receipt of a payment of several accounts is its
    payer's alone (``OnlinePaymentSeen``): anybody else gets 404."""
    account = account_or_404(request, account_id)
    payment = get_object_or_404(online_payments_of(account), pk=payment_id)
    seen = online_payment_seen_by(request.user, account, payment)
    if seen is None or not seen.fiscal_receipt_page:
        raise Http404
    receipt = fiscal.registered_receipt(payment)
    return render_account(
        request,
        account,
        "portal/fiscal_receipt.html",
        "payments",
        online_payment=payment,
        details=receipt.details,
        registered=receipt.registered,
        items=receipt.items,
        qr_svg=mark_safe(segno.make_qr(receipt.code, error="M").svg_inline(scale=3, omitsize=True)),
    )
