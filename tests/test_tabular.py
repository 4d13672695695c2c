import datetime
import io

import pytest
from openpyxl import Workbook

from kabinet.tabular import TableError, parse_date, read_rows, read_table

COLUMNS = {"account": ("ЛС", "лицевой счет"), "amount": ("Сумма",)}


def xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_in_cp1251_with_semicolons():
    data = "ЛС;Сумма\n1000154;1 234,56\n".encode("cp1251")
    assert list(read_table(data, COLUMNS)) == [(2, {"account": "1000154", "amount": "1 234,56"})]


def test_csv_in_utf8_with_bom_and_commas_skips_blank_lines():
    data = "\ufeffлицевой счет,сумма\n\n1000154,10.50\n".encode()
    assert list(read_table(data, COLUMNS)) == [(3, {"account": "1000154", "amount": "10.50"})]


def test_xlsx_is_told_by_content_and_keeps_exact_numbers():
    data = xlsx([["ЛС", "Сумма", "Дата"], [1000154, 123.45, datetime.datetime(2026, 10, 25)]])
    rows = list(read_rows(data))
    assert rows == [(1, ["ЛС", "Сумма", "Дата"]), (2, ["1000154", "123.45", "2026-10-25"])]


def test_missing_column_is_named():
    with pytest.raises(TableError, match="«Сумма»"):
        list(read_table("ЛС;Плательщик\n1;Иванов\n".encode(), COLUMNS))


def test_optional_column_may_be_missing():
    rows = read_table("ЛС;Сумма\n1;2,00\n".encode(), {**COLUMNS, "payer": ("ФИО",)}, {"payer"})
    assert list(rows) == [(2, {"account": "1", "amount": "2,00", "payer": ""})]


def test_damaged_xlsx_is_a_clear_error():
    with pytest.raises(TableError, match="XLSX"):
        list(read_rows(b"PK\x03\x04 not really a zip"))


def test_empty_file_is_a_clear_error():
    with pytest.raises(TableError, match="пуст"):
        list(read_table(b"", COLUMNS))


@pytest.mark.parametrize("text", ["25.10.2026", "2026-10-25", "25.10.26"])
def test_dates_in_russian_and_iso_form(text):
    assert parse_date(text) == datetime.date(2026, 10, 25)


def test_bad_date_message_is_russian():
    with pytest.raises(ValueError, match="неверная дата"):
        parse_date("31.02.2026")
