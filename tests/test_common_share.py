"""The common-house share (ОДН, КР на СОИ) by Правила № 354 п. 44 and ЖК РФ ст. 156 ч. 9.2:
a premise's part is its area over the house's total area of all premises, the charged volume
is capped by the normative for common needs × the common-property area unless the general
meeting decided otherwise, and without a house meter reading the normative applies
(docs/billing-law.md, «The common-house share»)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.billing import calculation as calc
from kabinet.billing.closing import close_period
from kabinet.billing.models import (
    WASTEWATER,
    CalculationMethod,
    Charge,
    CommonNeedsNormative,
    PeriodStatus,
)
from kabinet.billing.run import calculate, run_billing
from kabinet.housing.models import PremiseKind
from kabinet.metering.models import Resource
from kabinet.receipts.selectors import receipt_data
from tests.factories import (
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
OCTOBER = datetime.date(2026, 10, 1)
HALF_A_MILLIONTH = D("0.0000005")


# Published examples ---------------------------------------------------------------------------


def test_published_water_example_by_the_normative():
    """ekonomimvmeste.ru/wppage/ekonomim-na-vode: 0,33 м³/м² × 156 м² of common property ×
    49,3 м² / (1 468 + 444,8) м² of residential and non-residential premises. The formula gives
    1,326832 м³; the payment document quoted there printed 1,3272 (not reproduced: it does not
    follow from the figures it names)."""
    common = calc.common_house_volume(
        house_volume=None, individual=D(0), normative=D("0.33"), common_area=D("156")
    )
    assert common == calc.CommonVolume(D("51.480000"), by_normative=True)
    shares = calc.common_shares(common.charged, {1: D("49.3")}, D("1468") + D("444.8"))
    assert shares == {1: D("1.326832")}


def test_published_electricity_example_by_the_normative():
    """59.1bb.ru/viewtopic.php?id=4: 1,781 кВт·ч/м² × 2 691,9 м² of common property / 4 321 м²
    of premises = 1,1095 кВт·ч per m² of a flat; a flat of 46,6 м² → 51,70 кВт·ч × 2,49 ₽.
    The post prints 128,22 ₽, which its own 51,70 × 2,49 (= 128,73) does not give; to the
    kopeck the volume 51,704042 кВт·ч costs 128,74 ₽."""
    common = calc.common_house_volume(
        house_volume=None, individual=D(0), normative=D("1.781"), common_area=D("2691.9")
    )
    share = calc.common_shares(common.charged, {1: D("46.6")}, D("4321"))[1]
    assert share == D("51.704042")
    assert calc.round_money(share * D("2.49")) == D("128.74")


# The rule, by hand --------------------------------------------------------------------------


def test_house_meter_above_the_normative_is_capped_and_the_rest_is_the_excess():
    # 300 kWh by the house meter, 200 in the premises; the normative: 0,5 kWh × 120 m² = 60.
    common = calc.common_house_volume(
        house_volume=D("300"), individual=D("200"), normative=D("0.5"), common_area=D("120")
    )
    assert (common.charged, common.excess, common.by_normative) == (D("60"), D("40"), False)


def test_general_meeting_decision_distributes_the_whole_excess():
    common = calc.common_house_volume(
        house_volume=D("300"), individual=D("200"), normative=D("0.5"), common_area=D("120"),
        distribute_excess=True,
    )  # fmt: skip
    assert (common.charged, common.excess) == (D("100"), D("0"))


def test_nothing_when_the_premises_used_more_than_the_house_meter():
    common = calc.common_house_volume(
        house_volume=D("180"), individual=D("200"), normative=D("0.5"), common_area=D("120")
    )
    assert (common.charged, common.excess) == (D("0"), D("0"))


def test_without_a_normative_the_meter_volume_is_not_capped():
    common = calc.common_house_volume(
        house_volume=D("300"), individual=D("200"), normative=None, common_area=D("120")
    )
    assert (common.charged, common.excess) == (D("100"), D("0"))


areas = st.lists(st.decimals(D("1.00"), D("300.00"), places=2), min_size=1, max_size=40)


@given(
    house=st.one_of(st.none(), st.decimals(D("0"), D("9000"), places=3)),
    individual=st.decimals(D("0"), D("9000"), places=3),
    normative=st.one_of(st.none(), st.decimals(D("0"), D("3"), places=4)),
    common_area=st.decimals(D("0"), D("2000"), places=2),
    distribute=st.booleans(),
    areas=areas,
    others=st.decimals(D("0"), D("5000"), places=2),
)
def test_shares_add_up_to_the_charged_volume_and_the_cap_holds(
    house, individual, normative, common_area, distribute, areas, others
):
    """The parts add up to the charged volume × the accounts' areas over the total area (all
    of it when every premise has an account: ``others`` = 0), each part rounded half-up to 6
    places; the charged volume never exceeds the normative × the common-property area unless
    the general meeting decided otherwise, and what the meter counted above it is the
    excess."""
    common = calc.common_house_volume(
        house_volume=house, individual=individual, normative=normative,
        common_area=common_area, distribute_excess=distribute,
    )  # fmt: skip
    cap = None if normative is None else normative * common_area
    if house is not None:
        assert common.charged + common.excess == max(house - individual, D(0))
    if cap is not None and not distribute:
        assert common.charged <= cap
    total_area = sum(areas, D(0)) + others
    shares = calc.common_shares(common.charged, dict(enumerate(areas)), total_area)
    assert all(share >= 0 for share in shares.values())
    expected = common.charged * sum(areas, D(0)) / total_area
    assert abs(sum(shares.values(), D(0)) - expected) <= HALF_A_MILLIONTH * len(areas)
    if cap is not None and not distribute:
        for index, share in shares.items():  # the cap of each premise: its part of the cap
            assert share <= cap * areas[index] / total_area + HALF_A_MILLIONTH


# The billing run ----------------------------------------------------------------------------


@pytest.fixture
def house(db):
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
    TariffFactory(service=made, value=D(tariff), valid_from=datetime.date(2026, 1, 1))
    return made


def normative(house, resource, value, *, own=False):
    """The organisation's normative for all its houses, or (``own``) the house's own."""
    return CommonNeedsNormative.objects.create(
        organization=house.organization, house=house if own else None, resource=resource,
        value=D(value), valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip


def metered(account, resource, before, now):
    meter = MeterFactory(account=account, resource=resource)
    ReadingFactory(meter=meter, period=OCTOBER, value=D(before), taken_on=OCTOBER)
    ReadingFactory(meter=meter, period=NOVEMBER, value=D(now), taken_on=NOVEMBER)


def house_meter(house, resource, before, now):
    meter = MeterFactory(account=None, house=house, resource=resource, digits=8)
    ReadingFactory(meter=meter, period=OCTOBER, value=D(before), taken_on=OCTOBER)
    ReadingFactory(meter=meter, period=NOVEMBER, value=D(now), taken_on=NOVEMBER)


def line(account, service, period):
    return Charge.objects.get(account=account, service=service, period=period)


@pytest.fixture
def power(house):
    return service(house, CalculationMethod.METER, "6.00", resource=Resource.ELECTRICITY,
                   normative=D("100"))  # fmt: skip


@pytest.fixture
def two_flats(house):
    """30 and 70 m² of the house's 500 m²; 80 and 120 kWh by their meters this month."""
    small, large = account_in(house, "30.00"), account_in(house, "70.00")
    metered(small, Resource.ELECTRICITY, "1000", "1080")
    metered(large, Resource.ELECTRICITY, "2000", "2120")
    return small, large


