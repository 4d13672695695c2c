"""A period's charge lines as a partition of their own (PostgreSQL; billing 0030 partitions
``billing_charge`` by period, SQLite keeps one table).

A run replaces all of a period's lines. Replacing them row by row in one table costs the
server twice what writing them into a table of their own does: every new line meets its deleted
twin in the unique index, and the account's key is checked by a trigger per line at the commit
(bench/README.md «what each index of a line costs»: 7.6 s against 2.7 s of server CPU per
100 000 accounts). So a run copies its lines into a *stage* — a bare table shaped like
``billing_charge``, with no index and no key, checked to hold only its period — and, at its end,
builds the stage's indexes, validates the account's key in one query and switches the stage in
as the period's partition in place of the old one, in the run's transaction: the period's lines
change all at once or not at all. The parts of a run shared by the task workers copy into the
run's stage each in its own transaction as it is computed, so the copying is spread over the run
instead of waiting at its end (``billing.parts``).

Every period has its partition from its creation (``ensure_partition``, on the period's
``post_save``), so the lines written outside a run — imports, a recalculation's new line, tests
and fixtures — have a place, and there is no default partition for an attach to scan. A
partition is created bare and attached, which takes a lock that lets pages read and write on,
not ``CREATE TABLE … PARTITION OF``'s exclusive one. The switch does take an ACCESS EXCLUSIVE lock
on ``billing_charge`` until the run commits (dropping the old partition needs it; pages reading
charges wait): the run takes it last, waits for it at most ``LOCK_WAIT`` at a time so that a long
read never queues the portal behind the run, and tries again."""

import time

from django.db import OperationalError, connection, connections, transaction

from kabinet.billing.lines import BillingError
from kabinet.billing.models import Charge
from kabinet.bulk import copy_lines

TABLE = Charge._meta.db_table
LOCK_WAIT = "1s"  # each attempt at the switch's lock
LOCK_ATTEMPTS = 60
LOCK_PAUSE = 0.5  # seconds between two attempts: the readers that queued behind one go first
BUSY = (
    "Начисления периода не заменены: их слишком долго читали другие запросы. "
    "Запустите расчёт ещё раз."
)


def partitioned() -> bool:
    """Whether the charge lines are partitioned by period (PostgreSQL)."""
    return connection.vendor == "postgresql"


def period_table(period_id: int) -> str:
    return f"{TABLE}_p{period_id:d}"


def run_stage(run_id: int) -> str:
    """The stage of a run shared by the task workers (``billing.parts``)."""
    return f"{TABLE}_run{run_id:d}"


def own_stage(period_id: int) -> str:
    """The stage of a run in one process and one transaction (``billing.run``): the period is
    locked for it, so one at a time."""
    return f"{TABLE}_next{period_id:d}"


def ensure_partition(period_id: int, using: str = "default") -> None:
    """``period_id``'s partition, empty, unless it has one."""
    name = period_table(period_id)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return
        cursor.execute(_bare_table(name, period_id))
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES IN ({period_id:d})")


def period_saved(sender, instance, created, using, **kwargs) -> None:
    if created and connections[using].vendor == "postgresql":
        ensure_partition(instance.pk, using)


def period_deleted(sender, instance, using, **kwargs) -> None:
    """The partition of a deleted period (empty: its lines keep a period from deletion)."""
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {period_table(instance.pk)}")


def drop_orphans(sender, using, **kwargs) -> None:
    """The partitions of periods that are gone without their ``post_delete`` (a flush's
    TRUNCATE, as transactional tests end; a period deleted by hand), dropped after every
    ``migrate`` and flush: each partition left would be one more for every TRUNCATE and query
    plan of ``billing_charge``."""
    connection = connections[using]
    if connection.vendor != "postgresql" or TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass AND NOT EXISTS (SELECT 1 FROM billing_period p "
            "WHERE c.relname = %s || p.id)",
            [TABLE, f"{TABLE}_p"],
        )
        orphans = [name for (name,) in cursor.fetchall()]
        if orphans:
            cursor.execute(f"DROP TABLE {', '.join(orphans)}")


