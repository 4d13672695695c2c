"""Reading the tables staff upload (CSV in UTF-8 or CP1251, or XLSX) so that imports can name
the bad rows, and writing the simple tables staff download (``write_csv``, ``write_xlsx``).

Imports validate every row first and write nothing when one is bad; this module only turns a
file into numbered rows of text and says plainly when the file itself cannot be read.

Files come from outside, so they are measured before they are parsed: an XLSX is a zip archive
that may unpack to a hundred times its size (a «zip bomb»), so its declared unpacked size and
compression ratio are checked before openpyxl opens it (``zipfile`` never unpacks more than a
member declares), and no table may have more rows than ``IMPORT_MAX_ROWS``.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kabinet.formats import format_number
from kabinet.months import month_of

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = ";,\t"
MAX_COLUMNS = 100  # imports need a dozen; openpyxl pads each row to the width the file claims
RATIO_CHECKED_FROM = 10 * 2**20  # a smaller workbook is cheap to read, however packed
DAMAGED_XLSX = "Файл XLSX повреждён или не является таблицей Excel."
WIDE_BOMS = (  # the longer first: UTF-32 LE begins like UTF-16 LE
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


class TableError(ValueError):
    """The file as a whole cannot be read (not a table, wrong encoding, no header)."""


@dataclass(frozen=True)
class RowError:
    line: int  # as the person sees it in the file or spreadsheet: the header is line 1
    message: str

    def __str__(self):
        return f"Строка {self.line}: {self.message}"


def _wide_encoding(data: bytes) -> str | None:
    """«UTF-16»/«UTF-32» for a text in such an encoding (by its BOM, or by its zero bytes: text
    in UTF-8 or CP1251 has none), else ``None``."""
    for bom, name in WIDE_BOMS:
        if data.startswith(bom):
            return name
    head = data[:4096]
    return "UTF-16" if head and head.count(0) * 4 >= len(head) else None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP1251 — what Russian banks and Excel write. A text in
    UTF-16 or UTF-32 (Excel's «Текст Юникод») is refused by name: it would decode as CP1251
    into nonsense and fail later with a misleading message."""
    if wide := _wide_encoding(data):
        raise TableError(
            f"Файл в кодировке {wide}: сохраните его как UTF-8 или Windows-1251 "
            "(в Excel — «CSV UTF-8» или «CSV (разделители — запятые)»)."
        )
    if b"\x00" in data:  # a binary file; PostgreSQL refuses NUL in the messages quoting it
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


def check_row_count(number: int) -> None:
    """Refuse a table at its row past ``IMPORT_MAX_ROWS`` (header and blank rows count)."""
    if number > settings.IMPORT_MAX_ROWS:
        limit = format_number(settings.IMPORT_MAX_ROWS)
        raise TableError(f"В файле больше {limit} строк: разделите его на части.")


def check_xlsx(data: bytes) -> None:
    """Refuse an XLSX that unpacks to more than ``IMPORT_MAX_UNPACKED_MB`` or more than
    ``IMPORT_MAX_COMPRESSION_RATIO`` times its size, by the sizes its zip directory declares
    (reading it costs nothing; ``zipfile`` stops at a member's declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise TableError(DAMAGED_XLSX) from error
    limit = settings.IMPORT_MAX_UNPACKED_MB
    if unpacked > limit * 2**20:
        raise TableError(
            f"Таблица XLSX в распакованном виде — {format_number(unpacked // 2**20)} МБ, больше "
            f"{format_number(limit)} МБ: разделите её на части или сохраните как CSV."
        )
    ratio = unpacked / max(len(data), 1)
    if unpacked > RATIO_CHECKED_FROM and ratio > settings.IMPORT_MAX_COMPRESSION_RATIO:
        raise TableError(
            f"Файл XLSX сжат слишком сильно (степень сжатия {format_number(int(ratio))}, "
            f"допустимо до {settings.IMPORT_MAX_COMPRESSION_RATIO}): так бывает у файлов, "
            "сделанных, чтобы перегрузить сервер. Сохраните таблицу как CSV."
        )


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    check_xlsx(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise TableError(DAMAGED_XLSX) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, row in enumerate(rows, start=1):
            check_row_count(number)
            width = len(row)
            while width and row[width - 1] is None:
                width -= 1
            if width:
                yield number, [_cell_text(value) for value in row[:width]]
    finally:
        workbook.close()


def _text_rows(data: bytes, delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    text = decode_text(data)
    if delimiter is None:
        first_line = text.split("\n", 1)[0]
        delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            check_row_count(number)
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as error:
        raise TableError(f"Строка {reader.line_num}: файл CSV повреждён ({error}).") from error


def read_rows(data: bytes, delimiter: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for every row of a CSV or XLSX file, blank rows skipped.

    The format is told by the content, not by the file's name; a CSV's delimiter (``;``, ``,`` or
    tab) by its first line unless given. Columns past the ``MAX_COLUMNS``-th of an XLSX are
    not read.
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


# Writing: tables staff download. Cells that begin like a formula are kept as text (OWASP «CSV
# injection»): a leading «'» in CSV, a string cell in XLSX; dates and numbers stay values.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, Decimal):
        return format_number(value).replace("\u00a0", "")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: list[str], rows) -> bytes:
    """CSV for Excel: UTF-8 with BOM, «;», decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_value(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(header: list[str], rows, title: str) -> bytes:
    """One sheet written row by row (openpyxl's write-only mode), the header in bold."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(sheet, value):
    if isinstance(value, datetime.datetime):
        value = value.replace(tzinfo=None)  # Excel keeps no time zone: the local time is shown
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD.MM.YYYY HH:MM"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD.MM.YYYY"
        return cell
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