def test_share_is_by_the_house_total_area_not_the_accounts(house, period, power, two_flats):
    small, large = two_flats
    normative(house, Resource.ELECTRICITY, "10")  # cap 10 × 50 = 500 kWh: not reached
    house_meter(house, Resource.ELECTRICITY, "10000", "10300")  # 300 − 200 = 100 kWh
    run_billing(period)
    small_line, large_line = line(small, power, period), line(large, power, period)
    # 100 × 30 / 500 and 100 × 70 / 500 (not / 100: the house has 500 m² of premises)
    assert (small_line.common_volume, large_line.common_volume) == (D("6"), D("14"))
    assert small_line.common_charged == D("36.00")
    assert small_line.charged == D("516.00")  # 80 × 6 + 6 × 6


def test_the_cap_holds_and_the_run_names_the_excess(house, period, power, two_flats):
    small, large = two_flats
    normative(house, Resource.ELECTRICITY, "1")  # cap 1 × 50 = 50 kWh of the 100 counted
    house_meter(house, Resource.ELECTRICITY, "10000", "10300")
    result = run_billing(period)
    assert (line(small, power, period).common_volume, line(large, power, period).common_volume) == (
        D("3"), D("7"),
    )  # fmt: skip
    assert result.common_excess == {(house.pk, Resource.ELECTRICITY): D("50")}
    assert any("выше норматива на 50,00" in problem for problem in result.problems)


