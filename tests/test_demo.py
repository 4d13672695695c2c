import datetime
from decimal import Decimal

import pypdfium2
import pytest
from django.db.models import Sum

from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import (
    INSTALMENT_METHODS,
    PENALTY_METHODS,
    AccountBalance,
    CalculationMethod,
    Charge,
    ChargeBasis,
    KeyRate,
    Penalty,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
    Service,
)
from kabinet.housing.models import OwnershipType, PersonalAccount, Premise, PremiseKind
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.money import round_money
from kabinet.months import add_months
from kabinet.orgs.models import Organization, StaffRole
from kabinet.payments.models import Payment
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import receipt_data
from kabinet.users.models import User
from tests.conftest import DEMO_TODAY

TODAY = DEMO_TODAY
SEED_SERVICES = [
    ("Ремонт жилья", "м²"),
    ("Содержание жилья", "м²"),
    ("Найм жилья", "м²"),
    ("Холодное водоснабжение", "м³"),
    ("Горячее водоснабжение", "м³"),
    ("Водоотведение", "м³"),
    ("Электроснабжение", "кВт·ч"),
    ("Отопление", "Гкал"),
    ("Пени", ""),
    ("Взнос на капитальный ремонт", "м²"),
    ("Пени на взносы на капремонт", ""),
    ("Рассрочка платы", ""),  # made by the instalment plan of ЛС 1000158
    ("Проценты за рассрочку", ""),
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_world):
    """Every test here reads the demo loaded once for the module (tests/conftest.py)."""


def balance(number):
    charged = Charge.objects.filter(account__number=number).aggregate(s=Sum("total"))["s"]
    paid = Payment.objects.filter(account__number=number).aggregate(s=Sum("amount"))["s"]
    return (Decimal(charged) - Decimal(paid)).quantize(Decimal("0.01"))


def test_two_organisations_each_with_its_own_house(demo):
    kamal = Organization.objects.get(name='ОАО "Камал"')
    uyut = Organization.objects.get(name='ООО "УК Уютный дом"')
    assert [h.address for h in kamal.houses.all()] == ["ул. Гражданская, д. 12"]
    assert uyut.houses.count() == 1
    assert kamal.bik
    assert kamal.settlement_account
    assert kamal.correspondent_account
    kamal.full_clean()
    uyut.full_clean()
    assert (kamal.readings_from_day, kamal.readings_to_day) == (1, 31)
    assert (uyut.readings_from_day, uyut.readings_to_day) == (15, 25)


def test_seed_accounts(demo):
    account = PersonalAccount.objects.get(number="1000154")
    assert account.holder_name == "Муравьев Сергей Иванович"
    assert account.premise.number == "154"
    assert account.premise.area == Decimal("54.00")
    assert account.premise.ownership == OwnershipType.MUNICIPAL
    flats = PersonalAccount.objects.filter(
        premise__house__address="ул. Гражданская, д. 12", premise__kind=PremiseKind.RESIDENTIAL
    )
    assert sorted(int(a.premise.number) for a in flats) == list(range(150, 161))


def test_the_shop_is_billed_like_the_flats_and_shares_the_common_needs(demo):
    shop = PersonalAccount.objects.select_related("premise__house").get(number="1000170")
    assert (shop.premise.kind, shop.premise.number) == (PremiseKind.NON_RESIDENTIAL, "1Н")
    assert not shop.user_links.exists()
    assert shop.residents == 0
    house = shop.premise.house
    flats = Premise.objects.filter(house=house, kind=PremiseKind.RESIDENTIAL)
    assert house.residential_area == sum((p.area for p in flats), Decimal(0))
    assert house.non_residential_area == shop.premise.area
    assert house.common_property_area == Decimal("142.30")
    power = Charge.objects.filter(account=shop, service__resource=Resource.ELECTRICITY)
    assert power.count() == 12
    assert all(line.common_volume > 0 for line in power)
    # The common share is capped by the normative (1,2 kWh × 142,30 m²) and shared by area
    # over all premises of the house (each part rounded half-up to 6 places).
    cap = Decimal("1.2") * house.common_property_area
    for line in power:
        assert line.common_volume <= cap * shop.premise.area / house.premises_area + Decimal(
            "0.0000005"
        )


