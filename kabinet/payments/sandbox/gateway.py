"""The built-in sandbox gateway: behaves like a real one, takes no money.

It keeps its own record of each payment, shows the payer its own page with «Оплатить» and
«Отменить», and tells the merchant of the outcome by an HTTP notification signed with
HMAC-SHA256 (``X-Sandbox-Signature``), sent from a background task — twice when
``PAYMENTS_SANDBOX_REPEAT_NOTIFICATIONS`` is on, as real gateways retry. A payment left
pending expires after an hour. For development and tests only (settings refuse it in production).
"""

import datetime
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from kabinet.payments.sandbox.models import SandboxPayment, SandboxSavedMethod, SandboxStatus

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sandbox-Signature"
EXPIRES_AFTER = datetime.timedelta(hours=1)
SEND_TIMEOUT = 10  # seconds


def sign(body: bytes) -> str:
    key = settings.PAYMENTS_SANDBOX_SECRET.encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def is_signed(body: bytes, signature: str) -> bool:
    return bool(signature) and hmac.compare_digest(sign(body), signature)


def create_payment(
    *,
    amount: Decimal,
    description: str,
    return_url: str,
    notification_url: str,
    key: str,
    receipt: dict | None = None,
    save_method: bool = False,
) -> SandboxPayment:
    """A new pending payment; the same idempotence ``key`` returns the same payment. A fiscal
    ``receipt`` whose items do not sum to the amount is refused, as a real gateway does. With
    ``save_method`` the way the payer pays is saved for later charges (``charge_saved_method``)."""
    if receipt and receipt_sum(receipt) != amount:
        raise ValueError(f"receipt items sum to {receipt_sum(receipt)}, not {amount}")
    payment, _ = SandboxPayment.objects.get_or_create(
        idempotence_key=key,
        defaults={
            "amount": amount,
            "description": description,
            "return_url": return_url,
            "notification_url": notification_url,
            "receipt": receipt or {},
            "save_method": save_method,
        },
    )
    return payment


def charge_saved_method(
    *,
    method_id: str,
    amount: Decimal,
    description: str,
    notification_url: str,
    key: str,
    receipt: dict | None = None,
) -> SandboxPayment:
    """A payment by a saved method, without the payer (ЮKassa's ``payment_method_id``): decided
    at once — paid, or cancelled when the method declines or was revoked. Raises ``ValueError``
    for a method the gateway does not know; the same ``key`` returns the same payment."""
    method = SandboxSavedMethod.objects.get(pk=method_id)  # DoesNotExist, ValidationError
    payment = create_payment(
        amount=amount,
        description=description,
        return_url="",
        notification_url=notification_url,
        key=key,
        receipt=receipt,
    )
    if payment.charged_method_id is None:
        SandboxPayment.objects.filter(pk=payment.pk).update(charged_method=method)
    return decide(payment, paid=not (method.declines or method.revoked))


def receipt_sum(receipt: dict) -> Decimal:
    return sum((Decimal(item["amount"]["value"]) for item in receipt.get("items", [])), Decimal(0))


def find_payment(payment_id) -> SandboxPayment:
    """The payment as the gateway knows it now (raises ``SandboxPayment.DoesNotExist``)."""
    payment = SandboxPayment.objects.get(pk=payment_id)
    if (
        payment.status == SandboxStatus.PENDING
        and payment.created_at < timezone.now() - EXPIRES_AFTER
    ):
        return decide(payment, paid=False)
    return payment


def decide(payment: SandboxPayment, *, paid: bool) -> SandboxPayment:
    """The payer paid or cancelled: record it once and notify the merchant after the commit."""
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != SandboxStatus.PENDING:
            return payment
        payment.status = SandboxStatus.SUCCEEDED if paid else SandboxStatus.CANCELED
        payment.decided_at = timezone.now()
        if paid and payment.receipt:  # the sandbox's "cash register" registers it at once
            payment.receipt_status = "succeeded"
        if paid and payment.save_method:
            payment.saved_method = SandboxSavedMethod.objects.create(
                title=f"Тестовая карта *{str(payment.pk.int)[-4:]}"
            )
        payment.save(update_fields=["status", "decided_at", "receipt_status", "saved_method"])
        transaction.on_commit(lambda: deliver_notification.enqueue(str(payment.pk)))
    return payment


def notification_body(payment: SandboxPayment) -> bytes:
    return json.dumps(
        {
            "event": f"payment.{payment.status}",
            "payment_id": str(payment.pk),
            "status": payment.status,
            "amount": str(payment.amount),
        }
    ).encode()


def send_notification(payment: SandboxPayment) -> bool:
    """POST the signed notification to the merchant; ``False`` if it was not accepted."""
    body = notification_body(payment)
    request = urllib.request.Request(
        payment.notification_url,
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as error:
        logger.warning("Sandbox notification for %s not delivered: %s", payment.pk, error)
        return False


@task
def deliver_notification(payment_id: str) -> int:
    """Notify the merchant of a decided payment (twice when configured, as gateways retry).
    Returns how many notifications were accepted."""
    payment = SandboxPayment.objects.get(pk=payment_id)
    attempts = 2 if settings.PAYMENTS_SANDBOX_REPEAT_NOTIFICATIONS else 1
    return sum(send_notification(payment) for _ in range(attempts))
