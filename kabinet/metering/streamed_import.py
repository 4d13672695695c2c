"""The readings import on PostgreSQL, streamed: memory does not grow with the file.

The rules are those of ``imports`` (the module's docstring); only where they are applied
changes. A first pass over the file counts its rows (the job's total); the second reads it as a
stream and checks each row by itself against what the organisation has (``imports.check_row``),
copying every row that names one meter and a month into a temporary table (COPY). The checks
that need the whole file are then SQL over that table: a row repeating a meter's month (the
first line of ``(meter, period)``), and each value against the meter's previous and next actual
readings — ``lag``/``lead`` over the stored readings that the file does not replace together
with the file's rows. Only the rows whose value leaves that range (or the dial) come back to
``checks.value_problem``, which also knows a dial that went round. With no error, one
``INSERT … ON CONFLICT (meter, period) DO UPDATE`` writes the rows whose value or date differ
from the stored reading. Errors kept: the first ``MAX_ERRORS`` by line, and their count (a job
shows the first ``jobs.services.MAX_PROBLEMS``).

bench/README.md «Readings import» has the figures (a million rows).
"""

import datetime
import functools
from collections.abc import Callable
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from kabinet.bulk import copy_lines, copy_text
from kabinet.metering import imports
from kabinet.metering.checks import value_problem
from kabinet.metering.models import ACTUAL_SOURCES, Meter, Reading, ReadingSource
from kabinet.tabular import RowError, parse_date

MAX_ERRORS = 1000  # kept by line; a bad file's job shows the first 199 and the count
TABLE = "metering_reading_import"
NEIGHBOURS_CHUNK = 2000


class _Errors:
    """The first ``MAX_ERRORS`` errors by line and how many there were."""

    def __init__(self):
        self.count, self.first = 0, []

    def add(self, error: RowError) -> None:
        self.count += 1
        self.first.append(error)
        if len(self.first) >= 2 * MAX_ERRORS:
            self.first = self.sorted()

    def sorted(self) -> list[RowError]:
        return sorted(self.first, key=lambda error: error.line)[:MAX_ERRORS]


