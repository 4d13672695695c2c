"""The accountant runs the open month's billing and reads its summary — in Chromium."""

import os
from pathlib import Path

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.billing.models import Charge, PeriodStatus
from kabinet.formats import format_money, month_name
from kabinet.money import round_money


def open_billing(page, demo):
    sign_in(page, demo, "accountant", "accountant12345")
    expect(page.get_by_role("button", name="Войти")).to_have_count(0)
    page.goto(f"{demo}/admin/")
    page.get_by_role("link", name="Расчёт начислений").click()


def test_accountant_runs_billing_and_sees_the_summary(page, demo):
    open_billing(page, demo)
    expect(page.get_by_test_id("calculated-at")).to_have_text("Период ещё не рассчитан.")

    page.get_by_role("button", name="Выполнить расчёт").click()
    expect(page.get_by_test_id("job-status")).to_have_text("выполнено")
    page.get_by_role("link", name="← К расчёту начислений").click()

    expect(page.get_by_test_id("calculated-at")).to_contain_text("(расчётом)")
    charges = Charge.objects.filter(period__status=PeriodStatus.OPEN, account__number="1000154")
    period = charges.first().period
    total = Charge.objects.filter(period=period).aggregate(total=Sum("total"))["total"]
    summary = page.get_by_test_id("run-summary")
    expect(summary.locator("thead")).to_contain_text(month_name(period.month).capitalize())
    expect(summary.locator("tbody tr", has_text="Содержание жилья")).to_be_visible()
    expect(page.get_by_test_id("total-current")).to_have_text(format_money(round_money(total)))
    expect(page.get_by_test_id("accounts-charged")).not_to_have_text("0")


@pytest.mark.parametrize("width", [360, 1280])
def test_billing_pages_fit_phone_and_desktop(page, demo, width, tmp_path):
    # KABINET_SCREENSHOTS=dir keeps the pictures to look at; by default they go with tmp_path.
    shots = Path(os.environ.get("KABINET_SCREENSHOTS", tmp_path))
    page.set_viewport_size({"width": width, "height": 800})
    open_billing(page, demo)
    page.get_by_role("button", name="Выполнить расчёт").click()
    expect(page.get_by_test_id("job-status")).to_have_text("выполнено")
    page.screenshot(path=shots / f"billing-job-{width}.png", full_page=True)
    assert_fits_width(page)
    page.get_by_role("link", name="← К расчёту начислений").click()
    expect(page.get_by_test_id("run-summary")).to_be_visible()
    page.screenshot(path=shots / f"billing-{width}.png", full_page=True)
    assert_fits_width(page)
    page.locator(".kb-tools").get_by_role("link", name="Перерасчёты").click()
    page.get_by_label("Номер ЛС").fill("1000154")
    page.get_by_label("Услуга").select_option(label="Содержание жилья")
    page.get_by_label("Исправляемый месяц").select_option(index=1)
    page.get_by_label("Вид перерасчёта").select_option(label="другое")
    page.get_by_label("Сумма, ₽").fill("-100,00")
    page.get_by_label("Основание").fill("Проверка вёрстки")
    page.get_by_role("button", name="Рассчитать").click()
    expect(page.get_by_test_id("recalculation-preview")).to_contain_text("-100,00")
    page.screenshot(path=shots / f"recalculations-{width}.png", full_page=True)
    assert_fits_width(page)
