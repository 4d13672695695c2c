"""A billing run shared by the task workers: ``start_run`` plans the parts (whole houses,
``billed.plan_parts``), each worker computes a part (``compute_part``) and keeps its lines in the
part's row, and the worker that computes the last part writes all of them in one transaction
(``write_run``), as ``run.run_billing`` writes its own: the period's lines change all at once
or not at all, and a failed or replaced run leaves them as they were.

The parts read the database in transactions of their own, each at its own moment, where
``run_billing`` reads it in one; a payment or reading recorded while a run is computing reaches
the parts computed after it (as it would reach a run started a moment later)."""

from django.db import transaction

from kabinet.billing.billed import plan_parts
from kabinet.billing.bulk import without_cycle_collection
from kabinet.billing.lines import RunSummary
from kabinet.billing.models import BillingRun, BillingRunPart, HouseFigures, RunStatus
from kabinet.billing.run import calculate, charged_in, finish_run, locked_open
from kabinet.billing.writing import delete_lines, staged_lines, write_staged
from kabinet.jobs.models import Job, JobStatus
from kabinet.jobs.services import fail_job

REPLACED = "Расчёт прерван: начат новый расчёт этого периода."
CLOSED = "Расчёт прерван: период закрыт, его начисления не изменились."


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
    runs.delete()


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
    period = part.run.period
    with without_cycle_collection():
        result = calculate(period, houses=part.houses)
        charges, penalties = staged_lines(period.pk, result)
    summary = RunSummary()
    summary.add(result)
    stored = summary.as_stored()
    stored["house_figures"] = [_figures_row(figures) for figures in result.house_figures]
    with transaction.atomic():
        kept = BillingRunPart.objects.filter(pk=part.pk, done=False).update(
            done=True, charges=charges, penalties=penalties, summary=stored
        )
        run = BillingRun.objects.select_for_update().filter(pk=part.run_id).first()
        if not kept or run is None or run.status != RunStatus.RUNNING:
            transaction.set_rollback(True)
            return None
        run.parts_done += 1
        run.save(update_fields=["parts_done"])
    part.run = run
    return part


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
        delete_lines(period)
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
            figures.extend(HouseFigures(period=period, **row) for row in stored["house_figures"])
        HouseFigures.objects.bulk_create(figures)
        finish_run(period, summary, before, user=user, ip=ip)
        run.status = RunStatus.DONE
        run.save(update_fields=["status"])
        run.part_rows.all().delete()  # the lines are the period's now
    return summary


def fail_run(run_id: int) -> None:
    """A part failed: the run stops (its other parts skip their work) and its kept lines go."""
    BillingRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED)
    BillingRunPart.objects.filter(run=run_id).delete()


def _figures_row(figures: HouseFigures) -> dict:
    """A house's figures as JSON (values as text: decimals exact)."""
    return {
        field.attname: _json_value(getattr(figures, field.attname))
        for field in HouseFigures._meta.concrete_fields
        if field.attname not in ("id", "period_id")
    }


def _json_value(value):
    return str(value) if value is not None and not isinstance(value, bool | int | str) else value
