"""The documents' data read for a batch of accounts (``receipt_batch``), as the mass issue
reads them: the same ``Receipt`` as read for one account, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.billing.models import Charge, Period, PeriodStatus
from kabinet.housing.models import PersonalAccount
from kabinet.receipts.selectors import payee_of, receipt_batch, receipt_data

pytestmark = pytest.mark.django_db


def charged_accounts(period):
    return list(
        PersonalAccount.objects.filter(
            pk__in=Charge.objects.filter(period=period).values("account")
        ).select_related("organization", "premise__house")
    )


@pytest.mark.parametrize("frozen", [True, False])
def test_a_batch_gives_every_demo_account_the_receipt_it_gets_alone(demo_world, frozen):
    """Every account of the demo, in every closed month of both organisations (meters,
    recalculations, instalments, capital repair, the shop)."""
    periods = Period.objects.filter(status=PeriodStatus.CLOSED).select_related("organization")
    compared = 0
    for period in periods:
        accounts = charged_accounts(period)
        payee, shared = payee_of(period.organization), {}
        batch = receipt_batch(accounts, period, frozen=frozen)
        for account in accounts:
            alone = receipt_data(account, period, frozen=frozen)
            in_batch = receipt_data(account, period, payee, shared, frozen=frozen, batch=batch)
            assert in_batch == alone, (account.number, period.month)
            compared += 1
    assert compared > 50


def test_a_batch_reads_its_accounts_in_a_fixed_number_of_queries(demo_world):
    closed = Period.objects.filter(status=PeriodStatus.CLOSED).select_related("organization")
    period = closed.order_by("-month").first()
    accounts = charged_accounts(period)
    assert len(accounts) > 3
    counts = []
    for size in (1, len(accounts)):
        with CaptureQueriesContext(connection) as queries:
            receipt_batch(accounts[:size], period, frozen=True)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 4


def test_a_batch_read_for_another_period_is_refused(demo_world):
    first, second = Period.objects.filter(status=PeriodStatus.CLOSED).order_by("month")[:2]
    accounts = charged_accounts(second)
    batch = receipt_batch(accounts, first, frozen=True)
    with pytest.raises(ValueError, match="another period"):
        receipt_data(accounts[0], second, frozen=True, batch=batch)
