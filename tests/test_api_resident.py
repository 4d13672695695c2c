"""The API's receipts, payments, online payment and appeals: the pages' rules through a token,
only for the token's user's accounts."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from kabinet.appeals.models import Appeal, AppealStatus, Topic
from kabinet.appeals.selectors import topics_for
from kabinet.payments.models import OnlinePayment, OnlinePaymentStatus
from kabinet.receipts.models import DeliveryChannel, DocumentDelivery
from kabinet.users.models import TokenScope
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PaymentFactory,
    make_appeal,
)
from tests.test_api import bearer, callers, get, post, token_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
D = Decimal
OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # rate limits count per token id, which the next test's database reuses


@pytest.fixture
def link():
    return AccountLinkFactory(account__number="100200")


@pytest.fixture
def account(link):
    return link.account


@pytest.fixture
def owner_token(link):
    return token_of(link.user)


@pytest.fixture
def sandbox():
    with override_settings(PAYMENT_PROVIDER="sandbox"):
        yield


@pytest.fixture
def charge(account):
    return ChargeFactory(account=account, charged=D("6889.37"))


@pytest.fixture
def appeal(link):
    return make_appeal(link.user, link.account)


def receipt_url(account, month=OCTOBER):
    return reverse("api:receipt_pdf", args=[account.pk, f"{month:%Y-%m}"])


def urls(account, appeal):
    """(name, method, url, body) of every operation here."""
    thread = [account.pk, appeal.pk]
    topic = topics_for(account.organization).first()
    return [
        ("receipts", "get", reverse("api:receipts", args=[account.pk]), None),
        ("receipt_pdf", "get", receipt_url(account), None),
        ("payments", "get", reverse("api:payments", args=[account.pk]), None),
        (
            "online_payments",
            "post",
            reverse("api:online_payments", args=[account.pk]),
            {"amount": "100"},
        ),
        ("appeal_topics", "get", reverse("api:appeal_topics", args=[account.pk]), None),
        ("appeals", "get", reverse("api:appeals", args=[account.pk]), None),
        (
            "new_appeal",
            "post",
            reverse("api:new_appeal", args=[account.pk]),
            {"topic_id": topic.pk, "text": "Течёт кран"},
        ),
        ("appeal", "get", reverse("api:appeal", args=thread), None),
        ("appeal_reply", "post", reverse("api:appeal_reply", args=thread), {"text": "Ещё"}),
        ("close_appeal", "post", reverse("api:close_appeal", args=thread), {}),
    ]


READ = {"read_only": 200, "readings_only": 403}
WRITE = {"read_only": 403, "readings_only": 403}
COMMON = {
    "other_resident": 404,
    "staff": 404,
    "no_token": 401,
    "revoked": 401,
    "expired": 401,
    "other_account_token": 404,
}
SUCCESS = {"get": 200, "post": 201}


def expected(name, method, caller):
    if caller in COMMON:
        return COMMON[caller]
    success = 200 if name == "close_appeal" else SUCCESS[method]
    if caller == "owner":
        return success
    answer = (READ if method == "get" else WRITE)[caller]
    return success if answer == 200 else answer


def test_every_operation_answers_each_caller_as_the_rules_say(client, link, charge, appeal):
    for caller, secret in callers(link).items():
        for name, method, url, body in urls(link.account, appeal):
            headers = bearer(secret) if secret else {}
            if method == "get":
                response = client.get(url, **headers)
            else:
                response = client.post(url, body, content_type="application/json", **headers)
            want = expected(name, method, caller)
            assert response.status_code == want, f"{name} × {caller}: {response.content[:300]}"
            if want >= 400:
                assert response["Content-Type"] == "application/problem+json"


def test_another_residents_appeal_is_not_found_even_on_the_own_account(client, link, appeal):
    co_resident = AccountLinkFactory(account=link.account).user
    foreign = make_appeal(co_resident, link.account)
    secret = token_of(link.user)
    for name in ("api:appeal", "api:appeal_reply", "api:close_appeal"):
        url = reverse(name, args=[link.account.pk, foreign.pk])
        if name == "api:appeal":
            response = client.get(url, **bearer(secret))
        else:
            response = post(client, url, {"text": "Чужое"}, secret)
        assert response.status_code == 404, name
    listed = get(client, reverse("api:appeals", args=[link.account.pk]), secret).json()
    assert [a["id"] for a in listed] == [appeal.pk]
    foreign.refresh_from_db()
    assert foreign.messages.count() == 1
    assert foreign.status == AppealStatus.NEW


# --- receipts ---------------------------------------------------------------------------------


def test_receipts_list_the_closed_months_and_the_pdf_is_delivered(client, link, charge):
    account, secret = link.account, token_of(link.user)
    listed = get(client, reverse("api:receipts", args=[account.pk]), secret).json()
    assert listed == [{"month": "2026-10-01", "pdf": receipt_url(account)}]

    response = get(client, listed[0]["pdf"], secret)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    delivery = DocumentDelivery.objects.get(account=account)
    assert delivery.channel == DeliveryChannel.PORTAL_PDF


@pytest.mark.parametrize("month", ["2026-09", "2026-13", "октябрь"])
def test_a_month_without_a_receipt_is_not_found(client, account, charge, owner_token, month):
    url = reverse("api:receipt_pdf", args=[account.pk, month])
    assert get(client, url, owner_token).status_code == 404
    assert not DocumentDelivery.objects.exists()


# --- payments ---------------------------------------------------------------------------------


def test_payments_of_a_period_reconcile_as_on_the_page(client, account, charge, owner_token):
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 12), amount=D("5000.00"))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 11, 3), amount=D("1889.37"))
    url = reverse("api:payments", args=[account.pk])
    body = get(client, f"{url}?first=2026-10&last=2026-10", owner_token).json()
    assert (body["month"], body["last_month"]) == ("2026-10-01", "2026-10-01")
    assert D(body["charged"]) == D("6889.37")
    assert D(body["paid"]) == D("5000.00")
    assert D(body["closing"]) == D("1889.37")
    assert [(p["paid_on"], D(p["amount"])) for p in body["payments"]] == [
        ("2026-10-12", D("5000.00"))
    ]
    assert body["payments"][0]["source_name"]


def test_a_wrong_period_is_named_in_russian(client, account, owner_token):
    url = reverse("api:payments", args=[account.pk])
    response = get(client, f"{url}?first=2026-11&last=2026-10", owner_token)
    assert response.status_code == 422
    assert response.json()["detail"] == "Начало периода позже его конца."
    assert [(e["field"], e["label"]) for e in response.json()["errors"]] == [
        ("first", "с месяца"),
        ("last", "по месяц"),
    ]
    future = get(client, f"{url}?last=2099-01", owner_token).json()
    assert [e["field"] for e in future["errors"]] == ["last"]
    response = get(client, f"{url}?first=осень", owner_token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["label"] == "с месяца"


# --- online payment ---------------------------------------------------------------------------


def pay(client, account, secret, body, **headers):
    return post(client, reverse("api:online_payments", args=[account.pk]), body, secret, **headers)


def test_an_online_payment_starts_and_returns_the_gateways_page(client, link, charge):
    account = link.account
    response = pay(client, account, token_of(link.user), {"amount": "1500,50", "month": "2026-10"})
    assert response.status_code == 201, response.content
    body = response.json()
    payment = OnlinePayment.objects.get()
    assert (payment.account, payment.user, payment.amount) == (account, link.user, D("1500.50"))
    assert payment.period == OCTOBER
    assert body["confirmation_url"] == payment.confirmation_url != ""
    assert body["status"] == OnlinePaymentStatus.PENDING


def test_a_retried_payment_start_with_the_same_key_starts_one_payment(
    client, account, charge, owner_token
):
    first = pay(client, account, owner_token, {"amount": "100"}, HTTP_IDEMPOTENCY_KEY="pay-1")
    again = pay(client, account, owner_token, {"amount": "100"}, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert OnlinePayment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "100000,01"}, "amount"),
        ({"amount": "сто"}, "amount"),
        ({"amount": "100", "month": "2026-09"}, "month"),
    ],
)
def test_a_refused_payment_names_the_field_and_starts_nothing(
    client, account, charge, owner_token, body, field
):
    response = pay(client, account, owner_token, body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not OnlinePayment.objects.exists()


def test_without_a_gateway_online_payment_is_not_found(client, account, owner_token):
    with override_settings(PAYMENT_PROVIDER=""):
        assert pay(client, account, owner_token, {"amount": "100"}).status_code == 404
    assert not OnlinePayment.objects.exists()


def test_a_read_only_token_does_not_pay(client, link, charge):
    secret = token_of(link.user, TokenScope.READ)
    assert pay(client, link.account, secret, {"amount": "100"}).status_code == 403
    assert not OnlinePayment.objects.exists()


# --- appeals ----------------------------------------------------------------------------------


def test_a_resident_writes_reads_replies_and_closes_an_appeal(client, link, owner_token):
    account = link.account
    topics = get(client, reverse("api:appeal_topics", args=[account.pk]), owner_token).json()
    topic = next(t for t in topics if t["name"] == "Ремонт")
    response = post(
        client,
        reverse("api:new_appeal", args=[account.pk]),
        {"topic_id": topic["id"], "text": "  Не работает лифт  "},
        owner_token,
        HTTP_IDEMPOTENCY_KEY="appeal-1",
    )
    assert response.status_code == 201, response.content
    created = Appeal.objects.get()
    assert (created.author, created.account, created.number) == (link.user, account, 1)
    assert response.json()["messages"][0]["text"] == "Не работает лифт"
    replay = post(
        client,
        reverse("api:new_appeal", args=[account.pk]),
        {"topic_id": topic["id"], "text": "  Не работает лифт  "},
        owner_token,
        HTTP_IDEMPOTENCY_KEY="appeal-1",
    )
    assert replay.json() == response.json()
    assert Appeal.objects.count() == 1

    thread = [account.pk, created.pk]
    reply = post(client, reverse("api:appeal_reply", args=thread), {"text": "Ждём"}, owner_token)
    assert reply.status_code == 201
    assert [m["text"] for m in reply.json()["messages"]] == ["Не работает лифт", "Ждём"]
    read = get(client, reverse("api:appeal", args=thread), owner_token).json()
    assert read == reply.json()

    closed = post(client, reverse("api:close_appeal", args=thread), {}, owner_token)
    assert closed.json()["status"] == AppealStatus.CLOSED
    refused = post(client, reverse("api:appeal_reply", args=thread), {"text": "Ещё"}, owner_token)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Обращение закрыто.")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "Текст"}, "topic_id"),
        ({"topic_id": 0, "text": "Текст"}, "topic_id"),
        ({"topic_id": "FOREIGN", "text": "Текст"}, "topic_id"),
        ({"topic_id": "OWN", "text": "   "}, "text"),
    ],
)
def test_a_refused_appeal_names_the_field_and_writes_nothing(
    client, account, owner_token, body, field
):
    own = topics_for(account.organization).first()
    foreign = Topic.objects.exclude(organization=account.organization).first()
    foreign = foreign or topics_for(AccountLinkFactory().account.organization).first()
    values = {"OWN": own.pk, "FOREIGN": foreign.pk}
    body = {k: values.get(v, v) for k, v in body.items()}
    response = post(client, reverse("api:new_appeal", args=[account.pk]), body, owner_token)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not Appeal.objects.exists()