def test_general_meeting_decision_lifts_the_cap(house, period, power, two_flats):
    small, large = two_flats
    house.common_excess_distributed = True
    house.common_excess_decision, house.common_excess_decided_on = "3", datetime.date(2026, 5, 20)
    house.full_clean()
    house.save()
    normative(house, Resource.ELECTRICITY, "1")
    house_meter(house, Resource.ELECTRICITY, "10000", "10300")
    result = run_billing(period)
    assert (line(small, power, period).common_volume, line(large, power, period).common_volume) == (
        D("6"), D("14"),
    )  # fmt: skip
    assert result.common_excess == {}


def test_a_decision_needs_its_protocol(house):
    house.common_excess_distributed = True
    with pytest.raises(Exception, match="протокола"):
        house.full_clean()


def test_without_a_house_meter_reading_the_normative_applies(house, period, power, two_flats):
    small, large = two_flats
    normative(house, Resource.ELECTRICITY, "2")  # 2 × 50 = 100 kWh for the house
    meter = MeterFactory(account=None, house=house, resource=Resource.ELECTRICITY, digits=8)
    ReadingFactory(meter=meter, period=OCTOBER, value=D("10000"), taken_on=OCTOBER)  # no Nov.
    run_billing(period)
    assert (line(small, power, period).common_volume, line(large, power, period).common_volume) == (
        D("6"), D("14"),
    )  # fmt: skip


def test_a_house_on_the_normative_order_ignores_its_meter(house, period, power, two_flats):
    """ЖК РФ ст. 156 ч. 9.2 (Постановление № 92): without an automated metering system or the
    owners' choice, the normative every month (the yearly correction is not computed)."""
    small, large = two_flats
    house.common_by_meter = False
    house.save(update_fields=["common_by_meter"])
    normative(house, Resource.ELECTRICITY, "2")  # 2 × 50 = 100 kWh for the house
    house_meter(house, Resource.ELECTRICITY, "10000", "10500")  # 300 above the premises
    result = run_billing(period)
    assert (line(small, power, period).common_volume, line(large, power, period).common_volume) == (
        D("6"), D("14"),
    )  # fmt: skip
    assert result.common_excess == {}


def test_a_house_normative_wins_over_the_organisations(house, period, power, two_flats):
    small, _ = two_flats
    normative(house, Resource.ELECTRICITY, "2")
    normative(house, Resource.ELECTRICITY, "4", own=True)  # 4 × 50 = 200 kWh
    run_billing(period)
    assert line(small, power, period).common_volume == D("12")  # 200 × 30 / 500