def test_the_seed_account_carries_the_identifiers_gis_would_give_it(demo):
    account = PersonalAccount.objects.get(number="1000154")
    account.full_clean()
    assert (len(account.unified_account), len(account.gis_service_id)) == (10, 13)
    documents = PaymentDocumentId.objects.filter(account=account)
    assert documents.count() == 12  # one a closed month
    for document in documents:
        document.full_clean()
        assert len(document.value) == 18


def test_unlinked_account_paid_on_the_tenth_of_last_month(demo):
    account = PersonalAccount.objects.get(number="1000155")
    last = account.payments.filter(capital_repair=False).order_by("-paid_on").first()
    assert last.paid_on == datetime.date(2026, 10, 10)
    assert last.amount == Decimal("2345.67")
    assert not account.user_links.exists()


def test_one_account_pays_a_month_of_heating_in_instalments(demo):
    # June 2026's heating of ЛС 1000158, six shares from June, at the key rate of 03.07.2026
    # (15,50 %) + 3 %: the last closed month (October) is the fifth of them
    account = PersonalAccount.objects.get(number="1000158")
    plan = account.instalment_plans.get()
    assert (plan.period.month, plan.months, plan.rate) == (
        datetime.date(2026, 6, 1), 6, Decimal("18.50")
    )  # fmt: skip
    heating = Charge.objects.get(account=account, period=plan.period, service=plan.service)
    assert plan.amount == heating.total
    october = Period.objects.get(
        organization=account.organization, month=datetime.date(2026, 10, 1)
    )
    [row] = receipt_data(account, october).instalments
    assert (row.number, row.months) == (5, 6)
    assert row.remaining == plan.amount - 5 * row.share
    spread = Charge.objects.filter(account=account, service__name="Рассрочка платы")
    # June … October (the open month is not calculated): what was taken off in June is back in
    # the shares of the five closed months but the last share, still to come
    assert sum(spread.values_list("total", flat=True)) == -row.remaining
    # it paid every month's bill, share and interest included, in full, in the next month;
    # October's is not due yet
    ledger = account_ledger(account, plan.period.month, october.month)
    assert ledger.closing == ledger.months[-1].accrued


def test_seed_services_with_units(demo):
    kamal = Organization.objects.get(name='ОАО "Камал"')
    services = Service.objects.filter(organization=kamal).order_by("position")
    assert [(s.name, s.unit) for s in services] == SEED_SERVICES


def test_twelve_closed_periods_and_the_current_one_open(demo):
    periods = Period.objects.filter(organization__name='ОАО "Камал"').order_by("month")
    assert periods.first().month == datetime.date(2025, 11, 1)
    assert [p.status for p in periods] == [PeriodStatus.CLOSED] * 12 + [PeriodStatus.OPEN]
    assert periods.last().month == datetime.date(2026, 11, 1)
    assert not Charge.objects.filter(period__status=PeriodStatus.OPEN).exists()


def test_history_leaves_the_seed_debt_on_a_one_page_payment_document(demo):
    assert balance("1000154") == Decimal("6889.37")
    assert balance("1000155") > 0
    # every section the seed account has — its suppliers' requisites among them — on one A4
    account = PersonalAccount.objects.get(number="1000154")
    october = Period.objects.get(
        organization=account.organization, month=datetime.date(2026, 10, 1)
    )
    receipt = receipt_data(account, october)
    assert [row.name for row in receipt.suppliers] == [
        "Исполнительный комитет г. Казани", 'АО "Водоканал"', 'АО "Татэнерго"',
        'АО "Татэнергосбыт"',
    ]  # fmt: skip
    assert all(row.inn for row in receipt.suppliers)
    assert len(pypdfium2.PdfDocument(receipt_pdf(receipt))) == 1


