"""Importing the readings of an organisation's apartment meters from a CSV or XLSX file.

Columns: «ЛС», «Заводской номер», «Показание», «Дата» and, optionally, «Период» (the month;
by default the month of the date). Every row is checked first, against the database and against
the other rows; one bad row and nothing is imported. A row replaces the meter's reading for its
month; a row equal to the reading already there (value and date) changes nothing, so the same
file imported twice changes nothing the second time.
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO, NamedTuple

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from kabinet.formats import MONTHS, month_name
from kabinet.housing.models import PersonalAccount
from kabinet.metering.checks import parse_value, value_problem
from kabinet.metering.models import Meter, Reading, ReadingSource
from kabinet.money import shown
from kabinet.months import first_of_month, month_of, parse_month
from kabinet.tabular import RowError, parse_date, read_rows, read_table

COLUMNS = {
    "account": ("ЛС", "лицевой счет", "лицевой счёт", "номер ЛС"),
    "serial": ("Заводской номер", "номер счетчика", "номер счётчика", "счетчик", "счётчик"),
    "value": ("Показание", "показания"),
    "taken_on": ("Дата", "дата показания", "дата снятия"),
    "period": ("Период", "месяц"),
}
OPTIONAL_COLUMNS = ("period",)
PROGRESS_EVERY = 500  # rows between two progress reports
UPDATE_BATCH = 1000


def read_import(data: bytes | BinaryIO) -> list[tuple[int, dict[str, str]]]:
    """The rows of an import file; ``TableError`` if the file itself cannot be read."""
    return list(read_rows_of(data))


def read_rows_of(source: bytes | BinaryIO) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of an import file as they are read (``tabular.read_table``)."""
    return read_table(source, COLUMNS, optional=OPTIONAL_COLUMNS)


def count_rows(file: BinaryIO) -> int:
    """How many rows ``read_rows_of`` will give (a pass over the file without building them;
    the header is checked when they are read); leaves the file at its start."""
    rows = sum(1 for _ in read_rows(file))
    file.seek(0)
    return max(rows - 1, 0)


def parse_period(text: str) -> datetime.date:
    """«11.2026», «2026-11», «ноябрь 2026» or any date of the month."""
    text = " ".join(text.lower().split())
    try:
        if (match := re.fullmatch(r"([а-я]+) ([0-9]{4})", text)) and match[1] in MONTHS:
            return month_of(int(match[2]), MONTHS.index(match[1]) + 1)
        try:
            return parse_month(text)
        except ValueError:
            return first_of_month(parse_date(text))
    except ValueError:
        raise ValueError(f"неверный период {shown(text)} (нужно ММ.ГГГГ)") from None


class Mark(NamedTuple):
    """A reading's month and value, from the database or from a row of the file."""

    period: datetime.date
    value: Decimal


@dataclass
class Row:
    line: int
    meter: Meter
    value: Decimal
    taken_on: datetime.date
    period: datetime.date


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows without a value and a date: meters not read this time
    error_count: int = 0  # ``errors`` may hold only the first of them (the streamed import)

    def summary(self) -> dict[str, int]:
        return {
            "Добавлено показаний": self.created,
            "Изменено показаний": self.changed,
            "Без изменений": self.unchanged,
            "Пропущено строк без показания": self.skipped,
        }


