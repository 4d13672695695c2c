import json
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.urls import reverse

from kabinet.payments.providers import (
    GatewayError,
    GatewayPayment,
    InvalidNotification,
    PaymentProvider,
)
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment, SandboxSavedMethod


class SandboxProvider(PaymentProvider):
    """The built-in test gateway (``kabinet.payments.sandbox``)."""

    name = "sandbox"
    verbose_name = "тестовый платёжный шлюз"

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
        try:
            payment = gateway.create_payment(
                amount=online_payment.gateway_amount,
                description=description,
                return_url=return_url,
                notification_url=notification_url,
                key=str(online_payment.idempotence_key),
                receipt=online_payment.fiscal_receipt_data or None,
                save_method=save_method,
            )
        except ValueError as error:
            raise GatewayError(f"sandbox: {error}") from error
        return self._report(payment)

    def charge_saved_method(self, online_payment, *, method_id, description, notification_url):
        try:
            payment = gateway.charge_saved_method(
                method_id=method_id,
                amount=online_payment.amount,
                description=description,
                notification_url=notification_url,
                key=str(online_payment.idempotence_key),
                receipt=online_payment.fiscal_receipt_data or None,
            )
        except (SandboxSavedMethod.DoesNotExist, ValidationError, ValueError) as error:
            raise GatewayError(f"sandbox: {error}") from error
        return self._report(payment)

    def can_pay_to(self, payee) -> bool:
        return True  # a test gateway: the payee shows in the payment's description

    def fetch_payment(self, gateway_id):
        try:
            return self._report(gateway.find_payment(gateway_id))
        except (SandboxPayment.DoesNotExist, ValidationError, ValueError):
            raise GatewayError(f"sandbox: no payment {gateway_id}") from None

    def cancel_payment(self, gateway_id):
        try:
            gateway.decide(gateway.find_payment(gateway_id), paid=False)
        except (SandboxPayment.DoesNotExist, ValidationError, ValueError):
            raise GatewayError(f"sandbox: no payment {gateway_id}") from None

    def notification_payment_id(self, body: bytes, headers: Mapping[str, str], remote_addr: str):
        if not gateway.is_signed(body, headers.get(gateway.SIGNATURE_HEADER, "")):
            raise InvalidNotification("bad or missing signature")
        try:
            return str(json.loads(body)["payment_id"])
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidNotification("malformed body") from error

    @staticmethod
    def _decline_reason(payment: SandboxPayment) -> str:
        """ЮKassa's ``cancellation_details.reason`` of a refused charge of a saved method."""
        if payment.charged_method_id is None or payment.status != "canceled":
            return ""
        return "permission_revoked" if payment.charged_method.revoked else "insufficient_funds"

    @staticmethod
    def _report(payment: SandboxPayment) -> GatewayPayment:
        return GatewayPayment(
            id=str(payment.pk),
            status=payment.status,
            amount=payment.amount,
            confirmation_url=reverse("sandbox:pay", args=[payment.pk]),
            paid_at=payment.decided_at if payment.status == "succeeded" else None,
            receipt_status=payment.receipt_status,
            receipt_id=str(payment.pk) if payment.receipt_status else "",
            receipt_url=reverse("sandbox:receipt", args=[payment.pk])
            if payment.receipt_status
            else "",
            saved_method_id=str(payment.saved_method_id or ""),
            saved_method_title=payment.saved_method.title if payment.saved_method_id else "",
            decline_reason=SandboxProvider._decline_reason(payment),
        )
