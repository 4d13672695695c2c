"""The e-mails of the readings: the receipt of a submission and the reminder to submit."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from kabinet.formats import format_reading, month_name
from kabinet.mail import absolute_url
from kabinet.metering.models import Resource

RESOURCES = list(Resource)


def _send(template: str, context: dict, user) -> None:
    send_mail(
        subject=render_to_string(f"{template}_subject.txt", context).strip(),
        message=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def send_readings_receipt(user, readings, window) -> None:
    """Tell the resident which readings of one account were accepted, and until when they
    may be corrected."""
    account = readings[0].meter.account
    _send(
        "metering/email/readings_received",
        {
            "user": user,
            "account": account,
            "month": month_name(readings[0].period),
            "lines": [
                (reading.meter, format_reading(reading.value))
                for reading in sorted(
                    readings, key=lambda r: (RESOURCES.index(r.meter.resource), r.meter.pk)
                )
            ],
            "window": window,
            "url": absolute_url("portal:account_meters", account.pk),
        },
        user,
    )


def send_reading_reminder(user, accounts, window) -> None:
    """Remind the resident that the window is open for ``accounts`` without readings yet."""
    _send(
        "metering/email/reading_reminder",
        {
            "user": user,
            "month": month_name(window.month),
            "window": window,
            "accounts": [
                (account, absolute_url("portal:account_meters", account.pk)) for account in accounts
            ],
            "organization": accounts[0].organization,
            "profile_url": absolute_url("portal:profile"),
        },
        user,
    )
