"""Heating by Правила № 354, приложение № 2, beyond formulas 2, 3 and 3(1): formulas 2(3) and
2(4) (the normative on the premise's area and its share of the common property), 3(3) and 3(4)
(a house meter and the premises' own heat meters), and the house meter's average after a
failure or a missing reading (п. 59(1), п. 60(1)). No published worked example with figures
was found for any of them (docs/billing-law.md, «Heating»): each test's docstring computes its
figures step by step.

The world: a house of 200 m² — flat 1 of 54 m², flat 2 of 46 m², a shop of 100 m² without an
account — and 40 m² of common property; heating at 0,018 Gcal/m² a month and 2 950,00 ₽/Gcal.
"""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kabinet.billing.heating_correction import heating_corrections
from kabinet.billing.heating_meters import (
    average_limit,
    common_heat_per_m2,
    formula_2_3_factor,
    house_meter_volume,
)
from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    ChargeBasis,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    PeriodStatus,
)
from kabinet.billing.run import run_billing
from kabinet.housing.models import Premise
from kabinet.metering.models import Resource
from kabinet.months import add_months
from tests.factories import (
    ChargeFactory,
    HouseFactory,
    MeterFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
)

D = Decimal
NOVEMBER = datetime.date(2026, 11, 1)
JULY = datetime.date(2026, 7, 1)
SEASON = (10, 11, 12, 1, 2, 3, 4)


@pytest.fixture
def house(db):
    return HouseFactory(common_property_area=D("40.00"))


@pytest.fixture
def heating(house):
    service = ServiceFactory(organization=house.organization, name="Отопление", unit="Гкал",
                             method=CalculationMethod.AREA_NORMATIVE, resource=Resource.HEAT,
                             normative=D("0.018"))  # fmt: skip
    TariffFactory(service=service, value=D("2950.00"), valid_from=datetime.date(2024, 1, 1))
    return service


@pytest.fixture
def flats(house):
    first = PersonalAccountFactory(premise__house=house, premise__area=D("54.00"))
    second = PersonalAccountFactory(premise__house=house, premise__area=D("46.00"))
    Premise.objects.create(house=house, number="Магазин", area=D("100.00"))
    return first, second


def setting(house, method, payment):
    return HeatingSetting.objects.create(house=house, valid_from=datetime.date(2024, 1, 1),
                                         method=method, payment=payment)  # fmt: skip


def readings(meter, values):
    for month, value in values.items():
        ReadingFactory(meter=meter, period=month, value=D(value), taken_on=month.replace(day=25))
    return meter


def house_meter(house, values):
    meter = MeterFactory(account=None, house=house, resource=Resource.HEAT, digits=8)
    return readings(meter, values)


def own_meter(account, values):
    return readings(MeterFactory(account=account, resource=Resource.HEAT, digits=8), values)


def run(house, month=NOVEMBER):
    period = PeriodFactory(organization=house.organization, month=month,
                           status=PeriodStatus.OPEN)  # fmt: skip
    return period, run_billing(period)


def line(account, service, period):
    return Charge.objects.get(account=account, service=service, period=period)


# Formulas 2(3), 2(4) -----------------------------------------------------------------------


def test_formula_2_3_the_normative_on_the_area_and_its_common_property_share(house, heating,
                                                                             flats):  # fmt: skip
    """Formula 2(3), paid in the season: (S_i + S_ои × S_i ÷ S_об) × N_T × T_T.
    S_ои × S_i ÷ S_об = 40 × 54 ÷ 200 = 10,8 m²; 54 + 10,8 = 64,8 m²;
    64,8 × 0,018 = 1,1664 Gcal; × 2 950,00 = 3 440,88 ₽."""
    setting(house, HeatingMethod.NORMATIVE_COMMON, HeatingPayment.SEASON)
    period, _ = run(house)
    charge = line(flats[0], heating, period)
    assert (charge.volume, charge.charged, charge.basis) == (
        D("1.1664"), D("3440.88"), ChargeBasis.NORMATIVE
    )  # fmt: skip


