"""The reminder to submit readings: `manage.py remind_readings`, run daily, queues a task per
organisation whose window is open; each user is reminded once per organisation and month."""

import datetime
import io
import smtplib

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from kabinet.formats import month_name
from kabinet.metering.models import ReadingReminder, ReadingSource
from kabinet.metering.reminders import send_reading_reminders
from tests.factories import (
    AccountLinkFactory,
    MeterFactory,
    OrganizationFactory,
    PersonalAccountFactory,
    ReadingFactory,
    this_month,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory(name="УК Приём", readings_from_day=1, readings_to_day=31)


@pytest.fixture
def link(organization):
    link = AccountLinkFactory(account__premise__house__organization=organization)
    MeterFactory(account=link.account)
    return link


def remind() -> str:
    output = io.StringIO()
    call_command("remind_readings", stdout=output)
    return output.getvalue()


def test_a_resident_without_readings_is_reminded_once(link, mailoutbox):
    remind()
    remind()
    [message] = mailoutbox
    assert message.to == [link.user.email]
    assert message.subject == f"Передайте показания счётчиков за {month_name(this_month())}"
    assert f"ЛС № {link.account.number}" in message.body
    assert f"{settings.SITE_URL}/ls/{link.account.pk}/meters/" in message.body
    assert f"{settings.SITE_URL}/profile/" in message.body
    assert ReadingReminder.objects.get().month == this_month()


def test_residents_who_submitted_are_not_reminded(link, mailoutbox):
    ReadingFactory(meter=link.account.meters.get(), period=this_month())
    remind()
    assert mailoutbox == []


def test_an_estimate_is_not_a_submission(link, mailoutbox):
    ReadingFactory(
        meter=link.account.meters.get(), period=this_month(), source=ReadingSource.AVERAGE
    )
    remind()
    assert len(mailoutbox) == 1


def test_a_meter_still_without_a_reading_keeps_the_account_in_the_reminder(link, mailoutbox):
    ReadingFactory(meter=link.account.meters.get(), period=this_month())
    MeterFactory(account=link.account)
    remind()
    assert len(mailoutbox) == 1


def test_residents_who_switched_reminders_off_are_not_reminded(link, mailoutbox):
    link.user.reading_reminders = False
    link.user.save()
    remind()
    assert mailoutbox == []


def test_accounts_without_meters_need_no_reminder(organization, mailoutbox):
    AccountLinkFactory(account__premise__house__organization=organization)
    remind()
    assert mailoutbox == []


def test_one_email_lists_all_of_a_users_accounts_of_the_organisation(link, mailoutbox):
    second = PersonalAccountFactory(premise__house__organization=link.account.organization)
    MeterFactory(account=second)
    AccountLinkFactory(user=link.user, account=second)
    remind()
    [message] = mailoutbox
    assert f"ЛС № {link.account.number}" in message.body
    assert f"ЛС № {second.number}" in message.body


def test_each_organisation_reminds_on_its_own(link, mailoutbox):
    elsewhere = AccountLinkFactory(
        user=link.user,
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )
    MeterFactory(account=elsewhere.account)
    remind()
    assert len(mailoutbox) == 2


def test_no_reminder_while_the_window_is_closed(link, organization, mailoutbox):
    organization.readings_from_day, organization.readings_to_day = 15, 25
    organization.save()
    assert send_reading_reminders(organization, datetime.date(2026, 11, 14)) == 0
    assert send_reading_reminders(organization, datetime.date(2026, 11, 26)) == 0
    assert mailoutbox == []
    assert send_reading_reminders(organization, datetime.date(2026, 11, 15)) == 1


def test_the_command_queues_only_organisations_with_an_open_window(link, mailoutbox):
    day = timezone.localdate().day
    closed = OrganizationFactory(readings_from_day=1 if day != 1 else 2)
    closed.readings_to_day = closed.readings_from_day
    closed.save()
    stranger = AccountLinkFactory(account__premise__house__organization=closed)
    MeterFactory(account=stranger.account)
    output = remind()
    assert [message.to for message in mailoutbox] == [[link.user.email]]
    assert "организаций с открытым приёмом — 1" in output


def test_a_failed_email_is_sent_by_the_next_run(link, mailoutbox, monkeypatch):
    def broken_mail(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("kabinet.metering.emails.send_mail", broken_mail)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_reading_reminders(link.account.organization, timezone.localdate())
    assert not ReadingReminder.objects.exists()
    monkeypatch.undo()
    assert send_reading_reminders(link.account.organization, timezone.localdate()) == 1


def test_the_database_keeps_one_reminder_per_user_organisation_and_month(link):
    fields = {"user": link.user, "organization": link.account.organization, "month": this_month()}
    ReadingReminder.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadingReminder.objects.create(**fields)
