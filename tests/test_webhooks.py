"""Webhooks: events written to the outbox with the change itself, delivered signed to a local
receiving server on 127.0.0.1 (let through by WEBHOOKS_ALLOW_PRIVATE_NETWORKS, as private
addresses are refused otherwise), retried with backoff, every attempt logged. No test reaches
the internet: names other than localhost are resolved by a stand-in, and a public address is
never connected to."""

import datetime
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.closing import close_period
from kabinet.billing.models import Period, PeriodStatus
from kabinet.months import add_months, first_of_month
from kabinet.orgs.models import StaffRole
from kabinet.payments import services as payments
from kabinet.payments.registry.uploads import upload_registry
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment
from kabinet.users import tokens
from kabinet.users.models import TokenScope
from kabinet.webhooks import delivery as sending
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import Attempt, Delivery, DeliveryStatus, EventKind, OutboxEvent
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    make_appeal,
    staff_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receiver_allowed")]
ALL = EventKind.values
LOCAL = ["127.0.0.1/32"]  # the receiver's network, allowed on purpose


@pytest.fixture
def local_receiver_allowed():
    with override_settings(
        WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOW_PRIVATE_NETWORKS=LOCAL, PAYMENT_PROVIDER="sandbox"
    ):
        yield


class Receiver:
    """A local HTTP server that records each request and answers the next queued status (or
    (status, headers))."""

    def __init__(self):
        self.requests = []
        self.answers = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self):
        return [json.loads(body) for _, body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def link():
    return AccountLinkFactory(
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )


@pytest.fixture
def webhook(link, receiver):
    organization = link.account.organization
    return webhooks.create_webhook(organization, receiver.url, ALL, None)


def verified(headers, body, secret):
    timestamp = headers["X-Kabinet-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-Kabinet-Signature"], f"sha256={expected.hexdigest()}")


def test_a_credited_online_payment_is_delivered_signed(
    link, webhook, receiver, django_capture_on_commit_callbacks
):
    ChargeFactory(account=link.account)
    online = payments.start_online_payment(
        link.account,
        link.user,
        Decimal("1500.00"),
        return_url=lambda payment: "http://testserver/back/",
        notification_url="http://127.0.0.1:9/unused/",
    )
    gateway.decide(SandboxPayment.objects.get(pk=online.gateway_id), paid=True)
    with django_capture_on_commit_callbacks(execute=True):
        payments.refresh_online_payment(online)

    [(headers, body)] = receiver.requests
    assert verified(headers, body, webhook.secret)
    assert headers["X-Kabinet-Event"] == EventKind.PAYMENT_CREDITED
    event = json.loads(body)
    assert event["event"] == EventKind.PAYMENT_CREDITED
    assert event["data"]["amount"] == "1500.00"
    assert event["data"]["account"] == link.account.number
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert delivery.attempts_made.get().status_code == 200


