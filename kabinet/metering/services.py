"""Recording meter readings: one reading per meter and month, the last one counts.

Two submissions for one meter at the same moment leave one reading: the meters' rows are locked
(``SELECT … FOR UPDATE``) for the transaction that checks and writes, so the second submission
waits for the first and then replaces its reading; the unique constraint on (meter, period) is
the last guard. SQLite, which has no row locks, runs one writing transaction at a time.
"""

import datetime
import uuid
from decimal import Decimal
from pathlib import PurePath

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from kabinet.jobs.models import Job, JobKind
from kabinet.jobs.services import create_job
from kabinet.metering import tasks
from kabinet.metering.checks import ReadingCheck, check_reading
from kabinet.metering.models import Meter, Reading, ReadingSource
from kabinet.metering.window import ReadingWindow, reading_window
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import EventKind


class ReadingsRefused(Exception):
    """Nothing was recorded: ``checks`` are the readings refused or awaiting confirmation."""

    def __init__(self, checks: list[ReadingCheck]):
        super().__init__("; ".join(check.error or check.warning for check in checks))
        self.checks = checks


class WindowClosed(Exception):
    """Residents cannot submit readings today; ``window`` says when they can."""

    def __init__(self, window: ReadingWindow):
        super().__init__(f"Приём показаний откроется {window.next_opening:%d.%m.%Y}.")
        self.window = window


def record_readings(
    values: dict[Meter, Decimal],
    *,
    period: datetime.date,
    taken_on: datetime.date,
    source: str,
    user=None,
    confirmed: dict[int, Decimal] | None = None,
) -> list[Reading]:
    """Record the readings of several meters for the month ``period``, all or none; each one
    replaces the meter's reading for that month (an estimate, or an earlier submission).

    ``confirmed`` maps a meter's pk to the value the person confirmed after being told its
    consumption is unusual. Raises ``ReadingsRefused`` when a value breaks a rule or an unusual
    one is not confirmed.
    """
    confirmed = confirmed or {}
    with transaction.atomic():
        locked = Meter.objects.select_for_update().filter(pk__in=[m.pk for m in values])
        list(locked.order_by("pk").values_list("pk"))  # one order everywhere: no deadlocks
        checks = [check_reading(meter, value, period) for meter, value in values.items()]
        refused = [
            check
            for check in checks
            if check.error or (check.is_unusual and confirmed.get(check.meter.pk) != check.value)
        ]
        if refused:
            raise ReadingsRefused(refused)
        return [
            _replace_reading(check.meter, check.value, period, taken_on, source, user)
            for check in checks
        ]


def _replace_reading(meter, value, period, taken_on, source, user) -> Reading:
    reading, _ = Reading.objects.update_or_create(
        meter=meter,
        period=period,
        defaults={
            "value": value,
            "taken_on": taken_on,
            "source": source,
            "submitted_by": user,
            "created_at": timezone.now(),
        },
    )
    return reading


def submit_resident_readings(
    account,
    values: dict[Meter, Decimal],
    user,
    *,
    confirmed: dict[int, Decimal] | None = None,
    today: datetime.date | None = None,
) -> list[Reading]:
    """A resident's readings of the account's meters for the current month, accepted in the
    organisation's window; the resident gets a confirmation by e-mail."""
    today = today or timezone.localdate()
    window = reading_window(account.organization, today)
    if not window.is_open:
        raise WindowClosed(window)
    if any(meter.account_id != account.pk or not meter.is_active for meter in values):
        raise ValueError("Readings of meters that are not the account's own.")
    if not values:
        return []
    with transaction.atomic():
        readings = record_readings(
            values,
            period=window.month,
            taken_on=today,
            source=ReadingSource.RESIDENT,
            user=user,
            confirmed=confirmed,
        )
        reading_ids = [reading.pk for reading in readings]
        tasks.enqueue_readings_receipt(user, reading_ids)
        webhooks.emit(
            account.organization_id,
            EventKind.READING_SUBMITTED,
            lambda: {
                "account": account.number,
                "readings": [
                    {
                        "meter_id": reading.meter_id,
                        "serial_number": reading.meter.serial_number,
                        "resource": reading.meter.resource,
                        "month": reading.period,
                        "value": reading.value,
                        "taken_on": reading.taken_on,
                    }
                    for reading in readings
                ],
            },
        )
    return readings


def queue_readings_import(organization, uploaded_file, user) -> Job:
    """Keep the uploaded file and queue its import as a job whose progress staff watch."""
    name = PurePath(uploaded_file.name).name
    path = default_storage.save(
        f"imports/readings/{uuid.uuid4().hex}{PurePath(name).suffix.lower()}", uploaded_file
    )
    job = create_job(organization, JobKind.READINGS_IMPORT, f"Импорт показаний: {name}", user)
    tasks.enqueue_readings_import(job, path)
    return job
