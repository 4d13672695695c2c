"""«Автоплатёж» of one personal account: set it up (saving a method at the gateway), change,
skip a month, cancel. The resident who set it up may change it; a co-resident of the account
only sees that it exists (the saved method is not theirs)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from kabinet.formats import month_name
from kabinet.payments import services
from kabinet.payments.autopay import services as autopay
from kabinet.portal.autopay_forms import AutopayForm
from kabinet.portal.views import account_or_404, render_account

RECENT_CHARGES = 12


def _own_autopay_or_404(request, account):
    """The account's autopay, if this resident set it up (anybody else: 404)."""
    found = autopay.autopay_of(account)
    if found is None or found.user_id != request.user.pk:
        raise Http404
    return found


@login_required
def autopay_page(request, account_id):
    """The autopay's state and settings; POST saves them (and, the first time, sends the
    resident to the gateway's page to save the way they pay)."""
    account = account_or_404(request, account_id)
    if not services.online_payment_enabled():
        raise Http404
    current = autopay.autopay_of(account)
    if current is not None and current.user_id == request.user.pk and not current.method_id:
        current = autopay.activate_autopay(current)  # back from the gateway's page
    own = current is not None and current.user_id == request.user.pk
    initial = {"limit": current.limit, "mode": current.mode, "day": current.day} if own else {}
    form = AutopayForm(request.POST or None, initial=initial, account=account)
    if request.method == "POST" and current is not None and not own:
        raise Http404
    if form.is_valid():
        settings = {key: form.cleaned_data[key] for key in ("mode", "day", "limit")}
        try:
            if own and current.method_id:
                autopay.change_autopay(current, **settings)
                messages.success(request, "Настройки автоплатежа сохранены.")
                return redirect("portal:autopay", account.pk)
            started = autopay.set_up_autopay(
                account,
                request.user,
                **settings,
                return_url=lambda payment: request.build_absolute_uri(
                    reverse("portal:autopay", args=[account.pk])
                ),
                notification_url=request.build_absolute_uri(
                    reverse("portal:payment_notification", args=[services.gateway_name()])
                ),
            )
        except autopay.AutopayRefused as error:
            form.add_error(None, str(error))
        else:
            return redirect(started.binding_payment.confirmation_url)
    return render_account(
        request,
        account,
        "portal/autopay.html",
        "payments",
        autopay=current,
        own=own,
        form=form,
        charges=autopay.charges_of(current)[:RECENT_CHARGES] if own else [],
        next_month=autopay.next_month_to_pay(current) if own and current.method_id else None,
    )


@login_required
@require_POST
def skip_autopay_month(request, account_id):
    """«Пропустить месяц» (or, with ``undo``, pay it after all). Nothing to skip or to undo
    (an autopay not yet connected, no month skipped) changes nothing and says why."""
    account = account_or_404(request, account_id)
    current = _own_autopay_or_404(request, account)
    try:
        if request.POST.get("undo"):
            autopay.unskip_month(current)
            messages.success(request, "Месяц будет оплачен автоплатежом.")
        else:
            month = autopay.next_month_to_pay(current)
            autopay.skip_month(current, month)
            messages.success(
                request, f"Квитанция за {month_name(month)} не будет оплачена автоплатежом."
            )
    except autopay.AutopayRefused as refused:
        messages.warning(request, str(refused))
    return redirect("portal:autopay", account.pk)


@login_required
def cancel_autopay(request, account_id):
    """«Отключить автоплатёж», after a confirmation."""
    account = account_or_404(request, account_id)
    current = _own_autopay_or_404(request, account)
    if request.method == "POST":
        autopay.cancel_autopay(current)
        messages.success(request, "Автоплатёж отключён.")
        return redirect("portal:autopay", account.pk)
    return render_account(
        request, account, "portal/autopay_cancel.html", "payments", autopay=current
    )
