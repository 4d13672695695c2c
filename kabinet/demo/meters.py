"""Demo house meters (ОДПУ) with a year of readings taken by staff."""

import datetime
import random
from decimal import Decimal

from kabinet.housing.models import House
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.months import add_months, first_of_month

HOUSE_METERS = [  # resource, serial number, digits, first value, usual monthly use
    (Resource.COLD_WATER, "ОДПУ-ХВ-0412", 7, 152_340, (310, 360)),
    (Resource.HOT_WATER, "ОДПУ-ГВ-0413", 7, 88_905, (170, 210)),
    (Resource.ELECTRICITY, "ОДПУ-Э-2210", 8, 1_204_770, (11_500, 14_200)),
]


def load_house_meters(today: datetime.date) -> None:
    """ОДПУ of ул. Гражданская, д. 12 with readings for the twelve closed months."""
    house = House.objects.get(address="ул. Гражданская, д. 12")
    rng = random.Random(house.address)
    months = [add_months(first_of_month(today), offset) for offset in range(-12, 0)]
    readings = []
    for resource, serial, digits, value, (low, high) in HOUSE_METERS:
        meter = Meter.objects.create(
            house=house, resource=resource, serial_number=serial, digits=digits,
            place="Подвал, узел учёта", installed_on=datetime.date(2018, 9, 1),
            verification_due=datetime.date(2028, 9, 1),
        )  # fmt: skip
        for month in months:
            value += rng.randint(low, high)
            taken_on = add_months(month, 1)  # read on the first day of the next month
            readings.append(
                Reading(
                    meter=meter,
                    value=Decimal(value),
                    period=month,
                    taken_on=taken_on,
                    source=ReadingSource.STAFF,
                )
            )
    Reading.objects.bulk_create(readings)
