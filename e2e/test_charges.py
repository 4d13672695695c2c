"""«Начисления» and the receipt in Chromium: choose a month, open its receipt, download the PDF."""

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.receipts.qr import parse_payload


@pytest.mark.parametrize("width", [360, 1280])
def test_resident_picks_a_month_opens_its_receipt_and_downloads_the_pdf(
    page, demo, width, tmp_path
):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.get_by_role("link", name="Начисления", exact=True).first.click()
    expect(page.get_by_role("heading", name="Начисления за")).to_be_visible()
    expect(page.get_by_test_id("to-pay")).to_contain_text("6\u00a0889,37")
    expect(page.locator("svg.kb-chart")).to_be_visible()
    page.screenshot(path=tmp_path / f"charges-{width}.png", full_page=True)
    assert_fits_width(page)

    period = page.get_by_label("Период")
    second_month = period.locator("option").nth(1)
    chosen_label, chosen_value = second_month.inner_text(), second_month.get_attribute("value")
    period.select_option(chosen_value)  # the page follows the choice by itself
    expect(page).to_have_url(f"{page.url.split('?')[0]}?period={chosen_value}")
    heading = page.get_by_role("heading", name=f"Начисления за {chosen_label.lower()}")
    expect(heading).to_be_visible()
    assert_fits_width(page)

    page.get_by_role("link", name="Квитанция", exact=True).click()
    expect(page.get_by_role("heading", name="Платёжный документ")).to_be_visible()
    expect(page.locator(".kb-receipt-qr svg")).to_be_visible()
    page.screenshot(path=tmp_path / f"receipt-{width}.png", full_page=True)
    assert_fits_width(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Скачать PDF").click()
    download = download_info.value
    year, month = chosen_value.split("-")
    assert download.suggested_filename == f"kvitanciya-1000154-{year}-{month}.pdf"
    document = pypdfium2.PdfDocument(download.path())
    assert len(document) == 1
    [code] = zxingcpp.read_barcodes(document[0].render(scale=3).to_pil())
    requisites = parse_payload(code.text)
    assert requisites["PersAcc"] == "1000154"
    assert requisites["PaymPeriod"] == f"{month}{year}"
