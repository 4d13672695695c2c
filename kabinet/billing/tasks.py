"""Background work of billing (``django.tasks``): the task bodies and the ``enqueue_*``
functions that queue them once the transaction commits. Arguments are ids, read again here;
each task reports to its job (started by ``billing.jobs``)."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task

from kabinet.billing import imports, parts
from kabinet.billing.lines import BillingError
from kabinet.billing.models import BillingRunPart, Period
from kabinet.formats import format_money, month_name
from kabinet.jobs.models import Job, JobStatus
from kabinet.jobs.services import (
    MAX_PROBLEMS,
    add_progress,
    fail_job,
    fail_job_with_rows,
    finish_job,
    job_failure,
    report_progress,
    start_job,
)
from kabinet.tabular import TableError

PERIOD_KEY = "Период"  # a result's first line, as the job page shows it
RUN_FAILED = (
    "Внутренняя ошибка: расчёт не выполнен, начисления периода остались прежними. "
    "Сообщите администратору."
)
RUN_REFUSED = "Расчёт не выполнен: "


def period_result(period: Period, **figures) -> dict:
    """A billing job's result: its period, then the figures (shown to staff as they are)."""
    return {PERIOD_KEY: month_name(period.month), **figures}


def enqueue_billing_run(job: Job, period: Period, ip: str | None) -> None:
    transaction.on_commit(lambda: run_billing_job.enqueue(job.pk, period.pk, ip))


def enqueue_charges_import(job: Job, period: Period, path: str, ip: str | None) -> None:
    transaction.on_commit(lambda: import_charges_job.enqueue(job.pk, period.pk, path, ip))


@task
def run_billing_job(job_id: int, period_id: int, ip: str | None = None) -> None:
    """Run ``period_id``'s billing, shared by the workers: plan the parts and queue a task for
    each (``billing.parts``); the job shows the progress by accounts, then the figures and the
    run's remarks (services without a tariff, no key rate, …). The audit log names the job's
    author and ``ip``, the address they started it from."""
    job = Job.objects.get(pk=job_id)
    period = Period.objects.select_related("organization").get(pk=period_id)
    part_ids = []
    with job_failure(job, RUN_FAILED, expected=BillingError, prefix=RUN_REFUSED):
        run = parts.start_run(period, job)
        start_job(job, total=run.accounts, shared=True)
        part_ids = list(run.part_rows.order_by("number").values_list("pk", flat=True))
        if not part_ids:  # no accounts: the run writes that nothing is charged
            _write(job, run, ip)
    for part_id in part_ids:  # outside the block: each part's task fails the job itself
        run_billing_part.enqueue(job_id, part_id, ip)


@task
def run_billing_part(job_id: int, part_id: int, ip: str | None = None) -> None:
    """Compute a part of a run; the task that computes the last part writes the run."""
    job = Job.objects.get(pk=job_id)
    run_id = BillingRunPart.objects.filter(pk=part_id).values_list("run", flat=True).first()
    try:
        with job_failure(job, RUN_FAILED, expected=BillingError, prefix=RUN_REFUSED):
            part = parts.compute_part(part_id)
            if part is not None:
                add_progress(job, done=part.accounts)
                run = part.run
            else:  # computed already (its task again after a lost worker), or the run is gone
                run = parts.running_run(run_id)
            if run is not None and run.parts_done == run.parts:
                _write(job, run, ip)  # also when a lost worker cut the last part's write short
    finally:
        if job.status == JobStatus.FAILED and run_id is not None:
            parts.fail_run(run_id)


def _write(job: Job, run, ip) -> None:
    summary = parts.write_run(run, user=job.created_by, ip=ip)
    if summary is None:  # replaced by a newer run meanwhile
        fail_job(job, parts.REPLACED)
        return
    job.problems = summary.problems[:MAX_PROBLEMS]
    job.done = job.total  # every part is counted, a part whose worker was lost too
    finish_job(
        job,
        period_result(
            run.period,
            **{
                "Лицевых счетов": summary.accounts,
                "Строк начислений": summary.lines,
                "Начислено, ₽": format_money(summary.charged),
                "Перерасчёты, ₽": format_money(summary.recalculation),
                "Итого начислено, ₽": format_money(summary.total),
                "Замечаний": len(summary.problems),
            },
        ),
    )


@task
def import_charges_job(job_id: int, period_id: int, path: str, ip: str | None = None) -> None:
    """Import the file staff uploaded (kept in the default storage until this is done) as
    ``period_id``'s charges; the job shows the progress, then the figures or the bad rows."""
    job = Job.objects.get(pk=job_id)
    period = Period.objects.select_related("organization").get(pk=period_id)
    try:
        with job_failure(
            job,
            "Внутренняя ошибка: файл не загружен. Сообщите администратору.",
            expected=(TableError, BillingError),
            prefix="Файл не загружен: ",
        ):
            with default_storage.open(path, "rb") as file:
                table = imports.read_import(file.read())
            start_job(job, total=len(table))
            result = imports.import_charges(
                table,
                period,
                progress=lambda done, failed: report_progress(job, done, failed),
                user=job.created_by,
                ip=ip,
            )
            if result.errors:
                fail_job_with_rows(
                    job,
                    result.errors,
                    f"Файл не загружен: строк с ошибками — {len(result.errors)}. Исправьте их "
                    "и загрузите файл снова; начисления периода не изменились.",
                )
            else:
                finish_job(job, period_result(period, **result.summary()))
    finally:
        default_storage.delete(path)
