"""The readings of a month as a file for staff: CSV (for Excel: UTF-8 with BOM, «;», decimal
comma) or XLSX. The columns include those of the import, so that a file of the meters without
readings can be filled in and imported back.

Text comes partly from residents and staff (addresses, serial numbers), so no cell may become a
formula when the file is opened (OWASP «CSV injection»): text starting with ``=``, ``+``, ``-``,
``@``, a tab or a CR gets a leading ``'`` in CSV and is stored as a string in XLSX. Numbers and
dates are written as values, never as text, so they need no such care."""

import csv
import datetime
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kabinet.formats import format_number

HEADER = [
    "ЛС", "Адрес", "Ресурс", "Заводской номер", "Предыдущее показание", "Период предыдущего",
    "Показание", "Дата", "Период", "Источник",
]  # fmt: skip
WIDTHS = [12, 40, 18, 18, 14, 12, 14, 12, 10, 14]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _month(month: datetime.date | None) -> str:
    return f"{month:%m.%Y}" if month else ""


def readings_rows(meters, period: datetime.date):
    """The rows of ``metering.selectors.organization_readings`` (as Python values)."""
    for meter in meters.iterator(chunk_size=2000):
        yield [
            meter.account.number,
            str(meter.account.premise),
            meter.get_resource_display(),
            meter.serial_number,
            meter.previous_value,
            _month(meter.previous_period),
            meter.reading_value,
            meter.reading_taken_on,
            _month(period),
            meter.reading_source_label,
        ]


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_number(value).replace("\u00a0", "")  # no thousands spaces: a number
    if isinstance(value, datetime.date):
        return f"{value:%d.%m.%Y}"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_cell(sheet, value):
    """Dates and readings get their format; text that openpyxl would take for a formula is
    set as a string; other values go in as they are (faster)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD.MM.YYYY"
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.000"
        return cell
    return value


def as_xlsx(rows) -> bytes:
    """A workbook written row by row (openpyxl's write-only mode: memory and time stay linear)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Показания")
    for letter, width in zip("ABCDEFGHIJ", WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    header = [WriteOnlyCell(sheet, value=title) for title in HEADER]
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