def test_formula_2_4_evenly_with_the_periodicity_coefficient(house, heating, flats):
    """Formula 2(4), paid evenly: (S_i + S_ои × S_i ÷ S_об) × (N_T × K) × T_T, K = 7 ÷ 12 (the
    season's seven months over the year), in July too.
    64,8 m² (as in 2(3)) × 0,018 × 7 ÷ 12 = 0,6804 Gcal; × 2 950,00 = 2 007,18 ₽."""
    setting(house, HeatingMethod.NORMATIVE_COMMON, HeatingPayment.EVENLY)
    period, _ = run(house, JULY)
    charge = line(flats[0], heating, period)
    assert (charge.volume, charge.charged) == (D("0.6804"), D("2007.18"))


def test_formula_2_3_without_the_common_property_area_staff_are_told(house, heating, flats):
    """No S_ои: formula 2 on S_i alone, 54 × 0,018 × 2 950,00 = 2 867,40 ₽, and a remark."""
    house.common_property_area = None
    house.save()
    setting(house, HeatingMethod.NORMATIVE_COMMON, HeatingPayment.SEASON)
    period, result = run(house)
    assert line(flats[0], heating, period).charged == D("2867.40")
    assert any("площадь общего имущества" in problem for problem in result.problems)


@given(
    areas=st.lists(st.decimals("1", "500", places=2), min_size=1, max_size=8),
    common=st.decimals("0", "900", places=2),
)
def test_formula_2_3_shares_add_up_to_the_premises_and_the_common_property(areas, common):
    """Σ S_i × (1 + S_ои ÷ S_об) = S_об + S_ои: the whole common property is charged once."""
    total = sum(areas)
    factor = formula_2_3_factor(common, total)
    assert abs(sum(area * factor for area in areas) - (total + common)) < D("1e-20")


# Formulas 3(3), 3(4) -----------------------------------------------------------------------


def test_formula_3_3_own_meter_plus_the_share_of_the_house_meters_rest(house, heating, flats):
    """Formula 3(3), in the season: (V_i^п + S_i × (V_D − ΣV^п) ÷ S_об) × T_T.
    V_D = 1 012,5 − 1 000 = 12,5 Gcal; V^п: flat 1 2,0, flat 2 1,5, ΣV^п = 3,5;
    (12,5 − 3,5) ÷ 200 = 0,045 Gcal/m².
    Flat 1: 2,0 + 54 × 0,045 = 4,43 Gcal × 2 950,00 = 13 068,50 ₽.
    Flat 2: 1,5 + 46 × 0,045 = 3,57 Gcal × 2 950,00 = 10 531,50 ₽."""
    setting(house, HeatingMethod.HOUSE_AND_PREMISE_METERS, HeatingPayment.SEASON)
    october = datetime.date(2026, 10, 1)
    house_meter(house, {october: "1000.000", NOVEMBER: "1012.500"})
    own_meter(flats[0], {october: "10.000", NOVEMBER: "12.000"})
    own_meter(flats[1], {october: "20.000", NOVEMBER: "21.500"})
    period, _ = run(house)
    first, second = (line(flat, heating, period) for flat in flats)
    assert (first.volume, first.charged, first.basis) == (
        D("4.43"), D("13068.50"), ChargeBasis.READING
    )  # fmt: skip
    assert (second.volume, second.charged) == (D("3.57"), D("10531.50"))


def test_formula_3_3_a_premise_without_a_meter_counts_by_the_normative(house, heating, flats):
    """Flat 2 without a heat meter: its V^п is its normative, 46 × 0,018 = 0,828 Gcal.
    ΣV^п = 2,0 + 0,828 = 2,828; (12,5 − 2,828) ÷ 200 = 0,04836 Gcal/m².
    Flat 1: 2,0 + 54 × 0,04836 = 4,61144 Gcal × 2 950,00 = 13 603,748 → 13 603,75 ₽.
    Flat 2: 0,828 + 46 × 0,04836 = 3,05256 Gcal × 2 950,00 = 9 005,052 → 9 005,05 ₽."""
    setting(house, HeatingMethod.HOUSE_AND_PREMISE_METERS, HeatingPayment.SEASON)
    october = datetime.date(2026, 10, 1)
    house_meter(house, {october: "1000.000", NOVEMBER: "1012.500"})
    own_meter(flats[0], {october: "10.000", NOVEMBER: "12.000"})
    period, _ = run(house)
    first, second = (line(flat, heating, period) for flat in flats)
    assert (first.volume, first.charged) == (D("4.61144"), D("13603.75"))
    assert (second.volume, second.charged, second.basis) == (
        D("3.05256"), D("9005.05"), ChargeBasis.AVERAGE
    )  # fmt: skip


