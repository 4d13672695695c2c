"""A billing run shared by the task workers: ``start_run`` plans the parts (whole houses,
``billed.plan_parts``), each worker computes a part (``compute_part``) and keeps its lines —
on PostgreSQL its charge lines copied into the run's stage (``billing.partitions``), its penalty
lines and figures in the part's row — and the worker that computes the last part writes the run
in one transaction (``write_run``: the stage switched in as the period's charge lines), as
``run.run_billing`` writes its own: the period's lines change all at once or not at all, and a
failed or replaced run leaves them as they were.

The parts read the database in transactions of their own, each at its own moment, where
``run_billing`` reads it in one; a payment or reading recorded while a run is computing reaches
the parts computed after it (as it would reach a run started a moment later)."""

from django.db import connection, transaction

from kabinet.billing.billed import plan_parts
from kabinet.billing.bulk import insert_period_rows, without_cycle_collection
from kabinet.billing.lines import RunSummary
from kabinet.billing.models import BillingRun, BillingRunPart, HouseFigures, RunStatus
from kabinet.billing.partitions import create_stage, drop_stage, partitioned, run_stage
from kabinet.billing.run import calculate, charged_in, finish_run, locked_open
from kabinet.billing.writing import (
    finish_lines,
    stage_lines,
    staged_lines,
    start_lines,
    write_staged,
)
from kabinet.jobs.models import Job, JobStatus
from kabinet.jobs.services import fail_job

REPLACED = "Расчёт прерван: начат новый расчёт этого периода."
CLOSED = "Расчёт прерван: период закрыт, его начисления не изменились."

# A house's figures as a part keeps them (``_figures_row``) and the run writes them.
FIGURES = [
    field.attname
    for field in HouseFigures._meta.concrete_fields
    if field.attname not in ("id", "period_id")
]


def start_run(period, job=None) -> BillingRun:
    """A new run of ``period`` with its parts planned, shown by ``job``; an earlier run of the
    period that has not finished is dropped (its job fails, its parts stop when they find it
    gone)."""
    with transaction.atomic():
        period = locked_open(period)
        # the same job's task again, after a lost worker, is not replaced
        drop_runs(period, REPLACED, keeping_job=job)
        parts = plan_parts(period)
        run = BillingRun.objects.create(
            period=period, job=job, parts=len(parts), accounts=sum(p.accounts for p in parts)
        )
        BillingRunPart.objects.bulk_create(
            BillingRunPart(run=run, number=number, houses=part.houses, accounts=part.accounts)
            for number, part in enumerate(parts, start=1)
        )
        if partitioned():
            create_stage(run_stage(run.pk), period.pk)
    return run


def drop_runs(period, reason: str, *, keeping_job=None) -> None:
    """``period``'s runs dropped with the lines their parts kept (a newer run replaces them, the
    closing of the period ends them); the job of one still running fails with ``reason``, and
    its parts still computing stop when they find it gone. Called with the period locked."""
    runs = BillingRun.objects.filter(period=period)
    stopped = Job.objects.filter(pk__in=runs.values("job"), status=JobStatus.RUNNING)
    if keeping_job is not None:
        stopped = stopped.exclude(pk=keeping_job.pk)
    for job in stopped:
        fail_job(job, reason)
    stages = [run_stage(pk) for pk in runs.values_list("pk", flat=True)]
    runs.delete()  # waits for the parts copying into their stages (``compute_part``)
    if partitioned():
        for stage in stages:
            drop_stage(stage)


def compute_part(part_id: int) -> BillingRunPart | None:
    """Compute the part and keep its lines; the part, or None when its run is gone (replaced
    by a newer one) or no longer running, or the part was computed already (a task run
    again after its worker was lost)."""
    part = (
        BillingRunPart.objects.select_related("run__period__organization")
        .filter(pk=part_id, done=False, run__status=RunStatus.RUNNING)
        .first()
    )
    if part is None:
        return None
    # The cyclic collector stays paused until the part's lines are freed, as ``_keep``
    # returns: resumed with them alive, its first collection went through all of them, a
    # tenth of a part's Python (bench/README.md «3.12.2026 (evening)»).
    with without_cycle_collection():
        return _keep(part, calculate(part.run.period, houses=part.houses))


