"""Writing many rows at once: PostgreSQL's COPY, or one prepared INSERT run for every row.

The monthly run writes a line per account and service (900 000 rows for 100 000 accounts);
``bulk_create`` builds a model object per row and is several times slower for that."""

import datetime

from django.db import connection

from kabinet.billing.models import Period, refuse_closed

BATCH = 5000


def _plain(value):
    # SQLite's driver no longer adapts dates by itself.
    return value.isoformat() if isinstance(value, datetime.date) else value


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value as COPY's text format writes it (formatting here is several times faster than
    psycopg adapting every value of every row)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def insert_period_rows(period, model, fields: list[str], rows) -> int:
    """``insert_rows`` for the rows of ``period`` (charges, penalties, balances). These writes
    pass by the models' refusal to change a closed period, so the period's state is asserted
    here, in the database (the callers hold the period's row locked)."""
    refuse_closed(Period.objects.filter(pk=period.pk))
    return insert_rows(model, fields, rows)


def insert_rows(model, fields: list[str], rows) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                chunk = []
                for row in rows:
                    chunk.append("\t".join(map(_copy_text, row)))
                    if len(chunk) == BATCH:
                        copy.write("\n".join(chunk) + "\n")
                        count, chunk = count + len(chunk), []
                if chunk:
                    copy.write("\n".join(chunk) + "\n")
                    count += len(chunk)
            return count
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        batch = []
        for row in rows:
            batch.append(tuple(_plain(value) for value in row))
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
