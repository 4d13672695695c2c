"""The demo data set: the seed manual's example, relative to today so that it always shows
twelve closed months up to the previous one and the current month open.

Figures are deterministic (a fixed random seed per account). Until the billing engine exists,
charges are computed here by the simple rules of each service's method.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from kabinet.billing.models import (
    CalculationMethod,
    Charge,
    Period,
    PeriodStatus,
    Recalculation,
    Service,
    Tariff,
)
from kabinet.demo.appeals import load_appeals_demo
from kabinet.demo.meters import load_house_meters
from kabinet.demo.payments import add_accountant
from kabinet.housing.models import (
    House,
    ManagementContract,
    OwnershipType,
    PersonalAccount,
    Premise,
)
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.money import round_money
from kabinet.months import add_months, first_of_month
from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import Payment, PaymentSource
from kabinet.users.models import AccountLink, User

KAMAL = 'ОАО "Камал"'
UYUT = 'ООО "УК Уютный дом"'
DEMO_DEBT = Decimal("6889.37")  # the seed's «Долг: 6 889,37» on ЛС 1000154
HEATING_MONTHS = {1, 2, 3, 4, 10, 11, 12}
D = Decimal


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    unit: str
    method: str
    resource: str
    supplier: str
    tariffs: tuple[str, str]  # before and after the July indexation
    normative: str | None = None


KAMAL_SERVICES = [
    ServiceSpec("Ремонт жилья", "кв м", CalculationMethod.AREA, "", KAMAL, ("12.50", "13.10")),
    ServiceSpec("Содержание жилья", "кв м", CalculationMethod.AREA, "", KAMAL, ("18.40", "19.30")),
    ServiceSpec("Найм жилья", "кв м", CalculationMethod.AREA, "",
                "Исполнительный комитет г. Казани", ("9.10", "9.10")),
    ServiceSpec("Холодное водоснабжение", "куб м", CalculationMethod.METER, Resource.COLD_WATER,
                "АО \"Водоканал\"", ("48.50", "51.20"), "4.5"),
    ServiceSpec("Горячее водоснабжение", "куб м", CalculationMethod.METER, Resource.HOT_WATER,
                "АО \"Татэнерго\"", ("245.30", "257.60"), "3.2"),
    ServiceSpec("Водоотведение", "куб м", CalculationMethod.WASTEWATER, "", "АО \"Водоканал\"",
                ("39.80", "41.90")),
    ServiceSpec("Электроснабжение", "кВтч", CalculationMethod.METER, Resource.ELECTRICITY,
                "АО \"Татэнергосбыт\"", ("6.43", "6.84"), "90"),
    ServiceSpec("Отопление", "Гкал", CalculationMethod.AREA_NORMATIVE, Resource.HEAT,
                "АО \"Татэнерго\"", ("2950.00", "3098.00"), "0.018"),
    ServiceSpec("Пени", "", CalculationMethod.PENALTY, "", KAMAL, ("0", "0")),
]  # fmt: skip

UYUT_SERVICES = [
    ServiceSpec("Содержание жилья", "кв м", CalculationMethod.AREA, "", UYUT, ("24.70", "25.90")),
    ServiceSpec("Холодное водоснабжение", "куб м", CalculationMethod.METER, Resource.COLD_WATER,
                "МУП \"Горводоканал\"", ("44.10", "46.30"), "4.5"),
    ServiceSpec("Водоотведение", "куб м", CalculationMethod.WASTEWATER, "",
                "МУП \"Горводоканал\"", ("35.20", "37.00")),
]  # fmt: skip

KAMAL_HOLDERS = {
    150: "Сафина Гульнара Ринатовна", 151: "Ковалёв Андрей Петрович",
    152: "Зарипов Ильдар Маратович", 153: "Белова Ольга Викторовна",
    154: "Муравьев Сергей Иванович", 155: "Никитина Елена Андреевна",
    156: "Хабибуллин Рустем Ильдусович", 157: "Орлова Мария Дмитриевна",
    158: "Галиев Тимур Ренатович", 159: "Смирнов Павел Алексеевич",
    160: "Фёдорова Анастасия Игоревна",
}  # fmt: skip

UYUT_HOLDERS = {1: "Лебедев Константин Олегович", 2: "Миронова Татьяна Николаевна",
                3: "Яковлев Денис Сергеевич", 4: "Соколова Ирина Валерьевна"}  # fmt: skip

METERED_APARTMENTS = {154, 155}  # the seed's accounts with meters and readings
METER_USE = {  # usual monthly consumption range per resource
    Resource.COLD_WATER: (D("3.2"), D("5.4")),
    Resource.HOT_WATER: (D("1.9"), D("3.4")),
    Resource.ELECTRICITY: (D("140"), D("235")),
}


def is_loaded() -> bool:
    return Organization.objects.filter(name=KAMAL).exists()


@transaction.atomic
def load_demo(today: datetime.date | None = None) -> None:
    """Create the demo data set (call once: see ``is_loaded``)."""
    today = today or timezone.localdate()
    current = first_of_month(today)
    months = [add_months(current, offset) for offset in range(-12, 0)]
    indexation = next(month for month in months if month.month == 7)

    kamal = Organization.objects.create(
        name=KAMAL, inn="1659001230", kpp="165901001", ogrn="1021600012345",
        address="420021, г. Казань, ул. Гражданская, д. 10", phone="+7 (843) 231-54-00",
        email="info@kamal-uk.ru", website="https://kamal-uk.ru",
        bank_name="Отделение «Банк Татарстан» № 8610 ПАО Сбербанк", bik="049205603",
        correspondent_account="30101810600000000603", settlement_account="40702810462000012345",
        readings_from_day=1, readings_to_day=31,
    )  # fmt: skip
    uyut = Organization.objects.create(
        name=UYUT, inn="7704123450", kpp="770401001", ogrn="1157746123457",
        address="119021, г. Москва, ул. Садовая, д. 3", phone="+7 (495) 120-33-44",
        email="dom@uyut-uk.ru", bank_name="ПАО Сбербанк", bik="044525225",
        correspondent_account="30101810400000000225", settlement_account="40702810538000054321",
        readings_from_day=15, readings_to_day=25,
    )  # fmt: skip

    kamal_house = House.objects.create(organization=kamal, address="ул. Гражданская, д. 12")
    ManagementContract.objects.create(
        house=kamal_house, number="12/ГР-2019", signed_on=datetime.date(2019, 4, 1),
        valid_from=datetime.date(2019, 5, 1),
        basis="Протокол общего собрания собственников № 1 от 15.03.2019",
        notes="Управление многоквартирным домом, содержание и текущий ремонт общего имущества, "
        "предоставление коммунальных услуг. Срок договора — 5 лет с автоматическим продлением.",
    )  # fmt: skip
    uyut_house = House.objects.create(organization=uyut, address="ул. Садовая, д. 5")
    kamal_accounts = _accounts(kamal, kamal_house, KAMAL_HOLDERS, "1000", months[0])
    uyut_accounts = _accounts(uyut, uyut_house, UYUT_HOLDERS, "200000", months[0])

    for organization, specs, accounts in (
        (kamal, KAMAL_SERVICES, kamal_accounts),
        (uyut, UYUT_SERVICES, uyut_accounts),
    ):
        services = _services(organization, specs, months[0], indexation)
        periods = _periods(organization, months, current)
        meters = _meters(accounts, today)
        _history(accounts, services, periods, meters)

    _users(kamal, kamal_accounts)
    load_appeals_demo()
    load_house_meters(today)
    add_accountant(kamal)


def _accounts(organization, house, holders, prefix, opened_on):
    accounts = {}
    rng = random.Random(organization.inn)
    for number, holder in holders.items():
        premise = Premise.objects.create(
            house=house,
            number=str(number),
            area=D("54.00") if number == 154 else D(rng.randrange(3200, 8400)) / 100,
            ownership=OwnershipType.MUNICIPAL
            if number in (150, 152, 154, 157)
            else OwnershipType.PRIVATE,
        )
        accounts[number] = PersonalAccount.objects.create(
            organization=organization,
            number=f"{prefix}{number}",
            holder_name=holder,
            premise=premise,
            residents=3 if number == 154 else rng.randint(1, 4),
            opened_on=opened_on,
        )
    return accounts


def _services(organization, specs, first_month, indexation):
    services = []
    for position, spec in enumerate(specs, start=1):
        service = Service.objects.create(
            organization=organization, name=spec.name, unit=spec.unit, method=spec.method,
            resource=spec.resource, supplier=spec.supplier, position=position,
            normative=D(spec.normative) if spec.normative else None,
        )  # fmt: skip
        if spec.method != CalculationMethod.PENALTY:
            before, after = (D(value) for value in spec.tariffs)
            Tariff.objects.create(
                service=service, value=before, valid_from=first_month,
                valid_to=indexation - datetime.timedelta(days=1),
            )  # fmt: skip
            Tariff.objects.create(service=service, value=after, valid_from=indexation)
        services.append(service)
    return services


def _periods(organization, months, current):
    periods = [
        Period(
            organization=organization,
            month=month,
            status=PeriodStatus.CLOSED,
            closed_at=timezone.make_aware(
                datetime.datetime.combine(add_months(month, 1).replace(day=3), datetime.time(10))
            ),
        )
        for month in months
    ]
    Period.objects.bulk_create([*periods, Period(organization=organization, month=current)])
    return list(
        Period.objects.filter(organization=organization, month__in=months).order_by("month")
    )


def _meters(accounts, today):
    meters = {}
    for number in METERED_APARTMENTS & accounts.keys():
        account = accounts[number]
        for index, (resource, place) in enumerate(
            [
                (Resource.COLD_WATER, "Ванная"),
                (Resource.HOT_WATER, "Ванная"),
                (Resource.ELECTRICITY, "Прихожая"),
            ]
        ):
            due = today + datetime.timedelta(days=20) if (number, index) == (155, 1) else None
            meters[number, resource] = Meter.objects.create(
                account=account, resource=resource, place=place,
                serial_number=f"{2019 + index}-{number}{index:02d}7{number % 7}",
                digits=6 if resource == Resource.ELECTRICITY else 5,
                installed_on=datetime.date(2019 + index, 3, 14),
                verification_due=due or datetime.date(2031 - index, 3, 14),
            )  # fmt: skip
    return meters


def _history(accounts, services, periods, meters):
    """Charges, readings and payments month by month for every account."""
    tariffs = {service.pk: list(service.tariffs.order_by("valid_from")) for service in services}
    charges, readings, payments = [], [], []
    for number, account in accounts.items():
        rng = random.Random(int(account.number))
        meter_values = {resource: D(rng.randrange(100, 900)) for resource in METER_USE}
        for resource, meter in meters.items():
            if resource[0] == number:
                month = periods[0].month
                readings.append(_reading(meter, meter_values[resource[1]], add_months(month, -1)))
        for period in periods:
            volumes = {}
            for resource, (low, high) in METER_USE.items():
                used = (low + (high - low) * D(rng.random())).quantize(D("0.001"))
                if (number, resource) in meters:
                    meter_values[resource] += used
                    readings.append(_reading(meters[number, resource], meter_values[resource],
                                             period.month))  # fmt: skip
                    volumes[resource] = used
            charges.extend(
                line
                for service in services
                if (line := _charge(account, service, period, tariffs[service.pk], volumes))
            )
    _add_penalties_and_recalculation(accounts, services, periods, charges)
    totals = defaultdict(D)
    for line in charges:
        totals[line.account.pk, line.period.pk] += line.total
    for account in accounts.values():
        payments.extend(
            _payments(account, periods, [totals[account.pk, period.pk] for period in periods])
        )
    Reading.objects.bulk_create(readings)
    Charge.objects.bulk_create(charges)
    Payment.objects.bulk_create(payments)


def _reading(meter, value, month):
    return Reading(
        meter=meter, value=value, period=month, taken_on=month.replace(day=20),
        source=ReadingSource.RESIDENT,
    )  # fmt: skip


def _charge(account, service, period, tariffs, metered):
    premise = account.premise
    method = service.method
    if method == CalculationMethod.PENALTY:
        return None
    if service.name == "Найм жилья" and premise.ownership != OwnershipType.MUNICIPAL:
        return None
    if method == CalculationMethod.AREA_NORMATIVE and period.month.month not in HEATING_MONTHS:
        return None
    by_normative = service.normative * account.residents if service.normative else D(0)
    if method == CalculationMethod.AREA:
        volume = premise.area
    elif method == CalculationMethod.AREA_NORMATIVE:
        volume = premise.area * service.normative
    elif method == CalculationMethod.METER:
        volume = metered.get(service.resource, by_normative)
    else:  # wastewater: cold plus hot water
        volume = sum(
            metered.get(resource, D(normative) * account.residents)
            for resource, normative in ((Resource.COLD_WATER, "4.5"), (Resource.HOT_WATER, "3.2"))
        )
    tariff = next(t for t in reversed(tariffs) if t.valid_from <= period.month).value
    charged = round_money(tariff * volume)
    return Charge(
        period=period, account=account, service=service, tariff=tariff, volume=volume,
        charged=charged, recalculation=D(0), total=charged,
    )  # fmt: skip


def _payments(account, periods, totals):
    """Each month's charges are paid in the next month, which leaves the last month as debt;
    ЛС 1000154 ends with the seed's debt and ЛС 1000155 with a partial last payment."""
    payments = []
    for index, total in enumerate(totals[:-1]):
        paid_month = periods[index + 1].month
        payments.append(
            Payment(
                account=account,
                paid_on=paid_month.replace(day=10 + index % 9),
                amount=total,
                source=PaymentSource.BANK,
                external_id=f"demo-{account.number}-{index}",
                period=periods[index].month,
                payer_name=account.holder_name,
            )
        )
    if account.number == "1000155":
        payments[-1].amount = D("2345.67")
        payments[-1].paid_on = periods[-1].month.replace(day=10)
    if account.number == "1000154":
        earlier = sum(payment.amount for payment in payments[:-1])
        payments[-1].amount = sum(totals) - earlier - DEMO_DEBT
        assert payments[-1].amount > 0, "the demo history must leave the seed's debt"
    return payments


