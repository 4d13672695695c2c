"""The demo's meters: the apartments' (ЛС 1000154, 1000155 and the shop, read by their
residents each month), the flats without them (ЛС 1000156 where one can be installed, charged
by the normative × the increasing coefficient; the rest by an act that it cannot be), the
house meters (ОДПУ) read by staff on the first day of each next month, and ЛС 2000002's meter
past its verification date."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from kabinet.billing.models import CalculationMethod
from kabinet.demo.seed import SEED_CORRECTED, SEED_TYPO
from kabinet.demo.world import SHOP
from kabinet.metering.models import Meter, MeterImpossible, Reading, ReadingSource, Resource
from kabinet.months import add_months

D = Decimal
UNVERIFIED_METER = 2  # ЛС 2000002: a cold-water meter past its verification (below)
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

# The meter past its verification (Правила № 354 п. 59 «а», п. 60): due this many months before
# the current one; the resident's readings stop there. From the next month three months are
# charged by its average, then the normative with the increasing coefficient (п. 42). It is in
# a house without house meters, so that no other account's common-house share changes.
UNVERIFIED_MONTHS = 5

HOUSE_METERS = [  # resource, serial number, digits, first value
    (Resource.COLD_WATER, "ОДПУ-ХВ-0412", 7, 152_340),
    (Resource.HOT_WATER, "ОДПУ-ГВ-0413", 7, 88_905),
    (Resource.ELECTRICITY, "ОДПУ-Э-2210", 8, 1_204_770),
]


def load_house_meters(house, months, used) -> None:
    """ОДПУ of ``house``: a reading before the first of ``months``, then one for each month
    (``used``: (resource, month) → what the meter counted in the month)."""
    readings = []
    for resource, serial, digits, value in HOUSE_METERS:
        meter = Meter.objects.create(
            house=house, resource=resource, serial_number=serial, digits=digits,
            place="Подвал, узел учёта", installed_on=datetime.date(2018, 9, 1),
            verification_due=datetime.date(2028, 9, 1),
        )  # fmt: skip
        readings.append(_reading(meter, value, add_months(months[0], -1)))
        for month in months:
            value += used[resource, month]
            readings.append(_reading(meter, value, month))
    Reading.objects.bulk_create(readings)


# Gcal per m² of the house's premises the heat meter counts in each month of the season
# (none in summer): a cold January, a mild October.
HEAT_PER_M2 = {1: "0.028", 2: "0.025", 3: "0.020", 4: "0.012", 10: "0.010", 11: "0.019",
               12: "0.026"}  # fmt: skip


def load_heat_meter(house, months) -> None:
    """The house heat meter (ОДПУ) of a house heated by it (formula 3 of Правила № 354):
    read each month, its consumption by the season and the premises' area."""
    area = sum(house.premises.values_list("area", flat=True), Decimal(0))
    meter = Meter.objects.create(
        house=house, resource=Resource.HEAT, serial_number="ОДПУ-Т-0907", digits=8,
        place="Тепловой пункт", installed_on=datetime.date(2018, 9, 1),
        verification_due=datetime.date(2029, 9, 1),
    )  # fmt: skip
    value = Decimal("4120.000")
    readings = [_reading(meter, value, add_months(months[0], -1))]
    for month in months:
        value += (area * Decimal(HEAT_PER_M2.get(month.month, "0"))).quantize(Decimal("0.001"))
        readings.append(_reading(meter, value, month))
    Reading.objects.bulk_create(readings)


def _reading(meter, value, month):
    return Reading(
        meter=meter,
        value=value,
        period=month,
        taken_on=add_months(month, 1),  # read on the first day of the next month
        source=ReadingSource.STAFF,
    )


def load_unverified_meter(account, months) -> Meter:
    """A cold-water meter of ``account`` whose verification date passed ``UNVERIFIED_MONTHS``
    before the current month, read monthly by the resident until then."""
    current = add_months(months[-1], 1)
    due = add_months(current, -UNVERIFIED_MONTHS) - datetime.timedelta(days=1)
    meter = Meter.objects.create(
        account=account, resource=Resource.COLD_WATER, place="Кухня",
        serial_number=f"2014-{account.number}", digits=5,
        installed_on=datetime.date(2014, 5, 20), verification_due=due,
    )  # fmt: skip
    rng = random.Random(account.number)
    value = Decimal(rng.randrange(300, 600))
    readings = [_resident_reading(meter, value, add_months(months[0], -1))]
    for month in months:
        if month > due:
            break
        value += (Decimal("3.0") + Decimal(rng.randrange(0, 2000)) / 1000).quantize(
            Decimal("0.001")
        )
        readings.append(_resident_reading(meter, value, month))
    Reading.objects.bulk_create(readings)
    return meter


def _resident_reading(meter, value, month):
    return Reading(
        meter=meter, value=value, period=month, taken_on=month.replace(day=20),
        source=ReadingSource.RESIDENT,
    )  # fmt: skip


def load_meters_impossible(accounts):
    MeterImpossible.objects.bulk_create(
        MeterImpossible(premise=account.premise, resource=resource,
                        established_on=account.opened_on, basis="Акт обследования")
        for number, account in accounts.items()
        if number not in METERED_APARTMENTS | WITHOUT_METERS
        for resource in METER_USE
    )  # fmt: skip


def load_apartment_meters(accounts, today):
    """Cold water, hot water and electricity meters of the METERED_APARTMENTS: (apartment,
    resource) → meter. ЛС 1000155's hot-water meter is due for verification in 20 days."""
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


def load_apartment_readings(accounts, meters, months):
    """The residents' readings: one before the first month, then one a month. Returns what
    each meter counted: (apartment, resource, month) → volume. ЛС 1000154's cold-water reading
    of one month is mistyped (corrected later by staff: ``seed``)."""
    readings, used = [], {}
    typo_month = months[-1 - SEED_CORRECTED]
    for number in sorted(METERED_APARTMENTS & accounts.keys()):
        rng = random.Random(int(accounts[number].number))
        values = {resource: D(rng.randrange(100, 900)) for resource in METER_USE}
        for resource in METER_USE:
            readings.append(_resident_reading(meters[number, resource], values[resource],
                                              add_months(months[0], -1)))  # fmt: skip
        for month in months:
            for resource, (low, high) in METER_USE.items():
                volume = (low + (high - low) * D(rng.random())).quantize(D("0.001"))
                values[resource] += volume
                used[number, resource, month] = volume
                value = values[resource]
                if (number, resource, month) == (154, Resource.COLD_WATER, typo_month):
                    value += SEED_TYPO
                readings.append(_resident_reading(meters[number, resource], value, month))
    Reading.objects.bulk_create(readings)
    return used


def house_use(accounts, services, used):
    """(resource, month) → what the house meters count: the apartments' use (by their meters,
    else by the normative) and a little more (COMMON_USE)."""
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
