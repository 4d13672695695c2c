"""Background work of billing (``django.tasks``): the task bodies and the ``enqueue_*``
functions that queue them once the transaction commits. Arguments are ids, read again here;
each task reports to its job (started by ``billing.jobs``)."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task

from kabinet.billing import imports
from kabinet.billing.lines import BillingError
from kabinet.billing.models import Period
from kabinet.billing.run import run_billing
from kabinet.formats import format_money, month_name
from kabinet.jobs.models import Job
from kabinet.jobs.services import (
    MAX_PROBLEMS,
    fail_job_with_rows,
    finish_job,
    job_failure,
    report_progress,
    start_job,
)
from kabinet.money import ZERO
from kabinet.tabular import TableError

PERIOD_KEY = "Период"  # a result's first line, as the job page shows it


def period_result(period: Period, **figures) -> dict:
    """A billing job's result: its period, then the figures (shown to staff as they are)."""
    return {PERIOD_KEY: month_name(period.month), **figures}


def enqueue_billing_run(job: Job, period: Period, ip: str | None) -> None:
    transaction.on_commit(lambda: run_billing_job.enqueue(job.pk, period.pk, ip))


def enqueue_charges_import(job: Job, period: Period, path: str, ip: str | None) -> None:
    transaction.on_commit(lambda: import_charges_job.enqueue(job.pk, period.pk, path, ip))


def _report(job: Job, done: int, total: int) -> None:
    job.total = total  # the run counts the accounts once it has read them
    report_progress(job, done)


@task
def run_billing_job(job_id: int, period_id: int, ip: str | None = None) -> None:
    """Run ``period_id``'s billing; the job shows the progress by accounts, then the figures
    and the run's remarks (services without a tariff, no key rate, …). The audit log names
    the job's author and ``ip``, the address they started it from."""
    job = Job.objects.get(pk=job_id)
    period = Period.objects.select_related("organization").get(pk=period_id)
    start_job(job, total=0)
    with job_failure(
        job,
        "Внутренняя ошибка: расчёт не выполнен, начисления периода остались прежними. "
        "Сообщите администратору.",
        expected=BillingError,
        prefix="Расчёт не выполнен: ",
    ):
        calculation = run_billing(
            period,
            progress=lambda done, total: _report(job, done, total),
            user=job.created_by,
            ip=ip,
        )
        lines = calculation.lines.values()
        charged = sum((line.charged for line in lines), ZERO)
        recalculation = sum((line.recalculation for line in lines), ZERO)
        job.problems = calculation.problems[:MAX_PROBLEMS]
        finish_job(
            job,
            period_result(
                period,
                **{
                    "Лицевых счетов": calculation.accounts,
                    "Строк начислений": len(calculation.lines),
                    "Начислено, ₽": format_money(charged),
                    "Перерасчёты, ₽": format_money(recalculation),
                    "Итого начислено, ₽": format_money(charged + recalculation),
                    "Замечаний": len(calculation.problems),
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
