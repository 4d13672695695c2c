"""«Как рассчитано» from what the run stored (issue 17): per basis a hand-checked line whose
inputs the run kept (``Charge.inputs``, ``HouseFigures``) and whose explanation prints them in
steps that add up to the stored amount."""

import datetime
from decimal import Decimal

import pytest

from kabinet.billing.closing import close_period
from kabinet.billing.explanation import explain_charge
from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    ChargeBasis,
    ClosedPeriodError,
    CommonNeedsNormative,
    HouseFigures,
    PeriodStatus,
)
from kabinet.billing.run import run_billing
from kabinet.metering.models import MeterImpossible, Resource
from tests.factories import (
    HouseFactory,
    MeterFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
NOVEMBER = datetime.date(2026, 11, 1)
OCTOBER = datetime.date(2026, 10, 1)
JANUARY = datetime.date(2026, 1, 1)


@pytest.fixture
def house():
    return HouseFactory(
        residential_area=D("400.00"), non_residential_area=D("100.00"),
        common_property_area=D("50.00"),
    )  # fmt: skip


@pytest.fixture
def period(house):
    return PeriodFactory(organization=house.organization, month=NOVEMBER, status=PeriodStatus.OPEN)


def account_in(house, area, **kwargs):
    return PersonalAccountFactory(premise__house=house, premise__area=D(area), **kwargs)


def service(house, method, tariff, **kwargs):
    made = ServiceFactory(organization=house.organization, method=method, **kwargs)
    TariffFactory(service=made, value=D(tariff), valid_from=JANUARY)
    return made


def read(meter, month, value):
    return ReadingFactory(meter=meter, period=month, value=D(value), taken_on=month.replace(day=20))


def explained(account, service, period):
    """The stored line, its explanation's steps as (text, amount), checked to add up: the
    money steps before «Начислено» sum to the stored amount, the last one is that amount."""
    charge = Charge.objects.select_related("service", "period", "account__premise").get(
        account=account, service=service, period=period
    )
    explanation = explain_charge(charge)
    steps = [(step.text, step.amount) for step in explanation.steps]
    amounts = [amount for _, amount in steps if amount is not None]
    assert amounts[-1] == charge.charged == explanation.total
    if len(amounts) > 1:
        assert sum(amounts[:-1]) == charge.charged
    return charge, steps


def test_by_reading_prints_the_two_readings_and_their_difference(house, period):
    account = account_in(house, "54.00")
    water = service(house, CalculationMethod.METER, "48.50", resource=Resource.COLD_WATER,
                    unit="куб м", normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER, serial_number="ХВ-1")
    read(meter, OCTOBER, "100.000")
    read(meter, NOVEMBER, "104.250")
    run_billing(period)
    charge, steps = explained(account, water, period)
    assert charge.basis == ChargeBasis.READING
    assert charge.inputs["meters"][0]["previous"] == "100.000"
    assert steps[0] == (
        "Прибор учёта № ХВ-1: показания за октябрь 2026 — 100,000, за ноябрь 2026 — 104,250; "
        "расход 104,250 − 100,000 = 4,25 м³",
        None,
    )
    # 4,25 × 48,50 = 206,125 → 206,13
    assert steps[1] == ("4,25 м³ × 48,50 ₽/м³, округлено до копейки", D("206.13"))


def test_a_meters_number_with_jsons_and_copys_special_characters_is_kept_as_it_is(house, period):
    # The run writes ``inputs`` as JSON text of its own (meter_volumes.meter_source), through
    # COPY's text format on PostgreSQL, into a ``json`` column there (billing 0033): a quote and
    # a backslash are JSON's escapes, a backslash and a tab COPY's.
    account = account_in(house, "54.00")
    water = service(house, CalculationMethod.METER, "48.50", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    serial = 'ХВ\\7 "А"\t1'
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER, serial_number=serial)
    read(meter, OCTOBER, "100.000")
    read(meter, NOVEMBER, "104.250")
    run_billing(period)
    charge = Charge.objects.get(account=account, service=water, period=period)
    assert charge.inputs["meters"][0]["serial"] == serial
    assert charge.inputs["meters"][0]["used"] == "4.250"


def test_two_meters_of_a_resource_are_listed_by_their_numbers(house, period):
    """The run reads the meters in no order (billing.meter_volumes): an account's meters of a
    resource are put in order by number, whatever order they were installed in, and the
    line's volume is the sum of theirs."""
    account = account_in(house, "54.00")
    water = service(house, CalculationMethod.METER, "48.50", resource=Resource.COLD_WATER,
                    unit="куб м", normative=D("4.5"))  # fmt: skip
    for serial, previous, current in (("ХВ-2", "10.000", "11.500"), ("ХВ-1", "20.000", "22.000")):
        meter = MeterFactory(account=account, resource=Resource.COLD_WATER, serial_number=serial)
        read(meter, OCTOBER, previous)
        read(meter, NOVEMBER, current)
    run_billing(period)
    charge, steps = explained(account, water, period)
    assert [meter["serial"] for meter in charge.inputs["meters"]] == ["ХВ-1", "ХВ-2"]
    assert charge.volume == D("3.5")
    assert steps[0][0].startswith("Прибор учёта № ХВ-1")
    assert steps[1][0].startswith("Прибор учёта № ХВ-2")


def test_by_average_prints_the_months_averaged(house, period):
    account = account_in(house, "54.00")
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    unit="куб м", normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER, serial_number="ХВ-2")
    read(meter, datetime.date(2026, 7, 1), "100.000")
    read(meter, OCTOBER, "112.000")  # none for November
    run_billing(period)
    charge, steps = explained(account, water, period)
    assert charge.basis == ChargeBasis.AVERAGE
    assert steps[0][0] == (
        "Прибор учёта № ХВ-2: показаний за месяц нет — среднемесячный расход (Правила № 354 "
        "п. 59) по последним показаниям: показания за июль 2026 — 100,000, за октябрь 2026 — "
        "112,000; расход 112,000 − 100,000 = 12,00 м³ за 3 мес.: 12,00 м³ / 3 = 4,00 м³ в месяц"
    )
    assert steps[1] == ("4,00 м³ × 10,00 ₽/м³, округлено до копейки", D("40.00"))


