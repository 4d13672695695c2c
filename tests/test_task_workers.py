"""A task worker killed mid-task (kabinet/jobs/workers.py): when it starts again under its id,
the tasks it had claimed go back to the queue and run to the end once; another worker's are
left alone; a task that was lost ``MAX_CLAIMS`` times is failed instead of taken again, and so
is the staff job it worked for.
tests/cluster/ kills a real worker during a billing run."""

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from kabinet.appeals.tasks import mail_news
from kabinet.billing.tasks import import_charges_job, run_billing_job
from kabinet.gisgkh.tasks import send_posting
from kabinet.jobs.models import JobKind, JobStatus
from kabinet.jobs.services import create_job, finish_job, start_job
from kabinet.jobs.workers import MAX_CLAIMS, WorkerLost, requeue_abandoned_tasks
from kabinet.metering.tasks import import_readings_file, send_reading_reminders
from kabinet.payments.tasks import import_registry
from kabinet.receipts.tasks import issue_documents, mail_receipts, mail_receipts_batch
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

THIS = "node1/kabinet-worker"
OTHER = "node2/kabinet-worker"


@pytest.fixture(autouse=True)
def db_tasks():
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        yield


def claimed(*worker_ids, result=None) -> DBTaskResult:
    """A queued task (``result``, a reminder by default) that ``worker_ids`` took in turn
    (the last still «running» it)."""
    if result is None:
        result = send_reading_reminders.enqueue(OrganizationFactory().pk, "2026-11-30")
    task = DBTaskResult.objects.get(pk=result.id)
    for worker_id in worker_ids:
        task.claim(worker_id)
    return task


def status(task) -> str:
    task.refresh_from_db()
    return task.status


def work(worker_id):
    """One worker process's life: take what is ready, run it, stop when the queue is empty.
    The worker closes the connection between tasks as in production, which a test's
    transaction does not survive: the tests that run it commit (``transaction=True``)."""
    call_command(
        "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--worker-id", worker_id
    )


def test_a_task_the_worker_left_running_goes_back_to_the_queue():
    mine, others, ready = claimed(THIS), claimed(OTHER), claimed()
    assert requeue_abandoned_tasks(THIS) == (1, 0)
    assert status(mine) == TaskResultStatus.READY
    assert status(others) == TaskResultStatus.RUNNING  # another host's worker, maybe at work
    assert status(ready) == TaskResultStatus.READY


def test_a_task_another_worker_took_over_is_not_this_workers():
    task = claimed(THIS, OTHER)  # requeued once, then taken by the other worker
    assert requeue_abandoned_tasks(THIS) == (0, 0)
    assert status(task) == TaskResultStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_the_requeued_task_runs_once_to_the_end():
    task = claimed(THIS)
    requeue_abandoned_tasks(THIS)
    work(THIS)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.worker_ids == [THIS, THIS]  # the lost run, then the one that finished
    assert task.return_value == 0  # the organisation has nobody to remind


@pytest.mark.django_db(transaction=True)
def test_a_task_lost_as_often_as_allowed_is_failed_and_not_taken_again():
    task = claimed(*[THIS] * MAX_CLAIMS)
    assert requeue_abandoned_tasks(THIS) == (0, 1)
    work(THIS)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == f"{WorkerLost.__module__}.WorkerLost"
    assert len(task.worker_ids) == MAX_CLAIMS


def test_the_command_the_worker_unit_runs_before_the_worker(capsys):
    task = claimed(THIS)
    call_command("requeue_worker_tasks", THIS)
    assert status(task) == TaskResultStatus.READY
    assert "возвращено в очередь — 1" in capsys.readouterr().out


def running_job(kind=JobKind.BILLING_RUN):
    job = create_job(OrganizationFactory(), kind, "Задание")
    start_job(job, total=10)
    return job


# Every task that works for a job, queued as its ``enqueue_*``/``start_*`` function queues it
# (the other arguments are never read: the task does not run).
QUEUED_WITH_JOB = {
    "billing run": lambda job: run_billing_job.enqueue(job.pk, 1, "127.0.0.1"),
    "charges import": lambda job: import_charges_job.enqueue(job.pk, 1, "f.csv", None),
    "readings import": lambda job: import_readings_file.enqueue(job.pk, "f.csv"),
    "documents issue": lambda job: issue_documents.enqueue(1, job.pk, True),
    "receipts mailing": lambda job: mail_receipts.enqueue(1, job.pk),
    "mailing batch": lambda job: mail_receipts_batch.enqueue(1, job.pk, 1, 500, 500),
    "news mailing": lambda job: mail_news.enqueue(1, job.pk),
    "ГИС ЖКХ posting": lambda job: send_posting.enqueue(job.pk),
    "payment registry": lambda job: import_registry.enqueue(1, None, job_id=job.pk),
}


@pytest.mark.parametrize("queue", QUEUED_WITH_JOB.values(), ids=QUEUED_WITH_JOB.keys())
def test_the_job_of_a_task_lost_as_often_as_allowed_fails_with_the_reason(queue):
    job = running_job()
    claimed(*[THIS] * MAX_CLAIMS, result=queue(job))
    assert requeue_abandoned_tasks(THIS) == (0, 1)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    assert job.problems[-1].startswith(
        f"Задача прервана: обработчик остановился {MAX_CLAIMS} раза, не закончив её"
    )


def test_the_job_of_a_requeued_task_keeps_running():
    job = running_job()
    task = claimed(THIS, result=run_billing_job.enqueue(job.pk, 1))
    assert requeue_abandoned_tasks(THIS) == (1, 0)
    assert status(task) == TaskResultStatus.READY
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.problems == []


def test_a_job_another_task_has_ended_stays_as_it_ended():
    """A mailing's batches share its job: one batch may have finished it already."""
    job = running_job(JobKind.RECEIPTS_MAILING)
    claimed(*[THIS] * MAX_CLAIMS, result=mail_receipts_batch.enqueue(1, job.pk, 1, 2, 2))
    finish_job(job, {"Отправлено": 10})
    requeue_abandoned_tasks(THIS)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.problems == []


def test_a_lost_task_without_a_job_fails_no_job():
    job = running_job()
    task = claimed(*[THIS] * MAX_CLAIMS)  # a reminder: its arguments are an organisation, a day
    assert requeue_abandoned_tasks(THIS) == (0, 1)
    assert status(task) == TaskResultStatus.FAILED
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_a_lost_task_whose_arguments_its_code_no_longer_takes_is_failed_all_the_same(caplog):
    """Its job cannot be told from its arguments: the task fails, the log says why."""
    job = running_job()
    task = claimed(*[THIS] * MAX_CLAIMS, result=send_posting.enqueue(job.pk))
    task.args_kwargs = {"args": [job.pk, "an argument send_posting dropped"], "kwargs": {}}
    task.save(update_fields=["args_kwargs"])
    assert requeue_abandoned_tasks(THIS) == (0, 1)
    assert status(task) == TaskResultStatus.FAILED
    assert "its arguments cannot be read" in caplog.text
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
