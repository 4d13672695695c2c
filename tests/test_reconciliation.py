"""«Акт сверки»: the reconciliation statement is the ledger of «Платежи», as a page, PDF and
XLSX, for any range of months."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import CalculationMethod
from kabinet.billing.reconciliation import reconciliation_statement
from kabinet.billing.reconciliation_documents import statement_pdf, statement_xlsx
from kabinet.billing.selectors import account_balance
from kabinet.months import add_months
from kabinet.payments.models import PaymentSource
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
)
from tests.test_account_pages import text_of
from tests.test_ledger import JAN, charges, make_history, payments

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2027, 3, 15)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    charge_rows=charges,
    payment_rows=payments,
    first=st.integers(0, 11),
    length=st.integers(0, 11),
)
def test_statement_closing_is_opening_plus_movements_and_equals_the_ledger(
    charge_rows, payment_rows, first, length
):
    account = PersonalAccountFactory()
    make_history(account, charge_rows, payment_rows)
    first_month = add_months(JAN, first)
    last_month = add_months(first_month, min(length, 11 - first))
    statement = reconciliation_statement(account, first_month, last_month, today=TODAY)
    ledger = account_ledger(account, first_month, last_month)

    assert statement.closing == (
        statement.opening
        + statement.charged
        + statement.recalculation
        + statement.penalties
        - statement.paid
    )
    assert statement.closing == statement.opening + statement.debit - statement.credit
    assert (statement.opening, statement.closing) == (ledger.opening, ledger.closing)
    assert (statement.charged, statement.recalculation, statement.penalties, statement.paid) == (
        ledger.charged, ledger.recalculation, ledger.penalties, ledger.paid
    )  # fmt: skip
    assert sum((amount for _, amount in statement.paid_by_source), Decimal(0)) == statement.paid
    assert [line.day for line in statement.lines if line.is_payment] == sorted(
        payment.paid_on for payment in ledger.payments
    )
    if last_month == add_months(JAN, 11):
        assert statement.closing == account_balance(account)


def history(account):
    september = PeriodFactory(organization=account.organization, month=datetime.date(2026, 9, 1))
    october = PeriodFactory(organization=account.organization, month=datetime.date(2026, 10, 1))
    penalty = ServiceFactory(organization=account.organization, method=CalculationMethod.PENALTY)
    ChargeFactory(account=account, period=september, charged=Decimal("1000.00"))
    ChargeFactory(account=account, period=october, charged=Decimal("1200.00"),
                  recalculation=Decimal("-50.00"))  # fmt: skip
    ChargeFactory(account=account, period=october, service=penalty, charged=Decimal("12.34"))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 5), amount=Decimal("1000"),
                   period=september.month)  # fmt: skip
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 20), amount=Decimal("300"),
                   source=PaymentSource.ONLINE)  # fmt: skip


def test_lines_in_date_order_with_sources():
    account = PersonalAccountFactory()
    history(account)
    statement = reconciliation_statement(
        account, datetime.date(2026, 10, 1), datetime.date(2026, 10, 1), today=TODAY
    )
    assert statement.opening == Decimal("1000.00")
    assert [(line.text, line.debit, line.credit, line.source) for line in statement.lines] == [
        ("Начислено за октябрь 2026", Decimal("1200.00"), 0, ""),
        ("Перерасчёт за октябрь 2026", 0, Decimal("50.00"), ""),
        ("Пени за октябрь 2026", Decimal("12.34"), 0, ""),
        ("Оплата за сентябрь 2026", 0, Decimal("1000.00"), "банк (реестр платежей)"),
        ("Оплата", 0, Decimal("300.00"), "онлайн-оплата"),
    ]
    assert statement.closing == Decimal("862.34")
    assert statement.to == datetime.date(2026, 10, 31)
    assert statement.paid_by_source == [
        ("банк (реестр платежей)", Decimal("1000.00")),
        ("онлайн-оплата", Decimal("300.00")),
    ]


def test_xlsx_and_pdf_carry_the_same_figures():
    account = PersonalAccountFactory()
    history(account)
    statement = reconciliation_statement(
        account, datetime.date(2026, 9, 1), datetime.date(2026, 10, 1), today=TODAY
    )
    sheet = load_workbook(io.BytesIO(statement_xlsx(statement))).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Итого", None, None, 2212.34, 1350] in cells
    assert cells[-1][0] == "Сальдо на 31.10.2026"
    assert cells[-1][-1] == 862.34
    assert any(row[1] == "Оплата за сентябрь 2026" and row[4] == 1000 for row in cells)
    pdf = statement_pdf(statement, issued=TODAY)
    assert pdf.startswith(b"%PDF")


def test_the_page_and_its_downloads(client):
    link = AccountLinkFactory()
    history(link.account)
    client.force_login(link.user)
    url = reverse("portal:reconciliation", args=[link.account.pk])

    response = client.get(url, {"first": "2026-09", "last": "2026-10"})
    page = text_of(response)
    assert "Акт сверки взаиморасчётов" in page
    assert "Сальдо на 01.09.2026" in page
    assert "862,34" in page
    assert "first=2026-09&amp;last=2026-10" in response.content.decode()

    pdf = client.get(reverse("portal:reconciliation_pdf", args=[link.account.pk]),
                     {"first": "2026-09", "last": "2026-10"})  # fmt: skip
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(reverse("portal:reconciliation_xlsx", args=[link.account.pk]))
    assert "akt-sverki" in xlsx["Content-Disposition"]

    payments = client.get(reverse("portal:account_payments", args=[link.account.pk]))
    assert url in payments.content.decode()


def test_another_residents_account_is_not_found(client):
    link = AccountLinkFactory()
    stranger = AccountLinkFactory()
    client.force_login(stranger.user)
    for name in (
        "portal:reconciliation",
        "portal:reconciliation_pdf",
        "portal:reconciliation_xlsx",
    ):
        assert client.get(reverse(name, args=[link.account.pk])).status_code == 404
