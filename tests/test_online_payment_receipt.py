"""The fiscal receipt (54-ФЗ) sent with every online payment, and what the resident sees of it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from kabinet.payments import fiscal, services
from kabinet.payments.models import FiscalReceiptStatus, OnlinePaymentStatus
from kabinet.payments.sandbox.models import SandboxPayment
from tests.factories import AccountLinkFactory, ChargeFactory, ServiceFactory
from tests.test_account_pages import text_of
from tests.test_online_payment import decide

pytestmark = pytest.mark.django_db
OCTOBER = datetime.date(2026, 10, 1)

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000.00"), places=2)
weights = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000.00"), places=2),
    min_size=1,
    max_size=12,
)


@given(amount=money, weights=weights)
def test_the_split_sums_to_the_amount_exactly_and_is_fair(amount, weights):
    shares = fiscal.split_amount(amount, weights)

    assert sum(shares) == amount
    assert all(share >= 0 and share == share.quantize(Decimal("0.01")) for share in shares)
    total = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - amount * weight / total) < Decimal("0.01")  # within a kopeck
    assert fiscal.split_amount(amount, weights) == shares  # deterministic


def test_kopecks_left_go_to_the_largest_remainders_ties_to_the_first():
    assert fiscal.split_amount(Decimal("1.00"), [Decimal(1)] * 3) == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    assert fiscal.split_amount(Decimal("0.05"), [Decimal(1), Decimal(2)]) == [
        Decimal("0.02"),
        Decimal("0.03"),
    ]


@pytest.fixture
def link():
    """An account billed in October for heating and water (listed by name: Вода, Отопление)."""
    link = AccountLinkFactory()
    first = ChargeFactory(
        account=link.account,
        service=ServiceFactory(organization=link.account.organization, name="Отопление"),
        charged=Decimal("2000.00"),
    )
    ChargeFactory(
        account=link.account,
        period=first.period,
        service=ServiceFactory(organization=link.account.organization, name="Вода"),
        charged=Decimal("1000.00"),
    )
    return link


def start(link, amount=Decimal("1000.00"), period=OCTOBER):
    return services.start_online_payment(
        link.account,
        link.user,
        amount,
        period=period,
        return_url=lambda payment: f"http://testserver/ls/{link.account.pk}/pay/{payment.pk}/",
        notification_url="http://127.0.0.1:9/unused/",
    )


def test_the_receipt_lists_each_service_of_the_month_in_proportion(link):
    online_payment = start(link, Decimal("1000.00"))

    data = online_payment.fiscal_receipt_data
    assert data["customer"] == {"email": link.user.email}
    assert data["tax_system_code"] == 1
    assert [(i["description"], i["amount"]["value"]) for i in data["items"]] == [
        ("Вода", "333.33"),
        ("Отопление", "666.67"),
    ]
    for item in data["items"]:
        assert item["vat_code"] == 1
        assert item["payment_subject"] == "service"
        assert item["payment_mode"] == "full_payment"
        assert item["quantity"] == "1.00"
        assert item["amount"]["currency"] == "RUB"
    sandbox = SandboxPayment.objects.get(pk=online_payment.gateway_id)
    assert sandbox.receipt == data  # the gateway got it


@pytest.mark.parametrize(("tax_system", "vat"), [(2, 1), (1, 11), (3, 6)])
def test_the_receipt_carries_the_organisations_tax_settings(link, tax_system, vat):
    organization = link.account.organization
    organization.tax_system_code, organization.vat_code = tax_system, vat
    organization.save()

    data = start(link).fiscal_receipt_data

    assert data["tax_system_code"] == tax_system
    assert {item["vat_code"] for item in data["items"]} == {vat}


def test_a_single_item_when_the_organisation_says_so(link):
    organization = link.account.organization
    organization.receipt_items = "single"
    organization.save()

    data = start(link, Decimal("1234.56")).fiscal_receipt_data

    assert [(i["description"], i["amount"]["value"]) for i in data["items"]] == [
        ("Оплата ЖКУ за октябрь 2026", "1234.56")
    ]


def test_without_a_month_the_latest_billed_one_is_named(link):
    data = start(link, Decimal("10.00"), period=None).fiscal_receipt_data
    assert fiscal.receipt_total(data) == Decimal("10.00")
    assert [i["description"] for i in data["items"]] == ["Вода", "Отопление"]


def test_an_account_never_billed_gets_one_item():
    link = AccountLinkFactory()
    data = start(link, Decimal("500.00"), period=None).fiscal_receipt_data
    assert [(i["description"], i["amount"]["value"]) for i in data["items"]] == [
        ("Оплата ЖКУ", "500.00")
    ]


def test_the_sandbox_registers_the_receipt_and_the_resident_sees_it(client, link):
    online_payment = start(link)
    assert online_payment.fiscal_receipt_status == ""
    decide(online_payment)
    client.force_login(link.user)

    page = client.get(reverse("portal:online_payment", args=[link.account.pk, online_payment.pk]))

    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.SUCCEEDED
    assert online_payment.fiscal_receipt_status == FiscalReceiptStatus.SUCCEEDED
    receipt_url = reverse("sandbox:receipt", args=[online_payment.gateway_id])
    assert online_payment.fiscal_receipt_url == receipt_url
    assert online_payment.fiscal_receipt_id == online_payment.gateway_id
    assert "Кассовый чек сформирован" in " ".join(text_of(page).split())
    payments = client.get(reverse("portal:account_payments", args=[link.account.pk]))
    assert receipt_url in payments.content.decode()

    receipt = client.get(receipt_url)
    assert receipt.status_code == 200
    assert "Отопление" in text_of(receipt)
    assert "666.67" in text_of(receipt)


def test_an_unpaid_payment_has_no_receipt_page(client, link):
    online_payment = start(link)
    decide(online_payment, paid=False)
    services.refresh_online_payment(online_payment)

    online_payment.refresh_from_db()
    assert online_payment.fiscal_receipt_status == ""
    url = reverse("sandbox:receipt", args=[online_payment.gateway_id])
    assert client.get(url).status_code == 404


def test_a_receipt_not_summing_to_the_amount_is_refused_by_the_gateway(link, monkeypatch):
    real = fiscal.receipt_data

    def off_by_a_kopeck(online_payment):
        data = real(online_payment)
        data["items"][0]["amount"]["value"] = "0.01"
        return data

    monkeypatch.setattr(fiscal, "receipt_data", off_by_a_kopeck)
    with pytest.raises(services.PaymentRefused):
        start(link)


@pytest.mark.parametrize("method", ["sbp", "bank_card"])
def test_the_resident_chooses_sbp_or_card(client, link, method):
    client.force_login(link.user)
    form = client.get(reverse("portal:pay", args=[link.account.pk]))
    assert "СБП" in text_of(form)

    response = client.post(
        reverse("portal:pay", args=[link.account.pk]), {"amount": "100,00", "method": method}
    )

    online_payment = link.account.online_payments.get()
    assert response.status_code == 302
    assert online_payment.method == method


def test_an_unknown_method_is_refused(client, link):
    client.force_login(link.user)
    response = client.post(
        reverse("portal:pay", args=[link.account.pk]), {"amount": "100,00", "method": "cash"}
    )
    assert response.status_code == 200
    assert not link.account.online_payments.exists()
