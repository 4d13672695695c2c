"""The demo data set: the seed manual's example, relative to today so that it always shows
twelve closed months up to the previous one and the current month open (not calculated).

The twelve months are produced the way staff produce them: each month the billing run and
closing (``kabinet.billing.run``, ``kabinet.billing.closing``), then the month's payments in the
next month. Readings and payments are deterministic (a fixed random seed per account and house),
and so is every figure the engine derives from them.

ЛС 1000154 (the demo resident's) falls behind four months before the last closed one, so
penalties appear from the month its debt turns 30 days late; its cold-water reading for one
month is corrected and that month recalculated; its last payment is sized so that it ends with
the seed's «Долг: 6 889,37».

The house's areas (residential, non-residential, common property) and the УК's normatives for
common needs make its common-house share (ОДН) follow Правила № 354 п. 44: shared by area over
all premises and capped by the normative (what the house meters count above it the УК bears);
a shop on the ground floor (ЛС 1000170, a non-residential premise nobody has linked) is billed
like the flats.

The house collects capital repair contributions on a special account of the УК (ЖК РФ ст. 170
ч. 3, ст. 175): its owners (not the municipal flats, whose owner pays) are charged them per m²
and pay them by the second QR code; ЛС 1000155 pays one month's late, which earns the ч. 14.1
penalty.

ЛС 1000156 has no meters where they can be installed: its water and electricity are charged by
the normative with the increasing coefficient. ЛС 2000002's cold-water meter went past its
verification five months before the current one: three months by its average, then the
normative with the coefficient.

ЛС 1000158 pays its heating of four months before the last closed one in instalments (Правила
№ 354 п. 72): six monthly shares with interest at the highest rate the law allows on the day
it was granted, so the last closed month's payment document shows section 5."""

import datetime
import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kabinet.billing.closing import close_period
from kabinet.billing.instalments import max_rate
from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    PENALTY_METHODS,
    WASTEWATER,
    CalculationMethod,
    CapitalRepairFund,
    CapitalRepairFundKind,
    Charge,
    CommonNeedsNormative,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    InstalmentPlan,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
    Service,
    Tariff,
)
from kabinet.billing.recalculations import add_recalculation
from kabinet.billing.run import run_billing
from kabinet.billing.signals import period_closed
from kabinet.demo.appeals import load_appeals_demo
from kabinet.demo.meters import load_heat_meter, load_house_meters, load_unverified_meter
from kabinet.formats import format_quantity, month_name
from kabinet.housing.models import (
    House,
    ManagementContract,
    OwnershipType,
    PersonalAccount,
    Premise,
    PremiseKind,
)
from kabinet.metering.models import Meter, MeterImpossible, Reading, ReadingSource, Resource
from kabinet.metering.services import record_readings
from kabinet.money import ZERO, money_sum, summed
from kabinet.months import add_months, first_of_month
from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import Payment, PaymentSource
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.tasks import mail_receipts_when_period_closes
from kabinet.users.models import AccountLink, User

KAMAL = 'ОАО "Камал"'
UYUT = 'ООО "УК Уютный дом"'
SEED_ACCOUNT = "1000154"
SEED_DEBT = Decimal("6889.37")  # the seed's «Долг: 6 889,37» on ЛС 1000154
# ГИС ЖКХ's identifiers of ЛС 1000154 as the system would have given them (kabinet.housing.gis):
# ЕЛС of 10 characters, the ЖКУ identifier (13) = ЕЛС + service number, an ИПД (18) a month.
SEED_UNIFIED_ACCOUNT = "16АБ015400"
SEED_SERVICE_ID = f"{SEED_UNIFIED_ACCOUNT}-01"
RECEIPTS_MAILING = "receipts_mailing"  # dispatch_uid of the receipts app's period_closed receiver
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
# The house's special account for capital repair, owned by the УК (ЖК РФ ст. 175).
KAMAL_FUND = {
    "kind": CapitalRepairFundKind.SPECIAL_ACCOUNT, "payee_name": KAMAL, "inn": "1659001230",
    "kpp": "165901001", "bank_name": "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк",
    "bank_short_name": "Банк Татарстан № 8610 ПАО Сбербанк", "bik": "049205603",
    "correspondent_account": "30101810600000000603",
    "settlement_account": "40705810762000000012",
}  # fmt: skip
LATE_CONTRIBUTION = ("1000155", 3, 28)  # account, months before the last closed one, day paid

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

