"""The yearly correction of ОДН (КР на СОИ) by the house meter: ЖК РФ ст. 156 ч. 9.2, Правила
№ 491 п. 29(3) «а» as amended by Постановление Правительства РФ от 03.02.2022 № 92
(docs/billing-law.md, «The yearly correction of ОДН»). The year's volume by the house meter
less the premises' (never below zero) against the normative's, at each month's tariffs, shared
by area; recorded as audited recalculations from the staff page «Корректировка ОДН»."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.common_correction import (
    ALREADY_RECORDED,
    add_common_corrections,
    common_correction,
    distribute,
    year_common_volume,
)
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    CalculationMethod,
    CommonNeedsNormative,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.housing.models import PremiseKind
from kabinet.metering.models import Resource
from kabinet.money import round_money
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

D = Decimal
YEAR = 2025
MONTHS = [datetime.date(YEAR, number, 1) for number in range(1, 13)]
URL = "/staff/billing/common-correction/"


# The arithmetic ---------------------------------------------------------------------------


def test_a_year_whose_premises_used_more_than_the_house_meter_has_no_common_volume():
    assert year_common_volume([D("350")] * 12, [D("370")] * 12) == 0
    # a month below is offset by the year's others: the law compares the year
    assert year_common_volume([D("350"), D("420")], [D("370"), D("370")]) == D("30")


def test_the_parts_are_whole_kopecks_given_to_the_largest_remainders():
    # 375 × 30 / 147,15 = 76,4526…; × 70 → 178,3894…; × 47,15 → 120,1580…: the floors leave
    # two kopecks, which go to the two largest remainders (70 and 47,15 m²)
    parts = distribute(D("375.00"), {1: D("30"), 2: D("70"), 3: D("47.15")}, D("147.15"))
    assert parts == {1: D("76.45"), 2: D("178.39"), 3: D("120.16")}
    negative = distribute(D("-375.00"), {1: D("30"), 2: D("70"), 3: D("47.15")}, D("147.15"))
    assert negative == {1: D("-76.45"), 2: D("-178.39"), 3: D("-120.16")}


weights = st.lists(st.decimals(D("0.01"), D("500.00"), places=2), min_size=1, max_size=30)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.decimals(D("-99999.99"), D("99999.99"), places=2),
    weights=weights,
    others=st.decimals(D("0"), D("3000.00"), places=2),
)
def test_the_accounts_parts_add_up_to_the_house_correction(amount, weights, others):
    """Every premise with an account: the parts add up to the house's correction exactly;
    premises without one (``others``) keep theirs, and the parts add up to the house's
    correction × the accounts' area over the total, rounded; each part within a kopeck of its
    exact share."""
    keyed = dict(enumerate(weights))
    covered = sum(weights, D(0))
    assert sum(distribute(amount, keyed, covered).values(), D(0)) == amount
    total = covered + others
    parts = distribute(amount, keyed, total)
    assert sum(parts.values(), D(0)) == round_money(amount * covered / total)
    for key, part in parts.items():
        assert abs(part - amount * keyed[key] / total) < D("0.01")


# A house's year ---------------------------------------------------------------------------


@pytest.fixture
def house(db):
    """Flats of 30 and 70 m² and a shop of 47,15 m², all with accounts; 50 m² of common
    property; ОДН by the normative every month (ЖК РФ ст. 156 ч. 9.2)."""
    return HouseFactory(
        residential_area=D("100.00"), non_residential_area=D("47.15"),
        common_property_area=D("50.00"), common_by_meter=False,
    )  # fmt: skip


@pytest.fixture
def power(house):
    """Electricity at 6,00 ₽ to June and 6,50 ₽ from July; the normative for common needs
    0,5 kWh per m² of common property a month (25 kWh for the house)."""
    service = ServiceFactory(organization=house.organization, method=CalculationMethod.METER,
                             resource=Resource.ELECTRICITY, unit="кВт·ч")  # fmt: skip
    TariffFactory(service=service, value=D("6.00"), valid_from=datetime.date(YEAR, 1, 1),
                  valid_to=datetime.date(YEAR, 6, 30))  # fmt: skip
    TariffFactory(service=service, value=D("6.50"), valid_from=datetime.date(YEAR, 7, 1))
    CommonNeedsNormative.objects.create(
        organization=house.organization, resource=Resource.ELECTRICITY, value=D("0.5"),
        valid_from=datetime.date(YEAR, 1, 1),
    )  # fmt: skip
    return service


@pytest.fixture
def accounts(house, power):
    """The three accounts, charged every month of the year for 150, 200 and 20 kWh (370)."""
    made = [
        PersonalAccountFactory(premise__house=house, premise__area=D("30.00")),
        PersonalAccountFactory(premise__house=house, premise__area=D("70.00")),
        PersonalAccountFactory(premise__house=house, premise__area=D("47.15"),
                               premise__kind=PremiseKind.NON_RESIDENTIAL),
    ]  # fmt: skip
    for month in MONTHS:
        period = PeriodFactory(organization=house.organization, month=month)
        for account, used in zip(made, ("150", "200", "20"), strict=True):
            ChargeFactory(account=account, service=power, period=period, volume=D(used),
                          tariff=D("6.00"), charged=D(used) * 6)  # fmt: skip
    return made


def house_meter(house, monthly):
    """The house's electricity meter, counting ``monthly`` kWh every month of the year."""
    meter = MeterFactory(account=None, house=house, resource=Resource.ELECTRICITY, digits=8)
    value = D("10000")
    ReadingFactory(meter=meter, period=datetime.date(YEAR - 1, 12, 1), value=value)
    for month in MONTHS:
        value += D(monthly)
        ReadingFactory(meter=meter, period=month, value=value, taken_on=month.replace(day=25))
    return meter


