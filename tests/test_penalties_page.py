"""«Пени» of one personal account: a closed month's penalty, day range by day range, as the
billing run computed it, and the penalty of every month. Figures are checked by hand."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.billing.models import CalculationMethod, Penalty, PeriodStatus
from kabinet.billing.selectors import penalty_calculation
from kabinet.billing.services import close_period, run_billing
from kabinet.payments.models import PaymentSource
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    PaymentFactory,
    PeriodFactory,
    ServiceFactory,
    UserFactory,
)
from tests.test_account_pages import NBSP, text_of

pytestmark = pytest.mark.django_db
D = Decimal
JUNE, AUGUST = datetime.date(2026, 6, 1), datetime.date(2026, 8, 1)
SEPTEMBER, OCTOBER = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def link():
    """ЛС with 2 000,00 unpaid for June (due 10.07) and 10 000,00 for August (due 10.09);
    4 000,00 paid on 20 October. September and October are calculated and closed, November is
    calculated and still open. The key rate is 16,5 %."""
    link = AccountLinkFactory()
    account, organization = link.account, link.account.organization
    organization.key_rates.create(valid_from=datetime.date(2025, 10, 27), rate=D("16.5"))
    ServiceFactory(organization=organization, name="Пени", method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    for month, amount in ((JUNE, "2000.00"), (AUGUST, "10000.00")):
        period = PeriodFactory(organization=organization, month=month)
        ChargeFactory(account=account, service=base, period=period, charged=D(amount))
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 20), amount=D("4000.00"),
                   source=PaymentSource.BANK)  # fmt: skip
    period = PeriodFactory(organization=organization, month=SEPTEMBER, status=PeriodStatus.OPEN)
    for _ in range(2):  # September, then October
        run_billing(period)
        period = close_period(period)
    run_billing(period)  # November: a draft
    return link


@pytest.fixture
def resident(client, link):
    client.force_login(link.user)
    return client


def penalties_url(account, period=None):
    url = reverse("portal:account_penalties", args=[account.pk])
    return f"{url}?period={period}" if period else url


def rows(response):
    """The calculation's lines as the resident reads them, cell by cell."""
    return [
        (line.debt_month, line.date_from, line.date_to, line.days, line.first_overdue_day,
         line.debt, line.fraction, line.amount)
        for line in response.context["calculation"].lines
    ]  # fmt: skip


def test_latest_month_with_penalties_is_shown_day_by_day(resident, link):
    response = resident.get(penalties_url(link.account))
    assert response.context["period"].month == OCTOBER
    d = datetime.date
    assert rows(response) == [
        # June: 2 000 × 8 × 16,5 % / 300 = 8,80; day 91 of delay is 9 October: then 1/130,
        # 2 000 × 12 × 16,5 % / 130 = 30,4615…; the payment of 20 October pays June first.
        (JUNE, d(2026, 10, 1), d(2026, 10, 8), 8, 83, D("2000.00"), 300, D("8.80")),
        (JUNE, d(2026, 10, 9), d(2026, 10, 20), 12, 91, D("2000.00"), 130, D("30.46")),
        # August: due 10 September, day 31 is 11 October; 10 000 × 10 × 16,5 % / 300 = 55,00,
        # then the 8 000 left after the payment: 8 000 × 11 × 16,5 % / 300 = 48,40.
        (AUGUST, d(2026, 10, 11), d(2026, 10, 20), 10, 31, D("10000.00"), 300, D("55.00")),
        (AUGUST, d(2026, 10, 21), d(2026, 10, 31), 11, 41, D("8000.00"), 300, D("48.40")),
    ]
    calculation = response.context["calculation"]
    assert calculation.lines_total == calculation.charged == D("142.66")
    page = text_of(response)
    assert "Расчёт пеней за октябрь 2026" in page
    assert "01.10.2026 – 08.10.2026" in page
    assert "с 91-го" in page
    assert "1/130" in page
    assert f"10{NBSP}000,00" in page
    assert "16,50" in page
    assert re.search(r'data-testid="penalty-total">142,66<', response.text)


def test_the_lines_add_up_to_the_months_penalty_charge(link):
    account = link.account
    for month, expected in ((SEPTEMBER, D("33.00")), (OCTOBER, D("142.66"))):
        period = account.organization.periods.get(month=month)
        calculation = penalty_calculation(account, period)
        charge = account.charges.get(period=period, service__method=CalculationMethod.PENALTY)
        assert calculation.lines_total == charge.charged == expected


def test_a_month_is_chosen_from_the_list(resident, link):
    response = resident.get(penalties_url(link.account, "2026-09"))
    assert response.context["period"].month == SEPTEMBER
    # Only June's debt is 30 days late in September: 2 000 × 30 × 16,5 % / 300 = 33,00.
    assert rows(response) == [
        (JUNE, SEPTEMBER, datetime.date(2026, 9, 30), 30, 53, D("2000.00"), 300, D("33.00")),
    ]
    options = re.findall(r'<option value="([\d-]+)"( selected)?', response.text)
    assert options == [("2026-10", ""), ("2026-09", " selected")]
    month_totals = [(line.period.month, line.total) for line in response.context["lines"]]
    assert month_totals == [(OCTOBER, D("142.66")), (SEPTEMBER, D("33.00"))]


def test_open_period_penalties_are_not_shown(resident, link):
    november = link.account.organization.periods.get(month=datetime.date(2026, 11, 1))
    assert not november.is_closed
    assert Penalty.objects.filter(period=november, account=link.account).exists()
    response = resident.get(penalties_url(link.account))
    assert [line.period.month for line in response.context["lines"]] == [OCTOBER, SEPTEMBER]
    assert "ноябрь 2026" not in text_of(response)
    assert resident.get(penalties_url(link.account, "2026-11")).status_code == 404
    assert penalty_calculation(link.account, november).lines == []


@pytest.mark.parametrize("period", ["2026-07", "2026-13", "октябрь"])
def test_a_month_without_published_penalties_is_not_found(resident, link, period):
    assert resident.get(penalties_url(link.account, period)).status_code == 404


def test_another_residents_account_is_not_found(client, link):
    client.force_login(UserFactory())
    assert client.get(penalties_url(link.account)).status_code == 404
    assert client.get(penalties_url(link.account, "2026-10")).status_code == 404


def test_every_cell_is_labelled_for_a_phone(resident, link):
    content = resident.get(penalties_url(link.account)).text
    table = content[content.index("<tbody>") : content.index("</tbody>")]
    cells = re.findall(r"<td([^>]*)>", table)
    assert len(cells) == 4 * 8
    assert all("data-label=" in cell for cell in cells)


def test_an_account_without_penalties_says_so(client):
    other = AccountLinkFactory()
    client.force_login(other.user)
    response = client.get(penalties_url(other.account))
    assert response.context["calculation"] is None
    assert "Пени по этому лицевому счету не начислялись." in text_of(response)
