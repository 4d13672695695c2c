"""«Оплатить несколько счетов» (from Главная): the debts of several linked accounts of one
organisation in one online payment; other organisations' accounts are paid separately."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from kabinet.payments import services, several
from kabinet.payments.models import OnlinePaymentMethod
from kabinet.users.selectors import accounts_for


def _chosen_ids(values) -> set[int]:
    return {int(value) for value in values if value.isascii() and value.isdigit()}


def _start(request, group, chosen):
    method = request.POST.get("method", "")
    return several.start_several_payment(
        request.user,
        group,
        chosen,
        method=method if method in OnlinePaymentMethod.values else "",
        return_url=lambda payment: request.build_absolute_uri(
            reverse("portal:online_payment", args=[payment.account_id, payment.pk])
        ),
        notification_url=request.build_absolute_uri(
            reverse("portal:payment_notification", args=[services.gateway_name()])
        ),
    )


@login_required
def pay_several(request):
    """GET: the resident's accounts with debts, grouped by organisation, each group with its own
    «Оплатить выбранные». POST (``organization``, ``account`` ×N, ``method``): one payment for
    the chosen accounts of that organisation. An organisation or an account that is not the
    user's is 404."""
    if not services.online_payment_enabled():
        raise Http404
    accounts = list(accounts_for(request.user))
    groups = several.payable_groups(accounts)
    error, error_group = "", None
    if request.method == "POST":
        chosen = _chosen_ids(request.POST.getlist("account"))
        organization = request.POST.get("organization")
        group = next((g for g in groups if str(g.organization.pk) == organization), None)
        if group is None or not chosen <= {account.pk for account in accounts}:
            raise Http404
        try:
            online_payment = _start(request, group, chosen)
        except services.PaymentRefused as refusal:
            error, error_group = str(refusal), group.organization.pk
        else:
            return redirect(online_payment.confirmation_url)
    context = {
        "groups": groups,
        "error": error,
        "error_group": error_group,
        "methods": OnlinePaymentMethod.choices,
    }
    return render(request, "portal/pay_several.html", context, status=400 if error else 200)
