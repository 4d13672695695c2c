"""Demo meters beyond the seed's: house meters (ОДПУ) with readings taken by staff on the first
day of each next month, and an apartment meter past its verification date."""

import datetime
import random
from decimal import Decimal

from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.months import add_months

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
