"""Background work of the exchange with ГИС ЖКХ (``django.tasks``): the task body and the
``enqueue_*`` function that queues it. Arguments are ids, read again here."""

from django.db import transaction
from django.tasks import task

from kabinet.gisgkh.exchange import PostingError, run_posting
from kabinet.jobs.models import Job
from kabinet.jobs.services import job_failure


def enqueue_posting(job: Job) -> None:
    transaction.on_commit(lambda: send_posting.enqueue(job.pk))


@task
def send_posting(job_id: int) -> None:
    """Send the posting that is the job's subject and follow it to its results."""
    job = Job.objects.get(pk=job_id)
    with job_failure(
        job,
        "Внутренняя ошибка обмена с ГИС ЖКХ. Сообщите администратору.",
        expected=PostingError,
    ):
        run_posting(job)