UNVERIFIED_METER = 2  # ЛС 2000002: a cold-water meter past its verification (demo/meters.py)
METERED_APARTMENTS = {154, 155, SHOP}  # the accounts with meters and readings
# No meters where they can be installed: charged by the normative × the increasing coefficient
# (Правила № 354 п. 42). In the other unmetered flats an act says a meter cannot be installed.
WITHOUT_METERS = {156}
METER_USE = {  # usual monthly consumption range per resource
    Resource.COLD_WATER: (D("3.2"), D("5.4")),
    Resource.HOT_WATER: (D("1.9"), D("3.4")),
    Resource.ELECTRICITY: (D("140"), D("235")),
}
COMMON_USE = (D("0.03"), D("0.08"))  # the house meter counts this much above the apartments

# ЛС 1000154's payments for the months before the last closed one, by how many months before
# it they pay for: (day of the next month, amount; None — the month's charges). Nothing for one
# month and two partial payments leave a debt that turns 30 and then 90 days late; the
# payment for the month before the last one pays off nearly all of it and is sized (``settle``)
# to leave the seed's debt.
SEED_PAYMENTS = {4: (14, ZERO), 3: (17, D("2000.00")), 2: (12, D("3000.00")), 1: (20, None)}
SEED_CORRECTED = 5  # months before the last closed one: the month of the mistyped reading
SEED_TYPO = D("9.000")  # two digits swapped: 9 m³ too many
# ЛС 1000158's instalment plan: the service, how many months before the last closed one its
# charge is spread, over how many months.
INSTALMENT = ("1000158", "Отопление", 4, 6)


def is_loaded() -> bool:
    return Organization.objects.filter(name=KAMAL).exists()


def load_demo(today: datetime.date | None = None) -> None:
    """Create the demo data set (call once: see ``is_loaded``)."""
    with _no_receipt_mailing():
        _load(today or timezone.localdate())


@contextmanager
def _no_receipt_mailing():
    """The demo's months were closed long ago: closing them now mails no receipts. The
    closings' ``period_closed`` signals are sent when the outermost transaction commits: the
    loading one (a test's transaction, around it, never commits)."""
    connected = period_closed.disconnect(dispatch_uid=RECEIPTS_MAILING)
    try:
        yield
    finally:
        if connected:
            period_closed.connect(mail_receipts_when_period_closes, dispatch_uid=RECEIPTS_MAILING)