def test_by_normative_prints_persons_normative_and_the_coefficient(house, period):
    account = account_in(house, "54.00", residents=2)
    hot = service(house, CalculationMethod.METER, "50.00", resource=Resource.HOT_WATER,
                  unit="куб м", normative=D("4.5"))  # fmt: skip
    run_billing(period)  # no meter though one can be installed: × 1,5 (Правила № 354 п. 42)
    charge, steps = explained(account, hot, period)
    assert (charge.inputs["persons"], charge.inputs["normative"]) == (2, "4.500000")
    assert steps[0] == (
        "Норматив 4,50 м³ на человека в месяц × 2 чел. (зарегистрировано) = 9,00 м³",
        None,
    )
    assert steps[1] == ("9,00 м³ × 50,00 ₽/м³, округлено до копейки", D("450.00"))
    assert steps[2][0].startswith("Повышающий коэффициент 1,50")
    assert steps[2][1] == D("225.00")  # 450 × (1,5 − 1)
    assert charge.charged == D("675.00")


def test_by_normative_counts_the_owners_when_nobody_is_registered(house, period):
    account = account_in(house, "54.00", residents=0, owners=3)
    MeterImpossible.objects.create(premise=account.premise, resource=Resource.HOT_WATER,
                                   established_on=JANUARY)  # fmt: skip
    hot = service(house, CalculationMethod.METER, "50.00", resource=Resource.HOT_WATER,
                  unit="куб м", normative=D("2"))  # fmt: skip
    run_billing(period)
    _, steps = explained(account, hot, period)
    assert steps[0][0] == (
        "Норматив 2,00 м³ на человека в месяц × 3 чел. (собственники: никто не "
        "зарегистрирован, Правила № 354 п. 56(2)) = 6,00 м³"
    )
    assert steps[1] == ("6,00 м³ × 50,00 ₽/м³, округлено до копейки", D("300.00"))


def test_by_area_prints_the_area_and_the_accounts_share(house, period):
    account = account_in(house, "60.00", share=D("0.5"))
    upkeep = service(house, CalculationMethod.AREA, "18.40")
    run_billing(period)
    _, steps = explained(account, upkeep, period)
    assert steps[0] == ("Площадь помещения 60,00 м² × доля в помещении 0,5 = 30,00 м²", None)
    assert steps[1] == ("30,00 м² × 18,40 ₽/м², округлено до копейки", D("552.00"))