def test_the_seed_debt_reconciles_in_the_ledger_and_the_stored_balances(demo):
    account = PersonalAccount.objects.get(number="1000154")
    ledger = account_ledger(account, datetime.date(2025, 11, 1), datetime.date(2026, 10, 1))
    assert ledger.opening == 0
    assert ledger.closing == Decimal("6889.37")
    assert ledger.closing == (
        ledger.opening + ledger.charged + ledger.recalculation + ledger.penalties - ledger.paid
    )
    # more than the last month's charges is owed: the summer's debt has not been paid off
    assert ledger.months[-1].accrued < ledger.closing < 2 * ledger.months[-1].accrued
    stored = list(AccountBalance.objects.filter(account=account).order_by("period__month"))
    assert len(stored) == 12
    for month, row in zip(ledger.months, stored, strict=True):
        assert (row.opening, row.closing, row.penalties) == (
            month.opening, month.closing, month.penalties
        )  # fmt: skip


def test_the_seed_account_pays_penalties_in_the_last_three_months(demo):
    account = PersonalAccount.objects.get(number="1000154")
    penalty_months = {}
    for line in Charge.objects.filter(account=account, service__method=CalculationMethod.PENALTY):
        days = Penalty.objects.filter(account=account, period=line.period)
        assert sum(day.amount for day in days) == line.charged > 0
        penalty_months[line.period.month] = days
    assert sorted(penalty_months) == [datetime.date(2026, m, 1) for m in (8, 9, 10)]
    october = penalty_months[datetime.date(2026, 10, 1)]
    assert {line.fraction for line in october} == {300, 130}  # June's debt passes day 90
    assert all(line.first_overdue_day > 30 for lines in penalty_months.values() for line in lines)
    assert not Penalty.objects.exclude(account=account).filter(capital_repair=False).exists()


def test_one_late_capital_repair_contribution_earns_the_ch_14_1_penalty(demo):
    """ЛС 1000155 pays July's contribution on 28 August: due on 15 August, a Saturday, so on
    Monday 17 August; 18–28 August at 1/300 of 9,5 % (the cap of Постановление № 329)."""
    [line] = Penalty.objects.filter(capital_repair=True)
    account = PersonalAccount.objects.get(number="1000155")
    contribution = Charge.objects.get(
        account=account, period__month=datetime.date(2026, 7, 1),
        service__method=CalculationMethod.CAPITAL_REPAIR,
    )  # fmt: skip
    assert (line.account, line.debt_month, line.due_date) == (
        account, datetime.date(2026, 7, 1), datetime.date(2026, 8, 17)
    )  # fmt: skip
    assert (line.date_from, line.date_to, line.fraction, line.rate, line.debt) == (
        datetime.date(2026, 8, 18), datetime.date(2026, 8, 28), 300, Decimal("9.50"),
        contribution.total,
    )  # fmt: skip
    assert line.amount == round_money(contribution.total * 11 * Decimal("9.5") / 100 / 300)
    charged = Charge.objects.get(
        account=account, service__method=CalculationMethod.CAPITAL_REPAIR_PENALTY
    )
    assert (charged.period.month, charged.charged) == (datetime.date(2026, 8, 1), line.amount)
    # municipal flats pay no contribution: their owner does (ЖК РФ ст. 169 ч. 1)
    assert not Charge.objects.filter(
        account__number="1000154", service__method=CalculationMethod.CAPITAL_REPAIR
    ).exists()


def test_the_demo_counts_penalties_by_the_shipped_law(demo):
    """No rates of its own: the shipped key-rate history, capped at 9,5 % to 31.12.2026
    (Постановление № 329), and the 15th as the due date (Федеральный закон № 177-ФЗ)."""
    assert not KeyRate.objects.filter(organization__isnull=False).exists()
    account = PersonalAccount.objects.get(number="1000154")
    lines = Penalty.objects.filter(account=account)
    assert {(line.rate, line.rule) for line in lines} == {(Decimal("9.50"), "rate_cap")}
    assert {line.due_date.day for line in lines} <= {15, 16, 17}  # the 15th or the next working day
    by_month = {
        line.period.month: line.charged
        for line in Charge.objects.filter(
            account=account, service__method=CalculationMethod.PENALTY
        )
    }
    # The demo's bank payments name the month they pay («Период»), so a part payment of a
    # later month leaves the earlier month's debt running (ГК РФ ст. 319.1); paid oldest
    # debt first they were 21,39, 48,83, 61,62; without the cap and the 15th (15,5 %, due on
    # the 10th), and oldest debt first, 49,42, 105,40, 120,31 (these two before the common
    # share followed Правила № 354 п. 44, which took a few kopecks off)
    assert by_month == {
        datetime.date(2026, 8, 1): Decimal("30.21"),
        datetime.date(2026, 9, 1): Decimal("76.03"),
        datetime.date(2026, 10, 1): Decimal("90.58"),
    }