def import_readings(
    table: list[tuple[int, dict[str, str]]],
    organization,
    user=None,
    *,
    today: datetime.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import the rows of ``read_import`` as readings of ``organization``'s meters: all of
    them, or none when ``ImportResult.errors`` names bad rows. ``progress(done, failed)``
    hears of the checking as it goes."""
    today = today or timezone.localdate()
    progress = progress or (lambda done, failed: None)
    result = ImportResult()
    with transaction.atomic():
        meters = Meter.objects.filter(account__organization=organization, is_active=True)
        # Residents' submissions for these meters wait until the import is written.
        list(meters.select_for_update().order_by("pk").values_list("pk"))
        rows = _parse_rows(table, organization, meters, today, result, progress)
        result.errors.extend(_value_problems(rows, meters))
        result.errors.sort(key=lambda error: error.line)
        result.error_count = len(result.errors)
        progress(len(table), len(result.errors))
        if not result.errors:
            _write(rows, organization, user, result)
    return result


class MeterLookup:
    """The organisation's active meters by account number and serial number, and its account
    numbers: what a row is checked against (the size of the organisation, not of the file)."""

    def __init__(self, organization, meters):
        self.by_number_and_serial = defaultdict(list)
        for meter in meters.select_related("account"):
            self.by_number_and_serial[meter.account.number, meter.serial_number].append(meter)
        self.numbers = set(
            PersonalAccount.objects.filter(organization=organization).values_list(
                "number", flat=True
            )
        )


def is_blank(cells: dict[str, str]) -> bool:
    """A row without a value and a date: the meter was not read this time (skipped)."""
    return not cells["value"] and not cells["taken_on"]


def check_row(cells: dict[str, str], lookup: MeterLookup, today: datetime.date, parse=None):
    """What the row says and what is wrong with it, by itself: (problems, the meter or
    ``None`` unless exactly one, value, date, period). Repeats of a meter's month and values
    against the neighbouring readings are checked over the whole file afterwards. ``parse``
    may replace the parsers of dates and periods (the streamed import remembers them)."""
    parse_day, parse_month_text = parse or (parse_date, parse_period)
    problems = []
    number, serial = cells["account"].strip(), cells["serial"].strip()
    found = lookup.by_number_and_serial.get((number, serial), [])
    if number not in lookup.numbers:
        problems.append(f"лицевой счёт № {number or '(пусто)'} не найден")
    elif len(found) != 1:
        problems.append(
            f"у лицевого счёта № {number} нет действующего счётчика № {serial or '(пусто)'}"
            if not found
            else f"у лицевого счёта № {number} несколько счётчиков № {serial}"
        )
    value = _parsed(parse_value, cells["value"], problems, "нет показания")
    taken_on = _parsed(parse_day, cells["taken_on"], problems, "нет даты")
    if taken_on and taken_on > today:
        problems.append(f"дата {taken_on:%d.%m.%Y} ещё не наступила")
    period = (
        _parsed(parse_month_text, cells["period"], problems, "нет периода")
        if cells["period"]
        else taken_on and first_of_month(taken_on)
    )
    if period and period > first_of_month(today):
        problems.append(f"период {month_name(period)} ещё не наступил")
    meter = found[0] if len(found) == 1 else None
    return problems, meter, value, taken_on, period


def repeat_problem(period: datetime.date, first_line: int) -> str:
    return f"показание этого счётчика за {month_name(period)} уже есть в строке {first_line}"


def import_readings_file(
    file: BinaryIO,
    organization,
    user=None,
    *,
    today: datetime.date | None = None,
    started: Callable[[int], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import the readings file ``file`` (seekable): on PostgreSQL streamed, memory flat
    (``streamed_import``), elsewhere (SQLite, the embedded default) its rows read whole and
    checked in Python (``import_readings``). Both apply the same rules and pass the same tests
    (tests/test_readings_import.py). ``started(rows)`` hears the rows' count before the work."""
    if connection.vendor == "postgresql":
        from kabinet.metering import streamed_import  # it builds on this module

        return streamed_import.import_readings(
            file, organization, user, today=today, started=started, progress=progress
        )
    table = read_import(file)
    if started:
        started(len(table))
    return import_readings(table, organization, user, today=today, progress=progress)


def _parse_rows(table, organization, meters, today, result, progress) -> list[Row]:
    lookup = MeterLookup(organization, meters)
    rows, first_line_of = [], {}
    for done, (line, cells) in enumerate(table, start=1):
        if is_blank(cells):
            result.skipped += 1
            continue
        problems, meter, value, taken_on, period = check_row(cells, lookup, today)
        if meter is not None and period:
            key = (meter.pk, period)
            if key in first_line_of:
                problems.append(repeat_problem(period, first_line_of[key]))
            first_line_of.setdefault(key, line)
        if problems:
            result.errors.append(RowError(line, "; ".join(problems) + "."))
        else:
            rows.append(Row(line, meter, value, taken_on, period))
        if done % PROGRESS_EVERY == 0:
            progress(done, len(result.errors))
    return rows


def _parsed(parse, text, problems, missing):
    """``parse(text)``, or ``None`` with the reason added to ``problems``."""
    if not text.strip():
        problems.append(missing)
        return None
    try:
        return parse(text)
    except ValueError as error:
        problems.append(str(error).rstrip("."))
        return None


def _value_problems(rows: list[Row], meters) -> list[RowError]:
    """Each value against the meter's actual readings before and after its month: those in
    the database and those in the other rows of the file (which replace the database's)."""
    in_file = defaultdict(list)
    for row in rows:
        in_file[row.meter.pk].append(Mark(row.period, row.value))
    stored = {period: _stored_neighbours(meters, period) for period in {r.period for r in rows}}
    errors = []
    for row in rows:
        others = in_file[row.meter.pk]
        replaced = {mark.period for mark in others}
        stored_marks = [m for m in stored[row.period].get(row.meter.pk, ()) if m is not None]
        marks = [mark for mark in stored_marks if mark.period not in replaced] + others
        previous = max(
            (mark for mark in marks if mark.period < row.period),
            key=lambda mark: mark.period,
            default=None,
        )
        following = min(
            (mark for mark in marks if mark.period > row.period),
            key=lambda mark: mark.period,
            default=None,
        )
        if problem := value_problem(row.meter, row.value, previous, following):
            errors.append(RowError(row.line, problem))
    return errors


def _stored_neighbours(meters, period) -> dict[int, tuple[Mark | None, Mark | None]]:
    actual = Reading.objects.actual().filter(meter=OuterRef("pk"))
    before = actual.filter(period__lt=period).order_by("-period")
    after = actual.filter(period__gt=period).order_by("period")
    neighbours = meters.annotate(
        before_period=Subquery(before.values("period")[:1]),
        before_value=Subquery(before.values("value")[:1]),
        after_period=Subquery(after.values("period")[:1]),
        after_value=Subquery(after.values("value")[:1]),
    ).values_list("pk", "before_period", "before_value", "after_period", "after_value")
    return {
        pk: (
            Mark(before_period, before_value) if before_period else None,
            Mark(after_period, after_value) if after_period else None,
        )
        for pk, before_period, before_value, after_period, after_value in neighbours
    }


def _write(rows: list[Row], organization, user, result: ImportResult) -> None:
    existing = {
        (reading.meter_id, reading.period): reading
        for reading in Reading.objects.filter(
            meter__account__organization=organization, period__in={row.period for row in rows}
        )
    }
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        reading = existing.get((row.meter.pk, row.period))
        if reading is None:
            reading = Reading(meter=row.meter, period=row.period)
            new.append(reading)
        elif (reading.value, reading.taken_on) == (row.value, row.taken_on):
            result.unchanged += 1
            continue
        else:
            changed.append(reading)
        reading.value, reading.taken_on = row.value, row.taken_on
        reading.source, reading.submitted_by, reading.created_at = ReadingSource.IMPORT, user, now
    Reading.objects.bulk_create(new, batch_size=1000)
    # A batch at a time: ``bulk_update`` builds every batch's CASE expressions before running
    # the first, 7-10 KB per reading (bench/README.md «Readings import»).
    for start in range(0, len(changed), UPDATE_BATCH):
        Reading.objects.bulk_update(
            changed[start : start + UPDATE_BATCH],
            ["value", "taken_on", "source", "submitted_by", "created_at"],
        )
    result.created, result.changed = len(new), len(changed)