def test_formula_3_4_evenly_by_the_previous_years_averages(house, heating, flats):
    """Formula 3(4), paid evenly (July): the previous year's monthly averages in formula 3(3).
    V_T = (596 − 500) ÷ 12 = 8 Gcal; flat 1 18 ÷ 12 = 1,5; flat 2 12 ÷ 12 = 1,0; Σ = 2,5;
    (8 − 2,5) ÷ 200 = 0,0275 Gcal/m².
    Flat 1: 1,5 + 54 × 0,0275 = 2,985 Gcal × 2 950,00 = 8 805,75 ₽.
    Flat 2: 1,0 + 46 × 0,0275 = 2,265 Gcal × 2 950,00 = 6 681,75 ₽."""
    setting(house, HeatingMethod.HOUSE_AND_PREMISE_METERS, HeatingPayment.EVENLY)
    before, december = datetime.date(2024, 12, 1), datetime.date(2025, 12, 1)
    house_meter(house, {before: "500.000", december: "596.000"})
    own_meter(flats[0], {before: "100.000", december: "118.000"})
    own_meter(flats[1], {before: "200.000", december: "212.000"})
    period, _ = run(house, JULY)
    first, second = (line(flat, heating, period) for flat in flats)
    assert (first.volume, first.charged, first.basis) == (
        D("2.985"), D("8805.75"), ChargeBasis.AVERAGE
    )  # fmt: skip
    assert (second.volume, second.charged) == (D("2.265"), D("6681.75"))


def test_formula_3_4_the_years_correction_as_formula_3_3_month_by_month(house, heating, flats):
    """Formula 3(4)'s year (2025) corrected by the meters: in each of the 7 season months the
    house meter counts 10 Gcal, flat 1's meter 2, flat 2's 1 (0 in summer).
    A season month: (10 − 3) ÷ 200 = 0,035 Gcal/m²; flat 1: 2 + 54 × 0,035 = 3,89 Gcal.
    The year: 7 × 3,89 = 27,23 Gcal × 2 950,00 = 80 328,50 ₽; charged 12 × 6 000,00 =
    72 000,00 ₽; the correction 80 328,50 − 72 000,00 = 8 328,50 ₽."""
    HeatingSetting.objects.create(house=house, valid_from=datetime.date(2025, 1, 1),
                                  method=HeatingMethod.HOUSE_AND_PREMISE_METERS,
                                  payment=HeatingPayment.EVENLY)  # fmt: skip
    marks = {"house": {}, "first": {}, "second": {}}
    values = {"house": D("1000"), "first": D("100"), "second": D("200")}
    steps = {"house": D("10"), "first": D("2"), "second": D("1")}
    for step in range(13):
        month = add_months(datetime.date(2024, 12, 1), step)
        for name in marks:
            if step and month.month in SEASON:
                values[name] += steps[name]
            marks[name][month] = str(values[name])
    house_meter(house, marks["house"])
    own_meter(flats[0], marks["first"])
    own_meter(flats[1], marks["second"])
    for number in range(1, 13):
        period = PeriodFactory(organization=house.organization,
                               month=datetime.date(2025, number, 1))  # fmt: skip
        ChargeFactory(account=flats[0], service=heating, period=period, tariff=D("2950"),
                      volume=D("2.0339"), charged=D("6000.00"))  # fmt: skip
    (correction,) = heating_corrections(house, 2025)
    assert (correction.account, correction.metered, correction.charged, correction.amount) == (
        flats[0], D("80328.50"), D("72000.00"), D("8328.50")
    )  # fmt: skip