def test_common_share_prints_the_house_figures_once_stored_per_house(house, period):
    small, large = account_in(house, "30.00"), account_in(house, "70.00")
    power = service(house, CalculationMethod.METER, "6.00", resource=Resource.ELECTRICITY,
                    unit="кВтч", normative=D("100"))  # fmt: skip
    for account, before, now in ((small, "1000", "1080"), (large, "2000", "2120")):
        meter = MeterFactory(account=account, resource=Resource.ELECTRICITY, serial_number="Э")
        read(meter, OCTOBER, before)
        read(meter, NOVEMBER, now)
    CommonNeedsNormative.objects.create(organization=house.organization,
                                        resource=Resource.ELECTRICITY, value=D("10"),
                                        valid_from=JANUARY)  # fmt: skip
    house_meter = MeterFactory(account=None, house=house, resource=Resource.ELECTRICITY, digits=8)
    read(house_meter, OCTOBER, "10000")
    read(house_meter, NOVEMBER, "10300")
    run_billing(period)
    figures = HouseFigures.objects.get(period=period, house=house, resource=Resource.ELECTRICITY)
    assert (figures.house_volume, figures.individual, figures.charged) == (
        D("300"), D("200"), D("100"),
    )  # fmt: skip
    assert (figures.premises_area, figures.common_area) == (D("500"), D("50"))
    _, steps = explained(small, power, period)
    texts = [text for text, _ in steps]
    assert (
        "Дом за месяц по общедомовому прибору учёта: 300,00 кВт·ч; все помещения по своим "
        "объёмам: 200,00 кВт·ч; на общедомовые нужды 300,00 кВт·ч − 200,00 кВт·ч = 100,00 кВт·ч"
    ) in texts
    assert (
        "Не больше чем норматив на ОДН 10,00 кВт·ч на 1 м² × площадь общего имущества 50,00 м² = "
        "500,00 кВт·ч; распределяется 100,00 кВт·ч"
    ) in texts
    # 100 × 30 / 500 = 6 kWh; 6 × 6,00 = 36,00; 80 × 6,00 = 480,00
    assert (
        "Доля помещения: 100,00 кВт·ч × площадь помещения 30,00 м² / площадь всех помещений "
        "дома 500,00 м² = 6,00 кВт·ч"
    ) in texts
    assert [amount for _, amount in steps if amount] == [D("480.00"), D("36.00"), D("516.00")]


def test_a_partial_month_prints_its_days(house, period):
    account = account_in(house, "30.00", opened_on=datetime.date(2026, 11, 21))
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    run_billing(period)
    charge, steps = explained(account, upkeep, period)
    assert (charge.inputs["days"], charge.inputs["month_days"]) == (10, 30)
    assert steps[0][0].startswith(
        "Лицевой счёт действовал не весь месяц: с 21.11.2026 по 30.11.2026 — 10 дн. из 30"
    )
    assert steps[1] == ("Площадь помещения 30,00 м² × 10/30 = 10,00 м²", None)
    assert steps[2] == ("10,00 м² × 20,00 ₽/м², округлено до копейки", D("200.00"))


def test_a_tariff_changed_mid_month_prints_each_tariff_with_its_days(house, period):
    account = account_in(house, "50.00")
    upkeep = ServiceFactory(organization=house.organization, method=CalculationMethod.AREA)
    TariffFactory(service=upkeep, value=D("20.00"), valid_from=JANUARY,
                  valid_to=datetime.date(2026, 11, 15))  # fmt: skip
    TariffFactory(service=upkeep, value=D("23.00"), valid_from=datetime.date(2026, 11, 16))
    run_billing(period)
    _, steps = explained(account, upkeep, period)
    assert steps == [
        ("Площадь помещения 50,00 м²", None),
        ("с 01.11 по 15.11 (15 дн.): 25,00 м² × 20,00 ₽/м²", D("500.00")),  # 50 × 15/30 × 20
        ("с 16.11 по 30.11 (15 дн.): 25,00 м² × 23,00 ₽/м²", D("575.00")),
        ("Плата за объём помещения — сумма частей по тарифам", D("1075.00")),
    ]


def test_house_figures_of_a_closed_period_do_not_change(house, period):
    account_in(house, "30.00")
    service(house, CalculationMethod.AREA, "20.00")
    run_billing(period)
    figures = HouseFigures(period=period, house=house, resource=Resource.ELECTRICITY,
                           individual=0, premises_area=1, charged=1)  # fmt: skip
    figures.save()
    close_period(period)
    figures.charged = D("2")
    with pytest.raises(ClosedPeriodError):
        figures.save()
    with pytest.raises(ClosedPeriodError):
        HouseFigures.objects.filter(period=period).delete()