@transaction.atomic
def _load(today: datetime.date) -> None:
    current = first_of_month(today)
    months = [add_months(current, offset) for offset in range(-12, 0)]
    indexation = next(month for month in months if month.month == 7)

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
        email="dom@uyut-uk.ru",
        dispatch_phone="+7 (495) 120-33-99", dispatch_hours="с 8:00 до 23:00",
        bank_name="ПАО Сбербанк", bik="044525225",
        correspondent_account="30101810400000000225", settlement_account="40702810538000054321",
        readings_from_day=15, readings_to_day=25,
    )  # fmt: skip

    kamal_house = House.objects.create(organization=kamal, address="ул. Гражданская, д. 12")
    fund = CapitalRepairFund(house=kamal_house, **KAMAL_FUND)
    fund.full_clean()
    fund.save()
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
    operator = _users(kamal, kamal_accounts)

    _house_areas(kamal_house, kamal_accounts)
    _common_normatives(kamal, months[0])
    kamal_services = _services(kamal, KAMAL_SERVICES, months[0], indexation)
    _services(uyut, UYUT_SERVICES, months[0], indexation)
    HeatingSetting.objects.create(
        house=uyut_house, valid_from=months[0], method=HeatingMethod.HOUSE_METER,
        payment=HeatingPayment.SEASON, season_months="10,11,12,1,2,3,4",
        basis="Демо: оплата в течение отопительного периода (решение субъекта РФ)",
    )  # fmt: skip
    load_heat_meter(uyut_house, months)
    meters = _meters(kamal_accounts, today)
    _meters_impossible(kamal_accounts)
    used = _readings(kamal_accounts, meters, months)
    load_house_meters(kamal_house, months, _house_use(kamal_accounts, kamal_services, used))

    seed = SeedAccount(kamal_accounts[154], meters[154, Resource.COLD_WATER], operator, months)
    _bill_months(kamal, kamal_accounts, months, seed)
    _gis_identifiers(kamal_accounts[154])
    load_unverified_meter(uyut_accounts[UNVERIFIED_METER], months)
    _bill_months(uyut, uyut_accounts, months)
    load_appeals_demo()


def _accounts(organization, house, holders, prefix, opened_on):
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


def _house_areas(house, accounts):
    """The house's areas from its premises (the technical passport would give them)."""
    areas = {PremiseKind.RESIDENTIAL: ZERO, PremiseKind.NON_RESIDENTIAL: ZERO}
    for account in accounts.values():
        areas[account.premise.kind] += account.premise.area
    house.residential_area = areas[PremiseKind.RESIDENTIAL]
    house.non_residential_area = areas[PremiseKind.NON_RESIDENTIAL]
    house.common_property_area = COMMON_PROPERTY_AREA
    house.save(update_fields=["residential_area", "non_residential_area", "common_property_area"])


def _common_normatives(organization, first_month):
    CommonNeedsNormative.objects.bulk_create(
        CommonNeedsNormative(organization=organization, resource=resource, value=D(value),
                             valid_from=first_month, source=COMMON_NORMATIVES_SOURCE)
        for resource, value in COMMON_NORMATIVES.items()
    )  # fmt: skip


def _services(organization, specs, first_month, indexation):
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


def _meters_impossible(accounts):
    MeterImpossible.objects.bulk_create(
        MeterImpossible(premise=account.premise, resource=resource,
                        established_on=account.opened_on, basis="Акт обследования")
        for number, account in accounts.items()
        if number not in METERED_APARTMENTS | WITHOUT_METERS
        for resource in METER_USE
    )  # fmt: skip


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


def _readings(accounts, meters, months):
    """The residents' readings: one before the first month, then one a month. Returns what
    each meter counted: (apartment, resource, month) → volume. ЛС 1000154's cold-water reading
    of one month is mistyped (corrected later by staff)."""
    readings, used = [], {}
    typo_month = months[-1 - SEED_CORRECTED]
    for number in sorted(METERED_APARTMENTS & accounts.keys()):
        rng = random.Random(int(accounts[number].number))
        values = {resource: D(rng.randrange(100, 900)) for resource in METER_USE}
        for resource in METER_USE:
            readings.append(_reading(meters[number, resource], values[resource],
                                     add_months(months[0], -1)))  # fmt: skip
        for month in months:
            for resource, (low, high) in METER_USE.items():
                volume = (low + (high - low) * D(rng.random())).quantize(D("0.001"))
                values[resource] += volume
                used[number, resource, month] = volume
                value = values[resource]
                if (number, resource, month) == (154, Resource.COLD_WATER, typo_month):
                    value += SEED_TYPO
                readings.append(_reading(meters[number, resource], value, month))
    Reading.objects.bulk_create(readings)
    return used


