"""Exported tables never carry a formula: text that a spreadsheet would run (=, +, -, @, tab,
CR first) is written as text (OWASP «CSV injection»), numbers and dates stay what they are."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kabinet.metering.exports import as_csv, as_xlsx

DANGEROUS = ['=HYPERLINK("http://x")', "+7 900", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def row(text):
    return ["1000154", text, "ХВС", text, Decimal("-1.500"), "", Decimal("12.000"),
            datetime.date(2026, 11, 20), "11.2026", "житель"]  # fmt: skip


def csv_rows(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_cells_that_look_like_formulas_are_quoted_as_text(text):
    cells = csv_rows(as_csv([row(text)]))[1]
    assert cells[1] == cells[3] == "'" + text


def test_csv_numbers_dates_and_plain_text_are_untouched():
    cells = csv_rows(as_csv([row("ул. Ленина, 1")]))[1]
    assert cells == ["1000154", "ул. Ленина, 1", "ХВС", "ул. Ленина, 1", "-1,5", "", "12",
                     "20.11.2026", "11.2026", "житель"]  # fmt: skip


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_cells_that_look_like_formulas_are_strings(text):
    sheet = load_workbook(io.BytesIO(as_xlsx([row(text)]))).active
    for cell in (sheet["B2"], sheet["D2"]):
        assert cell.data_type == "s"
        assert cell.value.strip() == text.strip()  # XML keeps a CR as a line feed


def test_xlsx_numbers_stay_numbers():
    sheet = load_workbook(io.BytesIO(as_xlsx([row("=1+1")]))).active
    assert sheet["E2"].data_type == "n"
    assert sheet["E2"].value == -1.5
    assert sheet["H2"].is_date
