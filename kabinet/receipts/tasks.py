"""Background work of receipts (``django.tasks``): the e-receipts mailing of a closed period.
Starting it creates its job (subject: the period) and queues the task; the mailing itself is
``services.mail_period_receipts``."""

from django.tasks import task

from kabinet.billing.models import Period
from kabinet.formats import month_name
from kabinet.jobs.models import Job, JobKind
from kabinet.jobs.services import create_job, fail_job, last_job
from kabinet.receipts.services import mail_period_receipts


def mail_receipts_when_period_closes(sender, period, **kwargs):
    """``billing.signals.period_closed`` receiver."""
    start_receipt_mailing(period)


def start_receipt_mailing(period: Period, user=None) -> Job:
    """Queue the mailing of ``period``'s receipts; the job shows its progress to staff."""
    if not period.is_closed:
        raise ValueError("Receipts are mailed for a closed period.")
    job = create_job(
        period.organization,
        JobKind.RECEIPTS_MAILING,
        f"Рассылка квитанций за {month_name(period.month)}",
        user,
        subject=period,
    )
    mail_receipts.enqueue(period.pk, job.pk)
    return job


def last_receipt_mailing(period: Period) -> Job | None:
    """The latest mailing of ``period``'s receipts, whatever its outcome."""
    return last_job(period, JobKind.RECEIPTS_MAILING)


@task
def mail_receipts(period_id: int, job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    try:
        mail_period_receipts(Period.objects.get(pk=period_id), job)
    except Exception as error:  # staff see that the job stopped; the task backend logs why
        fail_job(job, f"Рассылка прервана: {error}")
        raise
