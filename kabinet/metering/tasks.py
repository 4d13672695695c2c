"""Background work of the readings (``django.tasks``): the task bodies and the ``enqueue_*``
functions that queue them. Arguments are ids, read again here."""

import datetime

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from kabinet.jobs.models import Job
from kabinet.jobs.services import (
    fail_job_with_rows,
    finish_job,
    job_failure,
    report_progress,
    start_job,
)
from kabinet.metering import emails, imports, reminders
from kabinet.metering.models import Reading
from kabinet.metering.window import reading_window
from kabinet.orgs.models import Organization
from kabinet.tabular import TableError


def enqueue_readings_receipt(user, reading_ids: list[int]) -> None:
    """The resident's confirmation of ``reading_ids``, once they are committed."""
    transaction.on_commit(lambda: send_readings_receipt.enqueue(user.pk, reading_ids))


def enqueue_reading_reminders(organization: Organization, day: datetime.date) -> None:
    send_reading_reminders.enqueue(organization.pk, day.isoformat())


def enqueue_readings_import(job: Job, path: str) -> None:
    transaction.on_commit(lambda: import_readings_file.enqueue(job.pk, path))


@task
def send_readings_receipt(user_id: int, reading_ids: list[int]) -> None:
    user = get_user_model().objects.get(pk=user_id)
    readings = list(
        Reading.objects.filter(pk__in=reading_ids).select_related(
            "meter__account__organization", "meter__account__premise__house"
        )
    )
    if readings and user.email:
        window = reading_window(readings[0].meter.account.organization, timezone.localdate())
        emails.send_readings_receipt(user, readings, window)


@task
def send_reading_reminders(organization_id: int, day: str) -> int:
    """The reminders of one organisation for the day ``day`` (ISO date)."""
    organization = Organization.objects.get(pk=organization_id)
    return reminders.send_reading_reminders(organization, datetime.date.fromisoformat(day))


@task
def import_readings_file(job_id: int, path: str) -> None:
    """Import the file staff uploaded (kept in the default storage until this is done); the
    job shows the progress, then what was imported or the rows that stopped it."""
    job = Job.objects.get(pk=job_id)
    try:
        with job_failure(
            job,
            "Внутренняя ошибка: файл не импортирован. Сообщите администратору.",
            expected=TableError,
            prefix="Файл не импортирован: ",
        ):
            with default_storage.open(path, "rb") as file:
                result = imports.import_readings_file(
                    file,
                    job.organization,
                    job.created_by,
                    started=lambda total: start_job(job, total=total),
                    progress=lambda done, failed: report_progress(job, done, failed),
                )
            if result.errors:
                fail_job_with_rows(
                    job,
                    result.errors,
                    f"Файл не импортирован: строк с ошибками — {result.error_count}. Исправьте "
                    "их и загрузите файл снова.",
                )
            else:
                finish_job(job, result.summary())
    finally:
        default_storage.delete(path)
