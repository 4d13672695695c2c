"""A resident sets up autopay through the sandbox gateway, skips a month and switches it off —
in Chromium, on a phone and on a desktop."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.payments.models import Autopay, AutopayMode


@pytest.fixture
def demo(demo, settings):
    settings.ALLOWED_HOSTS = ["*"]  # the gateway's notification comes to the live server
    return demo


@pytest.mark.parametrize("width", [360, 1280])
def test_resident_sets_up_skips_and_cancels_autopay(page, demo, width, tmp_path):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.goto(page.url.rstrip("/") + "/payments/")
    page.get_by_test_id("autopay-link").click()
    assert_fits_width(page)

    page.get_by_label("оплачивать в выбранный день месяца").check()
    page.get_by_label("День месяца", exact=True).select_option("15")
    page.get_by_label("Не больше, ₽ в месяц").fill("10 000,00")
    page.get_by_role("button", name="Сохранить и привязать карту").click()
    expect(page.get_by_text("Тестовый платёжный шлюз")).to_be_visible()
    page.get_by_role("button", name="Оплатить").click()

    expect(page.get_by_test_id("autopay-state")).to_contain_text("15 числа")
    page.screenshot(path=tmp_path / f"autopay-{width}.png", full_page=True)
    assert_fits_width(page)
    autopay = Autopay.objects.get()
    assert (autopay.mode, autopay.day) == (AutopayMode.DAY, 15)
    assert autopay.method_id

    page.get_by_role("button", name="Пропустить квитанцию").click()
    expect(page.get_by_test_id("autopay-skipped")).to_be_visible()

    page.get_by_role("link", name="Отключить автоплатёж").click()
    expect(page.get_by_role("button", name="Отключить", exact=True)).to_be_visible()
    assert_fits_width(page)
    page.get_by_role("button", name="Отключить", exact=True).click()
    expect(page.get_by_role("button", name="Сохранить и привязать карту")).to_be_visible()
    assert Autopay.objects.get().canceled_at is not None