def _keep(part: BillingRunPart, result) -> BillingRunPart | None:
    """``compute_part``'s computed part kept: its lines copied into the run's stage (PostgreSQL)
    or kept as text, its figures in its row, the run's count of parts done raised."""
    period = part.run.period
    charges, penalties = staged_lines(period.pk, result, charges=not partitioned())
    summary = RunSummary()
    summary.add(result)
    stored = summary.as_stored()
    stored["house_figures"] = [_figures_row(figures) for figures in result.house_figures]
    with transaction.atomic():
        if partitioned():
            # Not waited for on disk: a part lost in a crash is not done and is computed
            # again, and every later commit (the task's, the run's write) flushes it first.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # The run's row is held as the part's lines are copied, for a key share only: the
        # parts copy at once, their run cannot be deleted (its stage dropped) under them, and
        # the count below takes the row only for an update of its other columns.
        if _status_held(part.run_id) != RunStatus.RUNNING:
            return None
        kept = BillingRunPart.objects.filter(pk=part.pk, done=False).update(
            done=True, charges=charges, penalties=penalties, summary=stored
        )
        if not kept:
            return None
        if partitioned():
            stage_lines(period.pk, run_stage(part.run_id), result)
        run = BillingRun.objects.select_for_update(no_key=True).get(pk=part.run_id)
        if run.status != RunStatus.RUNNING:
            transaction.set_rollback(True)
            return None
        run.parts_done += 1
        run.save(update_fields=["parts_done"])
    part.run = run
    return part


def _status_held(run_id: int) -> str | None:
    """The run's status, its row held for a key share until the transaction ends (PostgreSQL:
    Django's ``select_for_update`` has no such strength)."""
    runs = BillingRun.objects.filter(pk=run_id).values_list("status", flat=True)
    if connection.vendor != "postgresql":
        return runs.first()
    sql, params = runs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR KEY SHARE", params)
        row = cursor.fetchone()
    return row and row[0]


def running_run(run_id: int | None) -> BillingRun | None:
    """The run, while it is running."""
    return BillingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).first()


def write_run(run: BillingRun, *, user=None, ip=None) -> RunSummary | None:
    """Write the lines of every part of ``run`` as the period's, in one transaction; None when
    the run was replaced meanwhile or is not complete. ``BillingError`` when the period was
    closed meanwhile."""
    with without_cycle_collection(), transaction.atomic():
        period = locked_open(run.period)
        run = BillingRun.objects.select_for_update().filter(pk=run.pk).first()
        if run is None or run.status != RunStatus.RUNNING or run.parts_done < run.parts:
            return None
        before = charged_in(period)
        start_lines(period)
        parts = run.part_rows.order_by("number")
        write_staged(
            period,
            parts.values_list("charges", flat=True).iterator(chunk_size=1),
            parts.values_list("penalties", flat=True).iterator(chunk_size=1),
        )
        summary = RunSummary()
        figures = []
        for stored in parts.values_list("summary", flat=True).iterator(chunk_size=100):
            summary.add_stored(stored)
            figures.extend(
                (period.pk, *(row[name] for name in FIGURES)) for row in stored["house_figures"]
            )
        # as rows, not model instances: some 10 000 houses at 1 000 000 accounts
        insert_period_rows(period, HouseFigures, ["period", *FIGURES], figures)
        finish_run(period, summary, before, user=user, ip=ip)
        run.status = RunStatus.DONE
        run.save(update_fields=["status"])
        run.part_rows.all().delete()  # the lines are the period's now
        if partitioned():  # last: it locks the lines of every period until the commit
            finish_lines(period, run_stage(run.pk))
    return summary


def fail_run(run_id: int) -> None:
    """A part failed: the run stops (its other parts skip their work) and its kept lines go."""
    BillingRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED)
    BillingRunPart.objects.filter(run=run_id).delete()
    if partitioned():
        drop_stage(run_stage(run_id))


def _figures_row(figures: HouseFigures) -> dict:
    """A house's figures as JSON (values as text: decimals exact)."""
    return {name: _json_value(getattr(figures, name)) for name in FIGURES}


def _json_value(value):
    return str(value) if value is not None and not isinstance(value, bool | int | str) else value
