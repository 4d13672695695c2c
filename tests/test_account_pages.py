"""Главная and the pages of one personal account (the seed's «Главная», Рис.6)."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from kabinet.billing.law import due_date
from kabinet.housing.models import ContractDocument, ManagementContract
from kabinet.portal import urls as portal_urls
from kabinet.users.models import User
from tests.factories import (
    AccountLinkFactory,
    AutopayFactory,
    ChargeFactory,
    OnlinePaymentFactory,
    PaymentFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
    UserFactory,
    image_upload,
    make_appeal,
)

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


def text_of(response):
    """The page's text as a person reads it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_card_totals_are_the_sum_of_the_lines(client):
    link = AccountLinkFactory()
    account = link.account
    ChargeFactory(account=account, charged=Decimal("1042.20"), recalculation=Decimal("-123.45"))
    ChargeFactory(account=account, charged=Decimal("5847.17"))
    client.force_login(link.user)
    table = client.get(reverse("portal:account", args=[account.pk])).context["table"]
    assert table.charged == Decimal("6889.37")
    assert table.recalculation == Decimal("-123.45")
    assert table.total == Decimal("6765.92")


def test_overpayment_is_shown_as_such(client):
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("100.00"))
    PaymentFactory(account=link.account, amount=Decimal("150.50"))
    client.force_login(link.user)
    page = text_of(client.get(reverse("portal:account", args=[link.account.pk])))
    assert "Переплата: 50,50" in page
    assert "Долг" not in page


def test_card_says_how_much_to_pay_and_by_when_only_with_a_debt(client):
    link = AccountLinkFactory()
    charge = ChargeFactory(account=link.account, charged=Decimal("1042.20"))
    client.force_login(link.user)
    url = reverse("portal:account", args=[link.account.pk])
    pay_by = due_date(link.account.organization, charge.period.month)
    page = " ".join(text_of(client.get(url)).split())  # the figure's NBSP as a space
    assert "К оплате: 1 042,20 ₽ , оплатить до " + f"{pay_by:%d.%m.%Y}" in page
    PaymentFactory(account=link.account, amount=Decimal("1042.20"))
    page = text_of(client.get(url))
    assert "К оплате" not in page
    assert "оплатить до" not in page


def test_user_switches_between_accounts_on_any_account_page(client):
    first = AccountLinkFactory()
    second = AccountLinkFactory(user=first.user)
    client.force_login(first.user)
    content = client.get(reverse("portal:account_tariffs", args=[first.account.pk])).content
    assert "Другой лицевой счет" in content.decode()
    assert reverse("portal:account_tariffs", args=[second.account.pk]) in content.decode()


def test_tariffs_in_force_with_suppliers_and_dates(client):
    link = AccountLinkFactory()
    house = link.account.premise.house
    water = ServiceFactory(
        organization=house.organization, name="Холодное водоснабжение", supplier="Водоканал"
    )
    TariffFactory(service=water, value=Decimal("48.50"), valid_from=datetime.date(2025, 7, 1),
                  valid_to=datetime.date(2026, 6, 30))  # fmt: skip
    TariffFactory(service=water, value=Decimal("51.20"), valid_from=datetime.date(2026, 7, 1))
    TariffFactory(service=water, value=Decimal("50.00"), valid_from=datetime.date(2026, 7, 1),
                  house=house)  # fmt: skip
    other_house_tariff = TariffFactory(service=water, value=Decimal("99.99"),
                                       valid_from=datetime.date(2026, 7, 1),
                                       house=PersonalAccountFactory(
                                           premise__house__organization=house.organization
                                       ).premise.house)  # fmt: skip
    client.force_login(link.user)
    response = client.get(reverse("portal:account_tariffs", args=[link.account.pk]))
    assert [t.value for t in response.context["tariffs"]] == [Decimal("50.00")]
    page = text_of(response)
    assert "Водоканал" in page
    assert "с 01.07.2026" in page
    assert "99,99" not in page
    assert other_house_tariff.house != house


def test_contracts_and_their_documents(client, media):
    link = AccountLinkFactory()
    contract = ManagementContract.objects.create(
        house=link.account.premise.house,
        number="12/ГР-2019",
        signed_on=datetime.date(2019, 4, 1),
        valid_from=datetime.date(2019, 5, 1),
    )
    document = ContractDocument(contract=contract, title="Договор управления (скан)")
    document.file.save("contract.pdf", ContentFile(b"%PDF-1.4 test"))
    client.force_login(link.user)
    page = text_of(client.get(reverse("portal:account_contracts", args=[link.account.pk])))
    assert "Договор № 12/ГР-2019 от 01.04.2019" in page
    assert "Договор управления (скан)" in page
    response = client.get(reverse("portal:contract_document", args=[link.account.pk, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in response["Content-Disposition"]


def test_document_of_another_house_is_not_served(client, media):
    link = AccountLinkFactory()
    stranger_contract = ManagementContract.objects.create(
        house=PersonalAccountFactory().premise.house,
        number="1",
        signed_on=datetime.date(2020, 1, 1),
        valid_from=datetime.date(2020, 1, 1),
    )
    document = ContractDocument(contract=stranger_contract, title="Чужой")
    document.file.save("x.pdf", ContentFile(b"secret"))
    client.force_login(link.user)
    url = reverse("portal:contract_document", args=[link.account.pk, document.pk])
    assert client.get(url).status_code == 404


POST_ONLY = {"skip_autopay_month"}  # refused to another user by the permission matrix


def account_urls(account, document, attachment, charge, online_payment):
    """Every URL of the project that shows one personal account (an unknown argument fails)."""
    period = charge.period
    arguments = {
        "service_id": charge.service_id,
        "account_id": account.pk,
        "document_id": document.pk,
        "appeal_id": attachment.message.appeal_id,
        "attachment_id": attachment.pk,
        "year": period.month.year,
        "month": period.month.month,
        "payment_id": online_payment.pk,
    }
    for pattern in portal_urls.urlpatterns:
        if pattern.name in POST_ONLY:
            continue
        if isinstance(pattern, URLPattern) and "account_id" in pattern.pattern.converters:
            kwargs = {name: arguments[name] for name in pattern.pattern.converters}
            yield reverse(f"portal:{pattern.name}", kwargs=kwargs)


def test_every_account_url_is_scoped_to_the_linked_user(client, media):
    link = AccountLinkFactory()
    contract = ManagementContract.objects.create(
        house=link.account.premise.house,
        number="1",
        signed_on=datetime.date(2020, 1, 1),
        valid_from=datetime.date(2020, 1, 1),
    )
    document = ContractDocument(contract=contract, title="Договор")
    document.file.save("c.pdf", ContentFile(b"%PDF"))
    appeal = make_appeal(link.user, link.account, files=[image_upload()])
    attachment = appeal.messages.get().attachments.get()
    charge = ChargeFactory(account=link.account)
    online_payment = OnlinePaymentFactory(
        account=link.account,
        user=link.user,
        fiscal_receipt_details={"fn": "9288000100115785", "fd": "3986", "fp": "2617603921"},
    )
    AutopayFactory(account=link.account, user=link.user)
    urls = list(account_urls(link.account, document, attachment, charge, online_payment))
    assert len(urls) >= 15

    client.force_login(link.user)
    for url in urls:
        assert client.get(url).status_code == 200, url

    client.force_login(UserFactory())  # another resident (with an account of their own)
    AccountLinkFactory(user=User.objects.last())
    for url in urls:
        assert client.get(url).status_code == 404, url

    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login"))