def test_a_corrected_reading_is_recalculated_in_the_next_month(demo):
    account = PersonalAccount.objects.get(number="1000154")
    cold_water = Recalculation.objects.get(service__resource=Resource.COLD_WATER)
    may, june = datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
    assert (cold_water.account, cold_water.kind) == (account, RecalculationKind.READING)
    assert (cold_water.corrected_period.month, cold_water.period.month) == (may, june)
    assert cold_water.amount == Decimal("-436.50")  # 9 m³ too many × 48,50 ₽
    wastewater = Recalculation.objects.get(service__method=CalculationMethod.WASTEWATER)
    assert wastewater.amount == Decimal("-358.20")  # 9 m³ × 39,80 ₽
    # it followed the water's correction by itself, a reading recalculation of its own
    assert (wastewater.kind, wastewater.volume) == (RecalculationKind.READING, Decimal("-9"))
    assert Recalculation.objects.count() == 2
    reading = account.meters.get(resource=Resource.COLD_WATER).readings.get(period=may)
    assert reading.source == ReadingSource.STAFF
    for recalculation in (cold_water, wastewater):
        line = Charge.objects.get(account=account, service=recalculation.service,
                                  period=recalculation.period)  # fmt: skip
        assert line.recalculation == recalculation.amount
        assert line.total == line.charged + line.recalculation


def test_charge_lines_are_tariff_times_volume_rounded(demo):
    # (the lines of an instalment plan have no tariff: tests/test_instalments.py)
    lines = Charge.objects.exclude(service__method__in=(*PENALTY_METHODS, *INSTALMENT_METHODS))
    for line in lines:
        individual = line.charged - line.common_charged - line.coefficient_charged
        assert individual == round_money(line.tariff * line.volume)
        assert line.common_charged == round_money(line.tariff * line.common_volume)
        assert line.total == line.charged + line.recalculation


def test_a_flat_without_meters_pays_the_normative_with_the_coefficient(demo):
    metered = Charge.objects.filter(service__method=CalculationMethod.METER)
    lines = metered.filter(account__number="1000156")
    assert lines
    assert all(line.coefficient and line.coefficient_charged for line in lines)
    others = metered.filter(account__number="1000157")  # a meter cannot be installed
    assert others
    assert not any(line.coefficient for line in others)


def test_a_meter_past_its_verification_is_averaged_then_replaced_by_the_coefficient(demo):
    """ЛС 2000002's cold-water meter was due for verification on 31.05.2026: June–August by
    its average (Правила № 354 п. 59 «а»), September and October by the normative × 3 (п. 60,
    п. 42)."""
    account = PersonalAccount.objects.get(number="2000002")
    meter = account.meters.get(resource=Resource.COLD_WATER)
    assert meter.verification_due == datetime.date(2026, 5, 31)
    lines = Charge.objects.filter(account=account, service__resource=Resource.COLD_WATER)
    bases = {line.period.month.month: (line.basis, line.coefficient) for line in lines}
    assert bases[5] == (ChargeBasis.READING, None)
    assert [bases[month] for month in (6, 7, 8)] == [(ChargeBasis.AVERAGE, None)] * 3
    assert bases[9] == bases[10] == (ChargeBasis.NORMATIVE, Decimal("3"))


