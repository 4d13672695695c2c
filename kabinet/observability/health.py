"""Probes for load balancers and monitors: ``/healthz`` and ``/readyz``.

``/healthz`` says the process answers and touches nothing else (a database outage must not make
the balancer restart every web process). ``/readyz`` says this process can serve: the database
answers, the cache keeps a value, and the task queue (django-tasks' database backend) is read and
its oldest ready task has waited less than ``READYZ_MAX_QUEUE_LAG`` seconds — else 503 with a JSON
body naming what failed.

``ProbeMiddleware`` stands first and answers these paths itself: a balancer probes the web process
by its address, over plain HTTP, without a session — the host check (``ALLOWED_HOSTS``), the HTTPS
redirect, sessions, CSRF and rate limits are for people, not for probes. The same views are in the
URL configuration, so that they are named and reversible like any other page.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    # A failing probe is the monitor's news, not a server error for the logs and Sentry: the
    # check that failed was logged once above as a warning.
    response._has_been_logged = True
    return response


@require_safe
def healthz(request):
    """200 while the process answers."""
    return _no_store(JsonResponse({"status": "ok"}))


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def queue_lag(now: datetime.datetime | None = None) -> float | None:
    """Seconds the oldest ready task has waited; None when tasks do not go through the database
    (development runs them at once) and 0 when none waits."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task_backends["default"], DatabaseBackend):
        return None
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    never = get_date_max()  # run_after of a task not deferred
    # A task is ready from its enqueueing, or from its run_after when it was deferred.
    waiting_since = [
        queued.filter(run_after=never)
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first(),
        queued.filter(run_after__lte=now)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first(),
    ]
    oldest = min((moment for moment in waiting_since if moment is not None), default=None)
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def check_queue() -> dict:
    lag = queue_lag()
    if lag is not None and lag > settings.READYZ_MAX_QUEUE_LAG:
        raise RuntimeError(
            f"the oldest ready task has waited {lag:.0f} s "
            f"(more than {settings.READYZ_MAX_QUEUE_LAG} s): is db_worker running?"
        )
    return {"lag_seconds": None if lag is None else round(lag, 1)}


CHECKS = {"database": check_database, "cache": check_cache, "task_queue": check_queue}


@require_safe
def readyz(request):
    """200 when the database, the cache and the task queue serve; 503 naming what does not."""
    results, failed = {}, []
    for name, check in CHECKS.items():
        try:
            results[name] = {"status": "ok", **(check() or {})}
        except Exception as error:  # any failure of a dependency means «not ready»
            logger.warning("Readiness check %s failed: %s", name, error)
            results[name] = {"status": "failed", "error": f"{type(error).__name__}: {error}"}
            failed.append(name)
    body = {"status": "failed" if failed else "ok", "failed": failed, "checks": results}
    return _no_store(JsonResponse(body, status=503 if failed else 200))


class ProbeMiddleware:
    """Answers the probes and the metrics scrape before the middleware meant for people."""

    def __init__(self, get_response):
        from kabinet.observability.metrics import metrics

        self.get_response = get_response
        self.views = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