@given(
    areas=st.lists(st.decimals("1", "300", places=2), min_size=1, max_size=8),
    own=st.lists(st.decimals("0", "5", places=3), min_size=8, max_size=8),
    extra=st.decimals("0", "50", places=3),
)
def test_formula_3_3_shares_add_up_to_the_house_meter(areas, own, extra):
    """With every premise's own meter known and the house meter not below their sum, the
    premises' volumes add up to the house meter's: Σ (V_i^п + S_i × rest) = V_D."""
    own = own[: len(areas)]
    house = sum(own) + extra
    per_m2 = common_heat_per_m2(house, sum(own), sum(areas))
    total = sum(v + area * per_m2 for v, area in zip(own, areas, strict=True))
    assert abs(total - house) < D("1e-20")


def test_formula_3_3_never_charges_a_negative_rest():
    assert common_heat_per_m2(D("3"), D("5"), D("200")) == 0


# The house meter's average (п. 59(1), п. 60(1)) --------------------------------------------


def months(first, values):
    return {add_months(first, step): D(value) for step, value in enumerate(values)}


def test_the_average_limit_is_3_months_then_6_from_march_2025():
    """ПП № 1176 of 29.08.2024, in force 01.03.2025: 3 → 6 billing periods."""
    assert average_limit(datetime.date(2025, 2, 1)) == 3
    assert average_limit(datetime.date(2025, 3, 1)) == 6


def test_the_average_is_of_the_heating_season_months_of_the_year_before_the_gap():
    """Nov 2025 – Apr 2026: 12 + 14 + 16 + 12 + 10 + 8 = 72 Gcal over 6 season months = 12;
    the summer months (none of the season) do not count, nor break the gap."""
    volumes = months(datetime.date(2025, 11, 1), ["12", "14", "16", "12", "10", "8"])
    found = house_meter_volume(volumes, datetime.date(2026, 10, 1), SEASON, 6)
    assert found == (D("12"), "average")


def test_after_the_limit_or_without_3_season_months_the_normative():
    volumes = months(datetime.date(2025, 11, 1), ["12", "14", "16", "12", "10", "8"])
    # October, November, December 2026: 3 season months missing; the limit of 3 holds…
    assert house_meter_volume(volumes, datetime.date(2026, 12, 1), SEASON, 3).how == "average"
    # …a fourth (January 2027) is past it: the normative (п. 60(1)).
    assert house_meter_volume(volumes, datetime.date(2027, 1, 1), SEASON, 3) == (
        None, "normative"
    )  # fmt: skip
    two = months(datetime.date(2026, 3, 1), ["10", "8"])
    assert house_meter_volume(two, datetime.date(2026, 10, 1), SEASON, 6).volume is None


def test_formula_3_without_the_months_reading_uses_the_house_meters_average(house, heating,
                                                                            flats):  # fmt: skip
    """Formula 3 in November 2026 without November's reading: the average of the season months
    of the year before (Nov 2025 – Oct 2026, p. 59(1)): 12 + 14 + 16 + 12 + 10 + 8 + 12 = 84 Gcal
    over 7 months = 12 Gcal; 12 × 54 ÷ 200 = 3,24 Gcal × 2 950,00 = 9 558,00 ₽."""
    setting(house, HeatingMethod.HOUSE_METER, HeatingPayment.SEASON)
    values = ["1000", "1012", "1026", "1042", "1054", "1064", "1072"]  # Oct 2025 – Apr 2026
    marks = {month: value for month, value in months(datetime.date(2025, 10, 1), values).items()}
    marks[datetime.date(2026, 9, 1)] = D("1072")
    marks[datetime.date(2026, 10, 1)] = D("1084")
    house_meter(house, {month: str(value) for month, value in marks.items()})
    period, result = run(house)
    charge = line(flats[0], heating, period)
    assert (charge.volume, charge.charged, charge.basis) == (
        D("3.24"), D("9558.00"), ChargeBasis.AVERAGE
    )  # fmt: skip
    assert any("п. 59(1)" in problem for problem in result.problems)
