"""«Как рассчитано» through the API (issue 17): a line of the resident's own account in words
and figures, with the inputs the run stored and its house's ОДН figures; anyone else's line,
an open month or a wrong month is not found."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.billing.models import CalculationMethod, ChargeBasis, HouseFigures, PeriodStatus
from kabinet.metering.models import Resource
from tests.factories import AccountLinkFactory, ChargeFactory, PeriodFactory, ServiceFactory
from tests.test_api import get, token_of

pytestmark = pytest.mark.django_db
D = Decimal
OCTOBER = datetime.date(2026, 10, 1)


def url(charge, month=OCTOBER):
    return reverse(
        "api:charge_explanation", args=[charge.account_id, f"{month:%Y-%m}", charge.service_id]
    )


@pytest.fixture
def link():
    return AccountLinkFactory()


@pytest.fixture
def power_line(link):
    """80 kWh by the meter and 6 kWh of the house's 100 kWh ОДН (30 of 500 m²) at 6,00."""
    account = link.account
    period = PeriodFactory(organization=account.organization, month=OCTOBER)
    power = ServiceFactory(organization=account.organization, name="Электроэнергия",
                           unit="кВтч", method=CalculationMethod.METER,
                           resource=Resource.ELECTRICITY)  # fmt: skip
    HouseFigures.objects.bulk_create([
        HouseFigures(period=period, house=account.premise.house, resource=Resource.ELECTRICITY,
                     house_volume=D("300"), individual=D("200"), normative=D("10"),
                     common_area=D("50"), premises_area=D("500"), charged=D("100")),
    ])  # fmt: skip
    meter = {"serial": "Э-7", "how": "reading", "from": "2026-09-01", "previous": "1000.000",
             "to": "2026-10-01", "current": "1080.000", "months": 1, "used": "80.000",
             "taken_off": "0", "volume": "80.000"}  # fmt: skip
    return ChargeFactory(
        account=account, period=period, service=power, tariff=D("6.0000"), volume=D("80"),
        basis=ChargeBasis.READING, common_volume=D("6"), common_charged=D("36.00"),
        charged=D("516.00"), inputs={"meters": [meter], "area": "30.00"},
    )  # fmt: skip


def test_the_resident_reads_how_a_line_was_calculated_with_its_inputs(client, link, power_line):
    response = get(client, url(power_line), token_of(link.user))
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == "Электроэнергия"
    assert body["inputs"]["meters"][0]["previous"] == "1000.000"
    assert body["house_figures"]["house_volume"] == "300.000000"
    texts = [step["text"] for step in body["steps"]]
    assert texts[0] == (
        "Прибор учёта № Э-7: показания за сентябрь 2026 — 1\u00a0000,000, за октябрь 2026 — "
        "1\u00a0080,000; расход 1\u00a0080,000 − 1\u00a0000,000 = 80,00 кВт·ч"
    )
    assert any(text.startswith("Доля помещения: 100,00 кВт·ч × площадь") for text in texts)
    amounts = [D(step["amount"]) for step in body["steps"] if step["amount"] is not None]
    assert amounts == [D("480.00"), D("36.00"), D("516.00")]  # 80 × 6 + 6 × 6
    assert D(body["total"]) == D("516.00")


def test_the_month_table_names_each_lines_service_for_the_explanation(client, link, power_line):
    response = get(client, reverse("api:month_charges", args=[link.account.pk, "2026-10"]),
                   token_of(link.user))  # fmt: skip
    [line] = response.json()["services"]
    assert line["service_id"] == power_line.service_id


def test_another_residents_line_an_open_or_a_wrong_month_is_not_found(client, link, power_line):
    stranger = AccountLinkFactory().user
    assert get(client, url(power_line), token_of(stranger)).status_code == 404
    secret = token_of(link.user)
    assert get(client, url(power_line, datetime.date(2026, 9, 1)), secret).status_code == 404
    wrong = reverse("api:charge_explanation", args=[link.account.pk, "2026-13", 1])
    assert get(client, wrong, secret).status_code == 404
    november = datetime.date(2026, 11, 1)
    draft = ChargeFactory(
        account=link.account, service=power_line.service,
        period=PeriodFactory(organization=link.account.organization, month=november,
                             status=PeriodStatus.OPEN),
    )  # fmt: skip
    assert get(client, url(draft, november), secret).status_code == 404
