"""«Акт сверки»: the reconciliation statement is the ledger of «Платежи», as a page, PDF and
XLSX, for any range of days."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kabinet.billing.ledger import account_ledger, opening_balance
from kabinet.billing.models import CalculationMethod
from kabinet.billing.reconciliation import reconciliation_statement
from kabinet.billing.reconciliation_documents import statement_pdf, statement_xlsx
from kabinet.billing.selectors import account_balance
from kabinet.months import add_months
from kabinet.payments.models import PaymentSource
from kabinet.portal.payments_forms import StatementRangeForm
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


YEAR_END = datetime.date(2026, 12, 31)


def month_end(month):
    return add_months(month, 1) - datetime.timedelta(days=1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    charge_rows=charges,
    payment_rows=payments,
    first_day=st.integers(-20, 380),
    length=st.integers(0, 400),
    whole_months=st.booleans(),
)
def test_statement_closing_is_opening_plus_movements_for_any_range(
    charge_rows, payment_rows, first_day, length, whole_months
):
    account = PersonalAccountFactory()
    make_history(account, charge_rows, payment_rows)
    first = JAN + datetime.timedelta(days=first_day)
    last = first + datetime.timedelta(days=length)
    if whole_months:
        first, last = first.replace(day=1), month_end(last)
    statement = reconciliation_statement(account, first, last)

    assert statement.closing == (
        statement.opening
        + statement.charged
        + statement.recalculation
        + statement.penalties
        - statement.paid
    )
    assert statement.closing == statement.opening + statement.debit - statement.credit
    # The ledger's rules: the opening is its balance at the first day, the closing the
    # balance at the start of the day after the last.
    assert statement.opening == opening_balance(account, first)
    assert statement.closing == opening_balance(account, last + datetime.timedelta(days=1))
    assert sum((amount for _, amount in statement.paid_by_source), Decimal(0)) == statement.paid
    assert all(first <= line.day <= last for line in statement.lines)
    assert [line.day for line in statement.lines] == sorted(line.day for line in statement.lines)
    if whole_months:
        ledger = account_ledger(account, first, last)
        assert (statement.opening, statement.closing) == (ledger.opening, ledger.closing)
        assert (statement.charged, statement.recalculation, statement.penalties) == (
            ledger.charged, ledger.recalculation, ledger.penalties
        )  # fmt: skip
        assert statement.paid == ledger.paid
    if last >= YEAR_END:
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
        account, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
    )
    assert statement.opening == Decimal("1000.00")
    assert [(line.text, line.debit, line.credit, line.source) for line in statement.lines] == [
        ("Оплата за сентябрь 2026", 0, Decimal("1000.00"), "банк (реестр платежей)"),
        ("Оплата", 0, Decimal("300.00"), "онлайн-оплата"),
        ("Начислено за октябрь 2026", Decimal("1200.00"), 0, ""),
        ("Перерасчёт за октябрь 2026", 0, Decimal("50.00"), ""),
        ("Пени за октябрь 2026", Decimal("12.34"), 0, ""),
    ]
    assert statement.lines[-1].day == datetime.date(2026, 10, 31)
    assert statement.closing == Decimal("862.34")
    assert statement.to == datetime.date(2026, 10, 31)
    assert statement.paid_by_source == [
        ("банк (реестр платежей)", Decimal("1000.00")),
        ("онлайн-оплата", Decimal("300.00")),
    ]


def test_a_range_inside_months_takes_the_charges_of_the_months_it_closes():
    account = PersonalAccountFactory()
    history(account)
    # From 10.09 (September's charges fall on 30.09: in) to 20.10 (October's on 31.10: out).
    statement = reconciliation_statement(
        account, datetime.date(2026, 9, 10), datetime.date(2026, 10, 20)
    )
    assert statement.opening == Decimal("0.00")
    assert statement.charged == Decimal("1000.00")
    assert (statement.recalculation, statement.penalties) == (0, 0)
    assert statement.paid == Decimal("1300.00")
    assert statement.closing == Decimal("-300.00")
    assert [line.day for line in statement.lines] == [
        datetime.date(2026, 9, 30), datetime.date(2026, 10, 5), datetime.date(2026, 10, 20)
    ]  # fmt: skip
    # The next day opens at the same balance; October's charges come on its last day.
    after = reconciliation_statement(account, datetime.date(2026, 10, 21), TODAY)
    assert after.opening == Decimal("-300.00")
    assert after.closing == account_balance(account) == Decimal("862.34")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (datetime.date(2026, 4, 1), TODAY)),
        ({"months": "3"}, (datetime.date(2027, 1, 1), TODAY)),
        ({"first": "2026-09-10", "last": "20.10.2026"},
         (datetime.date(2026, 9, 10), datetime.date(2026, 10, 20))),
        ({"first": "2026-09", "last": "2026-10"},
         (datetime.date(2026, 9, 1), datetime.date(2026, 10, 31))),
        ({"first": "2027-03", "last": "2027-03"}, (datetime.date(2027, 3, 1), TODAY)),
        ({"first": "2026-10-05"}, (datetime.date(2026, 10, 5), TODAY)),
    ],
)  # fmt: skip
def test_the_range_form_takes_days_months_and_quick_choices(query, expected):
    form = StatementRangeForm(query or None, today=TODAY)
    assert form.period()[:2] == expected


@pytest.mark.parametrize(
    "query",
    [
        {"first": "2026-10-21", "last": "2026-10-20"},
        {"first": "2027-03-01", "last": "2027-04-01"},
        {"first": "2010-01-01", "last": "2026-10-20"},
        {"first": "0001-01-01"},
        {"first": "2026-02-30"},
        {"first": "２０２６-10-01"},
    ],
)
def test_a_wrong_range_is_refused_and_the_default_shown(query):
    form = StatementRangeForm(query, today=TODAY)
    assert not form.is_valid()
    assert form.period() == (datetime.date(2026, 4, 1), TODAY, 12)


def test_xlsx_and_pdf_carry_the_same_figures():
    account = PersonalAccountFactory()
    history(account)
    statement = reconciliation_statement(
        account, datetime.date(2026, 9, 1), datetime.date(2026, 10, 31)
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
    assert "first=2026-09-01&amp;last=2026-10-31" in response.content.decode()

    response = client.get(url, {"first": "2026-09-10", "last": "2026-10-20"})
    page = text_of(response)
    assert "Сальдо на 20.10.2026" in page
    assert "-300,00" in page

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
