"""Autopay through ЮKassa's SDK against the local fake of its API, taught saved methods: the
set-up payment asks to save the method (``save_payment_method``), a charge names it
(``payment_method_id``) and is decided at once, a refusal says why (``cancellation_details``)."""

import datetime
import io
import json
import threading
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.payments.autopay import services as autopay
from kabinet.payments.models import AutopayCharge, AutopayChargeStatus, AutopayMode, Payment
from tests.factories import AccountLinkFactory
from tests.test_autopay import close_october
from tests.test_yookassa import SECRET, SHOP_ID, FakeYooKassa, FakeYooKassaHandler

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)


class SavedMethodsHandler(FakeYooKassaHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.loads(raw)
        if "payment_method_id" not in body:
            self.rfile = io.BytesIO(raw)
            super().do_POST()
            if body.get("save_payment_method"):
                self.server.saving.add(self.server.by_key[self.headers["Idempotence-Key"]])
            return None
        self.server.requests.append(("POST", self.path, dict(self.headers), body))
        if not self._authorised():
            return None
        key = self.headers["Idempotence-Key"]
        if key not in self.server.by_key:
            declined = body["payment_method_id"] in self.server.declining
            payment_id = str(uuid.uuid4())
            self.server.by_key[key] = payment_id
            self.server.payments[payment_id] = {
                "id": payment_id,
                "status": "canceled" if declined else "succeeded",
                "paid": not declined,
                "amount": body["amount"],
                "description": body.get("description", ""),
                "recipient": {"account_id": SHOP_ID, "gateway_id": "2174463"},
                "created_at": "2026-11-26T09:14:00.000Z",
                "payment_method": self.server.methods[body["payment_method_id"]],
                "test": True,
                "refundable": not declined,
                "metadata": body.get("metadata", {}),
                **(
                    {"cancellation_details": {"party": "payment_network",
                                              "reason": "insufficient_funds"}}
                    if declined
                    else {"captured_at": "2026-12-01T06:00:00.000Z"}
                ),
            }  # fmt: skip
        return self._answer(200, self.server.payments[self.server.by_key[key]])


class FakeYooKassaWithSavedMethods(FakeYooKassa):
    def __init__(self):
        super().__init__()
        self.RequestHandlerClass = SavedMethodsHandler
        self.saving: set[str] = set()
        self.methods: dict[str, dict] = {}
        self.declining: set[str] = set()

    def settle(self, payment_id, status):
        super().settle(payment_id, status)
        if status == "succeeded" and payment_id in self.saving:
            method = {"type": "bank_card", "id": str(uuid.uuid4()), "saved": True,
                      "title": "Bank card *4444"}  # fmt: skip
            self.methods[method["id"]] = method
            self.payments[payment_id]["payment_method"] = method


@pytest.fixture
def yookassa(settings):
    server = FakeYooKassaWithSavedMethods()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PAYMENT_PROVIDER = "yookassa"
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = SHOP_ID, SECRET
    settings.YOOKASSA_API_URL = server.api_url
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def active(yookassa):
    link = AccountLinkFactory()
    started = autopay.set_up_autopay(
        link.account,
        link.user,
        mode=AutopayMode.FULL,
        day=None,
        limit=Decimal("5000.00"),
        return_url=lambda payment: "https://lk.example.ru/back/",
        notification_url="https://lk.example.ru/payments/notify/yookassa/",
    )
    yookassa.settle(started.binding_payment.gateway_id, "succeeded")
    active = autopay.activate_autopay(started)
    close_october(link.account)
    autopay.run_autopay(TODAY)
    return active


def test_the_set_up_payment_asks_yookassa_to_save_the_method(yookassa, active):
    _, _, _, body = next(r for r in yookassa.requests if r[0] == "POST")
    assert body["save_payment_method"] is True
    assert active.method_id in yookassa.methods
    assert active.method_title == "Bank card *4444"


def test_a_charge_names_the_saved_method_and_is_credited(yookassa, active):
    autopay.run_autopay(TOMORROW)

    _, _, headers, body = [r for r in yookassa.requests if r[0] == "POST"][-1]
    assert body["payment_method_id"] == active.method_id
    assert "confirmation" not in body
    assert body["amount"] == {"value": "1499.00", "currency": "RUB"}
    charge = AutopayCharge.objects.get()
    assert headers["Idempotence-Key"] == str(charge.online_payment.idempotence_key)
    assert charge.status == AutopayChargeStatus.SUCCEEDED
    assert Payment.objects.get(external_id=charge.online_payment.gateway_id).amount == Decimal(
        "1499.00"
    )


def test_a_refusal_is_retried_with_yookassas_reason(yookassa, active):
    yookassa.declining.add(active.method_id)

    autopay.run_autopay(TOMORROW)

    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.attempts) == (AutopayChargeStatus.SCHEDULED, 1)
    assert charge.reason == "на карте недостаточно денег"
    assert not Payment.objects.filter(external_id=charge.online_payment.gateway_id).exists()
