"""A payment document with every column of the form filled and six-digit sums (123 456,78 ₽)
still fits the width of A4: no cell's text wider than its column — measured with ReportLab's
``stringWidth`` against the widths the PDF draws, and in the drawn PDF by the characters'
boxes (pypdfium2), which must not cross a column's edge."""

import dataclasses
import datetime
import re
from decimal import Decimal as D

import pypdfium2
import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from kabinet.formats import format_money
from kabinet.pdf_fonts import register_fonts
from kabinet.receipts.capital_repair import CapitalRepairPart
from kabinet.receipts.instalments import InstalmentRow
from kabinet.receipts.layout import receipt_sections, services_grid
from kabinet.receipts.pdf import (
    BOLD,
    CELL_PADDING,
    MARGIN,
    MIN_TABLE_FONT,
    REGULAR,
    WIDTH,
    fitted_cells,
    receipt_pdf,
    table_font,
)
from kabinet.receipts.selectors import receipt_data
from kabinet.receipts.suppliers import SupplierRow
from tests.test_payment_document import house_of_two, pdf_text

pytestmark = pytest.mark.django_db
BIG = D("123456.78")
NEGATIVE = -BIG
SPANS = [
    {"tariff": "3098.0000", "from": "2026-10-01", "to": "2026-10-15", "days": 15,
     "volume": "1234.567000", "amount": "123456.78"},
    {"tariff": "3254.4000", "from": "2026-10-16", "to": "2026-10-31", "days": 16,
     "volume": "1234.567000", "amount": "123456.78"},
]  # fmt: skip


def wide_receipt():
    """Every column of the services table (the common-house share, the coefficient, a tariff
    changed mid-month, reductions, fines), sums of six digits before the comma in each of them
    and in the totals, capital repair, an instalment plan and a supplier with long
    requisites."""
    account, period = house_of_two(
        {"coefficient": D("1.5"), "coefficient_charged": BIG, "tariff_spans": SPANS},
        supplier='ООО «Ресурсоснабжающая организация "Водоканал-Сервис" Северного района»',
    )
    receipt = receipt_data(account, period)
    line = dataclasses.replace(
        receipt.lines[0], tariff=D("3254.40"), volume=D("1234.567"),
        common_volume=D("12.345678"), charged=D("923456.78"), common_charged=BIG,
        recalculation=3 * NEGATIVE, quality_reduction=NEGATIVE, executor_fine=NEGATIVE,
        total=D("553086.44"),
    )  # fmt: skip
    repair_line = dataclasses.replace(
        line, service="Взнос на капитальный ремонт", volume=D("1234.56"), tariff=D("12.40"),
        charged=BIG, recalculation=NEGATIVE, total=BIG,
    )  # fmt: skip
    repair = CapitalRepairPart(
        payee=receipt.payee, fund_kind="специальный счёт", account_number=receipt.account_number,
        month=receipt.month, lines=(repair_line,), opening=BIG, charged=BIG,
        recalculation=NEGATIVE, penalties=BIG, paid=BIG, pay_by=datetime.date(2026, 11, 20),
    )  # fmt: skip
    plan = InstalmentRow(
        service="Отопление", charged_month=datetime.date(2026, 9, 1), amount=D("923456.78"),
        months=12, number=2, rate=D("9.5"), share=BIG, interest=D("7310.41"),
        remaining=D("800000.00"), deferred=D("0"),
    )  # fmt: skip
    supplier = SupplierRow(
        name='ООО «Ресурсоснабжающая организация "Водоканал-Сервис" Северного района»',
        services=("Холодное водоснабжение", "Водоотведение", "Горячее водоснабжение"),
        inn="1660023454", kpp="166001001",
        address="420061, Республика Татарстан, г. Казань, Горьковское шоссе, д. 1, корп. 2",
        phone="+7 (843) 231-62-00, +7 (843) 231-62-01", email="info@vodokanal-sever.ru",
        website="https://vodokanal-sever.ru", bank_name="Отделение «Банк Татарстан» № 8610 "
        "ПАО Сбербанк", bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810662000003141",
    )  # fmt: skip
    return dataclasses.replace(
        receipt, lines=(line,), opening=BIG, charged=BIG, recalculation=NEGATIVE,
        penalties=BIG, paid=BIG, closing=D("246913.56"), capital_repair=repair,
        instalments=(plan,), suppliers=(supplier,),
    )  # fmt: skip