def _reading(meter, value, month):
    return Reading(
        meter=meter, value=value, period=month, taken_on=month.replace(day=20),
        source=ReadingSource.RESIDENT,
    )  # fmt: skip


def _house_use(accounts, services, used):
    """(resource, month) → what the apartments used: by their meters, else by the normative."""
    normatives = {s.resource: s.normative for s in services if s.method == CalculationMethod.METER}
    months = {month for _, _, month in used}
    totals = defaultdict(Decimal)
    for number, account in accounts.items():
        for resource, normative in normatives.items():
            for month in months:
                volume = used.get((number, resource, month))
                totals[resource, month] += (
                    normative * account.residents if volume is None else volume
                )
    rng = random.Random("ул. Гражданская, д. 12")
    low, high = COMMON_USE
    return {
        key: (total * (1 + low + (high - low) * D(rng.random()))).quantize(D("0.001"))
        for key, total in sorted(totals.items())
    }


class SeedAccount:
    """ЛС 1000154's story in the demo: its payments, the corrected reading, the final debt."""

    def __init__(self, account, cold_water_meter, operator, months):
        self.account, self.meter, self.operator = account, cold_water_meter, operator
        self.last = len(months) - 1

    def payment(self, index, total, payment):
        """The account's payment for month ``index``, as planned in SEED_PAYMENTS."""
        plan = SEED_PAYMENTS.get(self.last - index)
        if plan is None:
            return payment
        day, amount = plan
        payment.paid_on = payment.paid_on.replace(day=day)
        payment.amount = total if amount is None else amount
        return payment

    def before_run(self, index, period):
        """Staff correct the mistyped reading of the month before and recalculate that month."""
        if self.last - index != SEED_CORRECTED - 1:
            return
        corrected = Period.objects.get(
            organization=period.organization, month=add_months(period.month, -1)
        )
        reading = self.meter.readings.get(period=corrected.month)
        right = reading.value - SEED_TYPO
        record_readings(
            {self.meter: right}, period=corrected.month, taken_on=period.month.replace(day=3),
            source=ReadingSource.STAFF, user=self.operator,
        )  # fmt: skip
        reason = (
            f"Исправлено показание счётчика ХВС № {self.meter.serial_number} за "
            f"{month_name(corrected.month)}: передано {format_quantity(reading.value)} вместо "
            f"{format_quantity(right)}"
        )
        cold_water = Service.objects.get(organization=period.organization,
                                         resource=Resource.COLD_WATER)  # fmt: skip
        # wastewater, charged on the water's volume, follows by itself (its own recalculations)
        add_recalculation(self.account, cold_water, corrected, RecalculationKind.READING, reason,
                          user=self.operator)  # fmt: skip
        made_on = _moment(period.month, 3)
        Recalculation.objects.filter(account=self.account).update(created_at=made_on)

    def settle(self, period):
        """Size the payment made in the last closed month so that the debt after it is the
        seed's figure. The payment changes that month's penalty a little: run it again until
        the figure holds."""
        payment = Payment.objects.get(account=self.account, period=add_months(period.month, -1))
        for _ in range(5):
            debt = money_sum(Charge.objects.filter(account=self.account), "total") - money_sum(
                Payment.objects.filter(account=self.account), "amount"
            )
            if debt == SEED_DEBT:
                return
            payment.amount += debt - SEED_DEBT
            if payment.amount <= 0:
                raise ValueError("The demo history must leave a debt above the seed's figure.")
            payment.save(update_fields=["amount"])
            run_billing(period)
        raise ValueError("The seed's debt could not be reached.")