@pytest.fixture
def january(house):
    return PeriodFactory(organization=house.organization, month=datetime.date(YEAR + 1, 1, 1),
                         status=PeriodStatus.OPEN)  # fmt: skip


def test_the_house_correction_by_hand(house, power, accounts):
    """By the normative: 25 kWh × 6,00 × 6 months + 25 × 6,50 × 6 = 900,00 + 975,00 =
    1 875,00 ₽. By the house meter: 400 kWh a month less the premises' 370 = 30 kWh; 30 × 6,00
    × 6 + 30 × 6,50 × 6 = 1 080,00 + 1 170,00 = 2 250,00 ₽. The house's correction 375,00 ₽,
    shared over 147,15 m²: 76,45 + 178,39 + 120,16."""
    house_meter(house, "400")
    correction = common_correction(house, power, YEAR)
    assert (correction.normative_volume, correction.metered_volume) == (D("300"), D("360"))
    assert (correction.normative_cost, correction.metered_cost, correction.amount) == (
        D("1875.00"), D("2250.00"), D("375.00"),
    )  # fmt: skip
    parts = [(part.account, part.amount) for part in correction.accounts]
    assert parts == list(zip(accounts, (D("76.45"), D("178.39"), D("120.16")), strict=True))
    assert correction.total == correction.amount


def test_a_negative_year_returns_what_the_normative_charged_and_no_more(house, power, accounts):
    house_meter(house, "350")  # 20 kWh a month below the premises' 370
    correction = common_correction(house, power, YEAR)
    assert (correction.metered_volume, correction.metered_cost) == (D("0"), D("0"))
    assert correction.amount == D("-1875.00")
    assert sum(part.amount for part in correction.accounts) == D("-1875.00")


def test_the_correction_is_recorded_once_audited_in_the_open_period(
    house, power, accounts, january
):
    house_meter(house, "400")
    made = add_common_corrections(house, power, YEAR, expected=D("375.00"))
    assert [(r.account, r.amount, r.period, r.kind, r.corrected_period.month) for r in made] == [
        (account, amount, january, RecalculationKind.COMMON, datetime.date(YEAR, 12, 1))
        for account, amount in zip(accounts, (D("76.45"), D("178.39"), D("120.16")), strict=True)
    ]
    assert "Правила № 491, п. 29(3)" in made[0].reason
    assert AuditEntry.objects.filter(action=AuditAction.RECALCULATION_ADDED).count() == 3
    assert common_correction(house, power, YEAR).total == 0  # what is recorded counts


def test_saving_the_same_correction_again_records_nothing_and_says_it_is_in(
    house, power, accounts, january
):
    house_meter(house, "400")
    add_common_corrections(house, power, YEAR, expected=D("375.00"))
    for shown in (D("375.00"), None):  # the page sent twice, or saved again later
        with pytest.raises(BillingError, match="уже внесена"):
            add_common_corrections(house, power, YEAR, expected=shown)
    assert Recalculation.objects.count() == 3
    assert sum(Recalculation.objects.values_list("amount", flat=True)) == D("375.00")


