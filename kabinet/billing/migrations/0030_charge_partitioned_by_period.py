"""On PostgreSQL, ``billing_charge`` becomes a table partitioned by period, a partition per
period (``billing.partitions`` explains why, and how a run switches a month's partition in; a
period created later gets its own then). The table's
columns, constraint and index names stay; its primary key becomes (id, period) — PostgreSQL
requires the partition key in it — and ``id`` is drawn from a sequence owned by the column
(PostgreSQL 15 has no identity columns on a partitioned table). SQLite keeps one table.

The lines are moved with one INSERT … SELECT: on a large table that is the migration's cost,
once. Irreversible: going back would need the lines moved again, into a table of the old
shape; restore a backup instead."""

from django.db import migrations

TABLE = "billing_charge"
OLD = "billing_charge_unpartitioned"


def partition_charges(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
            [TABLE],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [TABLE, TABLE],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT greatest((SELECT max(id) FROM billing_charge), "
            "(SELECT last_value FROM pg_sequences WHERE sequencename = "
            "(SELECT split_part(pg_get_serial_sequence(%s, 'id'), '.', 2))))",
            [TABLE],
        )
        last_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM billing_period UNION SELECT DISTINCT period_id FROM billing_charge "
            "ORDER BY 1"
        )
        periods = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER TABLE {OLD} ALTER COLUMN id DROP IDENTITY")
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING STORAGE "
            "INCLUDING COMPRESSION) PARTITION BY LIST (period_id)"
        )
        for period in periods:
            cursor.execute(
                f"CREATE TABLE {TABLE}_p{period:d} PARTITION OF {TABLE} FOR VALUES IN ({period:d})"
            )
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
        cursor.execute(f"DROP TABLE {OLD}")
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
        if last_id:
            cursor.execute(f"SELECT setval('{TABLE}_id_seq', %s)", [last_id])
        cursor.execute(
            f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')"
        )
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, period_id)")
        for name, definition, _ in constraints:
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            cursor.execute(definition)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0029_charge_service_without_index"),
    ]

    operations = [
        migrations.RunPython(partition_charges, elidable=False),
    ]
