"""A resident pays online through the sandbox gateway and reads «Платежи» — in Chromium."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.housing.models import PersonalAccount
from kabinet.payments.models import Payment, PaymentSource

NBSP = "\u00a0"


@pytest.fixture
def demo(demo, settings):
    settings.ALLOWED_HOSTS = ["*"]  # the gateway's notification comes to the live server
    return demo


def open_payment(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.get_by_role("link", name="Оплатить").click()
    amount = page.get_by_label("Сумма к оплате, ₽")
    expect(amount).to_have_value("6889,37")  # the debt
    amount.fill("1 000,00")
    page.get_by_role("button", name="Перейти к оплате").click()
    expect(page.get_by_text("Тестовый платёжный шлюз")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_have_text(f"1{NBSP}000,00{NBSP}₽")


def test_resident_pays_online_and_sees_the_payment_credited(page, demo):
    open_payment(page, demo)
    page.get_by_role("button", name="Оплатить").click()

    expect(page.get_by_test_id("payment-result")).to_contain_text("Оплата прошла")
    expect(page.locator("main")).to_contain_text(f"Долг: 5{NBSP}889,37")
    payment = Payment.objects.get(source=PaymentSource.ONLINE)
    assert payment.amount == 1000

    page.get_by_role("link", name="К платежам").click()
    expect(page.get_by_test_id("online-payments")).to_contain_text("оплачен")
    expect(page.get_by_test_id("closing")).to_contain_text(f"долг 5{NBSP}889,37")


def test_resident_cancels_at_the_gateway_and_nothing_is_paid(page, demo):
    open_payment(page, demo)
    page.get_by_role("button", name="Отменить").click()

    expect(page.get_by_test_id("payment-result")).to_contain_text("Оплата отменена")
    expect(page.locator("main")).to_contain_text(f"Долг: 6{NBSP}889,37")
    assert not Payment.objects.filter(source=PaymentSource.ONLINE).exists()


@pytest.mark.parametrize("width", [360, 1280])
def test_payments_page_fits_phone_and_desktop(page, demo, width, tmp_path):
    account = PersonalAccount.objects.get(number="1000154")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    page.goto(f"{demo}/ls/{account.pk}/payments/")
    page.get_by_role("link", name="6 месяцев").click()
    expect(page.get_by_test_id("closing")).to_contain_text(f"долг 6{NBSP}889,37")
    page.screenshot(path=tmp_path / f"payments-{width}.png", full_page=True)
    assert_fits_width(page)
    page.goto(f"{demo}/ls/{account.pk}/pay/")
    assert_fits_width(page)
