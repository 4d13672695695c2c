"""The reminder to submit readings: once per user, organisation and month, when the window is
open and an account of theirs still has a meter without a reading for the month."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef

from kabinet.housing.models import PersonalAccount
from kabinet.metering import emails
from kabinet.metering.models import Meter, Reading, ReadingReminder
from kabinet.metering.window import reading_window


def accounts_without_readings(organization, month: datetime.date):
    """Open accounts of ``organization`` with an active meter that has no actual reading for
    ``month`` (an estimate does not count)."""
    meter_missing = Meter.objects.filter(account=OuterRef("pk"), is_active=True).exclude(
        Exists(Reading.objects.actual().filter(meter=OuterRef("pk"), period=month))
    )
    return (
        PersonalAccount.objects.filter(organization=organization, is_open=True)
        .filter(Exists(meter_missing))
        .select_related("organization", "premise__house")
        .order_by("number")
    )


def users_to_remind(organization, month: datetime.date):
    """Users who want reminders, have an address, and have linked an account without readings,
    and who were not reminded for ``organization`` and ``month`` yet."""
    accounts = accounts_without_readings(organization, month)
    reminded = ReadingReminder.objects.filter(
        user=OuterRef("pk"), organization=organization, month=month
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, reading_reminders=True)
        .exclude(email="")
        .filter(account_links__account__in=accounts)
        .exclude(Exists(reminded))
        .distinct()
        .order_by("pk")
    )


def send_reading_reminders(organization, today: datetime.date) -> int:
    """E-mail the users to remind while ``organization``'s window is open; safe to run again
    (and at the same time): the unique reminder record lets one run send each e-mail. Returns
    how many were sent."""
    window = reading_window(organization, today)
    if not window.is_open:
        return 0
    accounts = accounts_without_readings(organization, window.month)
    sent = 0
    for user in users_to_remind(organization, window.month):
        with transaction.atomic():  # a failed e-mail leaves no record: the next run retries
            _, created = ReadingReminder.objects.get_or_create(
                user=user, organization=organization, month=window.month
            )
            if created:
                emails.send_reading_reminder(
                    user, list(accounts.filter(user_links__user=user)), window
                )
                sent += 1
    return sent