def _add_penalties_and_recalculation(accounts, services, periods, charges):
    """ЛС 1000154: small penalties in the last three months and one recalculation of cold water."""
    account = accounts.get(154)
    if account is None:
        return
    penalty = next(s for s in services if s.method == CalculationMethod.PENALTY)
    for period, amount in zip(periods[-3:], ("18.42", "31.07", "44.95"), strict=True):
        charges.append(Charge(period=period, account=account, service=penalty, tariff=0, volume=0,
                              charged=D(amount), total=D(amount)))  # fmt: skip
    cold_water = next(s for s in services if s.resource == Resource.COLD_WATER)
    corrected, period = periods[-5], periods[-4]
    recalculation = Recalculation.objects.create(
        period=period, corrected_period=corrected, account=account, service=cold_water,
        amount=D("-123.45"),
        reason="Исправлены ошибочные показания счётчика ХВС за " + str(corrected),
    )  # fmt: skip
    line = next(c for c in charges if (c.account, c.service, c.period) == (account, cold_water,
                                                                           period))  # fmt: skip
    line.recalculation = recalculation.amount
    line.total = line.charged + line.recalculation


def _users(kamal, accounts):
    demo = _user("demo", "demo12345", "demo@example.com", ("Иванов", "Иван", "Иванович"))
    AccountLink.objects.create(user=demo, account=accounts[154])
    operator = _user(
        "operator", "operator12345", "operator@kamal-uk.ru", ("Петрова", "Анна", "Сергеевна")
    )
    add_staff_member(operator, kamal, StaffRole.OPERATOR)
    _user("admin", "admin12345", "admin@example.com", ("Администратор", "Портала", ""),
          is_superuser=True, is_staff=True)  # fmt: skip


def _user(username, password, email, names, **flags):
    last_name, first_name, middle_name = names
    user = User.objects.create_user(
        username=username, password=password, email=email, last_name=last_name,
        first_name=first_name, middle_name=middle_name, **flags,
    )  # fmt: skip
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user
