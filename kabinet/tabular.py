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
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

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


WIDE_TEXT = ("Файл в кодировке {}: сохраните его как UTF-8 или Windows-1251 "
             "(в Excel — «CSV UTF-8» или «CSV (разделители — запятые)»).")  # fmt: skip
NUL_TEXT = "Файл не текстовый: в нём есть нулевые байты (NUL)."
BAD_ENCODING = "Файл не в кодировке UTF-8 или Windows-1251."
CHUNK = 2**20  # a text file is scanned for its encoding a megabyte at a time


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP1251 — what Russian banks and Excel write. A text in
    UTF-16 or UTF-32 (Excel's «Текст Юникод») is refused by name: it would decode as CP1251
    into nonsense and fail later with a misleading message."""
    if wide := _wide_encoding(data):
        raise TableError(WIDE_TEXT.format(wide))
    if b"\x00" in data:  # a binary file; PostgreSQL refuses NUL in the messages quoting it
        raise TableError(NUL_TEXT)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1251")
        except UnicodeDecodeError as error:
            raise TableError(BAD_ENCODING) from error


def text_encoding(file: BinaryIO) -> str:
    """The encoding ``decode_text`` would choose for the text of ``file``, read a chunk at a
    time (a file of a million rows is not held in memory twice, as bytes and as text); the
    same refusals. Leaves ``file`` at its start."""
    file.seek(0)
    if wide := _wide_encoding(file.read(4096)):
        raise TableError(WIDE_TEXT.format(wide))
    file.seek(0)
    utf8, encoding, cp1251_undefined = codecs.getincrementaldecoder("utf-8")(), "utf-8-sig", False
    while chunk := file.read(CHUNK):
        if b"\x00" in chunk:
            raise TableError(NUL_TEXT)
        cp1251_undefined = cp1251_undefined or b"\x98" in chunk  # CP1251 has no character 0x98
        if encoding == "utf-8-sig":
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                encoding = "cp1251"
    if encoding == "utf-8-sig":
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1251"
    if encoding == "cp1251" and cp1251_undefined:
        raise TableError(BAD_ENCODING)
    file.seek(0)
    return encoding


def text_lines(file: BinaryIO, newline: str | None = None) -> Iterator[str]:
    """The lines of a text file (``text_encoding``), read as they are used. ``newline`` as
    ``open`` takes it: ``None`` ends a line at «\\n», «\\r\\n» or «\\r»; ``""`` keeps the
    line ends (what ``csv`` needs)."""
    encoding = text_encoding(file)
    while hasattr(file, "file"):  # Django's File wraps the file object that io can wrap
        file = file.file
    text = io.TextIOWrapper(file, encoding=encoding, newline=newline)
    try:
        # not ``yield from``: closing this generator would close ``text``, and the file with it
        for line in text:  # noqa: UP028
            yield line
    finally:
        if not file.closed:  # the caller closes its file: the wrapper must not when collected
            text.detach()


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


def check_xlsx(data: bytes | BinaryIO) -> None:
    """Refuse an XLSX that unpacks to more than ``IMPORT_MAX_UNPACKED_MB`` or more than
    ``IMPORT_MAX_COMPRESSION_RATIO`` times its size, by the sizes its zip directory declares
    (reading it costs nothing; ``zipfile`` stops at a member's declared size)."""
    try:
        file = io.BytesIO(data) if isinstance(data, bytes) else data
        file.seek(0)
        size = len(data) if isinstance(data, bytes) else file.seek(0, io.SEEK_END)
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise TableError(DAMAGED_XLSX) from error
    limit = settings.IMPORT_MAX_UNPACKED_MB
    if unpacked > limit * 2**20:
        raise TableError(
            f"Таблица XLSX в распакованном виде — {format_number(unpacked // 2**20)} МБ, больше "
            f"{format_number(limit)} МБ: разделите её на части или сохраните как CSV."
        )
    ratio = unpacked / max(size, 1)
    if unpacked > RATIO_CHECKED_FROM and ratio > settings.IMPORT_MAX_COMPRESSION_RATIO:
        raise TableError(
            f"Файл XLSX сжат слишком сильно (степень сжатия {format_number(int(ratio))}, "
            f"допустимо до {settings.IMPORT_MAX_COMPRESSION_RATIO}): так бывает у файлов, "
            "сделанных, чтобы перегрузить сервер. Сохраните таблицу как CSV."
        )


def _xlsx_rows(file: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    check_xlsx(file)
    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
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


def _text_rows(file: BinaryIO, delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    lines = text_lines(file, newline="")
    first_line = next(lines, "")
    if delimiter is None:
        delimiter = max(DELIMITERS, key=first_line.split("\n", 1)[0].count)
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            check_row_count(number)
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as error:
        raise TableError(f"Строка {reader.line_num}: файл CSV повреждён ({error}).") from error
    finally:
        lines.close()


def is_xlsx(file: BinaryIO) -> bool:
    """Whether ``file`` is a zip archive (an XLSX, or not a table at all); leaves it at its
    start."""
    file.seek(0)
    magic = file.read(len(XLSX_MAGIC))
    file.seek(0)
    return magic == XLSX_MAGIC


def read_rows(
    source: bytes | BinaryIO, delimiter: str | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for every row of a CSV or XLSX file, blank rows skipped,
    read as they are used: ``source`` is the file's content or the (seekable) file itself, which
    is then never held in memory whole.

    The format is told by the content, not by the file's name; a CSV's delimiter (``;``, ``,`` or
    tab) by its first line unless given. Columns past the ``MAX_COLUMNS``-th of an XLSX are
    not read.
    """
    file = io.BytesIO(source) if isinstance(source, bytes) else source
    rows = _xlsx_rows(file) if is_xlsx(file) else _text_rows(file, delimiter)
    for number, cells in rows:
        if any(cells):
            yield number, cells


def read_table(source: bytes | BinaryIO, columns: dict[str, tuple[str, ...]], optional=()):
    """Rows of a table with a header, as (line number, {field: text}), read as they are used
    (``read_rows``).

    ``columns`` maps each field to the header titles accepted for it (compared case-insensitively,
    e.g. ``{"account": ("лс", "лицевой счет", "лицевой счёт")}``). A missing column is a
    ``TableError`` naming it, unless its field is ``optional`` (then its text is ``""``); columns
    not asked for are ignored.
    """
    rows = read_rows(source)
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
