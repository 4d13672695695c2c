"""A resident links a personal account and reads its card — in Chromium, as a person would."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.housing.models import PersonalAccount
from kabinet.months import add_months, first_of_month

SEED_SERVICES = [
    "Ремонт жилья",
    "Содержание жилья",
    "Найм жилья",
    "Холодное водоснабжение",
    "Горячее водоснабжение",
    "Водоотведение",
    "Электроснабжение",
    "Отопление",
    "Пени",
]


@pytest.fixture
def demo(demo, monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    return demo


def test_link_with_a_wrong_then_the_right_payment_and_see_the_card(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="Добавить лицевой счет").first.click()
    # Each choice reloads the page with the narrowed lists: wait for it before the next one.
    page.get_by_label("Управляющая организация").select_option(label='ОАО "Камал"')
    page.wait_for_url(re.compile(r"organization=\d+"))
    page.get_by_label("Дом").select_option(label="ул. Гражданская, д. 12")
    page.wait_for_url(re.compile(r"house=\d+"))
    page.get_by_label("Квартира").select_option(label="кв. 155")
    last_payment = add_months(first_of_month(datetime.date.today()), -1).replace(day=10)

    def fill(amount):
        page.get_by_label("Лицевой счет").fill("1000155")
        page.get_by_label("Дата платежа").fill(last_payment.isoformat())
        page.get_by_label("Сумма платежа").fill(amount)
        page.get_by_label("Введите код с рисунка:").fill("PASSED")
        page.get_by_role("button", name="Добавить", exact=True).click()

    fill("2 345,00")
    expect(page.get_by_role("alert")).to_contain_text("не совпадают")
    fill("2 345,67")
    expect(page.get_by_role("heading", level=1)).to_have_text("ЛС № 1000155")
    expect(page.locator("main")).to_contain_text("Никитина Елена Андреевна")
    expect(page.locator("main")).to_contain_text("Начисления за")

    page.locator("summary", has_text="Другой лицевой счет").click()
    page.get_by_role("link", name="ЛС № 1000154").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ЛС № 1000154")


def test_demo_resident_sees_the_seed_account_and_services(page, demo):
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    expect(page.locator("main")).to_contain_text("Долг: 6\u00a0889,37")
    rows = page.locator("table tbody th").all_inner_texts()  # each: the service, «Как рассчитано»
    assert [row.splitlines()[0] for row in rows] == SEED_SERVICES


@pytest.mark.parametrize("width", [360, 1280])
def test_account_pages_fit_phone_and_desktop(page, demo, width, tmp_path):
    account = PersonalAccount.objects.get(number="1000154")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    for path in ["/", "/link/?organization=1&house=1", "/link/request/"] + [
        f"/ls/{account.pk}/{section}" for section in
        ("", "charges/", "tariffs/", "penalties/", "contracts/", "payments/")
    ]:  # fmt: skip
        page.goto(demo + path)
        name = path.strip("/").replace("/", "-").replace("?", "-") or "home"
        page.screenshot(path=tmp_path / f"{name}-{width}.png", full_page=True)
        assert_fits_width(page)
