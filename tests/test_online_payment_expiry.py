"""Abandoned online payments: expired after the gateway's lifetime, cancelled by the payer —
and credited all the same should the gateway confirm them paid later."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kabinet.payments import services
from kabinet.payments.models import OnlinePayment, OnlinePaymentStatus, Payment
from kabinet.payments.providers import GatewayError
from kabinet.payments.providers.sandbox import SandboxProvider
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment, SandboxStatus
from tests.factories import AccountLinkFactory, ChargeFactory, OnlinePaymentFactory
from tests.test_account_pages import text_of
from tests.test_online_payment import decide, notify, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def link():
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("6889.37"))
    return link


def age(online_payment, **delta):
    """Make the payment (ours and the sandbox's) as old as ``delta``."""
    when = timezone.now() - datetime.timedelta(**delta)
    OnlinePayment.objects.filter(pk=online_payment.pk).update(created_at=when)
    SandboxPayment.objects.filter(pk=online_payment.gateway_id).update(created_at=when)


@pytest.fixture
def long_sandbox(monkeypatch):
    """A gateway that keeps unpaid payments pending for days (as some methods do)."""
    monkeypatch.setattr(gateway, "EXPIRES_AFTER", datetime.timedelta(days=30))


def status_of(online_payment):
    online_payment.refresh_from_db()
    return online_payment.status


def test_a_payment_pending_past_its_lifetime_expires(link, long_sandbox, settings):
    settings.ONLINE_PAYMENT_LIFETIME = 3600
    old, young = start(link), start(link, Decimal("10.00"))
    age(old, hours=2)
    age(young, minutes=30)

    output = io.StringIO()
    call_command("check_online_payments", stdout=output)

    assert "получили решение платёжного сервиса: 1" in output.getvalue()
    assert status_of(old) == OnlinePaymentStatus.EXPIRED
    assert status_of(young) == OnlinePaymentStatus.PENDING
    assert not Payment.objects.exists()


def test_the_gateway_is_asked_first_a_paid_one_is_credited_not_expired(link, long_sandbox):
    online_payment = start(link)
    age(online_payment, days=2)
    decide(online_payment)  # paid just now; the notification was lost

    assert services.check_pending_online_payments() == 1
    assert status_of(online_payment) == OnlinePaymentStatus.SUCCEEDED
    assert Payment.objects.get().amount == Decimal("1500.00")


def test_an_expired_payment_the_gateway_later_confirms_is_credited_once(
    client, link, long_sandbox, caplog
):
    online_payment = start(link)
    age(online_payment, days=2)
    services.check_pending_online_payments()
    assert status_of(online_payment) == OnlinePaymentStatus.EXPIRED

    decide(online_payment)  # the bank confirmed late
    for _ in range(2):
        assert notify(client, online_payment).status_code == 200

    assert status_of(online_payment) == OnlinePaymentStatus.SUCCEEDED
    assert Payment.objects.get().amount == Decimal("1500.00")
    assert "crediting" in caplog.text


def test_a_silent_gateway_does_not_expire_a_payment_until_it_stops_checking(
    link, monkeypatch, settings
):
    settings.ONLINE_PAYMENT_LIFETIME = 3600
    online_payment = OnlinePaymentFactory(account=link.account, user=link.user)

    def down(self, gateway_id):
        raise GatewayError("down")

    monkeypatch.setattr(SandboxProvider, "fetch_payment", down)
    OnlinePayment.objects.filter(pk=online_payment.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=5)
    )
    assert services.check_pending_online_payments() == 0
    assert status_of(online_payment) == OnlinePaymentStatus.PENDING

    OnlinePayment.objects.filter(pk=online_payment.pk).update(
        created_at=timezone.now() - services.STOP_CHECKING_AFTER
    )
    assert services.check_pending_online_payments() == 1
    assert status_of(online_payment) == OnlinePaymentStatus.EXPIRED


def cancel_url(online_payment):
    return reverse(
        "portal:cancel_online_payment", args=[online_payment.account_id, online_payment.pk]
    )


def test_the_resident_cancels_a_pending_payment_from_the_payments_page(client, link):
    online_payment = start(link)
    client.force_login(link.user)
    page = client.get(reverse("portal:account_payments", args=[link.account.pk]))
    assert cancel_url(online_payment) in page.content.decode()

    response = client.post(cancel_url(online_payment), follow=True)

    assert f"Онлайн-оплата № {online_payment.pk} отменена" in text_of(response)
    assert status_of(online_payment) == OnlinePaymentStatus.CANCELED
    sandbox = SandboxPayment.objects.get(pk=online_payment.gateway_id)
    assert sandbox.status == SandboxStatus.CANCELED  # the gateway was told too
    page = client.get(reverse("portal:account_payments", args=[link.account.pk]))
    assert cancel_url(online_payment) not in page.content.decode()


def test_a_get_only_asks_for_confirmation(client, link):
    online_payment = start(link)
    client.force_login(link.user)
    page = client.get(cancel_url(online_payment))
    assert f"Отменить онлайн-оплату № {online_payment.pk}?" in text_of(page)
    assert status_of(online_payment) == OnlinePaymentStatus.PENDING


def test_cancelling_needs_the_csrf_token(link):
    from django.test import Client

    online_payment = start(link)
    client = Client(enforce_csrf_checks=True)
    client.force_login(link.user)
    assert client.post(cancel_url(online_payment)).status_code == 403
    assert status_of(online_payment) == OnlinePaymentStatus.PENDING


def test_another_residents_payment_cannot_be_cancelled(client, link):
    online_payment = start(link)
    stranger = AccountLinkFactory()
    client.force_login(stranger.user)

    assert client.post(cancel_url(online_payment)).status_code == 404
    assert client.get(cancel_url(online_payment)).status_code == 404
    # Nor through the stranger's own account with this payment's id.
    url = reverse("portal:cancel_online_payment", args=[stranger.account.pk, online_payment.pk])
    assert client.post(url).status_code == 404
    # Nor by a co-resident of the same account: only the payer gives it up.
    co_resident = AccountLinkFactory(account=link.account)
    client.force_login(co_resident.user)
    assert client.post(cancel_url(online_payment)).status_code == 404
    assert status_of(online_payment) == OnlinePaymentStatus.PENDING


def test_a_payment_paid_meanwhile_is_credited_not_cancelled(client, link):
    online_payment = start(link)
    decide(online_payment)  # paid in another tab; the notification is not here yet
    client.force_login(link.user)

    response = client.post(cancel_url(online_payment), follow=True)

    assert "Оплату уже нельзя отменить" in text_of(response)
    assert status_of(online_payment) == OnlinePaymentStatus.SUCCEEDED
    assert Payment.objects.count() == 1


def test_a_cancelled_payment_confirmed_by_the_gateway_is_credited(link):
    online_payment = start(link)
    services.cancel_online_payment(online_payment)
    state = SandboxProvider().fetch_payment(online_payment.gateway_id)
    paid = type(state)(id=state.id, status="succeeded", amount=state.amount)

    services.apply_gateway_state(online_payment, paid)
    services.apply_gateway_state(online_payment, paid)

    assert status_of(online_payment) == OnlinePaymentStatus.SUCCEEDED
    assert Payment.objects.count() == 1


def test_the_expired_payment_page_says_so(client, link, long_sandbox):
    online_payment = start(link)
    age(online_payment, days=2)
    services.check_pending_online_payments()
    client.force_login(link.user)

    page = text_of(
        client.get(reverse("portal:online_payment", args=[link.account.pk, online_payment.pk]))
    )
    assert "Срок оплаты истёк" in page
    assert "истёк срок" in page