def test_wastewater_of_common_needs_is_the_waters_capped_by_its_normative(house, period):
    flat = account_in(house, "50.00")
    metered(flat, Resource.COLD_WATER, "100", "104")
    metered(flat, Resource.HOT_WATER, "100", "103")
    cold = service(house, CalculationMethod.METER, "50.00", resource=Resource.COLD_WATER)
    hot = service(house, CalculationMethod.METER, "200.00", resource=Resource.HOT_WATER)
    sewage = service(house, CalculationMethod.WASTEWATER, "40.00")
    normative(house, Resource.COLD_WATER, "0.033")  # × 50 m² = 1,65 m³ for the house
    normative(house, Resource.HOT_WATER, "0.033")
    normative(house, WASTEWATER, "0.06")  # × 50 = 3 m³: below the waters' 3,3
    run_billing(period)
    assert line(flat, cold, period).common_volume == D("0.165")  # 1,65 × 50 / 500
    assert line(flat, hot, period).common_volume == D("0.165")
    wastewater = line(flat, sewage, period)
    assert (wastewater.volume, wastewater.common_volume) == (D("7"), D("0.3"))  # 3 × 50 / 500
    assert wastewater.common_charged == D("12.00")


def test_a_non_residential_premise_is_billed_and_gets_its_share(house, period, power, two_flats):
    shop = account_in(house, "100.00", premise__kind=PremiseKind.NON_RESIDENTIAL,
                      premise__number="1Н", residents=0, holder_name='ООО "Продукты"')  # fmt: skip
    metered(shop, Resource.ELECTRICITY, "5000", "5400")
    upkeep = service(house, CalculationMethod.AREA, "20.00")
    normative(house, Resource.ELECTRICITY, "10")
    house_meter(house, Resource.ELECTRICITY, "10000", "10800")  # 800 − 600 = 200 kWh
    run_billing(period)
    assert line(shop, upkeep, period).charged == D("2000.00")
    shop_power = line(shop, power, period)
    assert (shop_power.volume, shop_power.common_volume) == (D("400"), D("40"))  # 200 × 100/500
    assert shop.premise.short_label == "пом. 1Н"
    assert not shop.user_links.exists()  # nobody linked: billed all the same


def test_a_non_residential_premises_receipt_names_it(house, period):
    shop = account_in(house, "100.00", premise__kind=PremiseKind.NON_RESIDENTIAL,
                      premise__number="1Н", residents=0)  # fmt: skip
    service(house, CalculationMethod.AREA, "20.00")
    run_billing(period)
    close_period(period)
    period.refresh_from_db()
    receipt = receipt_data(shop, period)
    assert receipt.address.endswith("пом. 1Н")
    assert receipt.accrued == D("2000.00")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    used=st.lists(st.integers(0, 400), min_size=1, max_size=5),
    above=st.integers(0, 600),
    normative_value=st.decimals(D("0"), D("5"), places=2),
)
def test_the_runs_shares_add_up_and_the_cap_holds(db, used, above, normative_value):
    """Over random houses whose every premise has an account: the accounts' common volumes add
    up to the charged common volume (each rounded to 6 places) and never exceed the normative ×
    the common-property area."""
    house = HouseFactory(common_property_area=D("80.00"))
    period = PeriodFactory(organization=house.organization, month=NOVEMBER,
                           status=PeriodStatus.OPEN)  # fmt: skip
    power = service(house, CalculationMethod.METER, "5.00", resource=Resource.ELECTRICITY)
    normative(house, Resource.ELECTRICITY, normative_value)
    accounts = []
    for index, volume in enumerate(used):
        account = account_in(house, f"{30 + 7 * index}.50")
        metered(account, Resource.ELECTRICITY, "1000", str(1000 + volume))
        accounts.append(account)
    house_meter(house, Resource.ELECTRICITY, "100000", str(100000 + sum(used) + above))
    result = calculate(period)
    shares = [result.lines[a.pk, power.pk].common_volume for a in accounts]
    cap = normative_value * D("80.00")
    charged = min(D(above), cap)
    assert abs(sum(shares, D(0)) - charged) <= HALF_A_MILLIONTH * len(accounts)
    assert sum(shares, D(0)) <= cap + HALF_A_MILLIONTH * len(accounts)
    assert result.common_excess.get((house.pk, Resource.ELECTRICITY), D(0)) == D(above) - charged
