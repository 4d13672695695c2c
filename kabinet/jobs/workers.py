"""Tasks left behind by a task worker that stopped mid-task, given to the queue again.

django-tasks-db claims a task by marking its row «running» with the worker's id; a worker that
is killed (``SIGKILL``, the out-of-memory killer, a lost host) leaves the row so, and no worker
ever takes it again: the staff's job says «выполняется» for ever. Each worker therefore runs
under an id that stays the same across its restarts and is unique in the cluster
(``%l/%N`` in deploy/systemd/kabinet-worker.service: the host and the unit), and before it
starts (``ExecStartPre``) the tasks that id claimed and did not finish go back to the queue —
the worker that claimed them is this one's previous process, which is gone.

A task taken again runs from its beginning. The long ones are written for that: a billing run
and the imports work in one transaction that the lost worker's database session rolled back,
registry rows and gateway notifications are recorded once by their unique keys; an e-mail
being sent when the worker died may go out twice. A task whose runs keep killing the worker
(one that needs more memory than the host has) is not taken a ``MAX_CLAIMS``-th time: it is
marked failed, so the worker gets on with the rest of the queue, and so is the staff job it
worked for: every task that works for a ``jobs.Job`` takes the job's pk as its argument named
``job_id`` (docs/design.md «Background work»; tests/test_task_imports.py holds it).
"""

import inspect
import logging

from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kabinet.jobs.models import Job
from kabinet.jobs.services import fail_job

logger = logging.getLogger(__name__)

MAX_CLAIMS = 3  # a task's third lost run is its last


class WorkerLost(Exception):
    """The worker running the task stopped before the task finished, ``MAX_CLAIMS`` times."""


def requeue_abandoned_tasks(worker_id: str) -> tuple[int, int]:
    """Put the tasks ``worker_id`` claimed and left running back in the queue (those lost
    ``MAX_CLAIMS`` times are marked failed instead); returns (requeued, failed). Call it only
    while no process runs as ``worker_id`` — at the worker's start."""
    requeued = failed = 0
    # Other workers' running tasks are read too (JSON «contains» is not on SQLite) but left
    # alone: only this worker id's process ever changes a row it claimed.
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        if not result.worker_ids or result.worker_ids[-1] != worker_id:
            continue
        if len(result.worker_ids) >= MAX_CLAIMS:
            result.set_failed(WorkerLost(f"Its worker stopped during each of {MAX_CLAIMS} runs."))
            _fail_job_of(result)
            logger.error(
                "Task %s (%s) failed: its worker stopped during each of its %d runs",
                result.pk, result.task_path, len(result.worker_ids),
            )  # fmt: skip
            failed += 1
        else:
            result.status = TaskResultStatus.READY
            result.save(update_fields=["status"])
            logger.warning(
                "Task %s (%s) queued again: worker %s stopped while running it",
                result.pk, result.task_path, worker_id,
            )  # fmt: skip
            requeued += 1
    return requeued, failed


def job_id_of(result: DBTaskResult) -> int | None:
    """The pk of the staff job ``result``'s task works for (its ``job_id`` argument), or
    ``None`` for a task without one or one whose code no longer takes these arguments."""
    try:
        signature = inspect.signature(result.task.func)
        arguments = signature.bind(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
    except Exception:  # a task renamed or changed since it was queued: nothing to tell staff
        logger.exception("Task %s (%s): its arguments cannot be read", result.pk, result.task_path)
        return None
    return arguments.arguments.get("job_id")


def _fail_job_of(result: DBTaskResult) -> None:
    """Fail the job of ``result``'s task, unless it has ended already (another task of a shared
    job may have finished or failed it), so that staff do not see it «выполняется» for ever."""
    job = Job.objects.filter(pk=job_id_of(result)).first()
    if job is None or job.is_finished:
        return
    fail_job(
        job,
        f"Задача прервана: обработчик остановился {len(result.worker_ids)} раза, не закончив её "
        "(вероятно, ей не хватило памяти). Запустите её снова или сообщите администратору.",
    )