def _bill_months(organization, accounts, months, seed=None):
    """Each month in order: the billing run, closing, then the month's payments (in the next
    month; the last closed month stays unpaid). The current month stays open, not calculated."""
    period = Period.objects.create(organization=organization, month=months[0])
    for index in range(len(months)):
        if seed:
            seed.before_run(index, period)
        run_billing(period)
        if seed and index == len(months) - 1 - INSTALMENT[2]:
            _grant_instalment(accounts[int(INSTALMENT[0][-3:])], period, seed.operator)
            run_billing(period)
        if seed and index == len(months) - 1:
            seed.settle(period)
        closed, period = period, close_period(period)
        Period.objects.filter(pk=closed.pk).update(
            calculated_at=_moment(period.month, 1), closed_at=_moment(period.month, 3)
        )
        if index < len(months) - 1:
            _pay(closed, accounts, index, len(months) - 1 - index, seed)


def _grant_instalment(account, period, operator):
    """ЛС 1000158's plan for the whole of the month's heating, on the 3rd of the next month."""
    line = Charge.objects.get(period=period, account=account, service__name=INSTALMENT[1])
    granted_on = add_months(period.month, 1).replace(day=3)
    plan = InstalmentPlan(
        period=period, account=account, service=line.service, amount=line.total,
        months=INSTALMENT[3], rate=max_rate(account.organization, granted_on),
        granted_on=granted_on, consent_on=granted_on, created_by=operator,
    )  # fmt: skip
    plan.full_clean()
    plan.save()


def _gis_identifiers(account):
    account.unified_account, account.gis_service_id = SEED_UNIFIED_ACCOUNT, SEED_SERVICE_ID
    account.save(update_fields=["unified_account", "gis_service_id"])
    PaymentDocumentId.objects.bulk_create(
        PaymentDocumentId(
            account=account, period=period, value=f"{SEED_SERVICE_ID}-{period.month:%m%y}"
        )
        for period in Period.objects.filter(
            organization=account.organization_id, status=PeriodStatus.CLOSED
        )
    )


def _moment(month, day):
    return timezone.make_aware(datetime.datetime.combine(month.replace(day=day), datetime.time(10)))


def _pay(period, accounts, index, before_last_closed, seed):
    """Each account pays the month's charges between the 10th and the 18th of the next month,
    the capital repair contribution apart to its payee; ЛС 1000155 pays only part of the month
    before the last (on the 10th of the last month) and one contribution late
    (LATE_CONTRIBUTION), ЛС 1000154 as SEED_PAYMENTS says. ``before_last_closed``: how many
    months before the last closed one ``period`` is."""
    before_last = before_last_closed == 1
    charges = Charge.objects.filter(period=period)
    totals, contributions = (
        dict(
            queryset.values("account").annotate(total=Sum("total")).values_list("account", "total")
        )
        for queryset in (charges, charges.filter(service__method__in=CAPITAL_REPAIR_METHODS))
    )
    paid_month = add_months(period.month, 1)
    payments = []
    for account in accounts.values():
        contribution = summed(contributions.get(account.pk))
        total = summed(totals.get(account.pk)) - contribution
        if contribution > 0:
            late = LATE_CONTRIBUTION[:2] == (account.number, before_last_closed)
            payments.append(Payment(
                account=account, amount=contribution, source=PaymentSource.BANK,
                paid_on=paid_month.replace(day=LATE_CONTRIBUTION[2] if late else 10),
                external_id=f"demo-{account.number}-{index}-kr", period=period.month,
                payer_name=account.holder_name, capital_repair=True,
            ))  # fmt: skip
        payment = Payment(
            account=account, paid_on=paid_month.replace(day=10 + index % 9), amount=total,
            source=PaymentSource.BANK, external_id=f"demo-{account.number}-{index}",
            period=period.month, payer_name=account.holder_name,
        )  # fmt: skip
        if seed and account == seed.account:
            payment = seed.payment(index, total, payment)
        elif account.number == "1000155" and before_last:
            payment.paid_on, payment.amount = paid_month.replace(day=10), D("2345.67")
        if payment.amount > 0:
            payments.append(payment)
    Payment.objects.bulk_create(payments)


def _users(kamal, accounts):
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
