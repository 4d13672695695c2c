import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from kabinet.billing.models import Charge, Period, PeriodStatus, Recalculation, Service
from kabinet.demo.data import load_demo
from kabinet.housing.models import OwnershipType, PersonalAccount
from kabinet.metering.models import Reading, Resource
from kabinet.money import round_money
from kabinet.orgs.models import Organization, StaffRole
from kabinet.payments.models import Payment
from kabinet.users.models import User

TODAY = datetime.date(2026, 11, 24)
SEED_SERVICES = [
    ("Ремонт жилья", "кв м"),
    ("Содержание жилья", "кв м"),
    ("Найм жилья", "кв м"),
    ("Холодное водоснабжение", "куб м"),
    ("Горячее водоснабжение", "куб м"),
    ("Водоотведение", "куб м"),
    ("Электроснабжение", "кВтч"),
    ("Отопление", "Гкал"),
    ("Пени", ""),
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_demo(TODAY)


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
    numbers = PersonalAccount.objects.filter(premise__house__address="ул. Гражданская, д. 12")
    assert sorted(int(a.premise.number) for a in numbers) == list(range(150, 161))


def test_unlinked_account_paid_on_the_tenth_of_last_month(demo):
    account = PersonalAccount.objects.get(number="1000155")
    last = account.payments.order_by("-paid_on").first()
    assert last.paid_on == datetime.date(2026, 10, 10)
    assert last.amount == Decimal("2345.67")
    assert not account.user_links.exists()


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


def test_history_leaves_the_seed_debt(demo):
    assert balance("1000154") == Decimal("6889.37")
    assert balance("1000155") > 0


def test_one_recalculation_is_reflected_in_its_charge_line(demo):
    recalculation = Recalculation.objects.get()
    line = Charge.objects.get(
        account=recalculation.account, service=recalculation.service, period=recalculation.period
    )
    assert line.recalculation == recalculation.amount
    assert line.total == line.charged + line.recalculation
    assert recalculation.corrected_period.month < recalculation.period.month


def test_charge_lines_are_tariff_times_volume_rounded(demo):
    for line in Charge.objects.exclude(service__name="Пени"):
        assert line.charged == round_money(line.tariff * line.volume)
        assert line.total == line.charged + line.recalculation


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
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("admin12345")


def test_command_loads_once():
    call_command("load_demo")
    counts = (Charge.objects.count(), Payment.objects.count(), User.objects.count())
    call_command("load_demo")
    assert (Charge.objects.count(), Payment.objects.count(), User.objects.count()) == counts
