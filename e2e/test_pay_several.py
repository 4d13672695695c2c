"""A resident pays the debts of two accounts of one organisation in one payment from «Главная»,
through the sandbox gateway; the third account, of another organisation, is a separate
payment — in Chromium, on a phone and on a desktop."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.payments.models import Payment, PaymentSource
from tests.factories import (
    PASSWORD,
    AccountLinkFactory,
    ChargeFactory,
    PersonalAccountFactory,
    PremiseFactory,
    UserFactory,
)

NBSP = "\u00a0"


@pytest.fixture
def world(site, settings):
    """Two accounts of one organisation (debts 1 000,00 and 250,50), one of another (99,99)."""
    settings.ALLOWED_HOSTS = ["*"]  # the gateway's notification comes to the live server
    user = UserFactory()
    first = AccountLinkFactory(user=user).account
    premise = PremiseFactory(house=first.premise.house)
    second = AccountLinkFactory(user=user, account=PersonalAccountFactory(premise=premise)).account
    other = AccountLinkFactory(user=user).account
    ChargeFactory(account=first, charged=Decimal("1000.00"))
    ChargeFactory(account=second, charged=Decimal("250.50"))
    ChargeFactory(account=other, charged=Decimal("99.99"))
    return user, first, second, other


@pytest.mark.parametrize("width", [360, 1280])
def test_resident_pays_two_accounts_at_once_on_home(page, site, world, width, tmp_path):
    user, first, second, other = world
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, site, user.username, PASSWORD)

    section = page.get_by_test_id("pay-several")
    expect(section).to_be_visible()
    groups = section.get_by_test_id("pay-group")
    expect(groups).to_have_count(2)
    expect(section).to_contain_text("отдельный платёж")
    separate = groups.filter(has_text=other.organization.name)
    expect(separate).to_contain_text(f"ЛС № {other.number}")
    expect(separate.get_by_test_id("group-total")).to_contain_text(f"99,99{NBSP}₽")
    group = groups.filter(has_text=first.organization.name)
    expect(group.get_by_test_id("group-total")).to_contain_text(f"1{NBSP}250,50")
    assert_fits_width(page)
    page.screenshot(path=tmp_path / f"pay-several-{width}.png", full_page=True)

    group.get_by_role("button", name="Оплатить выбранные счета").click()
    expect(page.get_by_text("Тестовый платёжный шлюз")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_have_text(f"1{NBSP}250,50{NBSP}₽")
    assert_fits_width(page)
    page.get_by_role("button", name="Оплатить").click()

    expect(page.get_by_test_id("payment-result")).to_contain_text("Оплата прошла")
    assert_fits_width(page)
    credited = {
        payment.account_id: payment.amount
        for payment in Payment.objects.filter(source=PaymentSource.ONLINE)
    }
    assert credited == {first.pk: Decimal("1000.00"), second.pk: Decimal("250.50")}

    page.goto(f"{site}/")
    # Only the other organisation's account still owes: one account is paid by its own «Оплатить».
    expect(page.get_by_test_id("pay-several")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(f"99,99{NBSP}₽")
    assert_fits_width(page)
