"""«Пени» in Chromium: the demo resident reads a month's penalty day by day and picks another
month; the lines add up to the month's penalty."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in


def rubles(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d,\-]", "", text).replace(",", "."))


@pytest.mark.parametrize("width", [360, 1280])
def test_resident_reads_the_penalty_day_by_day_and_picks_another_month(page, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.get_by_role("link", name="Пени", exact=True).first.click()
    expect(page.get_by_role("heading", name=re.compile("Расчёт пеней за"))).to_be_visible()
    rows = page.locator("table tbody").first.locator("tr")
    expect(rows.first).to_contain_text("1/")
    amounts = [rubles(text) for text in rows.locator('td[data-label="Пени, ₽"]').all_inner_texts()]
    total = rubles(page.get_by_test_id("penalty-total").inner_text())
    assert sum(amounts) == total > 0
    assert_fits_width(page)

    period = page.get_by_label("Период")
    other = period.locator("option").nth(1)
    label, value = other.inner_text(), other.get_attribute("value")
    period.select_option(value)  # the page follows the choice by itself
    expect(page).to_have_url(re.compile(rf"\?period={value}$"))
    expect(page.get_by_role("heading", name=f"Расчёт пеней за {label.lower()}")).to_be_visible()
    assert_fits_width(page)
