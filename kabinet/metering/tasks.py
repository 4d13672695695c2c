"""Background work of the readings (``django.tasks``): arguments are ids, read again here."""

import datetime

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from kabinet.jobs.models import Job
from kabinet.jobs.services import (
    fail_job,
    fail_job_with_rows,
    finish_job,
    report_progress,
    start_job,
)
from kabinet.metering import emails, imports, reminders
from kabinet.metering.models import Reading
from kabinet.metering.window import reading_window
from kabinet.orgs.models import Organization
from kabinet.tabular import TableError


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
        with default_storage.open(path, "rb") as file:
            table = imports.read_import(file.read())
        start_job(job, total=len(table))
        result = imports.import_readings(
            table,
            job.organization,
            job.created_by,
            progress=lambda done, failed: report_progress(job, done, failed),
        )
        if result.errors:
            fail_job_with_rows(
                job,
                result.errors,
                f"Файл не импортирован: строк с ошибками — {len(result.errors)}. Исправьте их "
                "и загрузите файл снова.",
            )
        else:
            finish_job(job, result.summary())
    except TableError as error:
        fail_job(job, f"Файл не импортирован: {error}")
    except Exception:
        fail_job(job, "Внутренняя ошибка: файл не импортирован. Сообщите администратору.")
        raise
    finally:
        default_storage.delete(path)
