"""The ЮKassa provider, through the official SDK, against a local fake of ЮKassa's HTTP API."""

import base64
import json
import logging
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from kabinet.payments import services
from kabinet.payments.models import OnlinePayment, OnlinePaymentStatus, Payment, PaymentSource

pytestmark = pytest.mark.django_db
SHOP_ID, SECRET = "506751", "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
NOTIFY = "/payments/notify/yookassa/"


class FakeYooKassa(ThreadingHTTPServer):
    """What the SDK talks to: ``POST /v3/payments`` (idempotent by ``Idempotence-Key``) and
    ``GET /v3/payments/<id>``, behind HTTP Basic authentication with the shop's id and key."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeYooKassaHandler)
        self.payments: dict[str, dict] = {}
        self.receipts: dict[str, dict] = {}  # by payment id, once registered
        self.receipt_items: dict[str, list] = {}
        self.by_key: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict, dict | None]] = []

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v3"

    def settle(self, payment_id, status):
        """The payer paid (or the payment was cancelled) on ЮKassa's side."""
        payment = self.payments[payment_id]
        payment["status"] = status
        payment["paid"] = status == "succeeded"
        if status == "succeeded":
            payment["captured_at"] = "2026-11-26T09:15:00.000Z"
            if "receipt_registration" in payment:  # the receipt is registered after payment
                payment["receipt_registration"] = "succeeded"
                self.receipts[payment_id] = {
                    "id": f"rt-{payment_id}",
                    "type": "payment",
                    "payment_id": payment_id,
                    "status": "succeeded",
                    "fiscal_document_number": "3986",
                    "fiscal_storage_number": "9288000100115785",
                    "fiscal_attribute": "2617603921",
                    "registered_at": "2026-11-26T09:15:01.000Z",
                    "fiscal_provider_id": "fd9e9404-eaca-4000-8ec9-dc228ead2346",
                    "items": self.receipt_items[payment_id],
                }


class FakeYooKassaHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self):
        expected = "Basic " + base64.b64encode(f"{SHOP_ID}:{SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._answer(401, {"type": "error", "code": "invalid_credentials"})
            return False
        return True

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(("POST", self.path, dict(self.headers), body))
        if not self._authorised():
            return
        key = self.headers.get("Idempotence-Key")
        if self.path != "/v3/payments" or not key:
            return self._answer(400, {"type": "error", "code": "invalid_request"})
        if key not in self.server.by_key:
            payment_id = str(uuid.uuid4())
            self.server.by_key[key] = payment_id
            self.server.payments[payment_id] = {
                "id": payment_id,
                "status": "pending",
                "paid": False,
                "amount": body["amount"],
                "description": body.get("description", ""),
                "recipient": {"account_id": SHOP_ID, "gateway_id": "2174463"},
                "created_at": "2026-11-26T09:14:00.000Z",
                "confirmation": {
                    "type": "redirect",
                    "return_url": body["confirmation"]["return_url"],
                    "confirmation_url": "https://yoomoney.ru/checkout/payments/v2/contract"
                    f"?orderId={payment_id}",
                },
                "test": True,
                "refundable": False,
                "metadata": body.get("metadata", {}),
            }
            if "receipt" in body:
                self.server.payments[payment_id]["receipt_registration"] = "pending"
                self.server.receipt_items[payment_id] = body["receipt"]["items"]
        self._answer(200, self.server.payments[self.server.by_key[key]])

    def do_GET(self):
        self.server.requests.append(("GET", self.path, dict(self.headers), None))
        if not self._authorised():
            return
        if self.path.startswith("/v3/receipts?"):  # GET /v3/receipts?payment_id=…
            payment_id = parse_qs(urlsplit(self.path).query).get("payment_id", [""])[0]
            receipt = self.server.receipts.get(payment_id)
            items = [receipt] if receipt else []
            return self._answer(200, {"type": "list", "items": items})
        payment = self.server.payments.get(self.path.removeprefix("/v3/payments/"))
        if payment is None:
            return self._answer(404, {"type": "error", "code": "not_found"})
        self._answer(200, payment)


@pytest.fixture
def yookassa(settings):
    server = FakeYooKassa()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PAYMENT_PROVIDER = "yookassa"
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = SHOP_ID, SECRET
    settings.YOOKASSA_API_URL = server.api_url
    yield server
    server.shutdown()
    server.server_close()


def start(link, amount=Decimal("1500.00")):
    return services.start_online_payment(
        link.account,
        link.user,
        amount,
        return_url=lambda payment: f"https://lk.example.ru/ls/{link.account.pk}/pay/{payment.pk}/",
        notification_url="https://lk.example.ru" + NOTIFY,
    )


def notification(payment_id, event="payment.succeeded"):
    return json.dumps(
        {
            "type": "notification",
            "event": event,
            "object": {
                "id": payment_id,
                "status": event.removeprefix("payment."),
                "paid": True,
                "amount": {"value": "1500.00", "currency": "RUB"},
                "created_at": "2026-11-26T09:14:00.000Z",
                "recipient": {"account_id": SHOP_ID, "gateway_id": "2174463"},
                "test": True,
                "refundable": False,
                "metadata": {},
            },
        }
    )


def test_payment_is_created_with_the_idempotence_key_and_a_redirect(yookassa, link):
    online_payment = start(link)

    method, path, headers, body = yookassa.requests[0]
    assert (method, path) == ("POST", "/v3/payments")
    assert headers["Idempotence-Key"] == str(online_payment.idempotence_key)
    assert body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert body["capture"] is True
    assert body["confirmation"] == {
        "type": "redirect",
        "return_url": f"https://lk.example.ru/ls/{link.account.pk}/pay/{online_payment.pk}/",
    }
    assert body["metadata"]["online_payment_id"] == str(online_payment.pk)
    assert online_payment.gateway_id in yookassa.payments
    assert online_payment.confirmation_url.startswith("https://yoomoney.ru/checkout/")
    assert online_payment.status == OnlinePaymentStatus.PENDING


def test_a_notification_is_believed_only_when_the_api_confirms_it(client, yookassa, link, caplog):
    online_payment = start(link)
    body = notification(online_payment.gateway_id)

    # The payer has not paid: a notification claiming success (forged) changes nothing.
    assert client.post(NOTIFY, body, content_type="application/json").status_code == 200
    online_payment.refresh_from_db()
    assert online_payment.is_pending
    assert not Payment.objects.exists()
    assert ("GET", f"/v3/payments/{online_payment.gateway_id}") in [
        r[:2] for r in yookassa.requests
    ]

    yookassa.settle(online_payment.gateway_id, "succeeded")
    for _ in range(3):  # ЮKassa repeats a notification until it is answered; all are harmless
        assert client.post(NOTIFY, body, content_type="application/json").status_code == 200

    payment = Payment.objects.get()
    assert (payment.source, payment.external_id) == (
        PaymentSource.ONLINE,
        online_payment.gateway_id,
    )
    assert payment.amount == Decimal("1500.00")
    assert str(payment.paid_on) == "2026-11-26"
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED


def test_a_cancelled_payment_is_closed_without_crediting(client, yookassa, link):
    online_payment = start(link)
    yookassa.settle(online_payment.gateway_id, "canceled")
    body = notification(online_payment.gateway_id, "payment.canceled")
    client.post(NOTIFY, body, content_type="application/json")

    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.CANCELED
    assert not Payment.objects.exists()


def test_a_malformed_notification_is_refused_and_logged(client, yookassa, caplog):
    with caplog.at_level(logging.WARNING, logger="kabinet.payments.services"):
        response = client.post(NOTIFY, b'{"hello": 1}', content_type="application/json")
    assert response.status_code == 400
    assert "Refused a payment notification" in caplog.text


def test_notifications_from_outside_yookassas_networks_can_be_refused(
    client, yookassa, link, settings, caplog
):
    settings.YOOKASSA_CHECK_IP = True
    online_payment = start(link)
    yookassa.settle(online_payment.gateway_id, "succeeded")
    with caplog.at_level(logging.WARNING, logger="kabinet.payments.services"):
        response = client.post(
            NOTIFY, notification(online_payment.gateway_id), content_type="application/json"
        )
    assert response.status_code == 400
    assert "127.0.0.1 is not one of" in caplog.text
    assert not Payment.objects.exists()


def test_behind_a_proxy_the_address_checked_is_the_one_the_proxy_saw(
    client, yookassa, link, settings
):
    settings.YOOKASSA_CHECK_IP = True
    settings.TRUSTED_PROXY_COUNT = 1
    online_payment = start(link)
    yookassa.settle(online_payment.gateway_id, "succeeded")
    response = client.post(
        NOTIFY,
        notification(online_payment.gateway_id),
        content_type="application/json",
        headers={"X-Forwarded-For": "185.71.76.5"},  # one of ЮKassa's networks
    )
    assert response.status_code == 200
    assert Payment.objects.count() == 1


def test_the_return_page_asks_the_api(client, yookassa, link):
    online_payment = start(link)
    yookassa.settle(online_payment.gateway_id, "succeeded")
    client.force_login(link.user)
    page = client.get(f"/ls/{link.account.pk}/pay/{online_payment.pk}/")
    assert "Оплата прошла" in page.text
    assert Payment.objects.count() == 1


def test_wrong_credentials_or_an_unreachable_api_refuse_the_payment_politely(
    yookassa, link, settings
):
    settings.YOOKASSA_SECRET_KEY = "wrong"
    with pytest.raises(services.PaymentRefused, match="недоступен"):
        start(link)
    settings.YOOKASSA_SECRET_KEY = SECRET
    settings.YOOKASSA_API_URL = "http://127.0.0.1:9/v3"  # nothing listens there
    with pytest.raises(services.PaymentRefused, match="недоступен"):
        start(link)
    assert set(OnlinePayment.objects.values_list("status", flat=True)) == {"canceled"}


def test_a_notification_while_the_api_is_down_asks_to_be_sent_again(
    client, yookassa, link, settings
):
    online_payment = start(link)
    settings.YOOKASSA_API_URL = "http://127.0.0.1:9/v3"
    response = client.post(
        NOTIFY, notification(online_payment.gateway_id), content_type="application/json"
    )
    assert response.status_code == 503
    assert not Payment.objects.exists()


def test_the_fiscal_receipt_is_sent_and_its_registration_followed(client, yookassa, link):
    link.account.organization.receipt_items = "single"
    link.account.organization.save()
    online_payment = start(link)

    body = yookassa.requests[0][3]
    assert body["receipt"] == {
        "customer": {"email": link.user.email},
        "items": [
            {
                "description": "Оплата ЖКУ",
                "quantity": "1.0",  # the SDK writes the quantity so
                "amount": {"value": "1500.00", "currency": "RUB"},
                "vat_code": 1,
                "payment_subject": "service",
                "payment_mode": "full_payment",
            }
        ],
        "tax_system_code": 1,
    }
    assert online_payment.fiscal_receipt_data["items"][0]["amount"]["value"] == "1500.00"

    yookassa.settle(online_payment.gateway_id, "succeeded")
    client.post(NOTIFY, notification(online_payment.gateway_id), content_type="application/json")
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED
    assert online_payment.fiscal_receipt_status == "succeeded"
    # Its fiscal attributes come from the receipts API, and the portal shows the receipt.
    assert online_payment.fiscal_receipt_id == f"rt-{online_payment.gateway_id}"
    assert online_payment.fiscal_receipt_details == {
        "fn": "9288000100115785",
        "fd": "3986",
        "fp": "2617603921",
        "registered_at": "2026-11-26T09:15:01.000Z",
    }
    client.force_login(link.user)
    url = reverse("portal:fiscal_receipt", args=[link.account.pk, online_payment.pk])
    assert (
        url
        in client.get(reverse("portal:account_payments", args=[link.account.pk])).content.decode()
    )
    page = client.get(url).content.decode()
    assert "9288000100115785" in page
    assert "<svg" in page  # the receipt's QR code, for ФНС's «Проверка чеков»


def test_until_the_receipts_api_lists_it_the_receipt_stays_pending(client, yookassa, link):
    online_payment = start(link)
    yookassa.settle(online_payment.gateway_id, "succeeded")
    del yookassa.receipts[online_payment.gateway_id]  # registered, not yet in the list
    client.post(NOTIFY, notification(online_payment.gateway_id), content_type="application/json")
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED
    assert online_payment.fiscal_receipt_status == "pending"  # the re-check asks again
    client.force_login(link.user)
    url = reverse("portal:fiscal_receipt", args=[link.account.pk, online_payment.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("method", ["sbp", "bank_card"])
def test_the_chosen_method_is_sent_as_payment_method_data(yookassa, link, method):
    services.start_online_payment(
        link.account,
        link.user,
        Decimal("100.00"),
        method=method,
        return_url=lambda payment: "https://lk.example.ru/back/",
        notification_url="https://lk.example.ru" + NOTIFY,
    )
    assert yookassa.requests[0][3]["payment_method_data"] == {"type": method}


def test_without_a_chosen_method_the_gateway_page_asks(yookassa, link):
    start(link)
    assert "payment_method_data" not in yookassa.requests[0][3]
