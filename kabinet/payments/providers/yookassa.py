"""ЮKassa through its official SDK (PyPI ``yookassa``).

Payments are created with the online payment's idempotence key and a redirect confirmation;
a notification only names the payment — its state is always re-read through the API, so a
forged notification changes nothing. The SDK is configured from settings (``YOOKASSA_*``)."""

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.utils.dateparse import parse_datetime
from yookassa import Configuration
from yookassa import Payment as YooPayment
from yookassa import Receipt as YooReceipt
from yookassa.domain.common.security_helper import SecurityHelper
from yookassa.domain.notification import WebhookNotificationFactory

from kabinet.payments.providers import (
    GatewayError,
    GatewayPayment,
    InvalidNotification,
    PaymentProvider,
)

logger = logging.getLogger(__name__)

# ЮKassa's "waiting_for_capture" cannot happen with capture=True; count it as pending.
STATUSES = {"pending": "pending", "waiting_for_capture": "pending",
            "succeeded": "succeeded", "canceled": "canceled"}  # fmt: skip


class YooKassaProvider(PaymentProvider):
    name = "yookassa"
    verbose_name = "ЮKassa"

    def __init__(self):
        Configuration.configure(
            settings.YOOKASSA_SHOP_ID,
            settings.YOOKASSA_SECRET_KEY,
            api_url=settings.YOOKASSA_API_URL,
        )

    def create_payment(
        self,
        online_payment,
        *,
        description,
        return_url,
        notification_url,
        payee=None,
        save_method=False,
    ):
        amount = {"value": f"{online_payment.gateway_amount:.2f}", "currency": "RUB"}
        params = {
            "amount": amount,
            "confirmation": {"type": "redirect", "return_url": return_url},
            "capture": True,
            "description": description[:128],
            "metadata": {"online_payment_id": str(online_payment.pk)},
        }
        if payee is not None:
            # Сплитование платежей: the whole sum goes to the payee's own shop (the capital
            # repair fund's account), none of it to the organisation's.
            params["transfers"] = [{"account_id": payee.online_account_id, "amount": amount}]
        if online_payment.method:  # the resident chose it in the cabinet («sbp», «bank_card»)
            params["payment_method_data"] = {"type": online_payment.method}
        if online_payment.fiscal_receipt_data:
            params["receipt"] = online_payment.fiscal_receipt_data  # payments.fiscal
        if save_method:  # autopay: the payer agrees on ЮKassa's page to save the method
            params["save_payment_method"] = True
        return self._call(YooPayment.create, params, str(online_payment.idempotence_key))

    def charge_saved_method(self, online_payment, *, method_id, description, notification_url):
        params = {
            "amount": {"value": f"{online_payment.amount:.2f}", "currency": "RUB"},
            "capture": True,
            "payment_method_id": method_id,  # a recurring payment: no confirmation
            "description": description[:128],
            "metadata": {"online_payment_id": str(online_payment.pk), "autopay": "1"},
        }
        if online_payment.fiscal_receipt_data:
            params["receipt"] = online_payment.fiscal_receipt_data
        return self._call(YooPayment.create, params, str(online_payment.idempotence_key))

    def can_pay_to(self, payee) -> bool:
        return bool(payee.online_account_id)

    def fetch_payment(self, gateway_id):
        state = self._call(YooPayment.find_one, gateway_id)
        if state.receipt_status != "succeeded":
            return state
        # The registered receipt's fiscal attributes are in the receipts API
        # (GET /v3/receipts?payment_id=…); until it answers, the receipt counts as still
        # being registered, so that the re-check asks again.
        try:
            details = receipt_details(YooReceipt.list({"payment_id": gateway_id}))
        except Exception as error:  # the SDK's ApiError, or its own AttributeError offline
            logger.warning("ЮKassa receipt of %s not read: %s", gateway_id, error)
            details = None
        if not details:
            return replace(state, receipt_status="pending")
        return replace(state, receipt_id=details.pop("id"), receipt_details=details)

    def notification_payment_id(self, body: bytes, headers: Mapping[str, str], remote_addr: str):
        if settings.YOOKASSA_CHECK_IP and not SecurityHelper().is_ip_trusted(remote_addr):
            raise InvalidNotification(f"sender {remote_addr} is not one of ЮKassa's addresses")
        try:
            notification = WebhookNotificationFactory().create(json.loads(body))
            payment_id = notification.object.id
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise InvalidNotification(f"malformed notification: {error}") from error
        if not str(notification.event).startswith("payment.") or not payment_id:
            raise InvalidNotification(f"not a payment notification: {notification.event}")
        return str(payment_id)

    @staticmethod
    def _call(method, *args) -> GatewayPayment:
        try:
            response = method(*args)
        except Exception as error:
            # The SDK raises its ApiError subclasses for refusals, and for a connection that
            # failed an AttributeError of its own error handling: both mean "not now".
            raise GatewayError(f"ЮKassa: {error}") from error
        confirmation = getattr(response, "confirmation", None)
        captured_at = getattr(response, "captured_at", None)
        method = getattr(response, "payment_method", None)
        saved = method is not None and bool(getattr(method, "saved", False))
        cancellation = getattr(response, "cancellation_details", None)
        return GatewayPayment(
            id=str(response.id),
            status=STATUSES.get(response.status, "pending"),
            amount=Decimal(str(response.amount.value)),
            confirmation_url=getattr(confirmation, "confirmation_url", "") or "",
            paid_at=parse_datetime(captured_at) if captured_at else None,
            # ЮKassa reports the receipt's registration on the payment; the receipt's id and
            # its fiscal data are in its receipts API (``fetch_payment``).
            receipt_status=getattr(response, "receipt_registration", None) or "",
            saved_method_id=str(method.id) if saved else "",
            saved_method_title=(getattr(method, "title", None) or "") if saved else "",
            decline_reason=(getattr(cancellation, "reason", None) or "") if cancellation else "",
        )


def receipt_details(response) -> dict | None:
    """The id and fiscal attributes of the payment's registered receipt of income
    (``type`` «payment») in a receipts list, or ``None`` if it is not there yet."""
    for receipt in getattr(response, "items", None) or []:
        if getattr(receipt, "type", "") != "payment" or receipt.status != "succeeded":
            continue
        details = {
            "id": str(receipt.id),
            "fn": getattr(receipt, "fiscal_storage_number", "") or "",
            "fd": getattr(receipt, "fiscal_document_number", "") or "",
            "fp": getattr(receipt, "fiscal_attribute", "") or "",
            "registered_at": getattr(receipt, "registered_at", "") or "",
        }
        return details if details["fn"] and details["fd"] and details["fp"] else None
    return None
