"""Payment gateways behind one small interface (as pretix's payment providers).

A provider creates a payment at its gateway and gives the page the payer is sent to, tells the
payment's state as the gateway knows it now, and says which payment a notification is about —
refusing a notification it cannot trust. The state is always taken from ``fetch_payment``
(the gateway's API), never from the notification's body.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

PROVIDERS = {
    "sandbox": "kabinet.payments.providers.sandbox.SandboxProvider",
    "yookassa": "kabinet.payments.providers.yookassa.YooKassaProvider",
}


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; try again later."""


class InvalidNotification(Exception):
    """A notification that is not from the gateway (unsigned, forged, malformed)."""


@dataclass(frozen=True)
class GatewayPayment:
    """A payment as the gateway reports it."""

    id: str
    status: str  # an OnlinePaymentStatus value
    amount: Decimal
    confirmation_url: str = ""
    paid_at: datetime.datetime | None = None
    # The fiscal receipt sent with the payment, as far as the gateway reports it.
    receipt_status: str = ""  # a FiscalReceiptStatus value, or "" if none was registered
    receipt_id: str = ""
    receipt_url: str = ""
    # ФН, ФД, ФП and the time of registration (``fn``, ``fd``, ``fp``, ``registered_at``).
    receipt_details: dict = field(default_factory=dict, hash=False)
    # Autopay: the payer's way of paying, saved at the gateway (ЮKassa's ``payment_method``
    # with ``saved: true``) — its id to charge later and a title to show («Bank card *4444»).
    saved_method_id: str = ""
    saved_method_title: str = ""
    decline_reason: str = ""  # why a cancelled payment was refused, as the gateway says


class PaymentProvider:
    name = ""
    verbose_name = ""

    def create_payment(
        self,
        online_payment,
        *,
        description: str,
        return_url: str,
        notification_url: str,
        payee=None,
        save_method: bool = False,
    ) -> GatewayPayment:
        """Create the payment at the gateway (idempotent by ``online_payment.idempotence_key``)
        with its fiscal receipt (``online_payment.fiscal_receipt_data``, ``payments.fiscal``);
        the result's ``confirmation_url`` is where the payer goes next. ``payee`` (a
        ``billing.CapitalRepairFund``) sends the money to the capital repair payee instead of
        the organisation (``can_pay_to`` says whether the gateway can). With ``save_method``
        the payer is asked to save the way they pay for autopay (``charge_saved_method``)."""
        raise NotImplementedError

    def charge_saved_method(
        self, online_payment, *, method_id: str, description: str, notification_url: str
    ) -> GatewayPayment:
        """Charge ``online_payment`` to the payer's saved method ``method_id`` without asking
        them (autopay); idempotent by ``online_payment.idempotence_key``. The answer is usually
        final (succeeded or cancelled), rarely pending — then it is checked as any payment."""
        raise NotImplementedError

    def can_pay_to(self, payee) -> bool:
        """Whether the gateway can take a payment for ``payee`` (a capital repair fund)."""
        return False

    def fetch_payment(self, gateway_id: str) -> GatewayPayment:
        """The payment's state as the gateway knows it now (``GatewayError`` if the gateway
        does not answer or knows no such payment)."""
        raise NotImplementedError

    def cancel_payment(self, gateway_id: str) -> None:
        """The payer gave the payment up: tell the gateway where its API allows. By default
        nothing — ЮKassa cancels only a payment waiting for capture, not a pending one, and
        cancels that itself when its lifetime ends."""

    def notification_payment_id(
        self, body: bytes, headers: Mapping[str, str], remote_addr: str
    ) -> str:
        """The gateway's id of the payment a notification is about; ``InvalidNotification``
        if the notification cannot be trusted to come from the gateway."""
        raise NotImplementedError


def is_enabled() -> bool:
    return bool(settings.PAYMENT_PROVIDER)


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called ``name`` (by default the configured one)."""
    name = name or settings.PAYMENT_PROVIDER
    if name not in PROVIDERS:
        raise LookupError(f"Unknown payment provider {name!r}")
    return import_string(PROVIDERS[name])()
