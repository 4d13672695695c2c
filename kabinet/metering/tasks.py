"""Background work of the readings (``django.tasks``): arguments are ids, read again here."""

import datetime

from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from kabinet.metering import emails, reminders
from kabinet.metering.models import Reading
from kabinet.metering.window import reading_window
from kabinet.orgs.models import Organization


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
