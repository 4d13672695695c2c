"""Writing many rows at once: PostgreSQL's COPY, or one prepared INSERT run for every row
(SQLite's ``executemany``). The one bulk writer of the billing run, closing, charge imports and
bank registries.

The monthly run writes a line per account and service (900 000 rows for 100 000 accounts), a
registry up to 100 000 payments; ``bulk_create`` builds a model object per row and is several
times slower for that (``bench/bench_billing.py``, ``bench/bench_registry.py``)."""

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

BATCH = 5000

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# What COPY's text format escapes: a text is searched for it first (a C-speed scan) and
# translated only when it has some — ``translate`` with this table goes character by character,
# and the billing run's JSON columns (``Charge.inputs``) are long texts that have none.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_text(value: str) -> str:
    """A text as COPY's text format writes it (for a caller's own ``copy_line``)."""
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _copy_line(row) -> str:
    """A row as a line of COPY's text format: ``\\N`` for NULL, text escaped, other values as
    ``str`` writes them (formatting here is several times faster than psycopg adapting every
    value of every row; one comprehension, not a function call per value: the billing run
    writes 14 values on each of its 900 000 lines at 100 000 accounts)."""
    return "\t".join(
        [
            "\\N"
            if value is None
            else (value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value)
            if isinstance(value, str)
            else str(value)
            for value in row
        ]
    )


def insert_rows(
    model,
    fields: list[str],
    rows: Iterable[Any],
    *,
    skip_existing: bool = False,
    progress: Callable[[int], None] | None = None,
    row: Callable[[Any], tuple] | None = None,
    copy_line: Callable[[Any], str] | None = None,
) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table; returns how
    many rows were sent. ``rows`` may be other objects when ``row`` makes each a tuple; a
    caller writing many rows of known types may pass ``copy_line``, which formats one as a line
    of COPY's text format itself (the billing run: ``_copy_line`` costs a type test and a call
    per value). With ``skip_existing`` a row that meets a unique constraint is skipped
    (``ON CONFLICT DO NOTHING``; PostgreSQL copies the rows into a temporary table first, so it
    must run inside a transaction). ``progress(count)`` is told the rows sent after each batch.
    Not through model instances: no ``save()``, no signals, no validation — the callers check
    what the models would."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            target = table
            if skip_existing:
                target = quote(f"bulk_{model._meta.db_table}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                    f"SELECT {columns} FROM {table} WITH NO DATA"
                )
            if copy_line is None:
                copy_line = _copy_line if row is None else lambda item: _copy_line(row(item))
            count = _copy(cursor, target, columns, map(copy_line, rows), progress)
            if skip_existing:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "
                    "ON CONFLICT DO NOTHING"
                )
                cursor.execute(f"DROP TABLE {target}")
            return count
        marks = ", ".join(["%s"] * len(fields))
        conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}){conflict}"
        if row is not None:
            rows = map(row, rows)
        return _batches(rows, lambda batch: cursor.executemany(sql, batch), progress)


def copy_lines(cursor, table: str, columns: str, lines: Iterable[str], progress=None) -> int:
    """COPY ``lines`` (each already a line of COPY's text format, ``copy_text``) into
    ``table``'s ``columns`` (PostgreSQL only: a table of the caller's own, e.g. temporary),
    a batch at a time as they come; returns how many there were."""
    return _copy(cursor, table, columns, lines, progress)


def rows_text(rows: Iterable[Any], *, row=None, copy_line=None) -> str:
    """``rows`` (as for ``insert_rows``, with its ``row`` and ``copy_line``) kept as one text
    for a later ``insert_texts`` by another process: COPY's text format on PostgreSQL (the
    insert then only streams it), a JSON list of rows elsewhere. The parts of a billing run
    are staged so (``billing.parts``)."""
    if connection.vendor == "postgresql":
        if copy_line is None:
            copy_line = _copy_line if row is None else lambda item: _copy_line(row(item))
        return "".join([f"{line}\n" for line in map(copy_line, rows)])
    if row is not None:
        rows = map(row, rows)
    return json.dumps(list(rows), cls=DjangoJSONEncoder)


def insert_texts(model, fields: list[str], texts: Iterable[str]) -> int:
    """Insert the rows of ``texts`` (each made by ``rows_text`` with the same ``fields``) into
    ``model``'s table; returns how many rows there were. A COPY per text: ``texts`` may be
    read from the database as they are written (a query cannot run inside a COPY)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for text in texts:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(text)
                count += text.count("\n")
            return count
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        for text in texts:
            count += _batches(json.loads(text), lambda batch: cursor.executemany(sql, batch), None)
    return count


def _copy(cursor, table: str, columns: str, formatted, progress) -> int:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        return _batches(
            formatted,
            lambda lines: copy.write("\n".join(lines) + "\n"),
            progress,
        )


def _batches(items, write, progress) -> int:
    """Hand ``items`` to ``write`` in lists of ``BATCH``; returns how many there were."""
    count, batch = 0, []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            write(batch)
            count, batch = count + len(batch), []
            if progress:
                progress(count)
    if batch:
        write(batch)
        count += len(batch)
        if progress:
            progress(count)
    return count
