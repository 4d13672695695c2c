"""A task worker killed mid-task (kabinet/jobs/workers.py): when it starts again under its id,
the tasks it had claimed go back to the queue and run to the end once; another worker's are
left alone; a task that was lost ``MAX_CLAIMS`` times is failed instead of taken again.
tests/cluster/ kills a real worker during a billing run."""

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from kabinet.jobs.workers import MAX_CLAIMS, WorkerLost, requeue_abandoned_tasks
from kabinet.metering.tasks import send_reading_reminders
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

THIS = "node1/kabinet-worker"
OTHER = "node2/kabinet-worker"


@pytest.fixture(autouse=True)
def db_tasks():
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        yield


def claimed(*worker_ids) -> DBTaskResult:
    """A queued task that ``worker_ids`` took in turn (the last still «running» it)."""
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