def test_every_column_of_the_form_is_drawn_with_six_digit_sums():
    receipt = wide_receipt()
    grid = services_grid(receipt)
    assert len(grid.columns) == 13
    money = format_money(BIG)
    assert money.replace("\u00a0", " ") == "123 456,78"
    labels = [column.label for column in grid.columns]
    row = dict(zip(labels, grid.rows[0], strict=True))
    assert row["Штрафы исполнителя, ₽"] == format_money(NEGATIVE)
    assert dict(zip(labels, grid.footer, strict=True))["Итого, ₽"] == format_money(D("553086.44"))


def test_every_cell_fits_its_column_at_the_font_the_pdf_draws():
    """reportlab does not clip a cell: a text wider than its column runs into the next one."""
    register_fonts()
    for section in receipt_sections(wide_receipt()):
        for grid in section.grids:
            size = table_font(grid)
            assert size >= MIN_TABLE_FONT, (section.key, grid.caption)
            header, rows, footer, fits = fitted_cells(grid, size)
            assert fits, (section.key, grid.caption)
            rooms = [WIDTH * column.width - 2 * CELL_PADDING for column in grid.columns]
            cells = [(header, BOLD, size - 0.5), *((row, REGULAR, size) for row in rows)]
            cells += [(footer, BOLD, size)] if grid.footer else []
            for texts, font, font_size in cells:
                for text, room in zip(texts, rooms, strict=True):
                    for line in text.split("\n"):
                        assert stringWidth(line, font, font_size) <= room + 0.01, line
            # a sum is never broken inside: its no-break spaces hold it on one line
            flat = [text for texts, _, _ in cells for text in texts]
            broken = [text for text in flat if "\n" in text and "\u00a0" in text]
            assert all(
                all("\u00a0" not in line or line.split("\u00a0")[0].lstrip("-").isdigit()
                    for line in text.split("\n"))
                for text in broken
            ), broken  # fmt: skip


def services_table_band(page):
    """The services table's vertical extent on the page: from its header to its «Итого» row."""
    text = page.get_textpage()
    whole = text.get_text_range()
    header = whole.index("Вид услуги")
    footer = whole.index("Итого", header)
    top = text.get_charbox(header)[3] + 3
    bottom = text.get_charbox(footer)[1] - 3
    return text, top, bottom


def test_no_character_of_the_services_table_crosses_a_column_edge_in_the_pdf():
    register_fonts()
    receipt = wide_receipt()
    pdf = receipt_pdf(receipt)
    page = pypdfium2.PdfDocument(pdf)[0]
    text, top, bottom = services_table_band(page)
    edges, x = [], MARGIN
    for column in services_grid(receipt).columns[:-1]:
        x += WIDTH * column.width
        edges.append(x)
    crossing = []
    for index in range(text.count_chars()):
        left, low, right, high = text.get_charbox(index)
        if right <= left or not bottom <= (low + high) / 2 <= top:
            continue  # a space, or outside the table
        for edge in edges:
            if left < edge - 0.2 and right > edge + 0.2:
                crossing.append((text.get_text_range(index, 1), round(edge)))
    assert crossing == []
    # the sums are drawn whole
    flat = pdf_text(pdf)
    assert flat.count("123 456,78") >= 8
    assert "-123 456,78" in flat


def test_a_services_table_longer_than_a_page_goes_on_with_its_header_and_ends_with_its_total():
    register_fonts()
    receipt = wide_receipt()
    lines = tuple(
        dataclasses.replace(receipt.lines[0], service=f"Услуга № {number}", tariff_spans=None)
        for number in range(1, 121)
    )
    pdf = receipt_pdf(dataclasses.replace(receipt, lines=lines))
    document = pypdfium2.PdfDocument(pdf)
    pages = [page.get_textpage().get_text_range().replace("\r", "") for page in document]

    assert len(pages) >= 2
    first, second = (next(i for i, t in enumerate(pages) if f"Услуга № {n} " in t)
                     for n in (1, 120))  # fmt: skip
    assert second > first  # the table went on to a later page
    assert "Вид услуги" in pages[second]  # with its header repeated there
    assert all(f"Услуга № {n} " in "".join(pages) for n in range(1, 121))  # no row lost
    assert sum(page.count("Услуга № 17 ") for page in pages) == 1  # nor drawn twice
    after_last_row = pages[second].split("Услуга № 120 ", 1)[1]
    assert re.search(r"^Итого 123", after_last_row, re.MULTILINE)  # «Итого» after the last row
