"""Online payment through the sandbox gateway: credited exactly once, whatever arrives."""

import datetime
import io
import json
import logging
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from kabinet.payments import services
from kabinet.payments.models import OnlinePayment, OnlinePaymentStatus, Payment, PaymentSource
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    OnlinePaymentFactory,
    PaymentFactory,
)
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db
NOTIFY = "/payments/notify/sandbox/"


@pytest.fixture
def link():
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("6889.37"))
    return link


def start(link, amount=Decimal("1500.00"), notification_url="http://127.0.0.1:9/unused/"):
    return services.start_online_payment(
        link.account,
        link.user,
        amount,
        return_url=lambda payment: f"http://testserver/ls/{link.account.pk}/pay/{payment.pk}/",
        notification_url=notification_url,
    )


def decide(online_payment, paid=True):
    """The payer presses «Оплатить» (or «Отменить») on the gateway's page; its notification is
    not delivered here (no server), as if it were lost."""
    return gateway.decide(SandboxPayment.objects.get(pk=online_payment.gateway_id), paid=paid)


def notify(client, online_payment, **overrides):
    body = gateway.notification_body(SandboxPayment.objects.get(pk=online_payment.gateway_id))
    headers = {"HTTP_X_SANDBOX_SIGNATURE": gateway.sign(body), **overrides}
    return client.post(NOTIFY, body, content_type="application/json", **headers)


def test_payment_starts_pending_at_the_gateway(link):
    online_payment = start(link)

    assert online_payment.status == OnlinePaymentStatus.PENDING
    sandbox = SandboxPayment.objects.get(pk=online_payment.gateway_id)
    assert sandbox.amount == Decimal("1500.00")
    assert sandbox.idempotence_key == str(online_payment.idempotence_key)
    assert online_payment.confirmation_url == reverse("sandbox:pay", args=[sandbox.pk])
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("100000.01")])
def test_amounts_outside_the_limit_are_refused(link, amount):
    with pytest.raises(services.PaymentRefused):
        start(link, amount)
    assert not OnlinePayment.objects.exists()


def test_a_notification_credits_once_however_often_it_comes(
    client, link, mailoutbox, django_capture_on_commit_callbacks
):
    online_payment = start(link)
    decide(online_payment)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert notify(client, online_payment).status_code == 200
    services.refresh_online_payment(online_payment)

    payment = Payment.objects.get()
    assert payment.source == PaymentSource.ONLINE
    assert payment.external_id == online_payment.gateway_id
    assert payment.amount == Decimal("1500.00")
    assert payment.paid_on == timezone.localdate()
    assert payment.payer_name == link.user.full_name
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED
    assert online_payment.payment == payment
    assert len(mailoutbox) == 1
    receipt = mailoutbox[0]
    assert receipt.to == [link.user.email]
    assert receipt.subject == f"Оплата 1\u00a0500,00\u00a0₽ по ЛС № {link.account.number} зачислена"
    assert online_payment.gateway_id in receipt.body


def test_the_resident_returning_before_the_notification_sees_the_payment(client, link):
    online_payment = start(link)
    decide(online_payment)
    client.force_login(link.user)

    page = client.get(reverse("portal:online_payment", args=[link.account.pk, online_payment.pk]))
    assert "Оплата прошла" in text_of(page)
    assert notify(client, online_payment).status_code == 200  # arrives after: changes nothing
    assert Payment.objects.count() == 1


def test_a_cancelled_payment_credits_nothing(client, link):
    online_payment = start(link)
    decide(online_payment, paid=False)
    notify(client, online_payment)

    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.CANCELED
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"HTTP_X_SANDBOX_SIGNATURE": ""},
        {"HTTP_X_SANDBOX_SIGNATURE": "sha256=" + "0" * 64},
    ],
    ids=["unsigned", "forged"],
)
def test_an_unsigned_or_forged_notification_changes_nothing_and_is_logged(
    client, link, caplog, overrides
):
    online_payment = start(link)
    decide(online_payment)
    with caplog.at_level(logging.WARNING, logger="kabinet.payments.services"):
        response = notify(client, online_payment, **overrides)

    assert response.status_code == 400
    assert "Refused a payment notification" in caplog.text
    online_payment.refresh_from_db()
    assert online_payment.is_pending
    assert not Payment.objects.exists()


