"""Reading the tables staff upload (CSV in UTF-8 or CP1251, or XLSX) so that imports can name
the bad rows.

Imports validate every row first and write nothing when one is bad; this module only turns a
file into numbered rows of text and says plainly when the file itself cannot be read.
"""

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import load_workbook

from kabinet.months import month_of

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = ";,\t"


class TableError(ValueError):
    """The file as a whole cannot be read (not a table, wrong encoding, no header)."""


@dataclass(frozen=True)
class RowError:
    line: int  # as the person sees it in the file or spreadsheet: the header is line 1
    message: str

    def __str__(self):
        return f"Строка {self.line}: {self.message}"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP1251 — what Russian banks and Excel write. A NUL
    byte is in no such text (a UTF-16 file or a binary one has them), and PostgreSQL refuses it
    in the messages that would quote the file."""
    if b"\x00" in data:
        raise TableError("Файл не текстовый: в нём есть нулевые байты (NUL).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1251")
        except UnicodeDecodeError as error:
            raise TableError("Файл не в кодировке UTF-8 или Windows-1251.") from error


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize())  # 123.45, not 123.45000000000000284
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise TableError("Файл XLSX повреждён или не является таблицей Excel.") from error
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in row]
    finally:
        workbook.close()


def _text_rows(data: bytes, delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    text = decode_text(data)
    if delimiter is None:
        first_line = text.split("\n", 1)[0]
        delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as error:
        raise TableError(f"Строка {reader.line_num}: файл CSV повреждён ({error}).") from error


def read_rows(data: bytes, delimiter: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for every row of a CSV or XLSX file, blank rows skipped.

    The format is told by the content, not by the file's name; a CSV's delimiter (``;``, ``,`` or
    tab) by its first line unless given.
    """
    rows = _xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _text_rows(data, delimiter)
    for number, cells in rows:
        if any(cells):
            yield number, cells


def read_table(data: bytes, columns: dict[str, tuple[str, ...]], optional=()):
    """Rows of a table with a header, as (line number, {field: text}).

    ``columns`` maps each field to the header titles accepted for it (compared case-insensitively,
    e.g. ``{"account": ("лс", "лицевой счет", "лицевой счёт")}``). A missing column is a
    ``TableError`` naming it, unless its field is ``optional`` (then its text is ``""``); columns
    not asked for are ignored.
    """
    rows = read_rows(data)
    try:
        _, header = next(rows)
    except StopIteration:
        raise TableError("Файл пуст.") from None
    titles = [cell.strip().lower() for cell in header]
    positions = {}
    for field, accepted in columns.items():
        found = [i for i, title in enumerate(titles) if title in {a.lower() for a in accepted}]
        if found:
            positions[field] = found[0]
        elif field not in optional:
            raise TableError(f"В файле нет столбца «{accepted[0]}».")
    for number, cells in rows:
        row = dict.fromkeys(columns, "")
        row.update({field: cells[i] for field, i in positions.items() if i < len(cells)})
        yield number, row


def parse_date(text: str) -> datetime.date:
    """«25.10.2026», «25.10.26» or «2026-10-25», in ASCII digits and the portal's years;
    ValueError with a Russian message otherwise."""
    text = text.strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y"):
        try:
            if text.isascii():
                day = datetime.datetime.strptime(text, pattern).date()
                month_of(day.year, day.month)
                return day
        except ValueError:
            continue
    raise ValueError(f"неверная дата «{text[:30]}» (нужно ДД.ММ.ГГГГ)")
