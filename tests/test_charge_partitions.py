"""The charge lines partitioned by period (PostgreSQL, ``billing.partitions``): a run, in one
process or shared by the workers, switches its stage in as the period's partition — indexes and
key its own, attached as the table's, nothing built again —, replaces the lines other writers
put in the period's partition (which every period has from its creation), leaves no stage
behind when it is replaced or fails, and waits for the table's lock a bounded time, never behind
a long read for good."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from kabinet.billing import billed, partitions
from kabinet.billing.lines import BillingError
from kabinet.billing.models import BillingRun, Charge, ChargeBasis, PeriodStatus, RunStatus
from kabinet.billing.parts import compute_part, fail_run, start_run, write_run
from kabinet.billing.run import run_billing
from tests import test_billing_parts
from tests.concurrency import in_another_connection
from tests.factories import PeriodFactory
from tests.test_billing_parts import lines_of

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite keeps the lines in one table"
)
world = test_billing_parts.world  # the bench's organisation at 300 accounts, a month open


def tables_like(pattern: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s AND relkind IN "
                       "('r', 'p')", [pattern])  # fmt: skip
        return {name for (name,) in cursor.fetchall()}


def partition_of(period_id: int) -> str | None:
    """The partition that holds ``period_id``'s lines, as PostgreSQL routes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'billing_charge'::regclass "
            "AND pg_get_expr(c.relpartbound, c.oid) = %s",
            [f"FOR VALUES IN ('{period_id}')"],
        )
        row = cursor.fetchone()
    return row and row[0]


