"""The demo's two organisations and what they are made of: houses, premises, accounts with
their holders, the users, services and tariffs (indexed each July), the УК's normatives for
common needs (КР на СОИ) and the house areas that share the common-house charge."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.utils import timezone

from kabinet.billing.models import (
    PENALTY_METHODS,
    WASTEWATER,
    CalculationMethod,
    CommonNeedsNormative,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    Service,
    Tariff,
)
from kabinet.housing.models import (
    ManagementContract,
    OwnershipType,
    PersonalAccount,
    Premise,
    PremiseKind,
)
from kabinet.metering.models import Resource
from kabinet.money import ZERO
from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.users.models import AccountLink, User

KAMAL = 'ОАО "Камал"'
UYUT = 'ООО "УК Уютный дом"'
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
    ownership: str = ""


KAMAL_SERVICES = [
    ServiceSpec("Ремонт жилья", "м²", CalculationMethod.AREA, "", KAMAL, ("12.50", "13.10")),
    ServiceSpec("Содержание жилья", "м²", CalculationMethod.AREA, "", KAMAL, ("18.40", "19.30")),
    ServiceSpec("Найм жилья", "м²", CalculationMethod.AREA, "",
                "Исполнительный комитет г. Казани", ("9.10", "9.10"),
                ownership=OwnershipType.MUNICIPAL),
    ServiceSpec("Холодное водоснабжение", "м³", CalculationMethod.METER, Resource.COLD_WATER,
                "АО \"Водоканал\"", ("48.50", "51.20"), "4.5"),
    ServiceSpec("Горячее водоснабжение", "м³", CalculationMethod.METER, Resource.HOT_WATER,
                "АО \"Татэнерго\"", ("245.30", "257.60"), "3.2"),
    ServiceSpec("Водоотведение", "м³", CalculationMethod.WASTEWATER, "", "АО \"Водоканал\"",
                ("39.80", "41.90")),
    ServiceSpec("Электроснабжение", "кВт·ч", CalculationMethod.METER, Resource.ELECTRICITY,
                "АО \"Татэнергосбыт\"", ("6.43", "6.84"), "90"),
    # Charged evenly all year: the yearly heat per m² spread over twelve months.
    ServiceSpec("Отопление", "Гкал", CalculationMethod.AREA_NORMATIVE, Resource.HEAT,
                "АО \"Татэнерго\"", ("2950.00", "3098.00"), "0.0105"),
    ServiceSpec("Пени", "", CalculationMethod.PENALTY, "", KAMAL, ("0", "0")),
    # Paid by owners (ЖК РФ ст. 169 ч. 1): a municipal flat's contribution is the municipality's.
    ServiceSpec("Взнос на капитальный ремонт", "м²", CalculationMethod.CAPITAL_REPAIR, "", "",
                ("12.40", "12.40"), ownership=OwnershipType.PRIVATE),
    ServiceSpec("Пени на взносы на капремонт", "", CalculationMethod.CAPITAL_REPAIR_PENALTY, "",
                "", ("0", "0")),
]  # fmt: skip

UYUT_SERVICES = [
    ServiceSpec("Содержание жилья", "м²", CalculationMethod.AREA, "", UYUT, ("24.70", "25.90")),
    ServiceSpec("Холодное водоснабжение", "м³", CalculationMethod.METER, Resource.COLD_WATER,
                "МУП \"Горводоканал\"", ("44.10", "46.30"), "4.5"),
    ServiceSpec("Водоотведение", "м³", CalculationMethod.WASTEWATER, "",
                "МУП \"Горводоканал\"", ("35.20", "37.00")),
    # By the house heat meter in the heating season (its HeatingSetting; formula 3).
    ServiceSpec("Отопление", "Гкал", CalculationMethod.AREA_NORMATIVE, Resource.HEAT,
                "ПАО \"МОЭК\"", ("2810.37", "2951.00"), "0.018"),
]  # fmt: skip

KAMAL_HOLDERS = {
    150: "Сафина Гульнара Ринатовна", 151: "Ковалёв Андрей Петрович",
    152: "Зарипов Ильдар Маратович", 153: "Белова Ольга Викторовна",
    154: "Муравьев Сергей Иванович", 155: "Никитина Елена Андреевна",
    156: "Хабибуллин Рустем Ильдусович", 157: "Орлова Мария Дмитриевна",
    158: "Галиев Тимур Ренатович", 159: "Смирнов Павел Алексеевич",
    160: "Фёдорова Анастасия Игоревна", 170: 'ООО "Продукты у дома"',
}  # fmt: skip
SHOP = 170  # a non-residential premise (a shop, «1Н»): metered, nobody registered
SHOP_AREA = D("86.40")
COMMON_PROPERTY_AREA = D("142.30")  # staircases, corridors, the entrance hall
# The УК's normatives for common needs (КР на СОИ) per m² of the common property a month: the
# values of a five-storey house with central cold and hot water in Удмуртская Республика's act
# (udmurtia-gov.ru/doc/53107; wastewater = cold + hot) and an electricity value for the demo.
COMMON_NORMATIVES = {
    Resource.COLD_WATER: "0.033", Resource.HOT_WATER: "0.033", WASTEWATER: "0.066",
    Resource.ELECTRICITY: "1.2",
}  # fmt: skip
COMMON_NORMATIVES_SOURCE = (
    "Демонстрационные значения (вода и водоотведение — как для домов 1–5 этажей в нормативах "
    "Удмуртской Республики, udmurtia-gov.ru/doc/53107)"
)

UYUT_HOLDERS = {1: "Лебедев Константин Олегович", 2: "Миронова Татьяна Николаевна",
                3: "Яковлев Денис Сергеевич", 4: "Соколова Ирина Валерьевна"}  # fmt: skip


def load_organizations() -> tuple[Organization, Organization]:
    """The УК «Камал» in Kazan (the seed's) and the УК «Уютный дом» in Moscow."""
    kamal = Organization.objects.create(
        name=KAMAL, inn="1659001230", kpp="165901001", ogrn="1021600012345",
        address="420021, г. Казань, ул. Гражданская, д. 10", phone="+7 (843) 231-54-00",
        email="info@kamal-uk.ru", website="https://kamal-uk.ru",
        dispatch_phone="+7 (843) 231-54-01",
        bank_name="Отделение «Банк Татарстан» № 8610 ПАО Сбербанк", bik="049205603",
        bank_short_name="Банк Татарстан № 8610 ПАО Сбербанк",
        correspondent_account="30101810600000000603", settlement_account="40702810462000012345",
        readings_from_day=1, readings_to_day=31,
    )  # fmt: skip
    uyut = Organization.objects.create(
        name=UYUT, inn="7704123450", kpp="770401001", ogrn="1157746123457",
        address="119021, г. Москва, ул. Садовая, д. 3", phone="+7 (495) 120-33-44",
        email="dom@uyut-uk.ru", dispatch_phone="+7 (495) 120-33-99",
        dispatch_hours="с 8:00 до 23:00", bank_name="ПАО Сбербанк", bik="044525225",
        correspondent_account="30101810400000000225", settlement_account="40702810538000054321",
        readings_from_day=15, readings_to_day=25,
    )  # fmt: skip
    return kamal, uyut


def load_management_contract(house) -> None:
    ManagementContract.objects.create(
        house=house, number="12/ГР-2019", signed_on=datetime.date(2019, 4, 1),
        valid_from=datetime.date(2019, 5, 1),
        basis="Протокол общего собрания собственников № 1 от 15.03.2019",
        notes="Управление многоквартирным домом, содержание и текущий ремонт общего имущества, "
        "предоставление коммунальных услуг. Срок договора — 5 лет с автоматическим продлением.",
    )  # fmt: skip


def load_accounts(organization, house, holders, prefix, opened_on):
    """A premise and an account for each of ``holders`` (number → holder), opened on
    ``opened_on``; areas and residents drawn from the organisation's own random seed."""
    accounts = {}
    rng = random.Random(organization.inn)
    for number, holder in holders.items():
        if number == SHOP:
            premise = Premise.objects.create(
                house=house, number="1Н", area=SHOP_AREA, ownership=OwnershipType.PRIVATE,
                kind=PremiseKind.NON_RESIDENTIAL,
            )  # fmt: skip
            residents = 0
        else:
            premise = Premise.objects.create(
                house=house,
                number=str(number),
                area=D("54.00") if number == 154 else D(rng.randrange(3200, 8400)) / 100,
                ownership=OwnershipType.MUNICIPAL
                if number in (150, 152, 154, 157)
                else OwnershipType.PRIVATE,
            )
            residents = 3 if number == 154 else rng.randint(1, 4)
        accounts[number] = PersonalAccount.objects.create(
            organization=organization,
            number=f"{prefix}{number}",
            holder_name=holder,
            premise=premise,
            residents=residents,
            opened_on=opened_on,
        )
    return accounts


def load_house_areas(house, accounts):
    """The house's areas from its premises (the technical passport would give them)."""
    areas = {PremiseKind.RESIDENTIAL: ZERO, PremiseKind.NON_RESIDENTIAL: ZERO}
    for account in accounts.values():
        areas[account.premise.kind] += account.premise.area
    house.residential_area = areas[PremiseKind.RESIDENTIAL]
    house.non_residential_area = areas[PremiseKind.NON_RESIDENTIAL]
    house.common_property_area = COMMON_PROPERTY_AREA
    house.save(update_fields=["residential_area", "non_residential_area", "common_property_area"])


def load_common_normatives(organization, first_month):
    CommonNeedsNormative.objects.bulk_create(
        CommonNeedsNormative(organization=organization, resource=resource, value=D(value),
                             valid_from=first_month, source=COMMON_NORMATIVES_SOURCE)
        for resource, value in COMMON_NORMATIVES.items()
    )  # fmt: skip


def load_services(organization, specs, first_month, indexation):
    """The services of ``specs`` with a tariff before the July ``indexation`` and one after."""
    services = []
    for position, spec in enumerate(specs, start=1):
        service = Service.objects.create(
            organization=organization, name=spec.name, unit=spec.unit, method=spec.method,
            resource=spec.resource, supplier=spec.supplier, position=position,
            normative=D(spec.normative) if spec.normative else None, ownership=spec.ownership,
        )  # fmt: skip
        if spec.method not in PENALTY_METHODS:
            before, after = (D(value) for value in spec.tariffs)
            Tariff.objects.create(
                service=service, value=before, valid_from=first_month,
                valid_to=indexation - datetime.timedelta(days=1),
            )  # fmt: skip
            Tariff.objects.create(service=service, value=after, valid_from=indexation)
        services.append(service)
    return services


def load_heating_by_the_meter(house, first_month) -> None:
    """«Уютный дом» heats its house by the house heat meter in the season (formula 3)."""
    HeatingSetting.objects.create(
        house=house, valid_from=first_month, method=HeatingMethod.HOUSE_METER,
        payment=HeatingPayment.SEASON, season_months="10,11,12,1,2,3,4",
        basis="Демо: оплата в течение отопительного периода (решение субъекта РФ)",
    )  # fmt: skip


def load_users(kamal, accounts):
    """The demo resident, the УК's operator and accountant, the portal's administrator.
    Returns the operator."""
    demo = _user("demo", "demo12345", "demo@example.com", ("Иванов", "Иван", "Иванович"))
    AccountLink.objects.create(user=demo, account=accounts[154])
    operator = _user(
        "operator", "operator12345", "operator@kamal-uk.ru", ("Петрова", "Анна", "Сергеевна")
    )
    add_staff_member(operator, kamal, StaffRole.OPERATOR)
    accountant = _user("accountant", "accountant12345", "buh@kamal-uk.ru",
                       ("Сафиуллина", "Алсу", "Рифовна"))  # fmt: skip
    add_staff_member(accountant, kamal, StaffRole.ACCOUNTANT)
    _user("admin", "admin12345", "admin@example.com", ("Администратор", "Портала", ""),
          is_superuser=True, is_staff=True)  # fmt: skip
    return operator


def _user(username, password, email, names, **flags):
    last_name, first_name, middle_name = names
    user = User.objects.create_user(
        username=username, password=password, email=email, last_name=last_name,
        first_name=first_name, middle_name=middle_name, **flags,
    )  # fmt: skip
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def moment(month, day):
    """10:00 on ``day`` of ``month``: when the demo's staff did something."""
    return timezone.make_aware(datetime.datetime.combine(month.replace(day=day), datetime.time(10)))
