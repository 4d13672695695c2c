"""The monthly run: each method by hand-checked figures, tariffs by days, ОДН, recalculations,
repeatability, and closing a period."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext

from kabinet.billing.closing import close_period
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    Charge,
    ChargeBasis,
    HouseFigures,
    Penalty,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.billing.recalculations import (
    add_recalculation,
    delete_recalculation,
    recalculation_amounts,
)
from kabinet.billing.run import run_billing
from kabinet.billing.signals import period_closed
from kabinet.housing.models import OwnershipType
from kabinet.metering.models import MeterImpossible, Resource
from tests.factories import (
    HouseFactory,
    MeterFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db
NOVEMBER = datetime.date(2026, 11, 1)
D = Decimal


@pytest.fixture
def house():
    return HouseFactory()


@pytest.fixture
def period(house):
    return PeriodFactory(organization=house.organization, month=NOVEMBER, status=PeriodStatus.OPEN)


def account_in(house, area="54.00", **kwargs):
    return PersonalAccountFactory(premise__house=house, premise__area=D(area), **kwargs)


def service(house, method, tariff="10.00", **kwargs):
    made = ServiceFactory(organization=house.organization, method=method, **kwargs)
    TariffFactory(service=made, value=D(tariff), valid_from=datetime.date(2026, 1, 1))
    return made


def line(account, service, period):
    return Charge.objects.get(account=account, service=service, period=period)


def no_meter_possible(*accounts, resource=Resource.COLD_WATER):
    """A meter cannot be installed: the normative is charged without the coefficient."""
    for account in accounts:
        MeterImpossible.objects.create(premise=account.premise, resource=resource,
                                       established_on=datetime.date(2026, 1, 15))  # fmt: skip


def read(meter, month, value):
    return ReadingFactory(meter=meter, period=month, value=D(value), taken_on=month.replace(day=20))


def test_by_area_is_tariff_times_area_times_share(house, period):
    whole = account_in(house, "54.00")
    half = account_in(house, "60.00", share=D("0.5"))
    upkeep = service(house, CalculationMethod.AREA, "18.40")
    run_billing(period)
    assert line(whole, upkeep, period).charged == D("993.60")  # 18,40 × 54
    assert line(half, upkeep, period).volume == D("30")
    assert line(half, upkeep, period).charged == D("552.00")  # 18,40 × 60 × 0,5


def test_by_normative_is_normative_times_residents(house, period):
    account = account_in(house, residents=3)
    gas = service(house, CalculationMethod.NORMATIVE, "7.15", normative=D("9.6"))
    run_billing(period)
    charge = line(account, gas, period)
    assert (charge.volume, charge.charged, charge.basis) == (
        D("28.8"), D("205.92"), ChargeBasis.NORMATIVE
    )  # fmt: skip


def test_heating_by_normative_per_square_metre(house, period):
    account = account_in(house, "54.00")
    heating = service(house, CalculationMethod.AREA_NORMATIVE, "2950.00", normative=D("0.0105"))
    run_billing(period)
    assert line(account, heating, period).charged == D("1672.65")  # 54 × 0,0105 × 2950


def test_fixed_charge_per_account(house, period):
    account = account_in(house)
    intercom = service(house, CalculationMethod.FIXED, "65.00")
    run_billing(period)
    assert line(account, intercom, period).charged == D("65.00")


def test_service_for_municipal_premises_only(house, period):
    municipal = account_in(house, premise__ownership=OwnershipType.MUNICIPAL)
    private = account_in(house, premise__ownership=OwnershipType.PRIVATE)
    rent = service(house, CalculationMethod.AREA, "9.10", ownership=OwnershipType.MUNICIPAL)
    run_billing(period)
    assert line(municipal, rent, period).charged == D("491.40")
    assert not Charge.objects.filter(account=private, service=rent).exists()


def test_tariff_changed_mid_month_is_split_by_days(house, period):
    account = account_in(house, "50.00")
    upkeep = ServiceFactory(organization=house.organization, method=CalculationMethod.AREA)
    TariffFactory(service=upkeep, value=D("20.00"), valid_from=datetime.date(2026, 1, 1),
                  valid_to=datetime.date(2026, 11, 15))  # fmt: skip
    TariffFactory(service=upkeep, value=D("23.00"), valid_from=datetime.date(2026, 11, 16))
    run_billing(period)
    charge = line(account, upkeep, period)
    # Правила № 354 п. 69: the approved tariffs, each with its days, not their average
    assert charge.tariff_spans == [
        {"tariff": "20.0000", "from": "2026-11-01", "to": "2026-11-15", "days": 15,
         "volume": "25.000000", "amount": "500.00"},
        {"tariff": "23.0000", "from": "2026-11-16", "to": "2026-11-30", "days": 15,
         "volume": "25.000000", "amount": "575.00"},
    ]  # fmt: skip
    assert (charge.tariff, charge.charged) == (D("23.0000"), D("1075.00"))


def test_a_tariff_from_mid_month_charges_only_its_days(house, period):
    account = account_in(house, "50.00")
    upkeep = ServiceFactory(organization=house.organization, method=CalculationMethod.AREA)
    TariffFactory(service=upkeep, value=D("21.00"), valid_from=datetime.date(2026, 11, 21))
    run_billing(period)
    charge = line(account, upkeep, period)
    # 10 days of 30 at 21,00: 50 m² × 21,00 × 10 / 30 = 350,00
    assert charge.charged == D("350.00")
    assert [span["days"] for span in charge.tariff_spans] == [10]


def test_a_single_tariff_stores_no_spans(house, period):
    account = account_in(house, "50.00")
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    run_billing(period)
    assert line(account, upkeep, period).tariff_spans is None


def test_house_tariff_wins_over_organisation_tariff(house, period):
    account = account_in(house, "10.00")
    other_house = HouseFactory(organization=house.organization)
    elsewhere = account_in(other_house, "10.00")
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    TariffFactory(service=upkeep, house=house, value=D("25.00"), valid_from=NOVEMBER)
    run_billing(period)
    assert line(account, upkeep, period).charged == D("250.00")
    assert line(elsewhere, upkeep, period).charged == D("200.00")


def test_account_opened_mid_month_pays_for_its_days(house, period):
    account = account_in(house, "30.00", opened_on=datetime.date(2026, 11, 21))
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    run_billing(period)
    assert line(account, upkeep, period).charged == D("200.00")  # 10 days of 30


def test_meter_volume_is_the_difference_of_readings(house, period):
    account = account_in(house, residents=2)
    water = service(house, CalculationMethod.METER, "48.50", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    read(meter, datetime.date(2026, 10, 1), "100.000")
    read(meter, NOVEMBER, "104.250")
    run_billing(period)
    charge = line(account, water, period)
    assert (charge.volume, charge.charged, charge.basis) == (
        D("4.25"), D("206.13"), ChargeBasis.READING
    )  # fmt: skip


def test_missing_reading_is_charged_by_average_for_three_months_then_normative(house):
    organization = house.organization
    account = account_in(house, residents=2)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    for month, value in (("2026-05-01", "100"), ("2026-06-01", "103"), ("2026-07-01", "106"),
                         ("2026-08-01", "112")):  # fmt: skip
        read(meter, datetime.date.fromisoformat(month), value)
    volumes = {}
    for month in (datetime.date(2026, m, 1) for m in (9, 10, 11, 12)):
        period = PeriodFactory(organization=organization, month=month, status=PeriodStatus.OPEN)
        run_billing(period)
        charge = line(account, water, period)
        volumes[month.month] = (charge.volume, charge.basis)
        Period.objects.filter(pk=period.pk).update(status=PeriodStatus.CLOSED)
    average = (D("4"), ChargeBasis.AVERAGE)  # (112 − 100) / 3 months
    assert volumes[9] == volumes[10] == volumes[11] == average
    assert volumes[12] == (D("9"), ChargeBasis.NORMATIVE)  # 4,5 × 2 residents


def test_reading_after_estimates_charges_the_rest(house):
    organization = house.organization
    account = account_in(house, residents=2)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    read(meter, datetime.date(2026, 5, 1), "92")
    read(meter, datetime.date(2026, 7, 1), "100")
    read(meter, datetime.date(2026, 8, 1), "104")
    for number in (9, 10):  # no readings: (104 − 92) / 3 = 4 m³ a month by average
        month = datetime.date(2026, number, 1)
        run_billing(PeriodFactory(organization=organization, month=month,
                                  status=PeriodStatus.OPEN))  # fmt: skip
        Period.objects.filter(month=month).update(status=PeriodStatus.CLOSED)
    read(meter, NOVEMBER, "115")
    period = PeriodFactory(organization=organization, month=NOVEMBER, status=PeriodStatus.OPEN)
    run_billing(period)
    assert line(account, water, period).volume == D("3")  # 115 − 104 − 2 × 4


def test_with_two_meters_each_reading_takes_off_its_own_estimates(house):
    """Two cold-water meters of one account (Правила № 354 п. 59–61, each meter by itself).
    Kitchen 92 → 100 → 104 (May, July, August): 4 m³ a month by average (п. 59: at least three
    months of readings); bathroom 196 → 200 → 202: 2 m³.
    September–November by averages (4 + 2 = 6 m³ a month), December by the normative
    (4,5 × 2 residents = 9 m³, half of it for each meter, neither read). January 2027:
    kitchen 130 − 104 − (3 × 4 + 4,5) = 9,5; bathroom 215 − 202 − (3 × 2 + 4,5) = 2,5; the
    line is 12 m³ (before: 39 m³, nothing taken off with two meters)."""
    organization = house.organization
    account = account_in(house, residents=2)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    kitchen = MeterFactory(account=account, resource=Resource.COLD_WATER)
    bathroom = MeterFactory(account=account, resource=Resource.COLD_WATER)
    for meter, may, first, second in ((kitchen, "92", "100", "104"),
                                      (bathroom, "196", "200", "202")):  # fmt: skip
        read(meter, datetime.date(2026, 5, 1), may)
        read(meter, datetime.date(2026, 7, 1), first)
        read(meter, datetime.date(2026, 8, 1), second)
    volumes = {}
    for number in (9, 10, 11, 12):
        month = datetime.date(2026, number, 1)
        period = PeriodFactory(organization=organization, month=month, status=PeriodStatus.OPEN)
        run_billing(period)
        volumes[number] = line(account, water, period).volume
        Period.objects.filter(pk=period.pk).update(status=PeriodStatus.CLOSED)
    assert volumes == {9: D("6"), 10: D("6"), 11: D("6"), 12: D("9")}
    january = datetime.date(2027, 1, 1)
    read(kitchen, january, "130")
    read(bathroom, january, "215")
    period = PeriodFactory(organization=organization, month=january, status=PeriodStatus.OPEN)
    run_billing(period)
    assert (line(account, water, period).volume, line(account, water, period).basis) == (
        D("12"), ChargeBasis.READING
    )  # fmt: skip


def test_expired_meter_without_history_is_charged_by_normative_with_coefficient(house, period):
    account = account_in(house, residents=3)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, verification_due=datetime.date(2026, 10, 31))
    read(meter, datetime.date(2026, 10, 1), "100")
    read(meter, NOVEMBER, "102")
    run_billing(period)
    charge = line(account, water, period)
    # 4,5 × 3 = 13,5 m³ × 10,00 × 3 (cold water from 06.12.2025): 135,00 + 270,00 excess
    assert (charge.volume, charge.coefficient) == (D("13.5"), D("3"))
    assert (charge.charged, charge.coefficient_charged) == (D("405.00"), D("270.00"))


def test_expired_meter_is_charged_by_its_average_for_three_months(house, period):
    account = account_in(house, residents=3)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, verification_due=datetime.date(2026, 9, 30))
    for month, value in ((5, "100"), (7, "104"), (9, "109")):
        read(meter, datetime.date(2026, month, 1), value)
    read(meter, NOVEMBER, "150")  # after the verification date: does not count
    run_billing(period)
    charge = line(account, water, period)
    assert (charge.volume, charge.basis, charge.coefficient) == (
        D("2.25"),
        ChargeBasis.AVERAGE,
        None,
    )  # fmt: skip  (109 − 100) / 4 months, the second month of the failure


def test_no_meter_where_one_can_be_installed_is_charged_with_the_coefficient(house, period):
    account, impossible = account_in(house, residents=2), account_in(house, residents=2)
    no_meter_possible(impossible, resource=Resource.HOT_WATER)
    cold = service(house, CalculationMethod.METER, "50.00", resource=Resource.COLD_WATER,
                   normative=D("4.5"))  # fmt: skip
    hot = service(house, CalculationMethod.METER, "200.00", resource=Resource.HOT_WATER,
                  normative=D("3.2"))  # fmt: skip
    sewage = service(house, CalculationMethod.WASTEWATER, "40.00")
    run_billing(period)
    # cold: 9 m³ × 50,00 = 450,00, × 3 = 1 350,00; hot: 6,4 m³ × 200,00 = 1 280,00, × 1,5
    # = 1 920,00; wastewater: 15,4 m³ × 40,00 = 616,00, × 1,5 = 924,00
    assert [(c.coefficient, c.charged, c.coefficient_charged) for c in (
        line(account, cold, period), line(account, hot, period), line(account, sewage, period)
    )] == [(D("3"), D("1350.00"), D("900.00")), (D("1.5"), D("1920.00"), D("640.00")),
           (D("1.5"), D("924.00"), D("308.00"))]  # fmt: skip
    # where a hot-water meter cannot be installed: no coefficient on hot water, nor on its
    # part of the wastewater (9 m³ of cold water × 40,00 × 0,5 = 180,00)
    assert line(impossible, hot, period).coefficient is None
    assert line(impossible, hot, period).charged == D("1280.00")
    assert line(impossible, sewage, period).coefficient_charged == D("180.00")


def test_no_coefficient_when_readings_were_not_given_for_long(house, period):
    account = account_in(house, residents=2)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    read(meter, datetime.date(2026, 4, 1), "100")
    read(meter, datetime.date(2026, 7, 1), "112")
    run_billing(period)  # November: four months since July — п. 59 «б», then п. 60
    charge = line(account, water, period)
    assert (charge.volume, charge.basis, charge.coefficient) == (
        D("9"), ChargeBasis.NORMATIVE, None
    )  # fmt: skip


def test_coefficient_changed_mid_month_is_weighted_by_days(house):
    december = PeriodFactory(organization=house.organization, month=datetime.date(2025, 12, 1),
                             status=PeriodStatus.OPEN)  # fmt: skip
    account = account_in(house, residents=1)
    water = ServiceFactory(organization=house.organization, method=CalculationMethod.METER,
                           resource=Resource.COLD_WATER, normative=D("10"))  # fmt: skip
    TariffFactory(service=water, value=D("10.00"), valid_from=datetime.date(2025, 1, 1))
    run_billing(december)
    # 1,5 for 1–5 December, 3 from the 6th (Постановление № 1871): (5 × 1,5 + 26 × 3) / 31
    charge = line(account, water, december)
    assert charge.coefficient == D("2.7581")
    assert (charge.charged, charge.coefficient_charged) == (D("275.81"), D("175.81"))


def test_wastewater_is_cold_plus_hot_water(house, period):
    account = account_in(house, residents=1)
    service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
            normative=D("4.5"))  # fmt: skip
    service(house, CalculationMethod.METER, "20.00", resource=Resource.HOT_WATER,
            normative=D("3.2"))  # fmt: skip
    sewage = service(house, CalculationMethod.WASTEWATER, "40.00")
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    read(meter, datetime.date(2026, 10, 1), "10")
    read(meter, NOVEMBER, "15")
    run_billing(period)
    assert line(account, sewage, period).volume == D("8.2")  # 5 by meter + 3,2 hot by normative


def test_common_house_share_is_distributed_by_area(house, period):
    small, large = account_in(house, "30.00", residents=1), account_in(house, "70.00", residents=1)
    power = service(house, CalculationMethod.METER, "6.00", resource=Resource.ELECTRICITY,
                    normative=D("100"))  # fmt: skip
    no_meter_possible(small, large, resource=Resource.ELECTRICITY)
    house_meter = MeterFactory(account=None, house=house, resource=Resource.ELECTRICITY, digits=8)
    read(house_meter, datetime.date(2026, 10, 1), "10000")
    read(house_meter, NOVEMBER, "10300")  # 300 kWh for the house, 200 in the apartments
    run_billing(period)
    small_line, large_line = line(small, power, period), line(large, power, period)
    assert (small_line.common_volume, large_line.common_volume) == (D("30"), D("70"))
    assert small_line.common_charged == D("180.00")
    assert small_line.charged == D("780.00")  # 100 × 6 + 30 × 6
    assert large_line.charged == D("1020.00")


def test_no_common_share_when_apartments_used_more_than_the_house_meter(house, period):
    account = account_in(house, residents=1)
    power = service(house, CalculationMethod.METER, "6.00", resource=Resource.ELECTRICITY,
                    normative=D("100"))  # fmt: skip
    house_meter = MeterFactory(account=None, house=house, resource=Resource.ELECTRICITY, digits=8)
    read(house_meter, datetime.date(2026, 10, 1), "10000")
    read(house_meter, NOVEMBER, "10050")
    run_billing(period)
    assert line(account, power, period).common_volume == 0


def test_running_again_replaces_the_period_exactly(house, period):
    account = account_in(house)
    upkeep = service(house, CalculationMethod.AREA, "18.40")
    run_billing(period)
    first = list(Charge.objects.filter(period=period).values_list("account", "service", "total"))
    run_billing(period)
    again = list(Charge.objects.filter(period=period).values_list("account", "service", "total"))
    assert first == again == [(account.pk, upkeep.pk, D("993.60"))]


def test_running_again_deletes_the_old_lines_in_one_statement_per_table(house, period):
    account_in(house)
    service(house, CalculationMethod.AREA, "18.40")
    run_billing(period)
    with CaptureQueriesContext(connection) as queries:
        run_billing(period)
    deletes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]
    # no row-by-row collection: nothing cascades, nobody listens; on PostgreSQL the charge
    # lines go with their partition (billing.partitions), not by a DELETE
    tables = ["billing_penalty", "billing_housefigures"]
    if connection.vendor != "postgresql":
        tables.insert(0, "billing_charge")
    assert [sql.split('"')[1] for sql in deletes] == tables
    if connection.vendor == "postgresql":
        drops = [q["sql"] for q in queries if q["sql"].startswith("DROP TABLE IF EXISTS")]
        assert drops == [f"DROP TABLE IF EXISTS billing_charge_next{period.pk}",
                         f"DROP TABLE IF EXISTS billing_charge_p{period.pk}"]  # fmt: skip
    assert Collector(using="default").can_fast_delete(Charge.objects.filter(period=period))
    assert Collector(using="default").can_fast_delete(Penalty.objects.filter(period=period))
    assert Collector(using="default").can_fast_delete(HouseFigures.objects.filter(period=period))


def test_a_failed_run_leaves_the_previous_lines(house, period, monkeypatch):
    account_in(house)
    service(house, CalculationMethod.AREA, "18.40")
    run_billing(period)
    before = list(Charge.objects.filter(period=period).values_list("pk", "total"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("kabinet.billing.run.add_common_share", broken)
    with pytest.raises(RuntimeError):
        run_billing(period)
    assert list(Charge.objects.filter(period=period).values_list("pk", "total")) == before


def test_a_closed_period_is_not_run_again(house):
    period = PeriodFactory(organization=house.organization, month=NOVEMBER)
    with pytest.raises(BillingError, match="закрыт"):
        run_billing(period)


@pytest.fixture
def october(house):
    return PeriodFactory(organization=house.organization, month=datetime.date(2026, 10, 1),
                         status=PeriodStatus.OPEN)  # fmt: skip


def test_closing_stores_balances_opens_next_month_and_announces_it(
    house, october, django_capture_on_commit_callbacks
):
    account = account_in(house)
    service(house, CalculationMethod.AREA, "10.00")
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 5), amount=D("100.00"))
    run_billing(october)
    heard = []
    period_closed.connect(lambda sender, period, **kw: heard.append(period), weak=False,
                          dispatch_uid="test_heard")  # fmt: skip
    try:
        with django_capture_on_commit_callbacks(execute=True):
            following = close_period(october)
    finally:
        period_closed.disconnect(dispatch_uid="test_heard")
    october.refresh_from_db()
    assert october.status == PeriodStatus.CLOSED
    assert october.closed_at is not None
    assert (following.month, following.status) == (NOVEMBER, PeriodStatus.OPEN)
    assert heard == [october]
    balance = AccountBalance.objects.get(account=account, period=october)
    assert (balance.opening, balance.charged, balance.paid, balance.closing) == (
        D("0"), D("540.00"), D("100.00"), D("440.00")
    )  # fmt: skip


def test_closing_needs_a_run_first(house, october):
    with pytest.raises(BillingError, match="не рассчитан"):
        close_period(october)


def test_recalculation_of_a_wrong_reading_charges_the_difference(house, october):
    account = account_in(house, residents=1)
    water = service(house, CalculationMethod.METER, "50.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    read(meter, datetime.date(2026, 9, 1), "100")
    wrong = read(meter, datetime.date(2026, 10, 1), "110")
    run_billing(october)
    november = close_period(october)
    assert line(account, water, october).charged == D("500.00")
    wrong.value = D("104")
    wrong.save()
    [recalculation] = add_recalculation(account, water, october, RecalculationKind.READING,
                                      "Ошибка в показаниях")  # fmt: skip
    assert recalculation.amount == D("-300.00")  # 6 m³ less at 50,00
    assert recalculation.period == november
    # what the recomputed month came from, kept with it (billing.explanation)
    [meter_inputs] = recalculation.inputs["meters"]
    assert (D(meter_inputs["previous"]), D(meter_inputs["current"])) == (D("100"), D("104"))
    assert D(meter_inputs["volume"]) == D("4")
    run_billing(november)
    assert line(account, water, november).recalculation == D("-300.00")
    assert line(account, water, october).charged == D("500.00")  # the closed month stays


def month_of(number):
    return datetime.date(2026, number, 1)


def charged_months(house, account, water, numbers):
    """Run and close the months ``numbers`` (closed by hand: they lie ahead of today)."""
    for number in numbers:
        period = PeriodFactory(organization=house.organization, month=month_of(number),
                               status=PeriodStatus.OPEN)  # fmt: skip
        run_billing(period)
        Period.objects.filter(pk=period.pk).update(status=PeriodStatus.CLOSED)
    return {number: line(account, water, Period.objects.get(month=month_of(number))).charged
            for number in numbers}  # fmt: skip


def wrong_august(house):
    """Cold water at 50,00; the meter read 80 in May, 100 in July and 110 in August (104 was
    right): an average of 10 m³ a month, or 8 with the right reading (п. 59: three months)."""
    account = account_in(house, residents=1)
    water = service(house, CalculationMethod.METER, "50.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    read(meter, month_of(5), "80")
    read(meter, month_of(7), "100")
    wrong = read(meter, month_of(8), "110")
    return account, water, meter, wrong


def test_a_reading_correction_reaches_the_estimated_months_and_the_next_reading(house):
    """Charged: August 10 m³ (110 − 100), September and October 10 m³ each by average
    ((110 − 80) / 3), November 140 − 110 − 2 × 10 = 10 m³: 500,00 a month. With 104 in August:
    August 4 m³, the averages 8 m³ ((104 − 80) / 3), November 140 − 104 − 2 × 8 = 20 m³. One
    recalculation per month, in the open December: −300, −100, −100, +500; the four months
    still add up to 40 m³."""
    account, water, meter, wrong = wrong_august(house)
    read(meter, NOVEMBER, "140")
    charged = charged_months(house, account, water, (8, 9, 10, 11))
    assert charged == {8: D("500.00"), 9: D("500.00"), 10: D("500.00"), 11: D("500.00")}
    december = PeriodFactory(organization=house.organization, month=month_of(12),
                             status=PeriodStatus.OPEN)  # fmt: skip
    wrong.value = D("104")
    wrong.save()
    august = Period.objects.get(month=month_of(8))
    made = add_recalculation(account, water, august, RecalculationKind.READING, "Ошибка")
    assert [(r.corrected_period.month, r.amount, r.volume, r.period) for r in made] == [
        (month_of(8), D("-300.00"), D("-6"), december),
        (month_of(9), D("-100.00"), D("-2"), december),
        (month_of(10), D("-100.00"), D("-2"), december),
        (NOVEMBER, D("500.00"), D("10"), december),
    ]
    with pytest.raises(BillingError, match="ничего не меняет"):  # recorded: nothing more to do
        add_recalculation(account, water, august, RecalculationKind.READING, "Ещё раз")


def test_wastewater_follows_the_corrected_water_month_by_month(house):
    """The same correction with wastewater at 30,00 on the water's volume: its own
    recalculations, month by month with the water's volumes (−6, −2, −2, +10 m³): −180,00,
    −60,00, −60,00, +300,00 — no «другое» entered by hand. Hot water, whose reading did not
    change, does not move its part of wastewater."""
    account, water, meter, wrong = wrong_august(house)
    hot = service(house, CalculationMethod.METER, "200.00", resource=Resource.HOT_WATER,
                  normative=D("3"))  # fmt: skip
    hot_meter = MeterFactory(account=account, resource=Resource.HOT_WATER)
    for number, value in ((5, "10"), (7, "14"), (8, "16"), (11, "22")):
        read(hot_meter, month_of(number), value)
    wastewater = service(house, CalculationMethod.WASTEWATER, "30.00")
    read(meter, NOVEMBER, "140")
    charged_months(house, account, water, (8, 9, 10, 11))
    # August: 10 m³ of cold and 2 m³ of hot water: 12 m³ of wastewater
    assert line(account, wastewater, Period.objects.get(month=month_of(8))).volume == D("12")
    PeriodFactory(organization=house.organization, month=month_of(12), status=PeriodStatus.OPEN)
    wrong.value = D("104")
    wrong.save()
    august = Period.objects.get(month=month_of(8))
    months = recalculation_amounts(account, water, august, RecalculationKind.READING)
    assert [(m.period.month, m.service, m.amount, m.volume) for m in months] == [
        (month_of(8), None, D("-300.00"), D("-6")),
        (month_of(8), wastewater, D("-180.00"), D("-6")),
        (month_of(9), None, D("-100.00"), D("-2")),
        (month_of(9), wastewater, D("-60.00"), D("-2")),
        (month_of(10), None, D("-100.00"), D("-2")),
        (month_of(10), wastewater, D("-60.00"), D("-2")),
        (NOVEMBER, None, D("500.00"), D("10")),
        (NOVEMBER, wastewater, D("300.00"), D("10")),
    ]
    made = add_recalculation(account, water, august, RecalculationKind.READING, "Ошибка ХВС")
    followed = [r for r in made if r.service == wastewater]
    assert [r.amount for r in followed] == [D("-180.00"), D("-60.00"), D("-60.00"), D("300.00")]
    assert followed[0].reason == f"{wastewater.name} по объёму воды: Ошибка ХВС"
    assert all(r.kind == RecalculationKind.READING for r in followed)
    assert not Recalculation.objects.filter(service=hot).exists()
    # recorded: a second correction finds nothing more, wastewater included
    with pytest.raises(BillingError, match="ничего не меняет"):
        add_recalculation(account, water, august, RecalculationKind.READING, "Ещё раз")


def test_the_next_reading_in_the_open_month_takes_off_the_estimates_as_corrected(house):
    """As above, but November is the open month when August is corrected: September and
    October are corrected to 8 m³ each (−100,00 each, with August's −300,00 −500,00 in all);
    November's run takes off 8 + 8 m³, not 10 + 10: 140 − 104 − 16 = 20 m³, 1 000,00, and its
    line carries the −500,00: 500,00 in all, as if August had been right from the start."""
    account, water, meter, wrong = wrong_august(house)
    charged_months(house, account, water, (8, 9, 10))
    november = PeriodFactory(organization=house.organization, month=NOVEMBER,
                             status=PeriodStatus.OPEN)  # fmt: skip
    wrong.value = D("104")
    wrong.save()
    made = add_recalculation(account, water, Period.objects.get(month=month_of(8)),
                             RecalculationKind.READING, "Ошибка")  # fmt: skip
    assert [r.amount for r in made] == [D("-300.00"), D("-100.00"), D("-100.00")]
    read(meter, NOVEMBER, "140")
    run_billing(november)
    november_line = line(account, water, november)
    assert (november_line.volume, november_line.charged) == (D("20"), D("1000.00"))
    assert (november_line.recalculation, november_line.total) == (D("-500.00"), D("500.00"))


def test_recalculation_for_absence_takes_back_the_normative_days(house, october):
    account = account_in(house, residents=2)
    water = service(house, CalculationMethod.METER, "10.00", resource=Resource.COLD_WATER,
                    normative=D("4.5"))  # fmt: skip
    no_meter_possible(account)
    run_billing(october)
    close_period(october)
    [recalculation] = add_recalculation(account, water, october, RecalculationKind.ABSENCE,
                                      "Командировка", days=10)  # fmt: skip
    assert recalculation.amount == D("-29.03")  # 90,00 × 10 / 31


def test_recalculation_for_poor_quality_reduces_by_percent(house, october):
    account = account_in(house, "50.00")
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    run_billing(october)
    november = close_period(october)
    run_billing(november)
    [recalculation] = add_recalculation(account, upkeep, october, RecalculationKind.QUALITY,
                                      "Не убирали подъезд", percent=D("15"))  # fmt: skip
    assert recalculation.amount == D("-150.00")
    assert line(account, upkeep, november).total == D("850.00")  # shown at once
    delete_recalculation(recalculation)
    assert line(account, upkeep, november).total == D("1000.00")
    assert not Recalculation.objects.exists()


def test_recalculation_corrects_closed_periods_only(house, october):
    account = account_in(house)
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    with pytest.raises(BillingError, match="закрытый"):
        add_recalculation(account, upkeep, october, RecalculationKind.OTHER, "x", amount=D("1"))


def test_nobody_registered_is_charged_by_the_number_of_owners(house, period):
    empty = account_in(house, residents=0, owners=2)
    lived_in = account_in(house, residents=3, owners=2)
    gas = service(house, CalculationMethod.NORMATIVE, "7.15", normative=D("9.6"))
    run_billing(period)
    # Правила № 354 п. 56(2): 9,6 m³ × 2 owners × 7,15 = 137,28; the registered count otherwise
    assert line(empty, gas, period).volume == D("19.2")
    assert line(empty, gas, period).charged == D("137.28")
    assert line(lived_in, gas, period).volume == D("28.8")
