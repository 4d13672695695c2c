"""The billing work staff start from the back office as background jobs: the monthly run and
the import of a period's charges from a file. Each job's subject is its period, so that the
staff page finds the last run of the period it shows. Starting a job returns it; the work is
done by ``billing.tasks``."""

import uuid
from pathlib import PurePath

from django.core.files.storage import default_storage

from kabinet.billing import tasks
from kabinet.billing.lines import BillingError
from kabinet.billing.models import Period
from kabinet.formats import month_name
from kabinet.jobs.models import Job, JobKind
from kabinet.jobs.services import create_job, last_job

KINDS = (JobKind.BILLING_RUN, JobKind.CHARGES_IMPORT)


def _create(period: Period, kind: JobKind, title: str, user) -> Job:
    if period.is_closed:
        raise BillingError(f"Период {month_name(period.month)} закрыт: он не меняется.")
    job = create_job(period.organization, kind, title, user, subject=period)
    job.result = tasks.period_result(period)
    job.save(update_fields=["result"])
    return job


def queue_billing_run(period: Period, user=None, *, ip: str | None = None) -> Job:
    """Queue the run of ``period`` (``run.run_billing``) as a job staff watch (the audit
    log names ``user`` and their ``ip``)."""
    job = _create(
        period, JobKind.BILLING_RUN, f"Расчёт начислений за {month_name(period.month)}", user
    )
    tasks.enqueue_billing_run(job, period, ip)
    return job


def queue_charges_import(period: Period, uploaded_file, user=None, *, ip: str | None = None) -> Job:
    """Keep the uploaded file and queue its import into ``period`` (``imports``) as a job."""
    name = PurePath(uploaded_file.name).name
    job = _create(
        period,
        JobKind.CHARGES_IMPORT,
        f"Загрузка начислений за {month_name(period.month)}: {name}",
        user,
    )
    path = default_storage.save(
        f"imports/charges/{uuid.uuid4().hex}{PurePath(name).suffix.lower()}", uploaded_file
    )
    tasks.enqueue_charges_import(job, period, path, ip)
    return job


def billing_jobs(organizations):
    """Billing jobs of ``organizations`` (runs and imports), newest first."""
    return Job.objects.for_organizations(organizations).filter(kind__in=KINDS)


def last_billing_job(period: Period) -> Job | None:
    """The latest run or import of ``period``, whatever its outcome."""
    return last_job(period, *KINDS)