def test_house_meters_count_a_little_more_than_the_apartments(demo):
    shares = (
        Charge.objects.filter(
            service__method=CalculationMethod.METER, account__organization__name='ОАО "Камал"'
        )
        .values("period__month", "service__resource")
        .annotate(individual=Sum("volume"), common=Sum("common_volume"))
    )
    assert len(shares) == 12 * 3  # the first month too: the house meters were read before it
    without = []
    for share in shares:
        ratio = share["common"] / share["individual"]
        assert ratio < 0.09, share
        if ratio < 0.02:
            without.append((share["period__month"], share["service__resource"]))
    # In May the mistyped reading (9 m³ too many) put the apartments above the house meter.
    assert without == [(datetime.date(2026, 5, 1), Resource.COLD_WATER)]


def test_heating_is_charged_evenly_every_month(demo):
    account = PersonalAccount.objects.get(number="1000154")
    heating = Charge.objects.filter(account=account, service__name="Отопление")
    assert heating.count() == 12
    assert {line.volume for line in heating} == {Decimal("0.567")}  # 54 м² × 0,0105 Гкал


def test_the_second_house_is_heated_by_its_meter_in_the_heating_season(demo):
    """Formula 3: the heat meter's month shared by area; nothing outside the season."""
    heating = Charge.objects.filter(
        account__organization__name='ООО "УК Уютный дом"', service__name="Отопление"
    )
    months = set(heating.values_list("period__month", flat=True))
    assert months
    assert {month.month for month in months} <= {10, 11, 12, 1, 2, 3, 4}
    assert set(heating.values_list("basis", flat=True)) == {ChargeBasis.READING}
    meter = Meter.objects.get(house__organization__name='ООО "УК Уютный дом"',
                              resource=Resource.HEAT)  # fmt: skip
    values = dict(meter.readings.values_list("period", "value"))
    for month in months:
        shares = heating.filter(period__month=month).aggregate(s=Sum("volume"))["s"]
        used = values[month] - values[add_months(month, -1)]
        assert abs(shares - used) <= Decimal("0.00001")  # every premise has an account


def test_rent_is_charged_only_for_municipal_premises(demo):
    rent = Service.objects.get(name="Найм жилья")
    assert rent.ownership == OwnershipType.MUNICIPAL
    charged = set(Charge.objects.filter(service=rent).values_list("account__premise__number",
                                                                  flat=True))  # fmt: skip
    assert charged == {"150", "152", "154", "157"}


def test_meters_with_monthly_readings_for_the_seed_accounts(demo):
    for number in ("1000154", "1000155"):
        account = PersonalAccount.objects.get(number=number)
        resources = {m.resource for m in account.meters.all()}
        assert resources == {Resource.COLD_WATER, Resource.HOT_WATER, Resource.ELECTRICITY}
        for meter in account.meters.all():
            values = list(meter.readings.order_by("period").values_list("value", flat=True))
            assert len(values) == 13
            assert values == sorted(values)
    assert not Reading.objects.filter(meter__account__number="1000150").exists()


def test_metered_volume_is_the_difference_of_readings(demo):
    account = PersonalAccount.objects.get(number="1000154")
    meter = account.meters.get(resource=Resource.COLD_WATER)
    october, september = meter.readings.order_by("-period")[:2]
    line = Charge.objects.get(
        account=account, service__resource=Resource.COLD_WATER, period__month=october.period
    )
    assert line.volume == october.value - september.value


def test_demo_users(demo):
    resident = User.objects.get(username="demo")
    assert resident.check_password("demo12345")
    assert resident.full_name == "Иванов Иван Иванович"
    assert resident.email == "demo@example.com"
    assert [link.account.number for link in resident.account_links.all()] == ["1000154"]
    operator = User.objects.get(username="operator")
    assert operator.check_password("operator12345")
    membership = operator.staff_memberships.get()
    assert (membership.organization.name, membership.role) == ('ОАО "Камал"', StaffRole.OPERATOR)
    accountant = User.objects.get(username="accountant")
    assert accountant.check_password("accountant12345")
    assert accountant.full_name == "Сафиуллина Алсу Рифовна"
    membership = accountant.staff_memberships.get()
    assert (membership.organization.name, membership.role) == ('ОАО "Камал"', StaffRole.ACCOUNTANT)
    assert not User.objects.filter(username="buh").exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("admin12345")
