"""Two submissions of the same meter at the same moment leave one reading (PostgreSQL: the
threads really run at once; SQLite runs one writing transaction at a time anyway)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from kabinet.metering import services
from kabinet.metering.models import Reading
from tests.factories import AccountLinkFactory, MeterFactory

ROUNDS = 5
SUBMISSIONS = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads race on PostgreSQL"),
]


def at_once(calls):
    """Run ``calls`` in threads released together; return the exceptions they raised."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:  # every failure is reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


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