def test_a_signed_body_changed_on_the_way_is_refused(client, link):
    online_payment = start(link)
    body = json.dumps({"payment_id": online_payment.gateway_id, "status": "succeeded"}).encode()
    signature = gateway.sign(body.replace(b"succeeded", b"canceled"))
    response = client.post(
        NOTIFY, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_notification_about_an_unknown_payment_is_logged(client, caplog):
    body = json.dumps({"payment_id": str(uuid.uuid4()), "status": "succeeded"}).encode()
    with caplog.at_level(logging.WARNING, logger="kabinet.payments.services"):
        response = client.post(
            NOTIFY, body, content_type="application/json",
            HTTP_X_SANDBOX_SIGNATURE=gateway.sign(body),
        )  # fmt: skip
    assert response.status_code == 200
    assert "unknown payment" in caplog.text


def test_an_unknown_provider_is_refused(client):
    response = client.post("/payments/notify/paypal/", b"{}", content_type="application/json")
    assert response.status_code == 400


def test_a_payment_whose_notification_was_lost_is_credited_by_the_background_check(link):
    online_payment = start(link)
    decide(online_payment)
    OnlinePayment.objects.filter(pk=online_payment.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    recent = start(link, Decimal("10.00"))  # just started: the resident is still paying
    decide(recent)

    output = io.StringIO()
    call_command("check_online_payments", stdout=output)

    assert "получили решение платёжного сервиса: 1" in output.getvalue()
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("1500.00")]


def test_a_payment_left_unpaid_is_cancelled_when_the_gateway_gives_up(link):
    online_payment = start(link)
    SandboxPayment.objects.filter(pk=online_payment.gateway_id).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    OnlinePayment.objects.filter(pk=online_payment.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    assert services.check_pending_online_payments() == 1
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.CANCELED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time: no race to test"
)
def test_simultaneous_notifications_credit_once():
    link = AccountLinkFactory()
    online_payment = start(link)
    decide(online_payment)
    body = gateway.notification_body(SandboxPayment.objects.get(pk=online_payment.gateway_id))
    headers = {gateway.SIGNATURE_HEADER: gateway.sign(body)}
    barrier = threading.Barrier(6)
    failures = []

    def deliver():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.handle_notification("sandbox", body, headers, "127.0.0.1")
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert Payment.objects.filter(source=PaymentSource.ONLINE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_really_notifies_over_http_twice(live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    link = AccountLinkFactory()
    online_payment = start(link, notification_url=live_server.url + NOTIFY)

    decide(online_payment)  # commits, and the notification task runs (immediate backend)

    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED
    accepted = gateway.deliver_notification.enqueue(online_payment.gateway_id).return_value
    assert accepted == 2  # both copies were answered 200
    assert Payment.objects.count() == 1


# The resident's pages


def test_pay_form_offers_the_debt_and_the_limit(client, link):
    client.force_login(link.user)
    page = client.get(reverse("portal:pay", args=[link.account.pk]))
    assert page.context["form"]["amount"].value() == "6889,37"
    assert 'value="6889,37"' in page.text
    assert "не больше 100\u00a0000,00\u00a0₽" in text_of(page)


@pytest.mark.parametrize(
    ("balance", "offered"),
    [
        (Decimal("6889.37"), Decimal("6889.37")),  # the debt
        (Decimal("123456.78"), Decimal("100000.00")),  # no more than the limit
        (Decimal("0.00"), None),  # nothing owed, nothing offered
        (Decimal("-50.00"), None),  # an overpayment
    ],
)
def test_the_amount_offered_is_the_debt_up_to_the_limit(balance, offered):
    assert services.suggested_amount(balance, Decimal("100000.00")) == offered


def test_pay_form_names_an_amount_above_the_limit(client, link):
    link.account.organization.online_payment_limit = Decimal("5000.00")
    link.account.organization.save()
    client.force_login(link.user)
    page = client.post(reverse("portal:pay", args=[link.account.pk]), {"amount": "5000,01"})
    assert "Онлайн можно оплатить не больше 5\u00a0000,00\u00a0₽ за раз." in text_of(page)
    assert not OnlinePayment.objects.exists()


def test_pay_form_offers_the_unpaid_months_and_the_payment_names_the_chosen_one(client, link):
    """ГК РФ ст. 319.1 п. 1: the resident may name the month paid. September's 1 000 is paid
    400 by a payment naming nothing (the oldest debt first): 600 left; October owes it all."""
    account = link.account
    september = datetime.date(2026, 9, 1)
    ChargeFactory(account=account, charged=Decimal("1000.00"),
                  period__organization=account.organization, period__month=september)  # fmt: skip
    PaymentFactory(account=account, amount=Decimal("400.00"), paid_on=datetime.date(2026, 10, 5))
    client.force_login(link.user)
    page = client.get(reverse("portal:pay", args=[account.pk]))
    assert page.context["form"].fields["period"].choices == [
        ("", "Не указывать — в счёт самого раннего долга"),
        ("2026-09", "Сентябрь 2026 — долг 600,00\u00a0₽"),
        ("2026-10", "Октябрь 2026 — долг 6\u00a0889,37\u00a0₽"),
    ]
    refused = client.post(reverse("portal:pay", args=[account.pk]),
                          {"amount": "100,00", "period": "2025-01"})  # fmt: skip
    assert refused.status_code == 200
    assert not OnlinePayment.objects.exists()
    client.post(reverse("portal:pay", args=[account.pk]),
                {"amount": "1 500,00", "period": "2026-10"})  # fmt: skip
    online_payment = OnlinePayment.objects.get()
    assert online_payment.period == datetime.date(2026, 10, 1)
    decide(online_payment)
    services.refresh_online_payment(online_payment)
    assert Payment.objects.get(source=PaymentSource.ONLINE).period == datetime.date(2026, 10, 1)


def test_without_unpaid_months_the_form_asks_no_month(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    page = client.get(reverse("portal:pay", args=[link.account.pk]))
    assert "period" not in page.context["form"].fields


@pytest.mark.parametrize(
    ("action", "result"), [("pay", "Оплата прошла"), ("cancel", "Оплата отменена")]
)
def test_resident_pays_at_the_sandbox_and_returns_to_the_result(
    client, link, action, result, django_capture_on_commit_callbacks
):
    client.force_login(link.user)
    to_gateway = client.post(reverse("portal:pay", args=[link.account.pk]), {"amount": "1 500,00"})
    gateway_page = client.get(to_gateway.url)
    assert "Оплатить" in text_of(gateway_page)
    assert "1\u00a0500,00\u00a0₽" in text_of(gateway_page)

    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(to_gateway.url, {"action": action})
    page = client.get(back.url)

    assert result in text_of(page)
    payments = client.get(reverse("portal:account_payments", args=[link.account.pk]))
    assert ("оплачен" if action == "pay" else "отменён") in text_of(payments)


def test_pending_payment_page_refreshes_itself(client, link):
    client.force_login(link.user)
    online_payment = OnlinePaymentFactory(account=link.account, user=link.user)
    page = client.get(reverse("portal:online_payment", args=[link.account.pk, online_payment.pk]))
    assert "Ждём подтверждения" in text_of(page)
    assert 'http-equiv="refresh"' in page.text


def test_without_a_gateway_there_is_no_pay_button(client, link, settings):
    settings.PAYMENT_PROVIDER = ""
    client.force_login(link.user)
    card = client.get(reverse("portal:account", args=[link.account.pk]))
    assert "Оплатить" not in text_of(card)
    assert client.get(reverse("portal:pay", args=[link.account.pk])).status_code == 404


def test_the_card_has_the_pay_button(client, link):
    client.force_login(link.user)
    card = client.get(reverse("portal:account", args=[link.account.pk]))
    assert reverse("portal:pay", args=[link.account.pk]) in card.text
