"""Two submissions of the same meter at the same moment leave one reading (PostgreSQL: the
threads really run at once; SQLite runs one writing transaction at a time anyway)."""

from decimal import Decimal

import pytest
from django.db import connection

from kabinet.metering import services
from kabinet.metering.models import Reading
from tests.concurrency import at_once
from tests.factories import AccountLinkFactory, MeterFactory

ROUNDS = 5
SUBMISSIONS = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads race on PostgreSQL"),
]


def test_simultaneous_submissions_leave_one_reading():
    link = AccountLinkFactory(
        account__premise__house__organization__readings_from_day=1,
        account__premise__house__organization__readings_to_day=31,
    )
    for _ in range(ROUNDS):
        meter = MeterFactory(account=link.account)
        values = [Decimal(100 + n) for n in range(SUBMISSIONS)]
        errors = at_once(
            [
                lambda meter=meter, value=value: services.submit_resident_readings(
                    link.account, {meter: value}, link.user
                )
                for value in values
            ]
        )
        assert errors == []
        [reading] = Reading.objects.filter(meter=meter)
        assert reading.value in values