def import_readings(
    file: BinaryIO,
    organization,
    user=None,
    *,
    today: datetime.date | None = None,
    started: Callable[[int], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> imports.ImportResult:
    """Import the readings file ``file`` (seekable) as ``imports.import_readings`` does: all
    rows or, when ``ImportResult.errors`` names bad rows, none. ``started(rows)`` hears the
    rows' count (a first, counting pass) before the checking, ``progress(done, failed)`` the
    checking as it goes."""
    today = today or timezone.localdate()
    progress = progress or (lambda done, failed: None)
    total = imports.count_rows(file)
    if started:
        started(total)
    result, errors = imports.ImportResult(), _Errors()
    with transaction.atomic(), connection.cursor() as cursor:
        meters = Meter.objects.filter(account__organization=organization, is_active=True)
        # Residents' submissions for these meters wait until the import is written.
        list(meters.select_for_update().order_by("pk").values_list("pk"))
        lookup = imports.MeterLookup(organization, meters)
        _create_table(cursor)
        rows = _checked_rows(imports.read_rows_of(file), lookup, today, result, errors, progress)
        copy_lines(cursor, TABLE, "line, meter, period, value, taken_on, problems", rows)
        cursor.execute(f"ANALYZE {TABLE}")  # the planner's row counts (hash joins)
        _mark_repeats(cursor)
        _table_errors(cursor, errors)
        _value_errors(errors)
        result.errors, result.error_count = errors.sorted(), errors.count
        progress(total, errors.count)
        if not errors.count:
            _write(cursor, user, result)
        cursor.execute(f"DROP TABLE {TABLE}")
    return result


def _create_table(cursor) -> None:
    """A row of the file that names one meter and a month; ``problems``: what is wrong with
    it by itself; ``repeats``: the first line of its meter and month, when it is not that."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {TABLE} (line integer NOT NULL, meter bigint NOT NULL, "
        "period date NOT NULL, value numeric(14, 3), taken_on date, problems text, "
        "repeats integer) ON COMMIT DROP"
    )


def _checked_rows(table, lookup, today, result, errors: _Errors, progress):
    """COPY lines of the rows that name one meter and a month; the other rows' errors go to
    ``errors``. A file holds few distinct dates and months: their parsing is remembered."""
    parse = (functools.lru_cache(maxsize=1024)(parse_date),
             functools.lru_cache(maxsize=1024)(imports.parse_period))  # fmt: skip
    for done, (line, cells) in enumerate(table, start=1):
        if done % imports.PROGRESS_EVERY == 0:
            progress(done, errors.count)
        if imports.is_blank(cells):
            result.skipped += 1
            continue
        problems, meter, value, taken_on, period = imports.check_row(cells, lookup, today, parse)
        if meter is None or not period:
            errors.add(RowError(line, "; ".join(problems) + "."))
            continue
        yield (
            f"{line}\t{meter.pk}\t{period}\t{'\\N' if value is None else value}\t"
            f"{taken_on or '\\N'}\t{copy_text('; '.join(problems)) if problems else '\\N'}"
        )


def _mark_repeats(cursor) -> None:
    cursor.execute(
        f"UPDATE {TABLE} AS row SET repeats = first.line FROM ("
        f"  SELECT meter, period, min(line) AS line FROM {TABLE} GROUP BY meter, period"
        "   HAVING count(*) > 1"
        ") AS first WHERE (row.meter, row.period) = (first.meter, first.period)"
        " AND row.line <> first.line"
    )


def _table_errors(cursor, errors: _Errors) -> None:
    """The copied rows' own problems and repeats, the repeat named last as ``imports`` does."""
    cursor.execute(
        f"SELECT line, period, problems, repeats FROM {TABLE}"
        " WHERE problems IS NOT NULL OR repeats IS NOT NULL ORDER BY line"
    )
    while chunk := cursor.fetchmany(NEIGHBOURS_CHUNK):
        for line, period, problems, repeats in chunk:
            texts = [problems] if problems else []
            if repeats:
                texts.append(imports.repeat_problem(period, repeats))
            errors.add(RowError(line, "; ".join(texts) + "."))


NEIGHBOURS = f"""
WITH checked AS (
    SELECT line, meter, period, value FROM {TABLE} WHERE problems IS NULL AND repeats IS NULL
), marks AS (
    SELECT line, meter, period, value FROM checked
    UNION ALL
    SELECT NULL, reading.meter_id, reading.period, reading.value
    FROM {Reading._meta.db_table} AS reading
    WHERE reading.source = ANY(%s)
      AND reading.meter_id IN (SELECT meter FROM checked)
      AND NOT EXISTS (SELECT FROM checked
                      WHERE (checked.meter, checked.period) = (reading.meter_id, reading.period))
), near AS (
    SELECT line, meter, value,
           lag(period) OVER meter_months AS previous_period,
           lag(value) OVER meter_months AS previous_value,
           lead(period) OVER meter_months AS next_period,
           lead(value) OVER meter_months AS next_value
    FROM marks WINDOW meter_months AS (PARTITION BY meter ORDER BY period)
)
SELECT near.line, meter.digits, near.value, previous_period, previous_value, next_period,
       next_value
FROM near JOIN {Meter._meta.db_table} AS meter ON meter.id = near.meter
WHERE near.line IS NOT NULL
  AND (near.value >= 10::numeric ^ meter.digits
       OR near.value < previous_value OR near.value > next_value)
ORDER BY near.line
"""


def _value_errors(errors: _Errors) -> None:
    """Each value against the meter's actual readings before and after its month, those of
    the file replacing the stored ones (``imports._value_problems``); SQL finds the values
    out of range, ``value_problem`` says which are wrong (a dial that went round is not)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(NEIGHBOURS, [list(ACTUAL_SOURCES)])
        while chunk := cursor.fetchmany(NEIGHBOURS_CHUNK):
            for line, digits, value, *near in chunk:
                previous_period, previous_value, next_period, next_value = near
                previous = previous_period and imports.Mark(previous_period, previous_value)
                following = next_period and imports.Mark(next_period, next_value)
                if problem := value_problem(Meter(digits=digits), value, previous, following):
                    errors.add(RowError(line, problem))


def _write(cursor, user, result: imports.ImportResult) -> None:
    """The readings of the checked rows, inserted or replacing the month's reading; a row
    equal to the stored reading (value and date) changes nothing. The counts come first,
    from the rows joined to the readings as they were."""
    readings = Reading._meta.db_table
    cursor.execute(
        "SELECT count(*) FILTER (WHERE reading.id IS NULL),"
        " count(*) FILTER (WHERE (reading.value, reading.taken_on) = (row.value, row.taken_on)),"
        f" count(*) FROM {TABLE} AS row LEFT JOIN {readings} AS reading"
        " ON (reading.meter_id, reading.period) = (row.meter, row.period)"
    )
    result.created, result.unchanged, total = cursor.fetchone()
    result.changed = total - result.created - result.unchanged
    cursor.execute(
        f"INSERT INTO {readings} AS reading"
        " (meter_id, period, value, taken_on, source, submitted_by_id, created_at)"
        f" SELECT meter, period, value, taken_on, %s, %s, %s FROM {TABLE}"
        " ON CONFLICT (meter_id, period) DO UPDATE SET value = excluded.value,"
        " taken_on = excluded.taken_on, source = excluded.source,"
        " submitted_by_id = excluded.submitted_by_id, created_at = excluded.created_at"
        " WHERE (reading.value, reading.taken_on)"
        " IS DISTINCT FROM (excluded.value, excluded.taken_on)",
        [ReadingSource.IMPORT, user.pk if user else None, timezone.now()],
    )