def _bare_table(name: str, period_id: int) -> str:
    """A table of ``billing_charge``'s columns and defaults (its ``id`` drawn from the table's
    sequence), the period checked (which spares the attach a scan of its lines), nothing else."""
    return (
        f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING STORAGE "
        f"INCLUDING COMPRESSION, CONSTRAINT {name}_period CHECK (period_id = {period_id:d}))"
    )


def create_stage(stage: str, period_id: int) -> None:
    """An empty stage for ``period_id``'s lines (``_bare_table``)."""
    drop_stage(stage)
    with connection.cursor() as cursor:
        cursor.execute(_bare_table(stage, period_id))


def copy_to_stage(stage: str, columns: list[str], lines) -> int:
    """COPY ``lines`` (COPY's text, ``columns`` in their order) into the stage."""
    with connection.cursor() as cursor:
        return copy_lines(cursor, stage, ", ".join(columns), lines)


def drop_stage(stage: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")


def switch_in(stage: str, period_id: int) -> None:
    """The stage made ``period_id``'s partition in place of its lines, in the caller's
    transaction (which holds the period locked). The indexes and the account's key are built
    on the stage first, as the partitioned table's own (so the attach builds nothing); then
    the table's lock is taken, the old lines dropped and the stage attached."""
    assert connection.in_atomic_block
    partition = period_table(period_id)
    keys = _stage_keys(stage)
    with connection.cursor() as cursor:
        for _, statement in keys:
            cursor.execute(statement)
        cursor.execute(f"ANALYZE {stage}")
        _lock_table(cursor)
        # A line written into the old partition earlier in this transaction (a test's) has its
        # deferred key check pending, which a table cannot be dropped with: checked now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"DROP TABLE IF EXISTS {partition}")
        cursor.execute(f"ALTER TABLE {stage} RENAME TO {partition}")
        for index, _ in keys:  # named as the partition, for the next stage's names
            if index:
                cursor.execute(f"ALTER INDEX {stage}_{index} RENAME TO {partition}_{index}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {partition} FOR VALUES IN ({period_id:d})"
        )


def _stage_keys(stage: str) -> list[tuple[str | None, str]]:
    """The statements giving the stage the partitioned table's primary key, unique constraint,
    index and foreign key (Charge's Meta; billing 0030), the key validated in one query — an
    anti-join — instead of a trigger per line; each with the suffix of the index it names
    (``{stage}_{suffix}``), if any. Attaching matches them by their definitions, not their
    names (tests/test_charge_partitions.py holds that it builds nothing more)."""
    meta = Charge._meta
    keys = [
        ("pkey", f"ALTER TABLE {stage} ADD CONSTRAINT {stage}_pkey PRIMARY KEY (id, period_id)")
    ]
    for number, constraint in enumerate(meta.constraints):
        columns = ", ".join(meta.get_field(name).column for name in constraint.fields)
        keys.append(
            (
                f"unique{number}",
                f"ALTER TABLE {stage} ADD CONSTRAINT {stage}_unique{number} UNIQUE ({columns})",
            )
        )
    for number, index in enumerate(meta.indexes):
        columns = ", ".join(meta.get_field(name).column for name in index.fields)
        keys.append(
            (f"index{number}", f"CREATE INDEX {stage}_index{number} ON {stage} ({columns})")
        )
    for field in meta.concrete_fields:
        if field.is_relation and field.db_constraint:
            target = field.related_model._meta
            key = f"{stage}_{field.column}_fk"
            keys += [
                (
                    None,
                    f"ALTER TABLE {stage} ADD CONSTRAINT {key} FOREIGN KEY ({field.column}) "
                    f"REFERENCES {target.db_table} ({target.pk.column}) "
                    "DEFERRABLE INITIALLY DEFERRED NOT VALID",
                ),
                (None, f"ALTER TABLE {stage} VALIDATE CONSTRAINT {key}"),
            ]
    return keys


def _lock_table(cursor) -> None:
    """``billing_charge`` locked for the switch, waiting at most ``LOCK_WAIT`` at a time:
    while a run waits for the lock, every new reader of charges queues behind it."""
    for _ in range(LOCK_ATTEMPTS):
        try:
            with transaction.atomic():
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        except OperationalError:  # the wait timed out: the attempt's savepoint rolled back
            time.sleep(LOCK_PAUSE)
            continue
        cursor.execute("SET LOCAL lock_timeout = DEFAULT")
        return
    raise BillingError(BUSY)
