"""Long staff jobs: creating one with its subject, its progress, finishing and failing it.

A job's state lives in its row. Live progress (``done``/``total``) also goes to the cache,
because a job that works inside one long transaction cannot show its row's updates to the page
that polls it; several processes (web + task worker) need a shared cache (``REDIS_URL``) for it.
"""

from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from kabinet.jobs.models import Job, JobKind, JobStatus

MAX_PROBLEMS = 200  # the first failures are enough to act on; the count says how many in all


def _progress_key(job_id) -> str:
    return f"kabinet:job:{job_id}:progress"


def create_job(organization, kind: JobKind, title: str, user=None, *, subject=None) -> Job:
    """A queued job of ``organization`` working on ``subject`` (``None`` when it works on the
    organisation as a whole); pass its ``pk`` to the background task that does the work."""
    return Job.objects.create(
        organization=organization,
        kind=kind,
        title=title,
        created_by=user,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
    )


def last_job(subject, *kinds: JobKind) -> Job | None:
    """The latest job of one of ``kinds`` on ``subject``, whatever its outcome."""
    return Job.objects.about(subject).filter(kind__in=kinds).order_by("-created_at", "-pk").first()


def start_job(job: Job, total: int, *, shared: bool = False) -> None:
    """``job`` runs over ``total`` items; ``shared`` when several tasks do them (each counts
    its part with ``add_progress``, and the pages read the row, not the cache)."""
    job.status = JobStatus.RUNNING
    job.total, job.done, job.failed, job.problems = total, 0, 0, []
    job.started_at = timezone.now()
    job.save(update_fields=["status", "total", "done", "failed", "problems", "started_at"])
    if shared:
        cache.delete(_progress_key(job.pk))
    else:
        cache.set(_progress_key(job.pk), (0, total, 0), timeout=24 * 3600)


def add_progress(job: Job, *, done: int, failed: int = 0, problems=()) -> None:
    """Count ``done`` more items (``failed`` of them with an error) of a job that several
    tasks share: added in the database, so that concurrent tasks do not overwrite each other."""
    if problems:
        with transaction.atomic():
            locked = Job.objects.select_for_update().get(pk=job.pk)
            room = max(MAX_PROBLEMS - len(locked.problems), 0)
            locked.problems = [*locked.problems, *list(problems)[:room]]
            locked.save(update_fields=["problems"])
    Job.objects.filter(pk=job.pk).update(done=F("done") + done, failed=F("failed") + failed)
    job.refresh_from_db(fields=["done", "failed", "problems", "total", "status"])


def finish_shared_job(job: Job, result: dict) -> None:
    """Finish a shared job once its tasks have counted all its items; the task that counts
    the last ones does it (a job failed meanwhile stays failed)."""
    job.refresh_from_db()
    if job.status == JobStatus.RUNNING and job.done >= job.total:
        finish_job(job, result)


def report_progress(job: Job, done: int, failed: int = 0, problem: str | None = None) -> None:
    """Record that ``done`` items are processed (``failed`` of them with an error)."""
    job.done, job.failed = done, failed
    if problem and len(job.problems) < MAX_PROBLEMS:
        job.problems.append(problem)
    cache.set(_progress_key(job.pk), (done, job.total, failed), timeout=24 * 3600)
    if not connection.in_atomic_block:  # else nobody else could see it before the commit
        Job.objects.filter(pk=job.pk).update(done=done, failed=failed, problems=job.problems)


def finish_job(job: Job, result: dict | None = None) -> None:
    everything_failed = job.total > 0 and job.failed >= job.total
    job.status = JobStatus.FAILED if everything_failed else JobStatus.SUCCEEDED
    job.result = result or {}
    job.finished_at = timezone.now()
    job.save()
    cache.delete(_progress_key(job.pk))


def fail_job(job: Job, reason: str) -> None:
    """The whole job failed (nothing of it is kept); ``reason`` is shown to staff."""
    job.status = JobStatus.FAILED
    job.problems = [*job.problems[: MAX_PROBLEMS - 1], reason]
    job.finished_at = timezone.now()
    job.save()
    cache.delete(_progress_key(job.pk))


def fail_job_with_rows(job: Job, errors, reason: str) -> None:
    """The file the job imports has bad rows (``errors``, each shown as «Строка N: …»): the
    first of them are kept for staff to fix, ``reason`` says that nothing was imported."""
    job.problems = [str(error) for error in errors[: MAX_PROBLEMS - 1]]
    fail_job(job, reason)


@contextmanager
def job_failure(job: Job, internal_error: str, *, expected=(), prefix: str = ""):
    """The work of ``job`` inside the ``with`` block: an ``expected`` error (one the staff can
    act on) fails the job with «``prefix``error» and ends there; any other fails it with
    ``internal_error`` and goes on up to the task backend, which logs it."""
    try:
        yield
    except expected as error:
        fail_job(job, f"{prefix}{error}")
    except Exception:
        fail_job(job, internal_error)
        raise


def job_progress(job: Job) -> tuple[int, int, int]:
    """(done, total, failed) as far as the job has got, live while it runs."""
    if job.status == JobStatus.RUNNING:
        live = cache.get(_progress_key(job.pk))
        if live is not None:
            return live
    return job.done, job.total, job.failed


def job_percent(job: Job) -> int:
    """How far the job has got, 0–100 (a finished job that counted nothing is done)."""
    done, total, _ = job_progress(job)
    return round(100 * done / total) if total else (100 if job.is_finished else 0)
