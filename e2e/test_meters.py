"""A resident submits a reading, finds it in the history and is refused a lower one; staff see
it among the month's readings — in Chromium, as people would."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.formats import format_quantity, format_reading, month_name
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Reading, ReadingSource, Resource


@pytest.fixture
def cold_water():
    account = PersonalAccount.objects.get(number="1000154")
    return account.meters.get(resource=Resource.COLD_WATER)


def test_submit_a_reading_see_it_in_the_history_and_be_refused_a_lower_one(page, demo, cold_water):
    last = cold_water.readings.order_by("-period").first()
    new_value = last.value + 3
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.locator("summary", has_text="Разделы").click()
    page.get_by_role("navigation", name="Разделы", exact=True).get_by_role(
        "link", name="Показания счетчиков"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ЛС № 1000154")
    assert_fits_width(page)

    field = page.get_by_role(
        "textbox", name=re.compile(f"Холодная вода № {cold_water.serial_number}")
    )
    field.fill(format_reading(new_value))
    page.get_by_role("button", name="Передать показания").click()
    expect(page.get_by_role("alert").first).to_contain_text("приняты: счётчиков — 1")
    [reading] = Reading.objects.filter(meter=cold_water, period__gt=last.period)
    assert (reading.value, reading.source) == (new_value, ReadingSource.RESIDENT)
    assert mail.outbox[-1].subject == "Показания счётчиков приняты — ЛС № 1000154"

    history = page.get_by_role("region", name=f"Холодная вода, № {cold_water.serial_number}")
    newest = history.locator("tbody tr").first
    expect(newest).to_contain_text(month_name(reading.period))
    expect(newest).to_contain_text(format_reading(new_value))
    expect(newest).to_contain_text("житель")
    assert_fits_width(page)

    field = page.get_by_role(
        "textbox", name=re.compile(f"Холодная вода № {cold_water.serial_number}")
    )
    field.fill(format_quantity(last.value - 1))
    page.get_by_role("button", name="Передать показания").click()
    expect(page.locator(".invalid-feedback")).to_contain_text(
        f"меньше предыдущего ({format_reading(last.value)} за {month_name(last.period)})"
    )
    assert_fits_width(page)
    reading.refresh_from_db()
    assert reading.value == new_value


@pytest.mark.parametrize("width", [360, 1280])
def test_readings_pages_fit_phone_and_desktop(page, demo, width, tmp_path):
    account = PersonalAccount.objects.get(number="1000154")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    page.goto(f"{demo}/ls/{account.pk}/meters/")
    page.screenshot(path=tmp_path / f"meters-{width}.png", full_page=True)
    expect(page.locator("svg.kb-chart-svg")).to_have_count(3)
    assert_fits_width(page)

    page.context.clear_cookies()
    sign_in(page, demo, "operator", "operator12345")
    for path in ["/staff/readings/", f"/staff/readings/account/{account.pk}/",
                 "/staff/house-meters/", "/staff/readings/import/"]:  # fmt: skip
        page.goto(demo + path)
        page.screenshot(path=tmp_path / f"staff-{path.strip('/').replace('/', '-')}-{width}.png")
        assert_fits_width(page)


def test_staff_find_a_missing_reading_and_enter_it(page, demo, cold_water):
    last = cold_water.readings.order_by("-period").first()
    sign_in(page, demo, "operator", "operator12345")
    page.goto(f"{demo}/staff/readings/?missing=on")
    row = page.locator("tr", has_text=cold_water.serial_number)
    expect(row).to_contain_text("нет показаний")
    row.get_by_role("link", name="1000154").click()
    page.get_by_role(
        "textbox", name=re.compile(f"Холодная вода, № {cold_water.serial_number}")
    ).fill(format_quantity(last.value + 2))
    page.get_by_role("button", name="Записать показания").click()
    expect(page.locator(".messagelist")).to_contain_text("записаны: счётчиков — 1")
    page.goto(f"{demo}/staff/readings/?missing=on")
    expect(page.locator("tr", has_text=cold_water.serial_number)).to_have_count(0)
