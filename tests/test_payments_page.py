"""«Платежи»: the money movement of the chosen months, reconciled to the kopeck."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.payments.models import OnlinePaymentStatus, PaymentSource
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    OnlinePaymentFactory,
    PaymentFactory,
    PeriodFactory,
)
from tests.test_account_pages import NBSP, text_of

pytestmark = pytest.mark.django_db


def payments_url(account, **query):
    url = reverse("portal:account_payments", args=[account.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_chosen_months_show_opening_and_closing_balances_that_chain(client):
    link = AccountLinkFactory()
    account = link.account
    september = PeriodFactory(organization=account.organization, month=datetime.date(2026, 9, 1))
    ChargeFactory(account=account, period=september, charged=Decimal("1000.00"))
    ChargeFactory(account=account, charged=Decimal("1200.00"))  # October
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 5), amount=Decimal("1000.00"))
    PaymentFactory(
        account=account,
        paid_on=datetime.date(2026, 11, 5),
        amount=Decimal("300.00"),
        source=PaymentSource.CASH_DESK,
    )
    client.force_login(link.user)

    response = client.get(payments_url(account, first="2026-10", last="2026-11"))
    ledger = response.context["ledger"]
    page = text_of(response)

    assert ledger.opening == Decimal("1000.00")
    assert [month.closing for month in ledger.months] == [Decimal("1200.00"), Decimal("900.00")]
    assert f"долг 1{NBSP}000,00{NBSP}₽" in page  # at the start
    assert "долг 900,00" in page  # at the end
    assert "05.11.2026" in page
    assert "Касса УК" in page
    assert re.search(r"октябрь 2026\s+—\s+ноябрь 2026", page)


def test_an_overpayment_is_named_as_such(client):
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("100.00"))
    PaymentFactory(
        account=link.account, amount=Decimal("150.50"), paid_on=datetime.date(2026, 10, 1)
    )
    client.force_login(link.user)
    page = text_of(client.get(payments_url(link.account, months=3)))
    assert "переплата 50,50" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"first": "2026-11", "last": "2026-01"}, "Начало периода позже его конца."),
        ({"first": "2001-01", "last": "2026-01"}, "не длиннее 10 лет"),
        ({"first": "2026-01", "last": "2099-01"}, "не может заканчиваться в будущем"),
        ({"first": "январь"}, "Укажите месяц"),
    ],
)
def test_a_wrong_period_is_explained_and_the_default_is_shown(client, query, message):
    link = AccountLinkFactory()
    client.force_login(link.user)
    response = client.get(payments_url(link.account, **query))
    assert response.status_code == 200
    assert message in text_of(response)
    assert len(response.context["ledger"].months) == 12


def test_online_payments_are_listed_with_their_state(client):
    link = AccountLinkFactory()
    for status in OnlinePaymentStatus.values:
        OnlinePaymentFactory(account=link.account, user=link.user, status=status)
    client.force_login(link.user)
    page = text_of(client.get(payments_url(link.account)))
    for label in ("ожидает подтверждения", "оплачен", "отменён"):
        assert label in page


def test_a_chart_draws_charged_and_paid_for_each_month(client):
    link = AccountLinkFactory()
    ChargeFactory(account=link.account, charged=Decimal("1000.00"))  # October
    PaymentFactory(account=link.account, paid_on=datetime.date(2026, 10, 5), amount=Decimal("500"))
    client.force_login(link.user)
    response = client.get(payments_url(link.account, first="2026-09", last="2026-10"))

    svg = re.search(r"<svg.*?</svg>", response.text, re.S).group()
    heights = re.findall(r'<rect x="\d+" y="([\d.]+)" width="15" height="([\d.]+)"', svg)
    # September: nothing; October: charged to the top (120), paid half of it
    assert heights == [("120.0", "0.0"), ("120.0", "0.0"), ("0.0", "120.0"), ("60.0", "60.0")]
    assert "октябрь 2026: оплачено 500,00\u00a0₽" in svg


def test_every_billed_month_links_a_copy_of_its_receipt(client):
    link = AccountLinkFactory()
    charge = ChargeFactory(account=link.account)  # October 2026, closed
    client.force_login(link.user)

    response = client.get(payments_url(link.account, first="2026-09", last="2026-10"))

    receipt = reverse("portal:receipt", args=[link.account.pk, 2026, 10])
    pdf = reverse("portal:receipt_pdf", args=[link.account.pk, 2026, 10])
    assert f'href="{receipt}"' in response.text
    assert f'href="{pdf}"' in response.text
    assert reverse("portal:receipt", args=[link.account.pk, 2026, 9]) not in response.text
    assert client.get(receipt).status_code == 200
    assert charge.period.month == datetime.date(2026, 10, 1)
