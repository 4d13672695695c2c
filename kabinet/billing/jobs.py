"""The billing work staff start from the back office as background jobs: the monthly run and
the import of a period's charges from a file. Each job names its period in its result, so that
the staff page finds the last run of the period it shows."""

import uuid
from pathlib import PurePath

from django.core.files.storage import default_storage
from django.db import transaction

from kabinet.billing.lines import BillingError
from kabinet.billing.models import Period
from kabinet.formats import month_name
from kabinet.jobs.models import Job
from kabinet.jobs.services import create_job

RUN_KIND = "billing_run"
IMPORT_KIND = "charges_import"
KINDS = (RUN_KIND, IMPORT_KIND)
PERIOD_KEY = "Период"  # a result's first line, as the job page shows it


def period_result(period: Period, **figures) -> dict:
    """A billing job's result: its period, then the figures (shown to staff as they are)."""
    return {PERIOD_KEY: month_name(period.month), **figures}


def _create(period: Period, kind: str, title: str, user) -> Job:
    if period.is_closed:
        raise BillingError(f"Период {month_name(period.month)} закрыт: он не меняется.")
    job = create_job(period.organization, kind, title, user)
    job.result = period_result(period)
    job.save(update_fields=["result"])
    return job


def queue_billing_run(period: Period, user=None, *, ip: str | None = None) -> Job:
    """Queue the run of ``period`` (``run.run_billing``) as a job staff watch (the audit
    log names ``user`` and their ``ip``)."""
    from kabinet.billing import tasks  # tasks import this module

    job = _create(period, RUN_KIND, f"Расчёт начислений за {month_name(period.month)}", user)
    transaction.on_commit(lambda: tasks.run_billing_job.enqueue(job.pk, period.pk, ip))
    return job


def queue_charges_import(period: Period, uploaded_file, user=None, *, ip: str | None = None) -> Job:
    """Keep the uploaded file and queue its import into ``period`` (``imports``) as a job."""
    from kabinet.billing import tasks  # tasks import this module

    name = PurePath(uploaded_file.name).name
    job = _create(
        period, IMPORT_KIND, f"Загрузка начислений за {month_name(period.month)}: {name}", user
    )
    path = default_storage.save(
        f"imports/charges/{uuid.uuid4().hex}{PurePath(name).suffix.lower()}", uploaded_file
    )
    transaction.on_commit(lambda: tasks.import_charges_job.enqueue(job.pk, period.pk, path, ip))
    return job


def billing_jobs(organizations):
    """Billing jobs of ``organizations`` (runs and imports), newest first."""
    return Job.objects.for_organizations(organizations).filter(kind__in=KINDS)


def last_billing_job(period: Period) -> Job | None:
    """The latest run or import of ``period``, whatever its outcome."""
    return (
        Job.objects.filter(organization=period.organization_id, kind__in=KINDS)
        .filter(**{f"result__{PERIOD_KEY}": month_name(period.month)})
        .order_by("-created_at", "-pk")
        .first()
    )
