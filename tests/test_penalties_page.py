"""«Пени» of one personal account: a closed month's penalty, day range by day range, as the
billing run computed it, and the penalty of every month. Figures are checked by hand."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.billing.closing import close_period
from kabinet.billing.models import CalculationMethod, Penalty, PeriodStatus
from kabinet.billing.run import run_billing
from kabinet.billing.selectors import penalty_calculation
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
    """ЛС with 2 000,00 unpaid for June (due 15.07) and 10 000,00 for August (due 15.09: the
    15th, Федеральный закон № 177-ФЗ); 4 000,00 paid on 20 October. September and October are
    calculated and closed, November is calculated and still open. The shipped key rate
    (15,5 % from 16.02.2026) is capped at 9,5 % (Постановление № 329)."""
    link = AccountLinkFactory()
    account, organization = link.account, link.account.organization
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
        # June: 2 000 × 13 × 9,5 % / 300 = 8,233…; day 91 of delay is 14 October: then 1/130,
        # 2 000 × 7 × 9,5 % / 130 = 10,230…; the payment of 20 October pays June first.
        (JUNE, d(2026, 10, 1), d(2026, 10, 13), 13, 78, D("2000.00"), 300, D("8.23")),
        (JUNE, d(2026, 10, 14), d(2026, 10, 20), 7, 91, D("2000.00"), 130, D("10.23")),
        # August: due 15 September, day 31 is 16 October; 10 000 × 5 × 9,5 % / 300 = 15,833…,
        # then the 8 000 left after the payment: 8 000 × 11 × 9,5 % / 300 = 27,866…
        (AUGUST, d(2026, 10, 16), d(2026, 10, 20), 5, 31, D("10000.00"), 300, D("15.83")),
        (AUGUST, d(2026, 10, 21), d(2026, 10, 31), 11, 36, D("8000.00"), 300, D("27.87")),
    ]
    calculation = response.context["calculation"]
    assert calculation.lines_total == calculation.charged == D("62.16")
    assert {line.rule for line in calculation.lines} == {"rate_cap"}
    page = text_of(response)
    assert "Расчёт пеней за октябрь 2026" in page
    assert "01.10.2026 – 13.10.2026" in page
    assert "с 91-го" in page
    assert "1/130" in page
    assert f"10{NBSP}000,00" in page
    assert "9,50" in page
    assert "ставка не выше предельной (ПП РФ № 474, № 329)" in page
    assert re.search(r'data-testid="penalty-total">62,16<', response.text)


def test_the_lines_add_up_to_the_months_penalty_charge(link):
    account = link.account
    for month, expected in ((SEPTEMBER, D("19.00")), (OCTOBER, D("62.16"))):
        period = account.organization.periods.get(month=month)
        calculation = penalty_calculation(account, period)
        charge = account.charges.get(period=period, service__method=CalculationMethod.PENALTY)
        assert calculation.lines_total == charge.charged == expected


def test_a_month_is_chosen_from_the_list(resident, link):
    response = resident.get(penalties_url(link.account, "2026-09"))
    assert response.context["period"].month == SEPTEMBER
    # Only June's debt is 30 days late in September: 2 000 × 30 × 9,5 % / 300 = 19,00.
    assert rows(response) == [
        (JUNE, SEPTEMBER, datetime.date(2026, 9, 30), 30, 48, D("2000.00"), 300, D("19.00")),
    ]
    options = re.findall(r'<option value="([\d-]+)"( selected)?', response.text)
    assert options == [("2026-10", ""), ("2026-09", " selected")]
    month_totals = [(line.period.month, line.penalty) for line in response.context["months"]]
    assert month_totals == [(OCTOBER, D("62.16")), (SEPTEMBER, D("19.00"))]


def test_open_period_penalties_are_not_shown(resident, link):
    november = link.account.organization.periods.get(month=datetime.date(2026, 11, 1))
    assert not november.is_closed
    assert Penalty.objects.filter(period=november, account=link.account).exists()
    response = resident.get(penalties_url(link.account))
    assert [line.period.month for line in response.context["months"]] == [OCTOBER, SEPTEMBER]
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
    assert len(cells) == 4 * 10 + 2  # four ranges of days; June's and August's totals
    assert all("data-label=" in cell for cell in cells)


def test_an_account_without_penalties_says_so(client):
    other = AccountLinkFactory()
    client.force_login(other.user)
    response = client.get(penalties_url(other.account))
    assert response.context["calculation"] is None
    assert "Пени по этому лицевому счету не начислялись." in text_of(response)


def test_moratorium_days_are_shown_as_such(client):
    """Постановление № 497: no penalty on 01.04–01.10.2022 for debts that arose before it.
    January 2022 (due 10.02.2022) in October 2022: 1 October under the moratorium, then
    3 000 × 30 × 7,5 % / 130 = 51,923… (the key rate of 31.10.2022 is below the 9,5 % cap)."""
    link = AccountLinkFactory()
    account, organization = link.account, link.account.organization
    ServiceFactory(organization=organization, name="Пени", method=CalculationMethod.PENALTY)
    base = ServiceFactory(organization=organization, method=CalculationMethod.FIXED)
    january = PeriodFactory(organization=organization, month=datetime.date(2022, 1, 1))
    ChargeFactory(account=account, service=base, period=january, charged=D("3000.00"))
    october = PeriodFactory(organization=organization, month=datetime.date(2022, 10, 1),
                            status=PeriodStatus.OPEN)  # fmt: skip
    run_billing(october)
    close_period(october)
    client.force_login(link.user)
    response = client.get(penalties_url(account, "2022-10"))
    lines = response.context["calculation"].lines
    assert [(line.date_from.day, line.date_to.day, line.rule, line.amount) for line in lines] == [
        (1, 1, "moratorium", D("0.00")),
        (2, 31, "key_rate", D("51.92")),
    ]
    assert 'data-rule="moratorium">мораторий: пени не начисляются (ПП РФ № 424, № 497)<' in (
        response.text
    )


def test_the_formula_multiplies_by_the_fraction_of_the_rate(resident, link):
    page = text_of(resident.get(penalties_url(link.account)))
    formula = " ".join(page.split())
    assert "сумма долга × дней × ставка ÷ 100 × доля ставки (1/300 или 1/130)" in formula
    assert "÷ доля ставки" not in formula