def keys_of(table: str) -> tuple[list, list]:
    """The table's indexes, each with whether it is attached to one of the parent's, and its
    foreign keys, each with whether it is the parent's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) "
            "FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass ORDER BY 1",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, conparentid <> 0 FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return indexes, cursor.fetchall()


def parent_indexes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'billing_charge'::regclass")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_run_switches_in_its_partition_with_the_table_s_own_keys(world):
    run_billing(world)
    partition = partition_of(world.pk)
    assert partition == f"billing_charge_p{world.pk}"
    indexes, keys = keys_of(partition)
    assert len(indexes) == parent_indexes() == 2
    assert all(attached for _, attached in indexes)  # the stage's: the attach built none
    assert {name for name, _ in indexes} == {f"{partition}_pkey", f"{partition}_unique0"}
    assert keys == [(f"billing_charge_next{world.pk}_account_id_fk", True)]
    assert Charge.objects.filter(period=world).count() > 2000
    assert not tables_like("billing_charge_next%")

    lines = lines_of(world)
    run_billing(world)  # again: the partition replaced by a new one, the same lines
    assert partition_of(world.pk) == partition
    assert lines_of(world) == lines


@pytest.mark.django_db
def test_a_period_has_its_partition_from_its_creation_to_its_deletion(world):
    """Lines written outside a run (an import, a recalculation's line) have their place before
    any run, and the run replaces them; a new line gets an id of the table's sequence."""
    assert partition_of(world.pk) == f"billing_charge_p{world.pk}"
    assert keys_of(partition_of(world.pk))[1] != []  # attached: the table's keys are its own
    earlier = Charge.objects.filter(period__organization=world.organization).first()
    stray = Charge.objects.create(
        period=world, account=earlier.account, service=earlier.service, tariff=1, volume=1,
        basis=ChargeBasis.IMPORT, charged=1,
    )  # fmt: skip
    assert stray.pk > earlier.pk
    run_billing(world)
    assert not Charge.objects.filter(pk=stray.pk).exists()
    assert Charge.objects.filter(period=world).count() > 2000

    later = PeriodFactory(organization=world.organization, month=datetime.date(2027, 1, 1),
                          status=PeriodStatus.OPEN)  # fmt: skip
    assert partition_of(later.pk) == f"billing_charge_p{later.pk}"
    later.delete()
    assert not tables_like(f"billing_charge_p{later.pk}")


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(billed, "PART_ACCOUNTS", 100)


@pytest.mark.django_db
def test_the_workers_copy_into_the_run_s_stage_and_switch_it_in(world, small_parts):
    run_billing(world)
    reference = lines_of(world)
    run = start_run(world)
    stage = partitions.run_stage(run.pk)
    assert tables_like(stage) == {stage}
    for part in run.part_rows.order_by("number"):
        computed = compute_part(part.pk)
        assert computed.charges == ""  # the lines are in the stage, not in the part's row
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {stage}")
        assert cursor.fetchone()[0] == len(reference[0])
    write_run(BillingRun.objects.get(pk=run.pk))
    assert lines_of(world) == reference
    assert not tables_like(stage)
    indexes, keys = keys_of(partition_of(world.pk))
    assert all(attached for _, attached in indexes)
    assert len(indexes) == parent_indexes() == 2
    assert [attached for _, attached in keys] == [True]


@pytest.mark.django_db(transaction=True)
def test_a_stage_whose_index_cannot_be_built_changes_nothing(world, small_parts):
    """A key that the stage's lines break (here: a line twice) fails the write as the switch
    builds it: the period keeps its lines, and the run's failure drops the stage."""
    run_billing(world)
    reference = lines_of(world)
    run = start_run(world)
    for part in run.part_rows.order_by("number"):
        compute_part(part.pk)  # each committed, as a worker's part is
    stage = partitions.run_stage(run.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {stage} SELECT * FROM {stage} LIMIT 1")
    with pytest.raises(IntegrityError):
        write_run(BillingRun.objects.get(pk=run.pk))
    assert lines_of(world) == reference
    assert BillingRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    fail_run(run.pk)
    assert not tables_like("billing_charge_run%")


@pytest.mark.django_db
def test_a_replaced_or_failed_run_leaves_no_stage(world, small_parts):
    first = start_run(world)
    compute_part(first.part_rows.order_by("number").first().pk)
    second = start_run(world)  # replaces the first
    assert not tables_like(partitions.run_stage(first.pk))
    assert tables_like(partitions.run_stage(second.pk))
    fail_run(second.pk)
    assert not tables_like("billing_charge_run%")


@pytest.mark.django_db(transaction=True)
def test_the_switch_waits_for_a_long_read_a_bounded_time(world, monkeypatch):
    """A reader holding the lines (a long report) makes the run retry its lock; the run gives
    up with a clear error after its attempts and leaves the lines as they were, and succeeds
    once the reader is done."""
    run_billing(world)
    before = lines_of(world)
    monkeypatch.setattr(partitions, "LOCK_WAIT", "50ms")
    monkeypatch.setattr(partitions, "LOCK_PAUSE", 0.01)
    monkeypatch.setattr(partitions, "LOCK_ATTEMPTS", 3)
    release = _reader_holding_the_lines()
    try:
        with pytest.raises(BillingError, match="слишком долго читали"):
            run_billing(world)
        assert not tables_like(partitions.own_stage(world.pk))
    finally:
        release()
    assert lines_of(world) == before
    run_billing(world)
    assert lines_of(world) == before


def _reader_holding_the_lines():
    """Another connection reading ``billing_charge`` in a transaction left open; returns a
    function that ends it."""
    import threading

    started, done = threading.Event(), threading.Event()

    def read():
        with transaction.atomic():
            list(Charge.objects.values_list("pk")[:1])
            started.set()
            done.wait(30)

    thread, _ = in_another_connection(read)
    started.wait(30)

    def release():
        done.set()
        thread.join()

    return release


@pytest.mark.django_db
def test_the_partition_of_a_period_gone_without_its_signal_is_dropped_after_a_flush(world):
    """A flush truncates the periods (as transactional tests end) and sends ``post_migrate``:
    the partitions left are dropped, or every later TRUNCATE and plan would have more."""
    later = PeriodFactory(organization=world.organization, month=datetime.date(2027, 1, 1),
                          status=PeriodStatus.OPEN)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_period WHERE id = %s", [later.pk])
    assert tables_like(f"billing_charge_p{later.pk}")
    partitions.drop_orphans(sender=None, using="default")
    assert not tables_like(f"billing_charge_p{later.pk}")
    assert partition_of(world.pk) == f"billing_charge_p{world.pk}"