def test_a_year_charged_exactly_as_metered_has_nothing_to_record(house, power, accounts, january):
    house_meter(house, "395")  # 25 kWh a month above the premises: the normative's 25
    with pytest.raises(BillingError, match="ничего не меняет"):
        add_common_corrections(house, power, YEAR)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writer at a time: the race needs PostgreSQL's concurrent writers",
)
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_record_one_correction(house, power, accounts, january):
    """Two staff members (or a double click) save the same preview at the same moment: both
    computed the parts before the lock, so both recorded them. Now the second computes under
    the open period's lock after the first has committed, and refuses."""
    house_meter(house, "400")
    errors = at_once([lambda: add_common_corrections(house, power, YEAR, expected=D("375.00"))] * 2)
    assert [str(error) for error in errors] == [ALREADY_RECORDED.format(year=YEAR)]
    assert Recalculation.objects.count() == 3
    assert sum(Recalculation.objects.values_list("amount", flat=True)) == D("375.00")


def test_figures_that_changed_since_they_were_shown_are_refused(house, power, accounts, january):
    house_meter(house, "400")
    with pytest.raises(BillingError, match="изменилась"):
        add_common_corrections(house, power, YEAR, expected=D("1.00"))
    assert not Recalculation.objects.exists()


def test_every_month_needs_the_house_meters_reading(house, power, accounts):
    meter = house_meter(house, "400")
    meter.readings.filter(period=datetime.date(YEAR, 6, 1)).delete()
    with pytest.raises(BillingError, match=r"06\.2025, 07\.2025"):  # June's, and July's start
        common_correction(house, power, YEAR)


def test_no_correction_before_december_is_closed(house, power, accounts):
    house_meter(house, "400")
    december = house.organization.periods.get(month=datetime.date(YEAR, 12, 1))
    type(december)._base_manager.filter(pk=december.pk).update(status=PeriodStatus.OPEN)
    with pytest.raises(BillingError, match="после закрытия декабря"):
        common_correction(house, power, YEAR)


def test_no_yearly_correction_for_a_house_charged_monthly_by_its_meter(house, power, accounts):
    house.common_by_meter = True
    house.save(update_fields=["common_by_meter"])
    with pytest.raises(BillingError, match="ежемесячно"):
        common_correction(house, power, YEAR)


# The staff page «Корректировка ОДН» --------------------------------------------------------


def page_text(response) -> str:
    return response.content.decode().replace("\xa0", " ").replace("\u202f", " ")


def test_the_accountant_previews_then_saves_the_correction(client, house, power, accounts, january):
    house_meter(house, "400")
    client.force_login(staff_user(house.organization, StaffRole.ACCOUNTANT))
    url = f"{URL}?organization={house.organization.pk}"
    form = {"house": house.pk, "service": power.pk, "year": YEAR}
    preview = client.post(url, {**form, "preview": "1"})
    text = page_text(preview)
    for figure in ("1 875,00 ₽", "2 250,00 ₽", "375,00 ₽", "178,39", "360,000", "300,000"):
        assert figure in text
    assert "common-correction-late" not in preview.content.decode()  # January: п. 29(3) «а»
    assert not Recalculation.objects.exists()
    saved = client.post(url, {**form, "save": "1", "shown_amount": "375.00"})
    assert saved.status_code == 302
    assert sum(Recalculation.objects.values_list("amount", flat=True)) == D("375.00")


def test_the_operator_may_not_record_a_correction(client, house, power, accounts, january):
    house_meter(house, "400")
    client.force_login(staff_user(house.organization, StaffRole.OPERATOR))
    response = client.post(f"{URL}?organization={house.organization.pk}", {
        "house": house.pk, "service": power.pk, "year": YEAR, "save": "1",
        "shown_amount": "375.00",
    })  # fmt: skip
    assert response.status_code == 403
    assert not Recalculation.objects.exists()


def test_another_organisations_accountant_gets_not_found(client, house, power, accounts, january):
    house_meter(house, "400")
    other = HouseFactory().organization
    client.force_login(staff_user(other, StaffRole.ACCOUNTANT))
    response = client.post(f"{URL}?organization={house.organization.pk}", {
        "house": house.pk, "service": power.pk, "year": YEAR, "save": "1",
        "shown_amount": "375.00",
    })  # fmt: skip
    assert response.status_code == 404
    assert not Recalculation.objects.exists()


def test_the_page_says_when_the_open_period_is_past_the_first_quarter(
    client, house, power, accounts
):
    house_meter(house, "400")
    PeriodFactory(organization=house.organization, month=datetime.date(YEAR + 1, 4, 1),
                  status=PeriodStatus.OPEN)  # fmt: skip
    client.force_login(staff_user(house.organization, StaffRole.MANAGER))
    preview = client.post(f"{URL}?organization={house.organization.pk}", {
        "house": house.pk, "service": power.pk, "year": YEAR, "preview": "1",
    })  # fmt: skip
    assert "common-correction-late" in preview.content.decode()
