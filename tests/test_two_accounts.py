"""A resident with several personal accounts: every account page opens, and «Другой лицевой
счет» leads to the same page of the other account, or — from a page about one appeal or one
payment, which the other account has not — to that section of the other account."""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from kabinet.housing.models import ContractDocument, ManagementContract
from kabinet.portal import urls as portal_urls
from tests.factories import (
    AccountLinkFactory,
    AutopayFactory,
    ChargeFactory,
    OnlinePaymentFactory,
    image_upload,
    make_appeal,
)

pytestmark = pytest.mark.django_db

PAGES_OF_ONE_OBJECT = {  # view → the page of the other account its switcher leads to
    "appeal": "portal:account_appeals",
    "close_appeal": "portal:account_appeals",
    "online_payment": "portal:account_payments",
    "cancel_online_payment": "portal:account_payments",
    "charge_explanation": "portal:account_charges",
    "fiscal_receipt": "portal:account_payments",
}
POST_ONLY = {"skip_autopay_month"}  # refused to another user by the permission matrix


@pytest.fixture
def two_accounts(media):
    """A user with two accounts; the first has an appeal with a file, a contract document, a
    closed month's charges and an online payment."""
    link = AccountLinkFactory()
    other = AccountLinkFactory(user=link.user).account
    account = link.account
    contract = ManagementContract.objects.create(
        house=account.premise.house,
        number="1",
        signed_on=datetime.date(2020, 1, 1),
        valid_from=datetime.date(2020, 1, 1),
    )
    document = ContractDocument(contract=contract, title="Договор")
    document.file.save("c.pdf", ContentFile(b"%PDF"))
    appeal = make_appeal(link.user, account, files=[image_upload()])
    charge = ChargeFactory(account=account)
    arguments = {
        "account_id": account.pk,
        "document_id": document.pk,
        "appeal_id": appeal.pk,
        "attachment_id": appeal.messages.get().attachments.get().pk,
        "service_id": charge.service_id,
        "year": charge.period.month.year,
        "month": charge.period.month.month,
        "payment_id": OnlinePaymentFactory(
            account=account,
            user=link.user,
            fiscal_receipt_details={"fn": "9288000100115785", "fd": "3986", "fp": "2617603921"},
        ).pk,
    }
    AutopayFactory(account=account, user=link.user)
    return link.user, account, other, arguments


def account_pages(arguments):
    """(view name, URL) of every resident URL pattern about one personal account."""
    for pattern in portal_urls.urlpatterns:
        if pattern.name in POST_ONLY:
            continue
        if isinstance(pattern, URLPattern) and "account_id" in pattern.pattern.converters:
            kwargs = {name: arguments[name] for name in pattern.pattern.converters}
            yield pattern.name, reverse(f"portal:{pattern.name}", kwargs=kwargs)


def switcher_links(response) -> list[str]:
    menu = re.search(r'aria-label="Лицевые счета">(.*?)</nav>', response.content.decode(), re.S)
    return re.findall(r'href="([^"]+)"', menu.group(1)) if menu else []


def test_every_account_page_opens_for_a_user_with_two_accounts(client, two_accounts):
    user, _account, _other, arguments = two_accounts
    pages = list(account_pages(arguments))
    assert len(pages) >= 17
    client.force_login(user)
    for name, url in pages:
        assert client.get(url).status_code == 200, name


def test_the_switcher_leads_to_the_same_page_of_the_other_account(client, two_accounts):
    user, _account, other, arguments = two_accounts
    client.force_login(user)
    checked = 0
    for name, url in account_pages(arguments):
        response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html") and "Другой лицевой" in (
            response.content.decode()
        ):
            expected = PAGES_OF_ONE_OBJECT.get(name, f"portal:{name}")
            assert switcher_links(response) == [reverse(expected, args=[other.pk])], name
            checked += 1
    assert checked >= 13


def test_closing_an_appeal_of_a_user_with_two_accounts_shows_the_switcher(client, two_accounts):
    user, account, other, arguments = two_accounts
    client.force_login(user)
    url = reverse("portal:close_appeal", args=[account.pk, arguments["appeal_id"]])
    response = client.get(url)
    assert response.status_code == 200
    assert switcher_links(response) == [reverse("portal:account_appeals", args=[other.pk])]


def test_a_user_with_one_account_sees_no_switcher(client, media):
    link = AccountLinkFactory()
    client.force_login(link.user)
    response = client.get(reverse("portal:account", args=[link.account.pk]))
    assert "Другой лицевой счет" not in response.content.decode()
