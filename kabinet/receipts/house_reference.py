"""Section 4 of the payment document, «Справочная информация» (Приказ Минстроя России от
26.01.2018 № 43/пр): the account's and the house's meter readings, the house's volumes of each
utility in its premises and on common-house needs as the billing run stored them, the
normatives the organisation charges by and the house's area totals."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from kabinet.billing.calculation import last_day
from kabinet.billing.models import WASTEWATER, CalculationMethod, Charge
from kabinet.billing.selectors import common_needs_normatives
from kabinet.housing.models import House
from kabinet.housing.selectors import premises_areas
from kabinet.metering.models import Reading
from kabinet.money import ZERO
from kabinet.months import add_months


@dataclass(frozen=True)
class MeterRow:
    """A meter reading used for the period, with the previous one it is counted from."""

    resource_code: str
    resource: str
    serial_number: str
    previous: Decimal | None
    current: Decimal
    consumption: Decimal | None
    source: str


@dataclass(frozen=True)
class ResourceRow:
    """«Справочная информация» of one utility: the normative the organisation charges by and
    the month's volumes of the whole house — in its premises (the individual volumes of every
    account) and on common-house needs (ОДН), as the billing run stored them, and what the
    house meters (ОДПУ) of the resource counted."""

    service: str
    unit: str
    normative: Decimal | None
    normative_per_area: bool  # per m² of area (heating), else per person
    house_meter_volume: Decimal | None  # None: no house meter read in both months
    premises_volume: Decimal
    common_volume: Decimal
    # the normative of common-house needs per m² of the common property's area, when the house
    # has one for the resource (None: no row, no column)
    common_normative: Decimal | None = None

    @property
    def house_volume(self) -> Decimal:
        """The house's whole volume of the month: its premises' and the common-house one."""
        return self.premises_volume + self.common_volume


@dataclass(frozen=True)
class HouseReference:
    """What the receipt tells about the account's house (Приказ Минстроя России № 43/пр,
    раздел «Справочная информация»)."""

    total_area: Decimal  # the house's residential and non-residential premises
    house_meters: tuple[MeterRow, ...]
    resources: tuple[ResourceRow, ...]
    common_area: Decimal | None = None  # the common property's premises (None: not known)


def house_reference(house_id, period, lines, shared: dict | None) -> HouseReference:
    """The house's figures for the receipt's utility ``lines``; a mass run passes ``shared``
    and reads each house once."""
    key = ("house", house_id, period.pk, frozenset(line.service_id for line in lines))
    if shared is not None and key in shared:
        return shared[key]
    utilities = [
        line
        for line in lines
        if line.resource
        or line.normative is not None
        or line.method == CalculationMethod.WASTEWATER
    ]
    volumes = defaultdict(lambda: [ZERO, ZERO])
    # Summed here, not by the database: SQLite sums decimals as floats.
    for service, volume, common in Charge.objects.filter(
        period=period,
        account__premise__house=house_id,
        service__in=[u.service_id for u in utilities],
    ).values_list("service", "volume", "common_volume"):
        volumes[service][0] += volume
        volumes[service][1] += common
    house_meters = meter_rows(
        Reading.objects.filter(
            meter__house=house_id, meter__resource__in={u.resource for u in utilities if u.resource}
        ),
        period.month,
    )
    metered = defaultdict(lambda: None)
    for row in house_meters:
        if row.consumption is not None:
            metered[row.resource_code] = (metered[row.resource_code] or ZERO) + row.consumption
    normatives = common_needs_normatives(period.organization, period.month, last_day(period.month))
    reference = HouseReference(
        # The house's area of residential and non-residential premises (Правила № 354 п. 44):
        # its own figures, else the sum of its premises' areas — as the run shares ОДН by.
        total_area=premises_areas([house_id]).get(house_id, ZERO),
        common_area=House.objects.filter(pk=house_id)
        .values_list("common_property_area", flat=True)
        .first(),
        house_meters=house_meters,
        resources=tuple(
            ResourceRow(
                service=line.service,
                unit=line.unit,
                normative=line.normative,
                normative_per_area=line.method == CalculationMethod.AREA_NORMATIVE,
                house_meter_volume=metered[line.resource] if line.resource else None,
                premises_volume=volumes[line.service_id][0],
                common_volume=volumes[line.service_id][1],
                common_normative=_common_normative(normatives, house_id, line),
            )
            for line in utilities
        ),
    )
    if shared is not None:
        shared[key] = reference
    return reference


def _common_normative(normatives, house_id, line) -> Decimal | None:
    """The normative for common needs the line's resource was capped by: the house's own row,
    else the organisation's (``billing.selectors.common_needs_normatives``)."""
    resource = WASTEWATER if line.method == CalculationMethod.WASTEWATER else line.resource
    if not resource or not line.common_volume:
        return None
    return normatives.get((house_id, resource), normatives.get((None, resource)))


READING_ORDER = ("meter__resource", "meter__serial_number", "period")


def meter_rows(readings, month) -> tuple[MeterRow, ...]:
    """The meters' readings of ``month`` with the previous month's they are counted from."""
    readings = (
        readings.filter(period__in=[add_months(month, -1), month])
        .select_related("meter")
        .order_by(*READING_ORDER)
    )
    return rows_of_readings(readings, month)


def rows_of_readings(readings, month) -> tuple[MeterRow, ...]:
    """``meter_rows`` of readings already read (with their meters, in ``READING_ORDER``, of
    ``month`` and the month before): a batch of documents reads them for all its accounts."""
    previous_month = add_months(month, -1)
    previous, rows = {}, []
    for reading in readings:
        if reading.period == previous_month:
            previous[reading.meter_id] = reading.value
            continue
        meter, before = reading.meter, previous.get(reading.meter_id)
        used = None if before is None else reading.value - before
        if used is not None and used < 0:  # the meter rolled over past 99…9
            used += 10**meter.digits
        rows.append(
            MeterRow(
                resource_code=meter.resource,
                resource=meter.get_resource_display(),
                serial_number=meter.serial_number,
                previous=before,
                current=reading.value,
                consumption=used,
                source=reading.get_source_display(),
            )
        )
    return tuple(rows)
