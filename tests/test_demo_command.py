"""The demo as the command loads it: committed, once. Each test loads it itself (the other demo
tests share one load, tests/test_demo.py)."""

import pytest
from django.core.management import call_command

from kabinet.billing.models import Charge, Period, PeriodStatus
from kabinet.demo.data import load_demo
from kabinet.jobs.models import Job
from kabinet.payments.models import Payment
from kabinet.users.models import User
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_closing_the_demo_months_mails_no_receipts():
    load_demo(DEMO_TODAY)  # commits, as the command does: the closings' signals are sent
    assert Period.objects.filter(status=PeriodStatus.CLOSED).count() == 24
    assert not Job.objects.exists()


def test_command_loads_once():
    call_command("load_demo")
    counts = (Charge.objects.count(), Payment.objects.count(), User.objects.count())
    call_command("load_demo")
    assert (Charge.objects.count(), Payment.objects.count(), User.objects.count()) == counts
