"""Heating by Правила № 354 per house (``HeatingSetting``): formula 3 (the house meter in the
season), 3(1) (evenly by the previous year's average), formula 2 with K (evenly by the
normative), the season, and the year's correction — hand-checked figures, and a property over
a year of runs that the correction brings the year's charges to the metered cost."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.calculation import (
    annual_heating_correction,
    heat_per_m2,
    periodicity_coefficient,
)
from kabinet.billing.closing import close_period
from kabinet.billing.heating import house_total_areas
from kabinet.billing.heating_correction import (
    ALREADY_RECORDED,
    add_heating_corrections,
    heating_corrections,
)
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    ChargeBasis,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.billing.run import run_billing
from kabinet.housing.models import Premise
from kabinet.metering.models import Resource
from kabinet.months import add_months
from kabinet.orgs.models import StaffRole
from tests.concurrency import at_once
from tests.factories import (
    ChargeFactory,
    HouseFactory,
    MeterFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
D = Decimal
NOVEMBER = datetime.date(2026, 11, 1)
SEASON = "10,11,12,1,2,3,4"  # 7 months


@pytest.fixture
def house():
    return HouseFactory()


@pytest.fixture
def heating(house):
    service = ServiceFactory(organization=house.organization, name="Отопление", unit="Гкал",
                             method=CalculationMethod.AREA_NORMATIVE, resource=Resource.HEAT,
                             normative=D("0.018"))  # fmt: skip
    TariffFactory(service=service, value=D("2950.00"), valid_from=datetime.date(2024, 1, 1))
    return service


@pytest.fixture
def flat(house):
    """54 m² of a house of 200 m²: with a 46 m² flat and a 100 m² shop (no account)."""
    account = PersonalAccountFactory(premise__house=house, premise__area=D("54.00"))
    PersonalAccountFactory(premise__house=house, premise__area=D("46.00"))
    Premise.objects.create(house=house, number="Магазин", area=D("100.00"))
    return account


def setting(house, method, payment, months=SEASON, valid_from=datetime.date(2026, 1, 1)):
    return HeatingSetting.objects.create(house=house, valid_from=valid_from, method=method,
                                         payment=payment, season_months=months)  # fmt: skip


def heat_meter(house, readings):
    meter = MeterFactory(account=None, house=house, resource=Resource.HEAT, digits=8)
    for month, value in readings.items():
        ReadingFactory(meter=meter, period=month, value=D(value), taken_on=month.replace(day=25))
    return meter


def open_period(house, month=NOVEMBER):
    return PeriodFactory(organization=house.organization, month=month, status=PeriodStatus.OPEN)


def line(account, service, period):
    return Charge.objects.get(account=account, service=service, period=period)


def test_the_total_area_is_of_every_premise_residential_or_not(house, flat):
    assert house_total_areas([house.pk]) == {house.pk: D("200.00")}


def test_formula_3_the_months_heat_by_the_house_meter_shared_by_area(house, heating, flat):
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.SEASON)
    heat_meter(house, {datetime.date(2026, 10, 1): "1000.000", NOVEMBER: "1012.500"})
    period = open_period(house)
    run_billing(period)
    charge = line(flat, heating, period)
    # 12,5 Gcal × 54 / 200 = 3,375 Gcal; × 2 950,00 = 9 956,25 ₽
    assert (charge.volume, charge.charged, charge.basis) == (
        D("3.375"), D("9956.25"), ChargeBasis.READING
    )  # fmt: skip


def test_paid_in_the_season_nothing_is_charged_outside_it(house, heating, flat):
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.SEASON, months="1,2,3,4,5,10")
    period = open_period(house)
    run_billing(period)
    assert not Charge.objects.filter(service=heating, period=period).exists()


def test_paid_in_the_season_by_the_normative_is_formula_2_with_k_one(house, heating, flat):
    setting(house, HeatingMethod.NORMATIVE, HeatingPayment.SEASON)
    period = open_period(house)
    run_billing(period)
    assert line(flat, heating, period).charged == D("2867.40")  # 54 × 0,018 × 2 950,00


def test_evenly_by_the_normative_is_formula_2_with_the_season_share(house, heating, flat):
    setting(house, HeatingMethod.NORMATIVE, HeatingPayment.EVENLY)
    period = open_period(house, datetime.date(2026, 7, 1))  # a summer month is charged too
    run_billing(period)
    charge = line(flat, heating, period)
    # 54 × 0,018 × 7/12 = 0,567 Gcal; × 2 950,00 = 1 672,65 ₽
    assert (charge.volume, charge.charged) == (D("0.567"), D("1672.65"))


def test_formula_3_1_evenly_by_the_previous_years_average_month(house, heating, flat):
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.EVENLY)
    heat_meter(
        house, {datetime.date(2024, 12, 1): "500.000", datetime.date(2025, 12, 1): "596.000"}
    )
    period = open_period(house, datetime.date(2026, 7, 1))
    run_billing(period)
    charge = line(flat, heating, period)
    # 96 Gcal in 2025 ÷ 12 = 8 Gcal a month; × 54 / 200 = 2,16 Gcal; × 2 950,00 = 6 372,00 ₽
    assert (charge.volume, charge.charged, charge.basis) == (
        D("2.16"), D("6372.00"), ChargeBasis.AVERAGE
    )  # fmt: skip


def test_without_the_house_meters_reading_the_normative_applies_and_staff_are_told(
    house, heating, flat
):
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.SEASON)
    period = open_period(house)
    result = run_billing(period)
    assert line(flat, heating, period).charged == D("2867.40")  # 54 × 0,018 × 2 950,00
    assert any("нет показаний общедомового прибора учёта тепла" in p for p in result.problems)


def test_a_setting_applies_from_its_month(house, heating, flat):
    setting(house, HeatingMethod.NORMATIVE, HeatingPayment.EVENLY)
    setting(house, HeatingMethod.NORMATIVE, HeatingPayment.SEASON, months="1,2",
            valid_from=datetime.date(2026, 12, 1))  # fmt: skip
    period = open_period(house)
    run_billing(period)
    assert line(flat, heating, period).charged == D("1672.65")  # still evenly in November


def test_a_house_without_a_setting_keeps_the_normative_every_month(house, heating, flat):
    period = open_period(house, datetime.date(2026, 7, 1))
    run_billing(period)
    assert line(flat, heating, period).charged == D("2867.40")


def test_the_pure_formulas():
    assert periodicity_coefficient(7, evenly=True) == D(7) / 12
    assert periodicity_coefficient(7, evenly=False) == 1
    assert heat_per_m2(D("12.5"), D("200")) * D("54") == D("3.375")
    assert heat_per_m2(D("12.5"), D("0")) == 0
    assert annual_heating_correction([D("100.004"), D("50.002")], [D("140.00")]) == D("10.01")


# The year's correction ---------------------------------------------------------------------

YEAR = 2025


def year_of_charges(house, heating, flat, monthly_charged="6372.00"):
    """2025 paid evenly by the meter: twelve closed months charged ``monthly_charged`` each,
    the house meter read every month (8 Gcal a month in the season, 0 in summer, 7 × 8 + …)."""
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.EVENLY,
            valid_from=datetime.date(YEAR, 1, 1))  # fmt: skip
    value, readings = D("1000"), {datetime.date(YEAR - 1, 12, 1): D("1000")}
    for number in range(1, 13):
        value += D("10") if number in (1, 2, 3, 4, 10, 11, 12) else D("0")
        readings[datetime.date(YEAR, number, 1)] = value
    heat_meter(house, readings)
    for number in range(1, 13):
        period = PeriodFactory(
            organization=house.organization, month=datetime.date(YEAR, number, 1)
        )
        ChargeFactory(account=flat, service=heating, period=period, tariff=D("2950"),
                      volume=D("2.16"), charged=D(monthly_charged))  # fmt: skip
    return open_period(house, datetime.date(YEAR + 1, 1, 1))


def test_the_correction_is_the_years_metered_cost_less_what_was_charged(house, heating, flat):
    year_of_charges(house, heating, flat)
    (correction,) = [c for c in heating_corrections(house, YEAR) if c.account == flat]
    # 70 Gcal in the year × 54 / 200 = 18,9 Gcal × 2 950,00 = 55 755,00 ₽; charged 12 × 6 372,00
    # = 76 464,00 ₽; the correction −20 709,00 ₽.
    assert (correction.metered, correction.charged, correction.amount) == (
        D("55755.00"), D("76464.00"), D("-20709.00")
    )  # fmt: skip


def test_the_correction_is_recorded_once_audited_and_charged_in_the_open_period(
    house, heating, flat
):
    period = year_of_charges(house, heating, flat)
    (made,) = add_heating_corrections(house, YEAR, expected=D("-20709.00"))
    assert (made.period, made.kind, made.amount, made.corrected_period.month) == (
        period, RecalculationKind.HEATING, D("-20709.00"), datetime.date(YEAR, 12, 1)
    )  # fmt: skip
    assert AuditEntry.objects.filter(action=AuditAction.RECALCULATION_ADDED).count() == 1
    run_billing(period)
    assert line(flat, heating, period).recalculation == D("-20709.00")
    with pytest.raises(BillingError, match="уже внесена"):
        add_heating_corrections(house, YEAR)


def test_saving_the_same_correction_again_records_nothing_and_says_it_is_in(house, heating, flat):
    year_of_charges(house, heating, flat)
    add_heating_corrections(house, YEAR, expected=D("-20709.00"))
    for shown in (D("-20709.00"), None):  # the page sent twice, or saved again later
        with pytest.raises(BillingError, match="уже внесена"):
            add_heating_corrections(house, YEAR, expected=shown)
    assert list(Recalculation.objects.values_list("amount", flat=True)) == [D("-20709.00")]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writer at a time: the race needs PostgreSQL's concurrent writers",
)
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_record_one_correction(house, heating, flat):
    """Both saves used to compute the correction before taking the period's lock, and both
    recorded it; now the second computes under the lock after the first has committed."""
    year_of_charges(house, heating, flat)
    errors = at_once([lambda: add_heating_corrections(house, YEAR, expected=D("-20709.00"))] * 2)
    assert [str(error) for error in errors] == [ALREADY_RECORDED.format(year=YEAR)]
    assert list(Recalculation.objects.values_list("amount", flat=True)) == [D("-20709.00")]


def test_the_correction_refuses_figures_that_changed_since_they_were_shown(house, heating, flat):
    year_of_charges(house, heating, flat)
    with pytest.raises(BillingError, match="изменилась"):
        add_heating_corrections(house, YEAR, expected=D("-1.00"))
    assert not Recalculation.objects.exists()


def test_the_correction_needs_every_months_reading(house, heating, flat):
    year_of_charges(house, heating, flat)
    house.house_meters.get().readings.filter(period=datetime.date(YEAR, 6, 1)).delete()
    with pytest.raises(BillingError, match=r"06\.2025"):
        heating_corrections(house, YEAR)


def test_no_correction_for_a_house_paid_in_the_season(house, heating, flat):
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.SEASON,
            valid_from=datetime.date(YEAR, 1, 1))  # fmt: skip
    with pytest.raises(BillingError, match="корректировать нечего"):
        heating_corrections(house, YEAR)


def test_no_correction_before_december_is_closed(house, heating, flat):
    year_of_charges(house, heating, flat)
    december = house.organization.periods.get(month=datetime.date(YEAR, 12, 1))
    type(december)._base_manager.filter(pk=december.pk).update(status=PeriodStatus.OPEN)
    with pytest.raises(BillingError, match="после закрытия декабря"):
        heating_corrections(house, YEAR)


# The property: a year of runs, then the correction ------------------------------------------

areas = st.lists(st.decimals(D("10.00"), D("150.00"), places=2), min_size=1, max_size=4)
monthly_heat = st.lists(st.decimals(D("0"), D("40"), places=3), min_size=12, max_size=12)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(areas=areas, heat=monthly_heat, shop=st.decimals(D("0"), D("300.00"), places=2),
       opened_day=st.integers(1, 28))  # fmt: skip
def test_the_correction_brings_the_years_charges_to_the_metered_cost(areas, heat, shop,
                                                                     opened_day):  # fmt: skip
    house = HouseFactory()
    service = ServiceFactory(organization=house.organization, resource=Resource.HEAT,
                             method=CalculationMethod.AREA_NORMATIVE,
                             normative=D("0.018"))  # fmt: skip
    first = datetime.date(YEAR, 1, 1)
    TariffFactory(service=service, value=D("2810.37"), valid_from=datetime.date(YEAR - 1, 1, 1),
                  valid_to=datetime.date(YEAR, 6, 30))  # fmt: skip
    TariffFactory(service=service, value=D("3098.00"), valid_from=datetime.date(YEAR, 7, 1))
    accounts = [PersonalAccountFactory(premise__house=house, premise__area=area) for area in areas]
    # one account opens within March: its months are charged and metered for its days
    accounts[0].opened_on = datetime.date(YEAR, 3, opened_day)
    accounts[0].save()
    if shop:
        Premise.objects.create(house=house, number="Нежилое", area=shop)
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.EVENLY, valid_from=first)
    value = D("100")
    readings = {datetime.date(YEAR - 2, 12, 1): D("0"), datetime.date(YEAR - 1, 12, 1): value}
    for index, used in enumerate(heat):
        value += used
        readings[add_months(first, index)] = value
    heat_meter(house, readings)
    period = PeriodFactory(organization=house.organization, month=first, status=PeriodStatus.OPEN)
    for _ in range(12):
        run_billing(period)
        period = close_period(period)
    corrections = {c.account.pk: c for c in heating_corrections(house, YEAR)}
    total_area = Fraction(sum(areas, D(0)) + shop)
    for account in accounts:
        charged = Charge.objects.filter(account=account, service=service,
                                        period__month__year=YEAR)  # fmt: skip
        year_charged = sum(charged.values_list("charged", flat=True), D(0))
        exact = Fraction(0)
        for index, used in enumerate(heat):
            month = add_months(first, index)
            tariff = Fraction(D("2810.37") if month.month <= 6 else D("3098.00"))
            days = 31 if month.month in (1, 3, 5, 7, 8, 10, 12) else 30 if month.month != 2 else 28
            open_days = days - (opened_day - 1 if account == accounts[0] and month.month == 3
                                else 0)  # fmt: skip
            if account == accounts[0] and month.month < 3:
                continue
            exact += Fraction(used) * Fraction(account.premise.area) / total_area * tariff * \
                open_days / days  # fmt: skip
        found = corrections.get(account.pk)
        after = year_charged + (found.amount if found else D(0))
        # Documented rounding: half a kopeck for the year's sum, and each month's volume
        # rounded to 6 places (at most 0,0000005 Gcal × the tariff a month).
        limit = Fraction("0.005") + 12 * Fraction("0.0000005") * 3098
        assert abs(Fraction(after) - exact) <= limit
        assert found is None or found.charged == year_charged


# The staff page «Корректировка за отопление» -------------------------------------------------


def test_the_accountant_previews_then_saves_the_correction(client, house, heating, flat):
    year_of_charges(house, heating, flat)
    client.force_login(staff_user(house.organization, StaffRole.ACCOUNTANT))
    url = f"/staff/billing/heating-correction/?organization={house.organization.pk}"
    preview = client.post(url, {"house": house.pk, "year": YEAR, "preview": "1"})
    page = preview.content.decode().replace("\xa0", " ").replace("\u202f", " ")
    for figure in ("55 755,00", "76 464,00", "-20 709,00"):
        assert figure in page
    assert not Recalculation.objects.exists()
    saved = client.post(url, {"house": house.pk, "year": YEAR, "save": "1",
                              "shown_amount": "-20709.00"})  # fmt: skip
    assert saved.status_code == 302
    assert Recalculation.objects.get().amount == D("-20709.00")


def test_the_operator_may_not_record_a_correction(client, house, heating, flat):
    year_of_charges(house, heating, flat)
    client.force_login(staff_user(house.organization, StaffRole.OPERATOR))
    url = f"/staff/billing/heating-correction/?organization={house.organization.pk}"
    response = client.post(url, {"house": house.pk, "year": YEAR, "save": "1",
                                 "shown_amount": "-20709.00"})  # fmt: skip
    assert response.status_code == 403
    assert not Recalculation.objects.exists()
