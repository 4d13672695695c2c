"""The sandbox gateway's own payment page (what a real gateway would show the payer)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment, SandboxStatus


@require_http_methods(["GET", "POST"])
def pay(request, payment_id):
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise Http404
    try:
        payment = gateway.find_payment(payment_id)
    except SandboxPayment.DoesNotExist:
        raise Http404 from None
    if request.method == "POST" and payment.status == SandboxStatus.PENDING:
        payment = gateway.decide(payment, paid=request.POST.get("action") == "pay")
    if payment.status != SandboxStatus.PENDING:
        return redirect(payment.return_url)
    return render(request, "sandbox/pay.html", {"payment": payment})


def receipt(request, payment_id):
    """The sandbox's fiscal receipt of a paid payment (what an ОФД's receipt page shows)."""
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise Http404
    try:
        payment = SandboxPayment.objects.get(pk=payment_id)
    except SandboxPayment.DoesNotExist:
        raise Http404 from None
    if not payment.receipt_status:
        raise Http404
    return render(
        request,
        "sandbox/receipt.html",
        {
            "payment": payment,
            "receipt": payment.receipt,
            "total": gateway.receipt_sum(payment.receipt),
        },
    )