def test_a_forged_body_does_not_verify(link, webhook, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_appeal(link.user, link.account)
    [(headers, body)] = receiver.requests
    assert verified(headers, body, webhook.secret)
    assert not verified(headers, body.replace(b"appeal", b"APPEAL"), webhook.secret)
    assert not verified(headers, body, "whsec_another")


def test_a_failed_delivery_is_retried_with_backoff_and_every_attempt_logged(
    link, webhook, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        make_appeal(link.user, link.account)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    now = timezone.now()
    assert sending.deliver_due(now) == 0  # not yet: a minute later
    assert sending.deliver_due(now + datetime.timedelta(seconds=61)) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(delivery.attempts_made.values_list("status_code", flat=True)) == [500, 200]
    assert [e["event"] for e in receiver.events()] == [EventKind.APPEAL_CREATED] * 2
    assert receiver.events()[0]["id"] == receiver.events()[1]["id"]  # the same event again


def test_a_delivery_is_given_up_after_the_last_attempt(link, receiver):
    organization = link.account.organization
    # nothing listens on this port: every attempt fails with the connection's error
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{closed.server_port}/hook"
    closed.server_close()
    webhooks.create_webhook(organization, url, ALL, None)
    make_appeal(link.user, link.account)  # its task is not run: attempted below
    moment = timezone.now()
    for _ in range(sending.MAX_ATTEMPTS + 2):
        sending.deliver_due(moment)
        moment += datetime.timedelta(days=2)
    given_up = Delivery.objects.get()
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.FAILED, sending.MAX_ATTEMPTS)
    assert Attempt.objects.count() == sending.MAX_ATTEMPTS
    assert all(a.status_code is None and a.error for a in Attempt.objects.all())


def test_an_event_rolled_back_with_its_change_is_never_sent(
    link, webhook, receiver, django_capture_on_commit_callbacks
):
    def appeal_that_fails():
        with transaction.atomic():
            make_appeal(link.user, link.account)
            raise RuntimeError("the change fails after the event was written")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        appeal_that_fails()
    assert not OutboxEvent.objects.exists()
    assert receiver.requests == []


def test_only_the_organisations_subscribed_webhooks_hear_of_an_event(
    link, receiver, django_capture_on_commit_callbacks
):
    other = OrganizationFactory()
    PersonalAccountFactory(premise__house__organization=other)
    webhooks.create_webhook(other, receiver.url, ALL, None)
    webhooks.create_webhook(
        link.account.organization, receiver.url, [EventKind.READING_SUBMITTED], None
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_appeal(link.user, link.account)
    assert not OutboxEvent.objects.exists()
    assert receiver.requests == []


def test_a_reading_pushed_through_the_api_is_an_event(
    client, link, webhook, receiver, django_capture_on_commit_callbacks
):
    meter = MeterFactory(account=link.account, serial_number="ХВ-9")
    secret = tokens.create_token(link.user, name="дом", scope=TokenScope.READINGS).secret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api:readings", args=[link.account.pk]),
            {"readings": [{"meter_id": meter.pk, "value": "12,5"}]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
    assert response.status_code == 201, response.content
    [event] = receiver.events()
    assert event["event"] == EventKind.READING_SUBMITTED
    [reading] = event["data"]["readings"]
    assert (reading["serial_number"], reading["value"]) == ("ХВ-9", "12.500")


def test_a_credited_registry_is_one_event_per_payment(
    link, webhook, receiver, django_capture_on_commit_callbacks, media
):
    text = f"Дата;Лицевой счёт;Сумма\n12.11.2026;{link.account.number};5,00\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload_registry(link.account.organization, "bank.csv", text.encode(), None)
    [event] = receiver.events()
    assert event["event"] == EventKind.PAYMENT_CREDITED
    assert (event["data"]["amount"], event["data"]["source"]) == ("5.00", "bank")


@pytest.mark.parametrize(
    ("url", "events", "allow_http"),
    [
        ("http://example.ru/hook", ALL, False),
        ("ftp://example.ru/hook", ALL, True),
        ("https://example.ru/hook", [], True),
    ],
)
def test_a_webhook_needs_https_and_an_event(link, url, events, allow_http):
    with (
        override_settings(WEBHOOKS_ALLOW_HTTP=allow_http),
        pytest.raises(webhooks.WebhookRefused),
    ):
        webhooks.create_webhook(link.account.organization, url, events, None)


# --- the back office --------------------------------------------------------------------------


def test_a_manager_adds_a_webhook_and_sees_its_deliveries(
    client, link, receiver, django_capture_on_commit_callbacks
):
    organization = link.account.organization
    client.force_login(staff_user(organization, StaffRole.MANAGER))
    response = client.post(
        reverse("backoffice:webhooks"),
        {"organization": organization.pk, "url": receiver.url, "events": ALL},
    )
    hook = organization.webhooks.get()
    assert hook.secret in response.content.decode()
    assert hook.secret not in client.get(reverse("backoffice:webhooks")).content.decode()
    receiver.answers = [503]
    with django_capture_on_commit_callbacks(execute=True):
        make_appeal(link.user, link.account)
    page = client.get(reverse("backoffice:webhook", args=[hook.pk])).content.decode()
    assert "новое обращение" in page
    assert "ответ 503" in page
    client.post(reverse("backoffice:disable_webhook", args=[hook.pk]))
    hook.refresh_from_db()
    assert not hook.is_active
    assert Delivery.objects.get().status == DeliveryStatus.FAILED  # nothing more is sent
    logged = AuditEntry.objects.filter(
        organization=organization,
        object_id=str(hook.pk),
        action__in=[AuditAction.ADDED, AuditAction.CHANGED],
    )
    assert logged.count() == 2


def test_another_organisations_webhook_is_not_found_and_only_managers_enter(client, link, webhook):
    other = OrganizationFactory()
    client.force_login(staff_user(other, StaffRole.MANAGER))
    assert client.get(reverse("backoffice:webhook", args=[webhook.pk])).status_code == 404
    assert client.post(reverse("backoffice:disable_webhook", args=[webhook.pk])).status_code == 404
    webhook.refresh_from_db()
    assert webhook.is_active
    client.force_login(staff_user(link.account.organization, StaffRole.ACCOUNTANT))
    assert client.get(reverse("backoffice:webhooks")).status_code == 403


def test_a_closed_period_is_an_event(link, webhook, receiver, django_capture_on_commit_callbacks):
    organization = link.account.organization
    month = add_months(first_of_month(timezone.localdate()), -1)
    period = PeriodFactory(
        organization=organization, month=month, status=PeriodStatus.OPEN, calculated_at=None
    )
    Period.objects.filter(pk=period.pk).update(calculated_at=timezone.now())
    period.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        close_period(period)
    [event] = receiver.events()
    assert event["event"] == EventKind.PERIOD_CLOSED
    assert event["data"]["month"] == month.isoformat()


def test_one_run_delivers_batch_after_batch(link, webhook, receiver, monkeypatch):
    monkeypatch.setattr(sending, "BATCH", 2)
    for _ in range(5):
        make_appeal(link.user, link.account)  # their tasks are not run: delivered below
    assert sending.deliver_due() == 5
    assert len(receiver.requests) == 5
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
