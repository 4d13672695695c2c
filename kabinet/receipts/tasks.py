"""Background work of receipts (``django.tasks``): when a period closes, the issue of its
payment documents (``issuing.issue_period_documents``), then the e-receipts mailing of the
issued files (``services``: a task plans it, a task per batch sends it, so that several
workers share a large mailing). Starting either creates its job (subject: the period) and
queues the task."""

from django.tasks import task

from kabinet.billing.models import Period
from kabinet.formats import month_name
from kabinet.jobs.models import Job, JobKind
from kabinet.jobs.services import create_job, fail_job, job_failure, last_job
from kabinet.receipts.issuing import issue_period_documents
from kabinet.receipts.services import plan_mailing, send_batch


def issue_documents_when_period_closes(sender, period, **kwargs):
    """``billing.signals.period_closed`` receiver: issue the documents, then mail them."""
    start_document_issue(period)


def start_document_issue(period: Period, user=None, *, then_mail: bool = True) -> Job:
    """Queue the issue of ``period``'s documents not issued yet (and, ``then_mail``, the
    mailing once they are); the job shows its progress to staff."""
    if not period.is_closed:
        raise ValueError("Documents are issued for a closed period.")
    job = create_job(
        period.organization,
        JobKind.DOCUMENTS_ISSUE,
        f"Выпуск платёжных документов за {month_name(period.month)}",
        user,
        subject=period,
    )
    issue_documents.enqueue(period.pk, job.pk, then_mail)
    return job


def last_document_issue(period: Period) -> Job | None:
    """The latest issue of ``period``'s documents, whatever its outcome."""
    return last_job(period, JobKind.DOCUMENTS_ISSUE)


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
def issue_documents(period_id: int, job_id: int, then_mail: bool = True) -> None:
    job = Job.objects.get(pk=job_id)
    period = Period.objects.get(pk=period_id)
    with job_failure(job, "Выпуск прерван внутренней ошибкой; выпущенное сохранено."):
        issue_period_documents(period, job)
    if then_mail:
        start_receipt_mailing(period)


@task
def mail_receipts(period_id: int, job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    try:
        batches = plan_mailing(Period.objects.get(pk=period_id), job)
    except Exception as error:  # staff see that the job stopped; the task backend logs why
        fail_job(job, f"Рассылка прервана: {error}")
        raise
    for first, last, size in batches:
        mail_receipts_batch.enqueue(period_id, job_id, first, last, size)


@task
def mail_receipts_batch(period_id: int, job_id: int, first: int, last: int, size: int) -> None:
    job = Job.objects.get(pk=job_id)
    try:
        send_batch(Period.objects.get(pk=period_id), job, (first, last, size))
    except Exception as error:  # what was sent is recorded; a mailing started again resumes
        fail_job(job, f"Рассылка прервана: {error}")
        raise
